"""The reviewer's queue, with bulk approval."""

from flask import Blueprint

bp = Blueprint("review", __name__)

from web.review import routes  # noqa: E402, F401 (registers the views on the blueprint)
