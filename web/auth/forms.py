"""Forms of the login and set-password pages."""

from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, StringField
from wtforms.validators import EqualTo

from web.forms import Form, length, required
from workflow.accounts import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH


class LoginForm(Form):
    username = StringField(_l("Username"), validators=[required(), length(60)])
    password = PasswordField(_l("Password"), validators=[required(), length(200)])


class SetPasswordForm(Form):
    password = PasswordField(
        _l("New password"),
        validators=[required(), length(MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH)],
    )
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[required(), EqualTo("password", message=_l("The two passwords differ."))],
    )
