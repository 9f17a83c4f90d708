"""The front half of every API view, in the order API.md promises: body, credentials, fields."""

import json

from flask import g, request
from pydantic import ValidationError
from werkzeug.exceptions import BadRequest, Unauthorized

from web.database import db
from workflow import accounts
from workflow.errors import Invalid
from workflow.fields import problems_from


def read_json():
    """The body as a JSON object; 400 if it is not one (413 comes from Flask's size limit)."""
    raw = request.get_data(cache=True)
    try:
        body = json.loads(raw)
        # JSON escapes can spell lone surrogates ("\ud800"), which are not text anywhere else.
        json.dumps(body, ensure_ascii=False).encode("utf-8")
    except (ValueError, RecursionError):  # UnicodeError is a ValueError; nesting can be deep
        raise BadRequest("the request body is not valid JSON text") from None
    if not isinstance(body, dict):
        raise BadRequest("the request body must be a JSON object")
    return body


def bearer_token():
    """The token of an `Authorization: Bearer <token>` header, or None: the one parser of it."""
    parts = request.headers.get("Authorization", "").split(None, 1)
    if len(parts) != 2 or parts[0].lower() != "bearer":
        return None
    return parts[1].strip() or None


def require_actor():
    """The user behind the bearer token; 401 if there is none or it is not live."""
    token = bearer_token()
    actor = accounts.user_for_token(db.session, token) if token else None
    if actor is None:
        raise Unauthorized("a valid bearer token is required")
    g.actor = actor
    return actor


def validate(schema, data):
    try:
        return schema.model_validate(data)
    except ValidationError as error:
        problems = problems_from(error)
        raise Invalid(*problems[0], problems=problems) from None


def body_of(schema):
    """Parse (400), authenticate (401), validate (422): the actor and the validated body."""
    data = read_json()
    actor = require_actor()
    return actor, validate(schema, data)


def query_of(schema):
    actor = require_actor()
    # `?state=&q=` as API.md writes it: an empty parameter is an absent one.
    given = {name: value for name, value in request.args.items() if value != ""}
    return actor, validate(schema, given)
