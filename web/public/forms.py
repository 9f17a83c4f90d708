"""The public comment form."""

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, StringField, TextAreaField
from wtforms.validators import InputRequired
from wtforms.widgets import HiddenInput

from web.forms import Form, length, required
from workflow.comments import CONTACT_MAX, NAME_MAX, TEXT_MAX


def _stripped(value):
    return value.strip() if isinstance(value, str) else value


class CommentForm(Form):
    """Anyone's comment on one published name; the same limits as the domain's."""

    nomination_id = IntegerField(
        widget=HiddenInput(),
        validators=[InputRequired(message=_l("Choose a name to comment on."))],
    )
    name = StringField(
        _l("Your name"), validators=[required(), length(NAME_MAX)], filters=[_stripped]
    )
    contact = StringField(
        _l("Phone or e-mail"),
        validators=[required(), length(CONTACT_MAX)],
        filters=[_stripped],
    )
    text = TextAreaField(
        _l("Your comment"), validators=[required(), length(TEXT_MAX)], filters=[_stripped]
    )
