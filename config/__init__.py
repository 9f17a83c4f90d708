"""Settings objects, one default per environment, overridden by environment variables."""

import os
from pathlib import Path

ENVIRONMENT_VARIABLES = (
    "DATABASE_URL",
    "CELERY_BROKER_URL",
    "SMTP_URL",
    "SECRET_KEY",
    "MAIL_FROM",
    "BASE_URL",
    "MAIL_DIR",
    "LISTS_DIR",
    "PUBLIC_COMMENT_LIMIT",
)

# Task tuning read from the environment as numbers: operators and the worker tests shorten them.
NUMERIC_ENVIRONMENT_VARIABLES = {
    "OUTBOX_MAX_ATTEMPTS": int,
    "OUTBOX_RETRY_BASE_SECONDS": float,
    "OUTBOX_RETRY_MAX_SECONDS": float,
    "OUTBOX_SWEEP_SECONDS": float,
    "OUTBOX_SWEEP_GRACE_SECONDS": float,
    "OUTBOX_STALE_SECONDS": float,
    "TASK_TIME_LIMIT_SECONDS": float,
    "LIST_TIME_LIMIT_SECONDS": float,
    "BROKER_VISIBILITY_TIMEOUT": int,
    "TRUSTED_PROXIES": int,
    "SESSION_HOURS": float,
}


class Default:
    """The embedded default: SQLite under instance/, tasks in-process, mail to files."""

    ENV = "development"
    # No default: a key written in the source would let anyone forge a session or a
    # set-password link. create_app refuses to start without one outside debug and testing.
    SECRET_KEY = None
    DATABASE_URL = None  # None: a SQLite file under the app's instance folder
    CELERY_BROKER_URL = None
    SMTP_URL = None
    MAIL_FROM = "commend <no-reply@commend.local>"
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024
    API_TOKEN_HOURS = 12
    SESSION_HOURS = 12.0  # a browser session ends on the server after this, logged out or not
    # How many proxies in front of the app append to X-Forwarded-For (and set
    # X-Forwarded-Proto). 0: the peer's address is the client's. Set it to exactly the number
    # of proxies you run: a larger number lets a client choose its own address, and with it
    # its login throttle bucket.
    TRUSTED_PROXIES = 0
    PASSWORD_HASH_PROFILE = "RFC_9106_LOW_MEMORY"  # noqa: S105 (a profile name, not a password)
    TIMEZONE = "Asia/Ho_Chi_Minh"
    BASE_URL = "http://127.0.0.1:5000"
    SQL_ECHO = False
    PUBLIC_COMMENT_LIMIT = "5 per hour"  # comments sent from one address on the public page
    # Background tasks and e-mail (see tasks/).
    MAIL_DIR = None  # None: instance/mail, where the file backend writes one .eml per message
    LISTS_DIR = None  # None: instance/lists, where the final commendation lists are written
    OUTBOX_DISPATCH_ON_COMMIT = True  # hand new outbox rows to the dispatch task after commit
    OUTBOX_MAX_ATTEMPTS = 8  # then the row is marked failed and waits for an admin's resend
    OUTBOX_RETRY_BASE_SECONDS = 30.0  # back-off: base * 2**(attempt - 1), capped below
    OUTBOX_RETRY_MAX_SECONDS = 3600.0
    OUTBOX_SWEEP_SECONDS = 60.0  # how often beat re-enqueues rows still unsent
    # A row younger than this is left to its after-commit hand-off; a busy queue is not flooded
    # with copies of rows that are merely waiting their turn.
    OUTBOX_SWEEP_GRACE_SECONDS = 120.0
    OUTBOX_STALE_SECONDS = 600.0  # a "sending" claim older than this belongs to a dead worker
    TASK_TIME_LIMIT_SECONDS = 300.0  # hard limit of one task; the soft limit is 80 % of it
    LIST_TIME_LIMIT_SECONDS = 1800.0  # a province's list (PDF of thousands of rows) takes longer
    BROKER_VISIBILITY_TIMEOUT = 7200  # seconds; must exceed the longest retry delay
    DIGEST_HOUR = 7  # local time of the daily deadline digest
    LIST_AUDIT_HOUR = 3  # local time of the daily audit of the list files (at half past)


class Development(Default):
    pass


class Testing(Default):
    ENV = "testing"
    TESTING = True
    # Tests hash many passwords; the cheapest argon2id profile keeps them fast.
    PASSWORD_HASH_PROFILE = "CHEAPEST"  # noqa: S105 (a profile name, not a password)
    # Most tests check the web and the domain; those that check dispatch switch it back on.
    OUTBOX_DISPATCH_ON_COMMIT = False


class Production(Default):
    ENV = "production"


ENVIRONMENTS = {
    "development": Development,
    "testing": Testing,
    "production": Production,
}


def load(environment=None):
    """Return the settings mapping for an environment, with the environment's variables on top."""
    name = environment or os.environ.get("COMMEND_ENV") or "development"
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
    for key, kind in NUMERIC_ENVIRONMENT_VARIABLES.items():
        if os.environ.get(key):
            try:
                settings[key] = kind(os.environ[key])
            except ValueError:
                raise RuntimeError(f"{key}={os.environ[key]!r} is not a number") from None
    return settings


def sqlite_default(instance_path):
    return f"sqlite:///{Path(instance_path) / 'commend.sqlite3'}"
