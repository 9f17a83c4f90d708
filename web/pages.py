"""What every HTML blueprint shares: domain errors answered as friendly pages, not JSON."""

from flask import render_template

from web import labels
from web.database import db
from workflow.errors import Conflict, DomainError, Forbidden, Invalid, NotFound

STATUS_OF = ((NotFound, 404), (Forbidden, 403), (Conflict, 409), (Invalid, 422))


def friendly_domain_errors(blueprint):
    """Register on `blueprint` the handler that turns a DomainError into an error page."""

    @blueprint.errorhandler(DomainError)
    def _domain_error(error):
        db.session.rollback()
        code = next(status for kind, status in STATUS_OF if isinstance(error, kind))
        return render_template("errors/error.html", code=code, detail=labels.explain(error)), code

    return blueprint
