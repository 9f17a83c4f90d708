"""Login, logout and set-password views."""

from urllib.parse import urlsplit

from flask import current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from web.auth import bp
from web.auth.forms import LoginForm, SetPasswordForm
from web.auth.tokens import read_token
from web.database import db
from web.extensions import client_address, limiter
from web.i18n import LANGUAGES
from workflow import accounts, administration
from workflow.models import User


def _failed(response):
    return g.get("login_failed", False)


def _username_key():
    return "login-username:" + request.form.get("username", "").strip().casefold()[:60]


def _address_key():
    return "login-address:" + client_address()


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_USERNAME"],
    key_func=_username_key,
    methods=["POST"],
    deduct_when=_failed,
)
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"],
    key_func=_address_key,
    methods=["POST"],
    deduct_when=_failed,
)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.authenticate(db.session, form.username.data.strip(), form.password.data)
        if user is not None:
            _start_session(user)
            return redirect(_safe_next(request.args.get("next")))
        g.login_failed = True
        # One message for an unknown user, a wrong password and a disabled account.
        form.form_errors.append(_("Wrong username or password."))
    elif request.method == "POST":
        g.login_failed = True
    return render_template("auth/login.html", form=form), 401 if g.get("login_failed") else 200


def _start_session(user):
    """A new session for `user`: nothing of the anonymous one survives but the language."""
    language = session.get("lang")
    session.clear()
    login_user(user)
    if language in LANGUAGES:
        session["lang"] = language
        if user.language != language:
            user.language = language
            db.session.commit()


def _safe_next(target):
    """Only a path on this site: never another host, never a scheme."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/"):
            return target if not target.startswith("//") else url_for("main.dashboard")
    return url_for("main.dashboard")


@bp.post("/logout")
@login_required
def logout():
    language = session.get("lang")
    logout_user()
    session.clear()
    if language:
        session["lang"] = language
    flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/set-password/<token>", methods=["GET", "POST"])
def set_password(token):
    user = _user_of(token)
    if user is None:
        detail = _("This link is not valid or has expired. Ask your administrator for a new one.")
        return render_template("errors/error.html", code=404, detail=detail), 404
    form = SetPasswordForm()
    if form.validate_on_submit():
        administration.set_password(db.session, user, form.password.data)
        db.session.commit()
        flash(_("Your password is set. Please log in."), "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/set_password.html", form=form, user=user)


def _user_of(token):
    """The user a live link was made for; a used, expired or forged link finds nobody."""
    found = read_token(token)
    user = db.session.get(User, found[0]) if found and isinstance(found[0], int) else None
    if user is None or not user.active or user.session_version != found[1]:
        return None
    return user
