"""Errors as RFC 9457 problem+json answers for the API."""

from flask import jsonify, render_template, request
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import BadRequest, HTTPException, ServiceUnavailable
from werkzeug.http import HTTP_STATUS_CODES

from web.database import db
from workflow.errors import Conflict, DomainError, Forbidden, Invalid, NotFound

STATUS_OF = ((NotFound, 404), (Forbidden, 403), (Conflict, 409), (Invalid, 422))
# Where the problem types a domain error names live: "<base><slug>", e.g. …/list-changed.
PROBLEM_TYPE_BASE = "https://commend.example/problems/"


def status_of(error):
    """The HTTP status of a domain error, for the API and the pages alike."""
    return next(code for kind, code in STATUS_OF if isinstance(error, kind))


def problem(status, detail, *, problem_type=None, **extra):
    """An RFC 9457 answer; `problem_type` is a slug naming the problem ("list-changed")."""
    if problem_type:  # a named problem has its own title: "List changed"
        kind, title = PROBLEM_TYPE_BASE + problem_type, problem_type.replace("-", " ").capitalize()
    else:
        kind, title = "about:blank", HTTP_STATUS_CODES.get(status, "Error")
    body = {
        "type": kind,
        "title": title,
        "status": status,
        "detail": detail,
        **extra,
    }
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    return response


def with_error_headers(response, error):
    """Keep what an HTTP error says beside its status: Retry-After of a 429, Allow of a 405."""
    if isinstance(error, HTTPException):
        for name, value in error.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value
    return response


def from_domain_error(error):
    status = status_of(error)
    extra = error.details()
    if isinstance(error, Invalid):
        extra["errors"] = [
            {"field": field, "message": message} for field, message in error.problems
        ]
    return problem(status, str(error), problem_type=error.problem_type, **extra)


def _is_api():
    return request.path.startswith("/api/")


# SQLSTATEs of a transaction PostgreSQL gave up for another's sake: a serialization failure, a
# deadlock, a lock not available.
GIVEN_UP = {"40001", "40P01", "55P03"}


def given_up(error):
    """Whether the database abandoned this transaction for a concurrent one (nothing of it was
    saved, and the same request may succeed at once): PostgreSQL's GIVEN_UP, or SQLite still
    locked by another writer after its busy timeout."""
    cause = error.orig
    return getattr(cause, "sqlstate", None) in GIVEN_UP or "database is locked" in str(cause)


def init_app(app):
    @app.before_request
    def refuse_nul_in_the_url():
        # Bodies are checked field by field; a NUL in the path or the query string is refused
        # here, once, before it can reach a database that cannot store it.
        if "\x00" in request.path or any("\x00" in value for value in request.args.values()):
            raise BadRequest("NUL characters are not allowed in the URL")

    @app.errorhandler(DomainError)
    def domain_error(error):
        return from_domain_error(error)

    @app.errorhandler(HTTPException)
    def http_error(error):
        if not _is_api():
            return error
        response = with_error_headers(problem(error.code, error.description), error)
        if error.code == 401:
            response.headers["WWW-Authenticate"] = 'Bearer realm="commend"'
        return response

    def unexpected(error):
        if isinstance(error, HTTPException):
            return http_error(error)
        app.logger.exception("unhandled error")
        db.session.rollback()  # the page's menu reads the database: not in a failed transaction
        if not _is_api():
            return render_template("errors/error.html", code=500, detail=None), 500
        return problem(500, "an unexpected error occurred; it has been logged")

    @app.errorhandler(OperationalError)
    def database_gave_up(error):
        """A 503 to try again, not a 500: the transaction that failed is rolled back first (the
        error page's menu reads the database), and saved nothing."""
        if not given_up(error):
            if app.testing:
                raise error
            return unexpected(error)
        app.logger.warning("the database gave up this transaction: %s", error.orig)
        db.session.rollback()
        busy = ServiceUnavailable(
            "the database gave this change up for another made at the same time; it was not "
            "saved: try again",
            retry_after=1,
        )
        return app.handle_http_exception(busy)  # the 503 page, or its problem+json

    if not app.testing:  # tests see the traceback of anything unexpected
        app.register_error_handler(Exception, unexpected)
