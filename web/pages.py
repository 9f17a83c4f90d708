"""What every HTML blueprint shares: domain errors answered as friendly pages, not JSON."""

from flask import render_template

from web import labels
from web.database import db
from web.problems import status_of
from workflow.errors import DomainError


def friendly_domain_errors(blueprint):
    """Register on `blueprint` the handler that turns a DomainError into an error page."""

    @blueprint.errorhandler(DomainError)
    def _domain_error(error):
        db.session.rollback()
        code = status_of(error)
        return render_template("errors/error.html", code=code, detail=labels.explain(error)), code

    return blueprint
