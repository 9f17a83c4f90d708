"""Binds the server-rendered UI: extensions, security headers, error pages and the blueprints."""

import os
from pathlib import Path
from urllib.parse import urlsplit

from flask import make_response, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from web import i18n, labels
from web.extensions import babel, csrf, login_manager
from web.problems import problem, with_error_headers
from web.throttle import comment_throttle, login_throttle, throttle_storage
from workflow import lists, minutes

TRANSLATIONS = Path(__file__).resolve().parent / "translations"
ERROR_PAGES = (400, 403, 404, 405, 409, 410, 413, 422, 429, 500, 503)
# Pages whose bodies may exceed MAX_CONTENT_LENGTH (the API's limit), with the setting that
# bounds them instead.
LARGE_BODIES = {
    "nominations.upload": "ATTACHMENT_MAX_BYTES",
    "admin.import_csv": "IMPORT_MAX_BYTES",
    "meetings.close_paper": "ATTACHMENT_MAX_BYTES",
    "admin.reorganise": "IMPORT_MAX_BYTES",
}
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def _defaults(app):
    app.config.setdefault("WTF_I18N_ENABLED", False)  # see web.forms: our catalogue instead
    app.config.setdefault("BABEL_DEFAULT_LOCALE", i18n.DEFAULT_LANGUAGE)
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", app.config["TIMEZONE"])
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    # Login throttling (web/throttle.py) is shared by every web worker through Redis when one
    # is configured: its own, or the broker.
    app.config["RATELIMIT_STORAGE_URI"] = throttle_storage(app.config)
    app.config.setdefault("ATTACHMENTS_DIR", os.path.join(app.instance_path, "attachments"))
    app.config.setdefault("ATTACHMENT_MAX_BYTES", 5 * 1024 * 1024)
    app.config.setdefault("IMPORT_MAX_BYTES", 10 * 1024 * 1024)
    app.config.setdefault("SET_PASSWORD_LINK_HOURS", 72)
    app.config.setdefault("PER_PAGE", 20)
    # A long nomination can take an evening to write; its form must still be accepted.
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", 12 * 3600)
    secure = app.config.get("BASE_URL", "").startswith("https://")
    # Flask ships these as False, so an explicit True in the settings is kept, never lowered.
    app.config["SESSION_COOKIE_SECURE"] = bool(app.config.get("SESSION_COOKIE_SECURE") or secure)
    app.config["REMEMBER_COOKIE_SECURE"] = bool(app.config.get("REMEMBER_COOKIE_SECURE") or secure)
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = app.config.get("SESSION_COOKIE_SAMESITE") or "Lax"


def init_app(app):
    _defaults(app)
    babel.init_app(app, locale_selector=i18n.select_locale)

    # Evidence and CSV files may be larger than the API's body limit; this runs before the
    # CSRF check reads the form, so it must be registered first.
    @app.before_request
    def _large_body_limit():
        setting = LARGE_BODIES.get(request.endpoint)
        if setting:
            request.max_content_length = app.config[setting] + 64 * 1024

    csrf.init_app(app)
    login_throttle.init_app(app)
    comment_throttle.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    from web.admin import bp as admin_bp
    from web.auth.routes import load_user

    login_manager.user_loader(load_user)
    from web.api import bp as api_bp
    from web.auth import bp as auth_bp
    from web.lists import bp as lists_bp
    from web.main import bp as main_bp
    from web.meetings import bp as meetings_bp
    from web.nominations import bp as nominations_bp
    from web.register import bp as register_bp
    from web.review import bp as review_bp

    csrf.exempt(api_bp)  # bearer tokens, not cookies: no cross-site request can carry one
    app.register_blueprint(api_bp)
    blueprints = (
        auth_bp,
        main_bp,
        nominations_bp,
        review_bp,
        meetings_bp,
        lists_bp,
        register_bp,
        admin_bp,
    )
    for blueprint in blueprints:
        app.register_blueprint(blueprint)

    app.after_request(_security_headers)
    for code in ERROR_PAGES:
        app.register_error_handler(code, _error_page)
    app.jinja_env.filters["day"] = i18n.format_day
    app.jinja_env.filters["moment"] = i18n.format_moment
    app.jinja_env.filters["iso_day"] = i18n.format_iso_day
    app.jinja_env.globals["ngettext"] = i18n.template_ngettext  # numbers as the reader writes them
    app.jinja_env.filters["list_number"] = lists.number_label
    app.jinja_env.filters["minutes_number"] = minutes.number_label
    app.jinja_env.globals["labels"] = labels
    app.jinja_env.globals["get_locale"] = get_locale
    app.jinja_env.globals["here_without_lang"] = i18n.here_without_lang
    app.jinja_env.globals["LANGUAGES"] = i18n.LANGUAGES
    app.jinja_env.globals["came_from"] = came_from

    from web.public import bp as public_bp

    app.register_blueprint(public_bp)  # /public: names open for comment, without logging in


def came_from():
    """The page of this site the person came from (the Referer, which our Referrer-Policy sends
    only within the site), for an error page's way back; None when there is none to trust or
    it is the page that failed."""
    target = site_path(request.referrer, host=request.host)
    if request.method == "GET" and target == request.full_path.rstrip("?"):
        return None
    return target


def site_path(url, *, host=None):
    """The path, with its query, that `url` names on this site; None when it names none. Given
    the site's `host`, `url` must be an http(s) address on it (a Referer); without, a path of
    its own ("/…", never "//…": a `next`). A malformed address, such as a host with an unclosed
    "[", names none."""
    try:
        parts = urlsplit(url or "")
    except ValueError:
        return None
    if host is None:
        if parts.scheme or parts.netloc:
            return None
    elif parts.netloc != host or parts.scheme not in ("http", "https"):
        return None
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    if not target.startswith("/") or target.startswith("//"):
        return None
    return target


def _security_headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    return response


def _error_page(error):
    code = error.code if isinstance(error, HTTPException) else 500
    if request.path.startswith("/api/"):
        description = error.description if isinstance(error, HTTPException) else "error"
        return with_error_headers(problem(code, description), error)
    detail = None
    if isinstance(error, CSRFError):
        detail = _(
            "The form has expired (missing security token). Go back, reload the page and try again."
        )
    page = render_template("errors/error.html", code=code, detail=detail)
    return with_error_headers(make_response(page, code), error)
