"""Committee meetings in the browser: open one, vote by secret ballot, close it, read the
results and the minutes."""

from flask import Blueprint
from flask_login import current_user

from web.database import db
from web.pages import friendly_domain_errors
from workflow import committees

bp = friendly_domain_errors(Blueprint("meetings", __name__, url_prefix="/meetings"))


@bp.app_context_processor
def _menu():
    def committee_member():
        """Does the menu show "Meetings" to this administrator (a member of their unit's
        committee)? Asked only when the page renders the menu."""
        user = current_user
        return bool(user.is_authenticated and committees.is_member(db.session, user, user.unit))

    return {"committee_member": committee_member}


from web.meetings import routes  # noqa: E402, F401 (registers the views on the blueprint)
