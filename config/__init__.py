"""Settings objects, one default per environment, overridden by environment variables."""

import os
from pathlib import Path

ENVIRONMENT_VARIABLES = (
    "DATABASE_URL",
    "CELERY_BROKER_URL",
    "SMTP_URL",
    "SECRET_KEY",
    "MAIL_FROM",
)


class Default:
    """The embedded default: SQLite under instance/, tasks in-process, mail to files."""

    ENV = "development"
    SECRET_KEY = "dev-only-not-secret"  # noqa: S105 (refused outside development, see create_app)
    DATABASE_URL = None  # None: a SQLite file under the app's instance folder
    CELERY_BROKER_URL = None
    SMTP_URL = None
    MAIL_FROM = "commend <no-reply@commend.local>"
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024
    API_TOKEN_HOURS = 12
    PASSWORD_HASH_PROFILE = "RFC_9106_LOW_MEMORY"  # noqa: S105 (a profile name, not a password)
    TIMEZONE = "Asia/Ho_Chi_Minh"
    BASE_URL = "http://127.0.0.1:5000"
    SQL_ECHO = False


class Development(Default):
    pass


class Testing(Default):
    ENV = "testing"
    TESTING = True
    # Tests hash many passwords; the cheapest argon2id profile keeps them fast.
    PASSWORD_HASH_PROFILE = "CHEAPEST"  # noqa: S105 (a profile name, not a password)


class Production(Default):
    ENV = "production"
    SECRET_KEY = None  # required from the environment


ENVIRONMENTS = {
    "development": Development,
    "testing": Testing,
    "production": Production,
}


def load(environment=None):
    """Return the settings mapping for an environment, with the environment's variables on top."""
    name = environment or os.environ.get("COMMEND_ENV", "development")
    try:
        base = ENVIRONMENTS[name]
    except KeyError:
        raise RuntimeError(
            f"COMMEND_ENV={name!r} is not one of {', '.join(ENVIRONMENTS)}"
        ) from None
    settings = {key: getattr(base, key) for key in dir(base) if key.isupper()}
    for key in ENVIRONMENT_VARIABLES:
        if os.environ.get(key):
            settings[key] = os.environ[key]
    return settings


def sqlite_default(instance_path):
    return f"sqlite:///{Path(instance_path) / 'commend.sqlite3'}"
