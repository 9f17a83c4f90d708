"""Forms of the administration pages."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, NumberRange

from web import labels
from web.forms import (
    ConfirmedForm,
    CsvTextField,
    Form,
    email_address,
    length,
    optional,
    options,
    required,
)
from workflow import options as campaign_options
from workflow.levels import REVIEW_LEVELS, UNIT_LEVELS
from workflow.models import OUTBOX_STATUSES, ROLES


def date_required():
    # InputRequired, unlike DataRequired, keeps the "not a valid date" message of a bad value.
    return InputRequired(message=_l("A date, please."))


class UnitForm(Form):
    parent_code = SelectField(_l("Parent unit"), validators=[required()], validate_choice=True)
    code = StringField(_l("Code"), validators=[required(), length(40)])
    name = StringField(_l("Name"), validators=[required(), length(200)])
    level = SelectField(
        _l("Level"),
        choices=options(
            [(level, labels.LEVELS[level]) for level in UNIT_LEVELS if level != "province"]
        ),
        validators=[required()],
    )


class RenameForm(Form):
    name = StringField(_l("New name"), validators=[required(), length(200)])


class MoveForm(Form):
    parent_code = SelectField(_l("New parent unit"), validators=[required()], validate_choice=True)


class UserForm(Form):
    username = StringField(_l("Username"), validators=[required(), length(60)])
    full_name = StringField(_l("Full name"), validators=[required(), length(200)])
    email = StringField(
        _l("E-mail"),
        validators=[required(), length(254), email_address()],
    )
    role = SelectField(_l("Role"), choices=options((r, labels.ROLES[r]) for r in ROLES))
    unit_code = SelectField(_l("Unit"), validators=[required()], validate_choice=True)
    password = PasswordField(
        _l("Password (leave empty to send a link)"), validators=[optional(), length(200, 8)]
    )


class ChangeUserForm(Form):
    role = SelectField(_l("Role"), choices=options((r, labels.ROLES[r]) for r in ROLES))
    unit_code = SelectField(_l("Unit"), validators=[required()], validate_choice=True)


class ImportForm(Form):
    file = FileField(_l("CSV file"))
    text = CsvTextField(_l("…or paste the CSV text"), validators=[optional(), length(10_000_000)])


class DayOffForm(Form):
    """An extra day off of the administrator's province."""

    day = DateField(_l("Date"), validators=[date_required()])
    name = StringField(_l("Name or reason"), validators=[required(), length(200)])


class RemoveDayOffForm(ConfirmedForm):
    """Removing a day off: asked once, then confirmed."""

    day = DateField(validators=[date_required()])


class CampaignForm(Form):
    name = StringField(_l("Name"), validators=[required(), length(200)])
    year = IntegerField(
        _l("Year"),
        validators=[
            required(),
            NumberRange(1900, 2100, message=_l("A year between 1900 and 2100, please.")),
        ],
    )
    unit_code = SelectField(_l("Unit"), validators=[required()], validate_choice=True)
    submission_deadline = DateField(_l("Submission deadline"), validators=[date_required()])
    commune_review_deadline = DateField(_l("Commune review deadline"), validators=[optional()])
    district_review_deadline = DateField(_l("District review deadline"), validators=[optional()])
    province_review_deadline = DateField(_l("Province review deadline"), validators=[optional()])


class DeadlinesForm(Form):
    """Deadlines of a running campaign: a change is an amendment, with its reason."""

    submission_deadline = DateField(_l("Submission deadline"), validators=[date_required()])
    commune_review_deadline = DateField(_l("Commune review deadline"), validators=[optional()])
    district_review_deadline = DateField(_l("District review deadline"), validators=[optional()])
    province_review_deadline = DateField(_l("Province review deadline"), validators=[optional()])
    reason = TextAreaField(_l("Reason for the change"), validators=[required(), length(2000)])
    version = HiddenField()


class CommitteeForm(Form):
    size = IntegerField(
        _l("Committee size (all members, with or without an account)"),
        validators=[
            InputRequired(_l("A number, please.")),
            NumberRange(1, 200, message=_l("A number from %(min)s to %(max)s, please.")),
        ],
    )
    members = SelectMultipleField(_l("Members with an account"), coerce=str)


