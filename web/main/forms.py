"""The language switch and the dashboard's campaign picker."""

from wtforms import HiddenField

from web.forms import Form


class LanguageForm(Form):
    lang = HiddenField()
    next = HiddenField()
