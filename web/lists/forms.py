"""Forms of the list pages."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, IntegerField, SelectField, StringField
from wtforms.validators import NumberRange

from web.forms import ConfirmedForm, Form, length, optional, required


class RequestListForm(ConfirmedForm):
    """The button that asks for a list; the unit is a choice or a hidden field."""

    unit_code = StringField(_l("Issuing unit"), validators=[required(), length(40)])
    # `confirm`, from a confirmation step: issue a new number, what is recognised has changed;
    # or, with `first` and the `number` it named, the unit's first list in the campaign (which
    # must not become a new number after a change no one was shown, should another request
    # have produced it meanwhile, nor another number than the one asked about).
    first = BooleanField()
    number = IntegerField(validators=[optional(), NumberRange(1, 1_000_000)])  # the first's


class ListFilterForm(Form):
    """The filters of the list index; a GET form, so it carries no CSRF token."""

    class Meta:
        csrf = False

    campaign_id = SelectField(_l("Campaign"), coerce=str, validate_choice=True, default="")
    page = IntegerField(validators=[optional(), NumberRange(1, 100_000)])
