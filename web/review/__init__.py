"""The reviewer's queue, with bulk approval."""

from flask import Blueprint
from flask_login import current_user

from web.database import db
from web.pages import friendly_domain_errors
from workflow import queries

bp = friendly_domain_errors(Blueprint("review", __name__))


@bp.app_context_processor
def _menu():
    def queue_count():
        """How many wait in the queue (or for the secretary's revision): the menu's badge.
        One query, asked only when the page renders the menu."""
        return queries.queue_total(db.session, current_user)

    return {"queue_count": queue_count}


from web.review import routes  # noqa: E402, F401 (registers the views on the blueprint)
