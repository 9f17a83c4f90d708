"""Logging in and out, and setting a password from an e-mailed link."""

from flask import Blueprint

from web.pages import friendly_domain_errors

bp = friendly_domain_errors(Blueprint("auth", __name__))

from web.auth import routes  # noqa: E402, F401 (registers the views on the blueprint)
