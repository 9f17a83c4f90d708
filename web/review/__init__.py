"""The reviewer's queue, with bulk approval."""

from flask import Blueprint

from web.pages import friendly_domain_errors

bp = friendly_domain_errors(Blueprint("review", __name__))

from web.review import routes  # noqa: E402, F401 (registers the views on the blueprint)
