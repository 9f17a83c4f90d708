"""Nominations: search, the new and edit forms, the nomination page, evidence files."""

from flask import Blueprint

from web.pages import friendly_domain_errors

bp = friendly_domain_errors(Blueprint("nominations", __name__, url_prefix="/nominations"))

from web.nominations import routes  # noqa: E402, F401 (registers the views on the blueprint)
