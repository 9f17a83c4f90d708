"""The base of every HTML form: CSRF from Flask-WTF, messages from our own catalogue."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from web.i18n import FORM_TRANSLATIONS


class Form(FlaskForm):
    class Meta:
        def get_translations(self, form):
            return FORM_TRANSLATIONS


def required():
    return DataRequired(message=_l("Please fill in this field."))


def length(maximum, minimum=0):
    if minimum:
        return Length(
            min=minimum,
            max=maximum,
            message=_l("Between %(min)d and %(max)d characters, please."),
        )
    return Length(max=maximum, message=_l("At most %(max)d characters, please."))


optional = Optional


def options(pairs):
    """Choices for a SelectField from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]
