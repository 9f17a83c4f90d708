"""GET /healthz: does this node reach what it needs? For a proxy or an orchestrator, no login.

200 `{"status": "ok", "checks": {"database": "ok", …}}` when the database answers — and the
broker (CELERY_BROKER_URL) and the file store (STORAGE_URL) where they are configured —, each
within HEALTH_TIMEOUT_SECONDS; else 503 with `"status": "fail"`, each check "ok", "timeout" or
"error", and `"failed"` naming the ones that are not. No address, name or message of a service
is ever in the answer (they are logged). The checks run side by side on a few threads of their
own, so a hung service costs the answer its timeout, not more.
"""

import concurrent.futures
import logging
import os
import threading

from flask import current_app, jsonify

from web.database import db
from web.storage import store
from workflow import files

log = logging.getLogger(__name__)
_pool = None
_pool_lock = threading.Lock()


def _executor():
    """A small pool per process (a forked worker makes its own)."""
    global _pool
    with _pool_lock:
        if _pool is None or _pool[0] != os.getpid():
            _pool = (
                os.getpid(),
                concurrent.futures.ThreadPoolExecutor(max_workers=6, thread_name_prefix="healthz"),
            )
        return _pool[1]


def check_database(app):
    # A raw connection and a driver-level SELECT 1: no transaction begins, so SQLite's writer
    # lock is never waited for.
    connection = db.engine.raw_connection()
    try:
        cursor = connection.cursor()
        cursor.execute("SELECT 1")
        cursor.fetchall()
        cursor.close()
    finally:
        connection.close()


def check_broker(app):
    url = app.config["CELERY_BROKER_URL"]
    timeout = app.config["HEALTH_TIMEOUT_SECONDS"]
    if url.startswith(("redis://", "rediss://", "unix://")):
        key = ("healthz_redis", os.getpid(), url)  # its own connection pool, kept
        client = app.extensions.get(key)
        if client is None:
            import redis

            client = redis.Redis.from_url(
                url, socket_connect_timeout=timeout, socket_timeout=timeout
            )
            app.extensions[key] = client
        try:
            client.ping()
        except Exception:
            client.connection_pool.disconnect()  # a half-open connection is not kept for later
            raise
        return
    from kombu import Connection

    with Connection(url, connect_timeout=timeout) as connection:
        connection.ensure_connection(max_retries=1)


def check_storage(app):
    store(files.EVIDENCE).ping()


def checks(app):
    """The checks this node's settings call for."""
    found = {"database": check_database}
    if app.config.get("CELERY_BROKER_URL"):
        found["broker"] = check_broker
    if files.parse_url(app.config.get("STORAGE_URL"))[0] != "local":  # a store shared by nodes
        found["storage"] = check_storage
    return found


def _run(app, name, check):
    with app.app_context():  # a database store works in the context's session
        check(app)


def healthz():
    app = current_app._get_current_object()
    timeout = app.config["HEALTH_TIMEOUT_SECONDS"]
    pool = _executor()
    futures = {name: pool.submit(_run, app, name, check) for name, check in checks(app).items()}
    done, _ = concurrent.futures.wait(futures.values(), timeout=timeout)
    results = {}
    for name, future in futures.items():
        if future not in done:
            results[name] = "timeout"
            log.warning("healthz: %s did not answer within %ss", name, timeout)
        elif (error := future.exception()) is not None:
            results[name] = "error"
            # One line, no traceback: a proxy asks every few seconds while a service is down.
            log.warning("healthz: %s failed: %s: %s", name, type(error).__name__, error)
        else:
            results[name] = "ok"
    failed = [name for name, result in results.items() if result != "ok"]
    body = {"status": "fail" if failed else "ok", "checks": results}
    if failed:
        body["failed"] = failed
    response = jsonify(body)
    response.status_code = 503 if failed else 200
    response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app):
    app.add_url_rule("/healthz", "healthz", healthz)
