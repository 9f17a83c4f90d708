"""Prometheus metrics (prometheus_client) at /metrics, served only to METRICS_ALLOWED_ADDRESSES.

- `commend_http_requests_total{method,route,status}` and
  `commend_http_request_duration_seconds{method,route}`: every answer, by route template;
- `commend_workflow_actions_total{action,outcome}`: actions asked for on the pages and the API,
  "done" or the refusal ("stale_version", "forbidden", "vote_required", …);
- `commend_outbox_messages{status}` (pending, sending, failed) and
  `commend_outbox_oldest_pending_age_seconds`: read from the database when scraped;
- `commend_list_renders_total{outcome}` and `commend_list_render_duration_seconds`;
- `commend_tasks_total{task,outcome}` and `commend_task_duration_seconds{task}`: Celery tasks.

On the request path this costs one `perf_counter` at each end and a counter and a histogram
update: no SQL. Several processes (gunicorn workers, a Celery worker's pool) share their samples
through PROMETHEUS_MULTIPROC_DIR (an empty folder per node, set before they start), which this
module reads when it is set. A Celery worker serves its own metrics at WORKER_METRICS_LISTEN.
"""

import ipaddress
import logging
import os
import re
import threading
from contextlib import contextmanager
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from flask import Response, abort, current_app, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select

from workflow.errors import DomainError
from workflow.models import OutboxMessage, utcnow

log = logging.getLogger(__name__)

