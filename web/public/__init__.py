"""The public side: names published for comment, and the comments anyone may send (no login)."""

from flask import Blueprint, make_response, render_template
from flask_babel import gettext as _
from werkzeug.exceptions import TooManyRequests

from web.database import db
from web.problems import with_error_headers
from workflow.errors import NotFound

bp = Blueprint("public", __name__, url_prefix="/public")


@bp.after_request
def _not_for_keeping(response):
    # Names are up for comment for some days only: search engines should not keep them, and no
    # shared cache should keep a page that carries a visitor's form token.
    response.headers["X-Robots-Tag"] = "noindex"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.errorhandler(NotFound)
def _no_such_campaign(error):
    db.session.rollback()
    detail = _("There is no such campaign. Check the address you were given.")
    return render_template("errors/error.html", code=404, detail=detail), 404


@bp.errorhandler(TooManyRequests)
def _too_many_comments(error):
    db.session.rollback()
    minutes = max(1, -(-(error.retry_after or 60) // 60))
    detail = _(
        "Many comments were sent from your address in a short time. Please try again in "
        "%(minutes)s minutes.",
        minutes=minutes,
    )
    page = render_template("errors/error.html", code=429, detail=detail)
    return with_error_headers(make_response(page, 429), error)


from web.public import routes  # noqa: E402, F401 (registers the views on the blueprint)
