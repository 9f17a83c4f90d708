"""The Flask application: `create_app` binds settings, the database, the CLI and the blueprints."""

import os
import secrets
import sys
from pathlib import Path

from flask import Flask
from flask_migrate import Migrate
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

import config as settings
from web.database import db
from web.encoding import JSONProvider
from workflow.fields import MAX_ID

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
migrate = Migrate(directory=str(MIGRATIONS), render_as_batch=True, compare_type=True)


class IdConverter(IntegerConverter):
    """`<int:…>` in every route: an id beyond an INTEGER column's range is simply not found."""

    def __init__(self, map, *args, max=MAX_ID, **kwargs):
        super().__init__(map, *args, max=max, **kwargs)


def create_app(config=None):
    """Settings come from config/, then the environment, then the `config` mapping (tests)."""
    config = dict(config or {})
    app = Flask(__name__, instance_path=_instance_path())
    app.json = JSONProvider(app)
    app.url_map.converters["int"] = IdConverter
    environment = config.pop("ENVIRONMENT", None) or os.environ.get("COMMEND_ENV")
    app.config.from_mapping(settings.load(environment))
    app.config.from_mapping(config)
    from web import logs

    logs.init_app(app)  # first: every record from here on is in the configured format
    _secret_key(app)
    if app.config["TRUSTED_PROXIES"]:
        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
    os.makedirs(app.instance_path, exist_ok=True)
    if not app.config.get("DATABASE_URL"):
        app.config["DATABASE_URL"] = settings.sqlite_default(app.instance_path)

    from workflow import accounts

    accounts.use_hash_profile(app.config["PASSWORD_HASH_PROFILE"])
    db.init_app(app)
    migrate.init_app(app, db)

    from web import cli, downloads, health, metrics, problems, storage, ui

    storage.init_app(app)  # STORAGE_URL: where evidence, minutes and list files live
    downloads.init_app(app)  # every download's ASCII name beside its UTF-8 one
    problems.init_app(app)
    cli.init_app(app)
    health.init_app(app)  # GET /healthz, for the proxy
    metrics.init_app(app)  # GET /metrics, for Prometheus
    ui.init_app(app)  # the HTML pages, and the API blueprint (exempt from CSRF there)

    from tasks import celery_init_app
    from tasks import cli as tasks_cli

    celery_init_app(app)  # background tasks, and the after-commit hand-off of the outbox
    tasks_cli.init_app(app)  # outbox-sweep, deadline-digests: the periodic jobs without beat
    if app.debug:
        from web.devmail import bp as devmail_bp

        app.register_blueprint(devmail_bp)  # /dev/mail: the .eml files, in debug mode only
    return app


# The exit status of a start refused for want of a setting. gunicorn reads 3 as "the worker
# cannot boot" and stops, where any other status would make it start the worker again forever.
EXIT_NOT_CONFIGURED = 3


def _secret_key(app):
    """SECRET_KEY signs sessions and set-password links: never a value anyone else knows.

    Outside debug and testing it must come from the environment: without it the process says so
    in one line and exits. A debug server or a test run without one gets a random key of its own
    process (`make run` keeps one under instance/, so that a restart keeps people logged in).
    """
    if app.config.get("SECRET_KEY"):
        return
    if not (app.debug or app.testing):
        print(
            "commend: SECRET_KEY is not set; export SECRET_KEY=<a long random string>, e.g. "
            "$(python3 -c 'import secrets; print(secrets.token_hex(32))')",
            file=sys.stderr,
        )
        raise SystemExit(EXIT_NOT_CONFIGURED)
    app.config["SECRET_KEY"] = secrets.token_hex(32)


def _instance_path():
    """`instance/` beside the project (an explicit COMMEND_INSTANCE_PATH wins)."""
    return os.environ.get("COMMEND_INSTANCE_PATH") or str(MIGRATIONS.parent / "instance")
