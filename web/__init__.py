"""The Flask application: `create_app` binds settings, the database, the CLI and the blueprints."""

import os
from pathlib import Path

from flask import Flask
from flask_migrate import Migrate
from werkzeug.routing import IntegerConverter

import config as settings
from web.database import db
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
    app.url_map.converters["int"] = IdConverter
    environment = config.pop("ENVIRONMENT", None) or os.environ.get("COMMEND_ENV")
    app.config.from_mapping(settings.load(environment))
    app.config.from_mapping(config)
    if not app.config.get("SECRET_KEY"):
        raise RuntimeError("SECRET_KEY must be set in the environment outside development")
    os.makedirs(app.instance_path, exist_ok=True)
    if not app.config.get("DATABASE_URL"):
        app.config["DATABASE_URL"] = settings.sqlite_default(app.instance_path)

    from workflow import accounts

    accounts.use_hash_profile(app.config["PASSWORD_HASH_PROFILE"])
    db.init_app(app)
    migrate.init_app(app, db)

    from web import cli, problems, ui

    problems.init_app(app)
    cli.init_app(app)
    ui.init_app(app)  # the HTML pages, and the API blueprint (exempt from CSRF there)

    from tasks import celery_init_app
    from tasks import cli as tasks_cli

    celery_init_app(app)  # background tasks, and the after-commit hand-off of the outbox
    tasks_cli.init_app(app)  # outbox-sweep, deadline-digests: the periodic jobs without beat
    if app.debug:
        from web.devmail import bp as devmail_bp

        app.register_blueprint(devmail_bp)  # /dev/mail: the .eml files, in debug mode only
    return app


def _instance_path():
    """`instance/` beside the project (an explicit COMMEND_INSTANCE_PATH wins)."""
    return os.environ.get("COMMEND_INSTANCE_PATH") or str(MIGRATIONS.parent / "instance")
