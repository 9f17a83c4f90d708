"""Login, logout and set-password views."""

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from web.auth import bp
from web.auth.forms import LoginForm, SetPasswordForm
from web.auth.tokens import read_token
from web.database import db
from web.forms import PlainForm, show_invalid
from web.i18n import LANGUAGES
from web.throttle import login_throttle
from web.ui import site_path
from workflow import accounts, administration
from workflow.errors import Invalid
from workflow.fields import id_from_text
from workflow.models import User

SESSION_KEY = "sid"  # the browser session's key, in the signed cookie (see accounts)


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    form = LoginForm()
    if request.method == "GET":
        return render_template("auth/login.html", form=form)
    username = (form.username.data or "").strip()
    login_throttle.check(username)
    if form.validate_on_submit():
        user = accounts.authenticate(db.session, username, form.password.data)
        if user is not None:
            login_throttle.succeeded(username)
            target = safe_next(request.args.get("next"))
            _start_session(user)
            return redirect(target)
        # One message for an unknown user, a wrong password and a disabled account.
        form.form_errors.append(_("Wrong username or password."))
    login_throttle.failed(username)
    return render_template("auth/login.html", form=form), 401


def _start_session(user):
    """A new session for `user`: nothing of the anonymous one survives but the language."""
    language = session.get("lang")
    session.clear()
    key = accounts.open_browser_session(db.session, user, hours=current_app.config["SESSION_HOURS"])
    if language in LANGUAGES:
        user.language = language
    db.session.commit()
    session[SESSION_KEY] = key
    login_user(user)
    if language in LANGUAGES:
        session["lang"] = language


def load_user(user_id):
    """Flask-Login's loader: the user of this cookie's live server-side session, or None."""
    key = session.get(SESSION_KEY)
    user_id = id_from_text(user_id)
    if not isinstance(key, str) or user_id is None:
        return None
    return accounts.user_for_browser_session(db.session, key, user_id)


def safe_next(target):
    """Where to go next: `target` if it is a path on this site (never another host, never a
    scheme), else the dashboard."""
    return site_path(target) or url_for("main.dashboard")


@bp.post("/logout")
@login_required
def logout():
    accounts.end_browser_session(db.session, session[SESSION_KEY])
    db.session.commit()
    _end_cookie_session()
    flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.get("/account")
@login_required
def account():
    return render_template("auth/account.html")


@bp.post("/logout/everywhere")
@login_required
def logout_everywhere():
    """End every session of this account, on every device, and revoke its API tokens."""
    if not PlainForm().validate():
        abort(400)
    accounts.end_sessions(db.session, current_user)
    db.session.commit()
    _end_cookie_session()
    flash(_("You have logged out on every device; your API tokens are revoked."), "info")
    return redirect(url_for("auth.login"))


def _end_cookie_session():
    language = session.get("lang")
    logout_user()
    session.clear()
    if language:
        session["lang"] = language


@bp.route("/set-password/<token>", methods=["GET", "POST"])
def set_password(token):
    user = _user_of(token)
    if user is None:
        detail = _("This link is not valid or has expired. Ask your administrator for a new one.")
        return render_template("errors/error.html", code=404, detail=detail), 404
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            administration.set_password(db.session, user, form.password.data)
        except Invalid as error:
            db.session.rollback()
            show_invalid(form, error)
        else:
            db.session.commit()
            flash(_("Your password is set. Please log in."), "success")
            return redirect(url_for("auth.login"))
    status = 422 if form.errors else 200
    return render_template("auth/set_password.html", form=form, user=user), status


def _user_of(token):
    """The user a live link was made for; a used, expired or forged link finds nobody."""
    found = read_token(token)
    user = db.session.get(User, found[0]) if found and isinstance(found[0], int) else None
    if user is None or not user.active or user.session_version != found[1]:
        return None
    return user
