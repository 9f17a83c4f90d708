"""The bulk-approve form of the queue page."""

from wtforms import SelectMultipleField

from web.forms import Form


class BulkApproveForm(Form):
    # Each value is "<nomination id>:<version seen>", so a stale item is a conflict.
    selected = SelectMultipleField(choices=[], validate_choice=False)
