"""Forms of the nomination pages; input names are the JSON API's field names."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import NumberRange

from web import labels
from web.forms import (
    ConfirmedForm,
    Form,
    email_address,
    length,
    optional,
    optional_choice,
    options,
    required,
)
from workflow.fields import MAX_ID
from workflow.levels import REVIEW_LEVELS
from workflow.machine import STATES
from workflow.models import GENDERS, INDIVIDUAL_FIELDS, KINDS
from workflow.services import NOMINATION_FIELDS

SUMMARY_MAX, ACHIEVEMENTS_MAX = 5000, 20000


def _choices(mapping, keys, blank=None):
    head = [("", blank)] if blank is not None else []
    return options(head + [(key, mapping[key]) for key in keys])


# One line under each level asked for: who decides, and who reviews on the way.
LEVEL_EXPLANATIONS = {
    "commune": _l("The commune's party committee recognises it; the review ends there."),
    "district": _l("The commune reviews it, then the district recognises it."),
    "province": _l("The commune and the district review it, then the province recognises it."),
}


class NominationForm(Form):
    campaign_id = SelectField(
        _l("Campaign"),
        coerce=int,
        validators=[required()],
        description=_l("The campaign the nomination takes part in."),
    )
    kind = RadioField(
        _l("Kind"),
        choices=_choices(labels.KINDS, KINDS),
        validators=[required()],
        description=_l(
            "An individual (one person), or a collective (a cell, an association, a "
            "cooperative, a village…)."
        ),
    )
    nominee_name = StringField(
        _l("Nominee"),
        validators=[required(), length(200)],
        description=_l(
            "A person's full name as on their identity card, or a collective's full name: "
            "Nguyễn Thị Hằng; Hội Phụ nữ thôn Đồng Hội."
        ),
    )
    nominee_gender = RadioField(
        _l("Gender"),
        choices=_choices(labels.GENDERS, GENDERS),
        validators=[optional_choice()],
        validate_choice=True,
        description=_l("As in the achievement report."),
    )
    nominee_birth_year = IntegerField(
        _l("Year of birth"),
        validators=[
            optional(),
            NumberRange(1900, 2100, message=_l("A year between 1900 and 2100, please.")),
        ],
        description=_l("Four digits, e.g. 1968."),
    )
    nominee_ethnicity = StringField(
        _l("Ethnic group"),
        validators=[optional(), length(50)],
        description=_l("E.g. Kinh, Mường, Thái."),
    )
    nominee_position = StringField(
        _l("Position"),
        validators=[optional(), length(200)],
        description=_l("Party and other posts held now, e.g. Chi hội trưởng Chi hội Nông dân."),
    )
    nominee_workplace = StringField(
        _l("Workplace"),
        validators=[optional(), length(200)],
        description=_l("Where the person works, or lives: Thôn Đồng Hội, xã Tiên Lương."),
    )
    nominee_email = StringField(
        _l("Nominee's e-mail"),
        validators=[optional(), length(254), email_address()],
        description=_l("Optional: the nominee is e-mailed when recognised."),
    )
    title = StringField(
        _l("Exemplary deed"),
        validators=[required(), length(300)],
        description=_l(
            "The model or deed in one line: what was done, and where. E.g. Vận động nhân dân "
            "hiến 1.200 m² đất làm đường giao thông nông thôn thôn Đồng Hội."
        ),
    )
    field = StringField(
        _l("Field of work"),
        validators=[required(), length(200)],
        description=_l("E.g. Nông thôn mới; Y tế; Giáo dục; Quốc phòng – an ninh."),
    )
    summary = TextAreaField(
        _l("Summary"),
        validators=[required(), length(SUMMARY_MAX)],
        description=_l("Three to five sentences: who, what, since when, with what result."),
    )
    achievements = TextAreaField(
        _l("Achievements"),
        validators=[required(), length(ACHIEVEMENTS_MAX)],
        description=_l(
            "The achievements with figures and years, as in the achievement report: e.g. "
            "2021–2025 vận động 45 hộ hiến 3.200 m² đất; 3 năm liền được tặng Giấy khen."
        ),
    )
    target_level = RadioField(
        _l("Level asked for"),
        choices=_choices(labels.LEVELS, REVIEW_LEVELS),
        validators=[required(_l("Choose the level at which it asks to be recognised."))],
        description=_l("The unit of this level makes the final call."),
    )
    version = HiddenField()

    FIELDS = NOMINATION_FIELDS
    TEXTS = ("nominee_ethnicity", "nominee_position", "nominee_workplace", "nominee_email")

    def values(self):
        """The nomination's fields, cleaned: blank optional text becomes None, and a
        collective keeps none of an individual's fields (the form hides them for one)."""
        values = {name: getattr(self, name).data for name in self.FIELDS}
        for name in self.TEXTS:
            values[name] = (values[name] or "").strip() or None
        values["nominee_gender"] = values["nominee_gender"] or None
        for name in ("nominee_name", "title", "field", "summary", "achievements"):
            values[name] = values[name].strip()
        if values["kind"] == "collective":
            values.update(dict.fromkeys(INDIVIDUAL_FIELDS))
        return values


class EditForm(NominationForm):
    campaign_id = None  # a nomination stays in its campaign


class ActionForm(ConfirmedForm):  # confirmed: a withdrawal or a refusal, once seen
    version = HiddenField(validators=[required()])
    comment = TextAreaField(_l("Comment"), validators=[optional(), length(5000)])


class ReopenForm(ConfirmedForm):
    """Reopening a level's decision in light of a comment: a reason, then a confirmation."""

    comment = TextAreaField(
        _l("Why the decision is reopened"), validators=[required(), length(2000)]
    )


class UploadForm(Form):
    file = FileField(
        _l("Evidence file (PDF, JPEG, PNG)"), validators=[FileRequired(_l("Choose a file."))]
    )


class DeleteForm(ConfirmedForm):
    pass


class SearchForm(Form):
    """The filters of the list; a GET form, so it carries no CSRF token."""

    class Meta:
        csrf = False

    q = StringField(_l("Nominee or deed"), validators=[optional(), length(200)])
    cell = StringField(_l("Cell"), validators=[optional(), length(200)])
    campaign_id = SelectField(_l("Campaign"), coerce=str, validate_choice=True, default="")
    state = SelectField(
        _l("State"),
        choices=_choices(labels.STATES, STATES, blank=_l("All")),
        validate_choice=True,
        default="",
    )
    kind = SelectField(
        _l("Kind"),
        choices=_choices(labels.KINDS, KINDS, blank=_l("All")),
        validate_choice=True,
        default="",
    )
    level = SelectField(
        _l("Level"),
        choices=_choices(labels.LEVELS, REVIEW_LEVELS, blank=_l("All")),
        validate_choice=True,
        default="",
    )
    unit = SelectField(_l("Unit"), coerce=str, validate_choice=True, default="")
    page = IntegerField(default=1, validators=[optional(), NumberRange(1, 100000)])
    # Keyset: the list goes on after this id (newest first); deep pages cost what the first does.
    after = IntegerField(validators=[optional(), NumberRange(1, MAX_ID)])
