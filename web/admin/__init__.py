"""Administration: the unit tree, accounts, CSV imports and campaigns."""

from flask import Blueprint, abort
from flask_login import current_user, login_required

from web.pages import friendly_domain_errors

bp = friendly_domain_errors(Blueprint("admin", __name__, url_prefix="/admin"))


@bp.before_request
@login_required
def _administrators_only():
    if current_user.role != "admin" or not current_user.active:
        abort(403)


from web.admin import (  # noqa: E402, F401 (registers the views on the blueprint)
    days_off,
    reorganisation,
    routes,
    unit_settings,
)
