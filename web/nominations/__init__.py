"""Nominations: search, the new and edit forms, the nomination page, evidence files."""

from flask import Blueprint

bp = Blueprint("nominations", __name__, url_prefix="/nominations")

from web.nominations import routes  # noqa: E402, F401 (registers the views on the blueprint)
