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
    StringField,
    TextAreaField,
)
from wtforms.validators import Email, InputRequired, NumberRange

from web import labels
from web.forms import Form, length, optional, options, required
from workflow.levels import UNIT_LEVELS
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
        validators=[required(), length(254), Email(message=_l("Not a valid e-mail address."))],
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
    text = TextAreaField(_l("…or paste the CSV text"), validators=[optional(), length(10_000_000)])


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
    submission_deadline = DateField(_l("Submission deadline"), validators=[date_required()])
    commune_review_deadline = DateField(_l("Commune review deadline"), validators=[optional()])
    district_review_deadline = DateField(_l("District review deadline"), validators=[optional()])
    province_review_deadline = DateField(_l("Province review deadline"), validators=[optional()])


class CloseForm(Form):
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


class ReorganiseForm(Form):
    """A reorganisation: its reason and its old_code,new_code CSV; then a confirmed apply."""

    reason = TextAreaField(
        _l("Reason (e.g. the resolution)"), validators=[required(), length(1000)]
    )
    file = FileField(_l("CSV file"))
    text = TextAreaField(_l("…or paste the CSV text"), validators=[optional(), length(10_000_000)])
    confirm = BooleanField(_l("I have checked every change above; apply them all."))
    # What the preview showed: applying waits until the same preview comes out again.
    preview = HiddenField()
