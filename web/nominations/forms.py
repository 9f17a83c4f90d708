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
from wtforms.validators import Email, NumberRange

from web import labels
from web.forms import Form, length, optional, options, required
from workflow.fields import MAX_ID
from workflow.levels import REVIEW_LEVELS
from workflow.machine import STATES
from workflow.models import KINDS
from workflow.services import NOMINATION_FIELDS

SUMMARY_MAX, ACHIEVEMENTS_MAX = 5000, 20000


def _choices(mapping, keys, blank=None):
    head = [("", blank)] if blank is not None else []
    return options(head + [(key, mapping[key]) for key in keys])


class NominationForm(Form):
    campaign_id = SelectField(_l("Campaign"), coerce=int, validators=[required()])
    kind = RadioField(
        _l("Kind"),
        choices=_choices(labels.KINDS, KINDS),
        validators=[required()],
    )
    nominee_name = StringField(_l("Nominee"), validators=[required(), length(200)])
    nominee_birth_year = IntegerField(
        _l("Year of birth"),
        validators=[
            optional(),
            NumberRange(1900, 2100, message=_l("A year between 1900 and 2100, please.")),
        ],
    )
    nominee_position = StringField(_l("Position"), validators=[optional(), length(200)])
    nominee_email = StringField(
        _l("Nominee's e-mail"),
        validators=[optional(), length(254), Email(message=_l("Not a valid e-mail address."))],
    )
    title = StringField(_l("Exemplary deed"), validators=[required(), length(300)])
    field = StringField(_l("Field of work"), validators=[required(), length(200)])
    summary = TextAreaField(_l("Summary"), validators=[required(), length(SUMMARY_MAX)])
    achievements = TextAreaField(
        _l("Achievements"), validators=[required(), length(ACHIEVEMENTS_MAX)]
    )
    target_level = SelectField(
        _l("Level asked for"),
        choices=_choices(labels.LEVELS, REVIEW_LEVELS),
        validators=[required()],
    )
    version = HiddenField()

    FIELDS = NOMINATION_FIELDS

    def values(self):
        """The nomination's fields, cleaned: blank optional text becomes None."""
        values = {name: getattr(self, name).data for name in self.FIELDS}
        for name in ("nominee_position", "nominee_email"):
            values[name] = (values[name] or "").strip() or None
        for name in ("nominee_name", "title", "field", "summary", "achievements"):
            values[name] = values[name].strip()
        return values


class EditForm(NominationForm):
    campaign_id = None  # a nomination stays in its campaign


class ActionForm(Form):
    version = HiddenField(validators=[required()])
    comment = TextAreaField(_l("Comment"), validators=[optional(), length(5000)])


class ReopenForm(Form):
    """Reopening a level's decision in light of a comment: a reason, then a confirmation."""

    comment = TextAreaField(
        _l("Why the decision is reopened"), validators=[required(), length(2000)]
    )
    confirm = HiddenField()


class UploadForm(Form):
    file = FileField(
        _l("Evidence file (PDF, JPEG, PNG)"), validators=[FileRequired(_l("Choose a file."))]
    )


class DeleteForm(Form):
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
