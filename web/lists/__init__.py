"""Final commendation lists in the browser: ask for one, find earlier ones, download the files."""

from flask import Blueprint

from web.pages import friendly_domain_errors

bp = friendly_domain_errors(Blueprint("lists", __name__))

from web.lists import routes  # noqa: E402, F401 (registers the views on the blueprint)
