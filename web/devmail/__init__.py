"""Debug mode only: the e-mails the file backend wrote under instance/mail/, readable in the app.

They hold set-password links: only a logged-in administrator reads them, even on a debug server.
"""

from flask import Blueprint, abort
from flask_login import current_user, login_required

bp = Blueprint("devmail", __name__, url_prefix="/dev/mail")


@bp.before_request
@login_required
def _administrators_only():
    if current_user.role != "admin" or not current_user.active:
        abort(403)


from web.devmail import routes  # noqa: E402, F401 (registers the views on the blueprint)
