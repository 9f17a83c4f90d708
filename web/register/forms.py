"""The register's search form."""

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, SelectField, StringField
from wtforms.validators import NumberRange

from web.forms import Form, length, optional


class RegisterSearchForm(Form):
    """A GET form, so it carries no CSRF token; the export link repeats its query."""

    class Meta:
        csrf = False

    q = StringField(_l("Name"), validators=[optional(), length(200)])
    unit = SelectField(_l("Unit"), coerce=str, validate_choice=True, default="")
    year = IntegerField(
        _l("Year"),
        validators=[optional(), NumberRange(1900, 2100, message=_l("A year, please."))],
    )
    page = IntegerField(validators=[optional(), NumberRange(1, 100_000)])
