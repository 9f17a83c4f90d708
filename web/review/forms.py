"""The forms of the queue page: its pager, and bulk approval."""

import re

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, IntegerField, SelectMultipleField
from wtforms.validators import NumberRange, ValidationError

from web.forms import Form, optional
from workflow.fields import MAX_ID

MAX_BULK = 200
# "<nomination id>:<version seen>": ASCII digits only (str.isdigit() also accepts "²").
SELECTED_ITEM = re.compile(r"([0-9]{1,10}):([0-9]{1,10})")


def parse_selected(value):
    """(nomination id, version) from one selected value, or None when it is malformed."""
    found = SELECTED_ITEM.fullmatch(value or "")
    if found is None:
        return None
    nomination_id, version = int(found.group(1)), int(found.group(2))
    if not (1 <= nomination_id <= MAX_ID and 1 <= version <= MAX_ID):
        return None
    return nomination_id, version


class QueueForm(Form):
    """Which page of the queue; a GET form, so it carries no CSRF token."""

    class Meta:
        csrf = False

    page = IntegerField(default=1, validators=[optional(), NumberRange(1, 100000)])


class BulkApproveForm(Form):
    # Each value is "<nomination id>:<version seen>", so a stale item is a conflict.
    selected = SelectMultipleField(choices=[], validate_choice=False)
    confirm = HiddenField()  # "1" once the reviewer has seen what will happen to each item

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