REQUESTS = Counter(
    "commend_http_requests", "Requests answered, by route and status", ["method", "route", "status"]
)
REQUEST_SECONDS = Histogram(
    "commend_http_request_duration_seconds",
    "Time to answer a request, by route",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
ACTIONS = Counter(
    "commend_workflow_actions", "Workflow actions asked for, by outcome", ["action", "outcome"]
)
LIST_RENDERS = Counter("commend_list_renders", "Final lists rendered, by outcome", ["outcome"])
LIST_RENDER_SECONDS = Histogram(
    "commend_list_render_duration_seconds",
    "Time to snapshot, render, store and check a final list",
    buckets=(1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1200, 1800),
)
TASKS = Counter("commend_tasks", "Celery tasks run, by task and outcome", ["task", "outcome"])
TASK_SECONDS = Histogram(
    "commend_task_duration_seconds",
    "Time a Celery task ran, by task",
    ["task"],
    buckets=(0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800),
)
WATCHED_OUTBOX_STATUSES = ("pending", "sending", "failed")  # "sent" only grows


METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_request_children = {}  # (method, route, status) → (counter, histogram): no label lookup each time


def observe_request(method, route, status, seconds):
    key = (method, route, status)
    children = _request_children.get(key)
    if children is None:
        if method not in METHODS:  # a client chooses the method: no label for each invention
            return observe_request("other", route, status, seconds)
        children = (
            REQUESTS.labels(method, route, str(status)),
            REQUEST_SECONDS.labels(method, route),
        )
        _request_children[key] = children
    children[0].inc()
    children[1].observe(seconds)


_OUTCOMES = {}


def outcome_of(error):
    """A refusal's name for the actions counter: StaleVersion → "stale_version"."""
    kind = type(error)
    if kind not in _OUTCOMES:
        name = kind.__name__ if issubclass(kind, DomainError) else "error"
        _OUTCOMES[kind] = re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
    return _OUTCOMES[kind]


@contextmanager
def workflow_action(action):
    """Count one workflow action: "done" when the block ends, else what refused it."""
    try:
        yield
    except Exception as error:
        ACTIONS.labels(action, outcome_of(error)).inc()
        raise
    ACTIONS.labels(action, "done").inc()


def list_rendered(outcome, seconds):
    LIST_RENDERS.labels(outcome).inc()
    LIST_RENDER_SECONDS.observe(seconds)


def task_ran(name, outcome, seconds):
    TASKS.labels(name, outcome).inc()
    TASK_SECONDS.labels(name).observe(seconds)


# Serving them --------------------------------------------------------------------------------


def allowed_networks(setting):
    """METRICS_ALLOWED_ADDRESSES ("127.0.0.1, ::1, 10.0.0.0/8") as networks; ValueError else."""
    return tuple(
        ipaddress.ip_network(part.strip(), strict=False)
        for part in (setting or "").split(",")
        if part.strip()
    )


def is_allowed(address, networks):
    try:
        found = ipaddress.ip_address((address or "").split("%")[0])
    except ValueError:
        return False
    if found.version == 6 and found.ipv4_mapped:
        found = found.ipv4_mapped
    return any(found in network for network in networks)


def exposition(outbox_of=None):
    """The samples of this process — or of every process sharing PROMETHEUS_MULTIPROC_DIR —
    then the outbox's, read by `outbox_of()` (a database session) when given."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        body = generate_latest(registry)
    else:
        body = generate_latest(REGISTRY)
    if outbox_of is not None:
        registry = CollectorRegistry()
        registry.register(_OutboxCollector(outbox_of))
        body += generate_latest(registry)
    return body


class _OutboxCollector:
    """The outbox as it stands: rows by status, and how long the oldest pending one has waited
    (two index lookups, at each scrape)."""

    def __init__(self, session_of):
        self.session_of = session_of

    def collect(self):
        session = self.session_of()
        try:
            counts = dict(
                session.execute(
                    select(OutboxMessage.status, func.count())
                    .where(OutboxMessage.status.in_(WATCHED_OUTBOX_STATUSES))
                    .group_by(OutboxMessage.status)
                ).all()
            )
            oldest = session.scalar(
                select(OutboxMessage.created_at)
                .where(OutboxMessage.status == "pending")
                .order_by(OutboxMessage.id)
                .limit(1)
            )
        finally:
            session.rollback()
        messages = GaugeMetricFamily(
            "commend_outbox_messages", "Outbox rows by status", labels=["status"]
        )
        for status in WATCHED_OUTBOX_STATUSES:
            messages.add_metric([status], counts.get(status, 0))
        yield messages
        age = (utcnow() - oldest).total_seconds() if oldest is not None else 0.0
        yield GaugeMetricFamily(
            "commend_outbox_oldest_pending_age_seconds",
            "How long the oldest pending outbox row has waited (0 when none)",
            value=max(age, 0.0),
        )


def init_app(app):
    try:
        networks = allowed_networks(app.config["METRICS_ALLOWED_ADDRESSES"])
    except ValueError as error:
        raise RuntimeError(f"METRICS_ALLOWED_ADDRESSES: {error}") from None
    from web.database import db

    def metrics():
        if not is_allowed(request.remote_addr, networks):
            abort(403, "metrics are served only to the addresses in METRICS_ALLOWED_ADDRESSES")
        try:
            body = exposition(lambda: db.session)
        except Exception:  # the database is down: the process's own samples still tell why
            current_app.logger.warning("metrics: the outbox could not be read", exc_info=True)
            body = exposition()
        return Response(body, mimetype=CONTENT_TYPE_LATEST.split(";")[0], headers=_NO_STORE)

    app.add_url_rule("/metrics", "metrics", metrics)


_NO_STORE = {"Cache-Control": "no-store", "Content-Type": CONTENT_TYPE_LATEST}


# A Celery worker's own metrics ---------------------------------------------------------------


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):
        pass


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


def serve_worker_metrics(listen, allowed):
    """Serve /metrics from a Celery worker's main process at `listen` ("host:port") in a thread;
    the pool's processes write their samples to PROMETHEUS_MULTIPROC_DIR."""
    host, _, port = listen.rpartition(":")
    networks = allowed_networks(allowed)

    def application(environ, start_response):
        if not is_allowed(environ.get("REMOTE_ADDR"), networks):
            start_response("403 Forbidden", [("Content-Type", "text/plain")])
            return [b"forbidden\n"]
        start_response("200 OK", list(_NO_STORE.items()))
        return [exposition()]

    server = make_server(
        host or "127.0.0.1",
        int(port),
        application,
        server_class=_ThreadingServer,
        handler_class=_QuietHandler,
    )
    threading.Thread(target=server.serve_forever, name="commend-metrics", daemon=True).start()
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        log.warning(
            "worker metrics at %s: without PROMETHEUS_MULTIPROC_DIR only this process's samples "
            "are served, not those of its pool's processes",
            listen,
        )
    return server
