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
    "MINUTES_DIR",
    "PUBLIC_COMMENT_LIMIT",
    "SIGNING_KEYS",
    "SIGNING_TRUST_ROOTS",
    "STORAGE_URL",
    "S3_ENDPOINT_URL",
    "LOG_FORMAT",
    "LOG_LEVEL",
    "METRICS_ALLOWED_ADDRESSES",
    "WORKER_METRICS_LISTEN",
    "RATELIMIT_STORAGE_URI",
)

# Task tuning read from the environment as numbers: operators and the worker tests shorten them.
NUMERIC_ENVIRONMENT_VARIABLES = {
    "OUTBOX_MAX_ATTEMPTS": int,
    "OUTBOX_RETRY_BASE_SECONDS": float,
    "OUTBOX_RETRY_MAX_SECONDS": float,
    "OUTBOX_SWEEP_SECONDS": float,
    "OUTBOX_SWEEP_GRACE_SECONDS": float,
    "OUTBOX_LEASE_SECONDS": float,
    "OUTBOX_SEND_TIME_LIMIT_SECONDS": float,
    "SMTP_TIMEOUT_SECONDS": float,
    "HAND_OFF_GATHER_SECONDS": float,
    "TASK_TIME_LIMIT_SECONDS": float,
    "LIST_TIME_LIMIT_SECONDS": float,
    "BROKER_VISIBILITY_TIMEOUT": int,
    "TRUSTED_PROXIES": int,
    "SESSION_HOURS": float,
    "HEALTH_TIMEOUT_SECONDS": float,
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
    # The sender as mail programs show it: a Vietnamese name by default; MAIL_FROM sets another.
    MAIL_FROM = "Hệ thống điển hình tiên tiến <no-reply@commend.local>"
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
    MINUTES_DIR = None  # None: instance/minutes, where closed meetings' minutes are written
    # Signed lists (workflow/signing.py): the keys units may sign with, as JSON {name: {"units":
    # [codes], "pkcs12": path, "password_env" | "password_file": …} or {…, "pkcs11_module": path,
    # "token", "key", "pin_env" | "pin_file"}}; and a PEM file of the trusted authorities. No
    # key, no signature: a unit's lists are signed only once its administrators choose a key.
    SIGNING_KEYS = None
    SIGNING_TRUST_ROOTS = None
    # Where evidence, minutes and list files live (web/storage.py). None: the folders above, on
    # this node only — right for one machine. With several nodes every one must read what any
    # wrote: "database" (in the application's database, in the same transaction as their rows)
    # or "s3://bucket/prefix" (S3-compatible object storage at S3_ENDPOINT_URL, None for AWS,
    # with the standard AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_DEFAULT_REGION).
    STORAGE_URL = None
    S3_ENDPOINT_URL = None
    # Logs (web/logs.py): "json", one line per record, request and task, with the request id an
    # operator can follow from a request into its tasks; "text": Python's and Flask's readable
    # lines, for a developer's terminal (`make run`).
    LOG_FORMAT = "json"
    LOG_LEVEL = "INFO"
    # Who may read /metrics (web/metrics.py): addresses or networks, comma-separated. Loopback
    # only by default: the samples tell an outsider how busy the service is; add the scraper's.
    METRICS_ALLOWED_ADDRESSES = "127.0.0.1, ::1"
    # A Celery worker serves its own metrics at this "host:port"; None: it does not.
    WORKER_METRICS_LISTEN = None
    # /healthz waits this long for each service: short, since a proxy asks every few seconds and
    # takes a slow answer for a dead node anyway.
    HEALTH_TIMEOUT_SECONDS = 2.0
    # The login and comment throttles' counters (web/throttle.py). None: RATELIMIT_STORAGE_URI's
    # default chain — REDIS_URL, else the Redis broker, else this process's memory.
    RATELIMIT_STORAGE_URI = None
    OUTBOX_DISPATCH_ON_COMMIT = True  # hand new outbox rows to the dispatch task after commit
    # Hand the work a commit asks for to a background thread of the process (tasks/handoff.py):
    # it publishes to the broker, or without one runs the tasks and beat's schedule itself, so
    # no request waits for Redis or SMTP. False: right after the commit, in the request.
    HAND_OFF_THREAD = True
    # How long the thread lets work gather before handing it on: a notice leaves this much
    # later, and under load one broker message carries the notices of many actions.
    HAND_OFF_GATHER_SECONDS = 0.2
    # Recovery after a fault is bounded by these: a notice reaches its recipient within about
    # OUTBOX_SWEEP_SECONDS of Redis or the SMTP server coming back, and within
    # OUTBOX_LEASE_SECONDS + OUTBOX_SWEEP_SECONDS of a killed worker's restart (a worker that
    # starts queues at once the rows whose messages a dead one had reserved).
    OUTBOX_MAX_ATTEMPTS = 8  # then the row is marked failed and waits for an admin's resend
    # Back-off after a failed send: base * 2**(attempt - 1), capped. While the SMTP server is
    # unreachable the sweep also knocks on it, and the moment it answers every row waiting
    # for it is due again: the back-off spares a struggling server, it does not delay recovery.
    OUTBOX_RETRY_BASE_SECONDS = 30.0
    OUTBOX_RETRY_MAX_SECONDS = 3600.0
    # How often beat runs the sweep. Short, because it is what notices a service has come
    # back; cheap, because it reads an index and knocks on SMTP only while rows wait for it.
    OUTBOX_SWEEP_SECONDS = 10.0
    # A new row is left this long to its after-commit hand-off before the sweep queues a copy,
    # so that a busy queue is not flooded with copies of rows merely waiting their turn. A row
    # whose hand-off failed (the broker was down) is marked due at once and does not wait.
    OUTBOX_SWEEP_GRACE_SECONDS = 120.0
    # A worker's claim on a row is a lease: past it, the sweep gives the row to another worker
    # (the worker died; the broker may hold its unacknowledged message for hours). It exceeds
    # a send's hard time limit, so a send still running always holds its lease.
    OUTBOX_LEASE_SECONDS = 30.0
    OUTBOX_SEND_TIME_LIMIT_SECONDS = 20.0  # hard limit of one send; the soft one is 80 % of it
    SMTP_TIMEOUT_SECONDS = 8.0  # per socket operation: connect, TLS, each SMTP command
    TASK_TIME_LIMIT_SECONDS = 300.0  # hard limit of the other tasks; the soft limit is 80 %
    LIST_TIME_LIMIT_SECONDS = 1800.0  # a province's list (PDF of thousands of rows) takes longer
    # Redis hands an unacknowledged message to another worker after this; it must exceed the
    # longest task, or a list still being written would be written twice.
    BROKER_VISIBILITY_TIMEOUT = 7200
    DIGEST_HOUR = 7  # local time of the daily deadline digest
    LIST_AUDIT_HOUR = 3  # local time of the daily audit of the list files (at half past)


class Development(Default):
    pass


class Testing(Default):
    ENV = "testing"
    TESTING = True
    # Tests hash many passwords; the cheapest argon2id profile keeps them fast.
    PASSWORD_HASH_PROFILE = "CHEAPEST"  # noqa: S105 (a profile name, not a password)
    # Most tests check the web and the domain; those that check dispatch switch it back on,
    # and see the tasks run at once, in the request (the thread has tests of its own).
    OUTBOX_DISPATCH_ON_COMMIT = False
    HAND_OFF_THREAD = False
    LOG_FORMAT = "text"  # pytest shows the records of a failing test; tests of the JSON set it


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