class CloseForm(ConfirmedForm):
    unit_code = SelectField(_l("Reviewing unit"), validators=[required()], validate_choice=True)


class OutboxFilterForm(Form):
    """Which notices the outbox page shows; a GET form, so it carries no CSRF token."""

    class Meta:
        csrf = False

    status = SelectField(
        _l("Status"),
        choices=options((status, labels.OUTBOX_STATUSES[status]) for status in OUTBOX_STATUSES),
        validate_choice=True,
        default="failed",
    )


# A campaign's options, per reviewing level: fields "<level>_<key>" (district_decision, …).


def with_option_fields(form_class):
    """Add the option fields of every reviewing level to `form_class`.

    A field left empty keeps the value it had (the campaign's, or a new campaign's starting
    options); a form posted without the option fields at all (no `options_given`) changes none.
    """
    fraction = [optional(), length(10)]
    form_class.options_given = HiddenField()  # "1" when the form showed the option fields
    for level in REVIEW_LEVELS:
        setattr(form_class, f"{level}_reviews", BooleanField(labels.OPTION_KEYS["reviews"]))
        setattr(
            form_class,
            f"{level}_decision",
            SelectField(
                labels.OPTION_KEYS["decision"],
                choices=options(
                    (value, labels.DECISIONS[value]) for value in campaign_options.DECISIONS
                ),
                validate_choice=False,  # left out: unchanged; anything else: the domain says
            ),
        )
        setattr(
            form_class,
            f"{level}_quorum_at_least",
            StringField(labels.OPTION_KEYS["quorum_at_least"], validators=fraction),
        )
        setattr(
            form_class,
            f"{level}_pass_more_than",
            StringField(labels.OPTION_KEYS["pass_more_than"], validators=fraction),
        )
        setattr(
            form_class,
            f"{level}_comment_days",
            IntegerField(
                labels.OPTION_KEYS["comment_days"],
                validators=[
                    optional(),
                    NumberRange(
                        0,
                        campaign_options.MAX_COMMENT_DAYS,
                        message=_l("A number from %(min)s to %(max)s, please."),
                    ),
                ],
            ),
        )
    return form_class


def option_values(form):
    """The options the form holds, as workflow.options takes them (None: none were posted)."""
    if form.options_given.data != "1":
        return None
    given = {}
    for level in REVIEW_LEVELS:
        values = {}
        for key in campaign_options.KEYS:
            value = form[f"{level}_{key}"].data
            if isinstance(value, str):
                value = value.strip()
            if key == "reviews" or value not in (None, ""):
                values[key] = value
        given[level] = values
    return given


def fill_options(form, pinned):
    for level in REVIEW_LEVELS:
        for key, value in campaign_options.normalise(None, base=pinned)[level].items():
            form[f"{level}_{key}"].data = value


@with_option_fields
class OptionsForm(Form):
    """A running campaign's options: a change is an amendment, with its reason."""

    reason = TextAreaField(_l("Reason for the change"), validators=[required(), length(2000)])
    version = HiddenField()


class QuotaForm(Form):
    unit_code = SelectField(_l("Reviewing unit"), validators=[required()], validate_choice=True)
    collective = IntegerField(
        labels.KINDS_PLURAL["collective"],
        validators=[
            optional(),
            NumberRange(0, 100_000, message=_l("A number from %(min)s to %(max)s, please.")),
        ],
    )
    individual = IntegerField(
        labels.KINDS_PLURAL["individual"],
        validators=[
            optional(),
            NumberRange(0, 100_000, message=_l("A number from %(min)s to %(max)s, please.")),
        ],
    )
    reason = TextAreaField(_l("Reason (optional)"), validators=[optional(), length(2000)])


with_option_fields(CampaignForm)  # a new campaign's options are shown, prefilled, when it opens


class ReorganiseForm(Form):
    """A reorganisation: its reason and its old_code,new_code CSV; then a confirmed apply."""

    reason = TextAreaField(
        _l("Reason (e.g. the resolution)"), validators=[required(), length(1000)]
    )
    file = FileField(_l("CSV file"))
    text = CsvTextField(_l("…or paste the CSV text"), validators=[optional(), length(10_000_000)])
    confirm = BooleanField(_l("I have checked every change above; apply them all."))
    # What the preview showed: applying waits until the same preview comes out again.
    preview = HiddenField()
