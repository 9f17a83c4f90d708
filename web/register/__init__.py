"""The register of recognitions (sổ vàng) in the browser: search it, export it to XLSX."""

from flask import Blueprint

from web.pages import friendly_domain_errors

bp = friendly_domain_errors(Blueprint("register", __name__, url_prefix="/register"))

from web.register import routes  # noqa: E402, F401 (registers the views on the blueprint)
