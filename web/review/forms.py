"""The forms of the queue page: its pager, and bulk approval."""

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, SelectMultipleField
from wtforms.validators import NumberRange, ValidationError

from web.forms import ConfirmedForm, Form, optional
from workflow.fields import id_from_text

MAX_BULK = 200


def parse_selected(value):
    """(nomination id, version) from one selected value, "<id>:<version seen>", or None when it
    is malformed."""
    nomination_id, _, version = (value or "").partition(":")
    nomination_id, version = id_from_text(nomination_id), id_from_text(version)
    if nomination_id is None or version is None:
        return None
    return nomination_id, version


class QueueForm(Form):
    """Which page of the queue; a GET form, so it carries no CSRF token."""

    class Meta:
        csrf = False

    page = IntegerField(default=1, validators=[optional(), NumberRange(1, 100000)])


class BulkApproveForm(ConfirmedForm):  # confirmed: once the reviewer has seen each item's fate
    # Each value is "<nomination id>:<version seen>", so a stale item is a conflict.
    selected = SelectMultipleField(choices=[], validate_choice=False)

    def validate_selected(self, field):
        """Every value is read before anything is approved: a bad one refuses them all."""
        if not field.data:
            raise ValidationError(_l("Select at least one nomination."))
        if len(field.data) > MAX_BULK:
            raise ValidationError(_l("At most %(n)d nominations at once.", n=MAX_BULK))
        items = [parse_selected(value) for value in field.data]
        if None in items:
            raise ValidationError(
                _l("The selection could not be read. Nothing was approved; reload the page.")
            )
        self.items = items
