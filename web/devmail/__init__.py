"""Debug mode only: the e-mails the file backend wrote under instance/mail/, readable in the app."""

from flask import Blueprint

bp = Blueprint("devmail", __name__, url_prefix="/dev/mail")

from web.devmail import routes  # noqa: E402, F401 (registers the views on the blueprint)
