"""Signed, expiring set-password links; a link dies once the password it sets is saved."""

from flask import current_app, url_for
from itsdangerous import BadSignature, URLSafeTimedSerializer

SALT = "set-password"


def _serializer():
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def password_link(user):
    token = _serializer().dumps({"user": user.id, "version": user.session_version})
    # BASE_URL, not the request's Host header: the link goes out by e-mail.
    return current_app.config["BASE_URL"].rstrip("/") + url_for("auth.set_password", token=token)


def read_token(token):
    """(user id, session version) from a live token, or None."""
    max_age = current_app.config["SET_PASSWORD_LINK_HOURS"] * 3600
    try:
        data = _serializer().loads(token, max_age=max_age)
    except BadSignature:  # also covers SignatureExpired
        return None
    if not isinstance(data, dict):
        return None
    return data.get("user"), data.get("version")
