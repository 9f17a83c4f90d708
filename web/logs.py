"""Logs an operator can use: JSON lines carrying a request id that follows an action from its
request into the tasks that send its notices or write its list.

LOG_FORMAT=json (the default): every record is one JSON object on stderr — time, level, logger,
message, the request id and, inside a task, the task's name and id —, with one line per request
answered (method, path, route, status, duration, the account) and one per task run (outcome,
duration). LOG_FORMAT=text keeps Python's and Flask's human-readable lines as they always were
(`make run` uses it).

Each request gets an id, returned in the `X-Request-ID` header. Behind TRUSTED_PROXIES the
proxy's own `X-Request-ID` is kept when it is a plain token, so its logs and ours agree. The
after-commit hand-off passes the id to the tasks it queues in their message headers
(tasks/outbox.py), and the task binds it to its records.
"""

import contextvars
import datetime as dt
import json
import logging
import re
import secrets
import sys
import time

from flask import g, request

HEADER = "X-Request-ID"
# Libraries whose INFO records narrate their own inner workings, not the service's.
CHATTY = ("transitions", "weasyprint", "fontTools")
TASK_HEADER = "commend_request_ids"  # {object id: request id} in a task message's headers
INCOMING = re.compile(r"[A-Za-z0-9._:-]{1,64}")
# Answered every few seconds to a proxy or a scraper: logged only when something is wrong.
QUIET = frozenset({"/healthz", "/metrics"})

# What every record made in this request or task carries: request_id, task, task_id.
_context = contextvars.ContextVar("commend_log_context", default=None)
request_log = logging.getLogger("commend.request")
task_log = logging.getLogger("commend.task")


def current():
    return _context.get() or {}


def request_id():
    """The id of the request (or task) this code runs for, or None."""
    return current().get("request_id")


def bind(**values):
    """Add `values` to the context of every record from here on; returns the token to reset."""
    return _context.set({**current(), **{k: v for k, v in values.items() if v is not None}})


def reset(token):
    _context.reset(token)


class JSONFormatter(logging.Formatter):
    """One JSON object per record; `extra={"fields": {…}}` adds members."""

    def format(self, record):
        entry = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **current(),
            **(getattr(record, "fields", None) or {}),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class _Handler(logging.StreamHandler):
    """Writes to the stream given, or to whatever sys.stderr is at the moment (so that a test
    runner's capture, swapped per test, always receives the lines)."""

    def __init__(self, stream=None):
        super().__init__(stream)
        self._fixed = stream

    @property
    def stream(self):
        return self._fixed or sys.stderr

    @stream.setter
    def stream(self, value):
        self._fixed = value


def configure(log_format, level="INFO", stream=None):
    """Send every record to stderr (or `stream`) as JSON; "text" leaves logging as it was."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if isinstance(handler, _Handler):
            root.removeHandler(handler)
    if log_format != "json":
        return
    handler = _Handler(stream)
    handler.setFormatter(JSONFormatter())
    root.addHandler(handler)
    root.setLevel(level)
    for name in CHATTY:
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))
    from flask.logging import default_handler

    # Flask gives an app's logger a text handler of its own when nothing else would print.
    logging.getLogger("web").removeHandler(default_handler)


def init_app(app):
    """Configure the records of this process, and give every request its id and its line."""
    if app.config["LOG_FORMAT"] not in ("json", "text"):
        raise RuntimeError(f"LOG_FORMAT={app.config['LOG_FORMAT']!r}: expected json or text")
    configure(app.config["LOG_FORMAT"], app.config["LOG_LEVEL"])
    from web import metrics

    trust_incoming = bool(app.config["TRUSTED_PROXIES"])

    @app.before_request
    def _begin():
        g.request_started = time.perf_counter()
        incoming = request.headers.get(HEADER) if trust_incoming else None
        g.request_id = (
            incoming if incoming and INCOMING.fullmatch(incoming) else secrets.token_hex(8)
        )
        g.request_log_token = _context.set({"request_id": g.request_id})

    @app.after_request
    def _answered(response):
        context = g._get_current_object()
        started = getattr(context, "request_started", None)
        if started is None:  # refused before _begin ran: nothing to measure
            return response
        seconds = time.perf_counter() - started
        answered = request._get_current_object()
        response.headers[HEADER] = context.request_id
        rule = answered.url_rule
        route = rule.rule if rule is not None else "unmatched"
        status = response.status_code
        metrics.observe_request(answered.method, route, status, seconds)
        if request_log.isEnabledFor(logging.INFO) and (status >= 400 or answered.path not in QUIET):
            # The account this request already loaded (a page's or a token's): no query of its own.
            user = getattr(context, "_login_user", None) or getattr(context, "actor", None)
            request_log.info(
                "%s %s %s",
                answered.method,
                answered.path,
                status,
                extra={
                    "fields": {
                        "method": answered.method,
                        "path": answered.path,
                        "route": route,
                        "status": status,
                        "duration_ms": round(seconds * 1000, 1),
                        "user_id": getattr(user, "id", None),
                        "address": answered.remote_addr,
                    }
                },
            )
        return response

    @app.teardown_request
    def _forget(exception=None):
        token = g.pop("request_log_token", None)
        if token is not None:
            try:
                _context.reset(token)
            except ValueError:  # reset from another context (a streamed answer): let it lapse
                _context.set(None)


# Tasks ---------------------------------------------------------------------------------------


def request_ids_of(task):
    """{object id: request id} the hand-off put in the task's message headers."""
    context = task.request
    found = getattr(context, TASK_HEADER, None)
    if found is None:
        found = (getattr(context, "headers", None) or {}).get(TASK_HEADER)
    return found if isinstance(found, dict) else {}


def bind_task(task):
    """Bind the task's name, id and the request id(s) it works for to its records."""
    ids = sorted({value for value in request_ids_of(task).values() if isinstance(value, str)})
    return bind(
        task=task.name,
        task_id=task.request.id,
        request_id=ids[0] if len(ids) == 1 else None,
        request_ids=ids if len(ids) > 1 else None,
    )


def task_ran(name, outcome, seconds):
    task_log.info(
        "%s %s",
        name,
        outcome,
        extra={"fields": {"outcome": outcome, "duration_ms": round(seconds * 1000, 1)}},
    )
