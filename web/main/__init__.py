"""The dashboard and the language switch."""

from flask import Blueprint

from web.pages import friendly_domain_errors

bp = friendly_domain_errors(Blueprint("main", __name__))

from web.main import routes  # noqa: E402, F401 (registers the views on the blueprint)
