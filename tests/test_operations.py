"""What an operator runs several nodes with: /healthz, /metrics, JSON logs with request ids that
follow an action into its tasks, and a login throttle that counts in one place."""

import io
import json
import logging
import socket
import threading
import time
import urllib.error
import urllib.request

import pytest
from conftest import free_port
from list_files import recognise
from prometheus_client import REGISTRY

from tasks import outbox as outbox_tasks
from web import create_app, logs, metrics
from web.throttle import throttle_storage
from workflow import lists, services


@pytest.fixture
def json_logs():
    """Every record as JSON into a buffer; `json_logs()` → the records so far, parsed."""
    root = logging.getLogger()
    level = root.level
    buffer = io.StringIO()
    logs.configure("json", "INFO", stream=buffer)
    yield lambda: [json.loads(line) for line in buffer.getvalue().splitlines()]
    logs.configure("text")
    root.setLevel(level)


def sample(name, **labels):
    return REGISTRY.get_sample_value(name, labels) or 0.0


# /healthz -------------------------------------------------------------------------------------


def test_healthz_answers_without_a_login_and_names_only_its_checks(client):
    answer = client.get("/healthz")
    assert answer.status_code == 200
    assert answer.json == {"status": "ok", "checks": {"database": "ok"}}
    assert answer.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in answer.headers
    assert answer.headers["X-Request-ID"]


def test_healthz_is_503_naming_an_unreachable_broker_and_telling_no_secret(
    app, client, monkeypatch
):
    monkeypatch.setitem(
        app.config, "CELERY_BROKER_URL", f"redis://:hunter2@127.0.0.1:{free_port()}/0"
    )
    answer = client.get("/healthz")
    assert answer.status_code == 503
    assert answer.json == {
        "status": "fail",
        "checks": {"database": "ok", "broker": "error"},
        "failed": ["broker"],
    }
    assert "hunter2" not in answer.text
    assert "127.0.0.1" not in answer.text


def test_healthz_waits_no_longer_than_its_timeout_for_a_hung_service(app, client, monkeypatch):
    """A broker that accepts the connection and never answers costs the answer its timeout."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    accepted = []
    threading.Thread(target=lambda: accepted.append(listener.accept()), daemon=True).start()
    monkeypatch.setitem(app.config, "CELERY_BROKER_URL", f"redis://127.0.0.1:{port}/0")
    monkeypatch.setitem(app.config, "HEALTH_TIMEOUT_SECONDS", 0.5)
    started = time.monotonic()
    answer = client.get("/healthz")
    assert time.monotonic() - started < 2.5
    assert answer.status_code == 503
    assert answer.json["failed"] == ["broker"]
    assert answer.json["checks"]["broker"] in ("timeout", "error")
    listener.close()
    for connection, _ in accepted:
        connection.close()


def test_healthz_checks_the_file_store_where_one_is_configured(app, client, monkeypatch, moto):
    monkeypatch.setitem(app.config, "STORAGE_URL", "database")
    assert client.get("/healthz").json["checks"] == {"database": "ok", "storage": "ok"}
    monkeypatch.setitem(app.config, "S3_ENDPOINT_URL", moto.url)
    monkeypatch.setitem(app.config, "STORAGE_URL", "s3://no-such-bucket-anywhere/x")
    answer = client.get("/healthz")
    assert answer.status_code == 503
    assert answer.json["failed"] == ["storage"]
    assert "no-such-bucket" not in answer.text


def test_healthz_is_503_when_the_database_does_not_answer(tmp_path):
    app = create_app(
        {
            "ENVIRONMENT": "testing",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'no-such-folder' / 'db.sqlite3'}",
        }
    )
    answer = app.test_client().get("/healthz")
    assert answer.status_code == 503
    assert answer.json["failed"] == ["database"]


# /metrics -------------------------------------------------------------------------------------


def test_metrics_are_served_only_to_the_allowed_addresses(client):
    client.get("/login")
    answer = client.get("/metrics")
    assert answer.status_code == 200
    assert answer.mimetype == "text/plain"
    assert 'commend_http_requests_total{method="GET",route="/login",status="200"}' in answer.text
    assert "commend_http_request_duration_seconds_bucket" in answer.text
    assert 'commend_outbox_messages{status="pending"}' in answer.text
    assert "commend_outbox_oldest_pending_age_seconds" in answer.text
    refused = client.get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.2"})
    assert refused.status_code == 403
    assert "commend_" not in refused.text
    assert metrics.is_allowed("::ffff:127.0.0.1", metrics.allowed_networks("127.0.0.1"))
    assert not metrics.is_allowed("unknown", metrics.allowed_networks("127.0.0.1"))
    assert metrics.is_allowed("10.1.2.3", metrics.allowed_networks("10.0.0.0/8, ::1"))


def test_requests_are_counted_by_route_template_not_by_address(client, world, auth, db_session):
    nomination = world.nominate()
    db_session.commit()
    route = {"method": "GET", "route": "/api/v1/nominations/<int:nomination_id>"}
    before = sample("commend_http_requests_total", **route, status="200")
    missing = sample("commend_http_requests_total", **route, status="404")
    for nomination_id in (nomination.id, nomination.id, 999_999):
        client.get(f"/api/v1/nominations/{nomination_id}", headers=auth("sec_k1"))
    assert sample("commend_http_requests_total", **route, status="200") == before + 2
    assert sample("commend_http_requests_total", **route, status="404") == missing + 1
    assert sample("commend_http_request_duration_seconds_count", **route) >= 3


def test_workflow_actions_are_counted_by_outcome(client, world, auth, db_session):
    nomination = world.nominate()
    db_session.commit()
    done = sample("commend_workflow_actions_total", action="submit", outcome="done")
    stale = sample("commend_workflow_actions_total", action="submit", outcome="stale_version")
    url = f"/api/v1/nominations/{nomination.id}/actions/submit"
    assert client.post(url, json={"version": 1}, headers=auth("sec_k1")).status_code == 200
    assert client.post(url, json={"version": 1}, headers=auth("sec_k1")).status_code == 409
    assert sample("commend_workflow_actions_total", action="submit", outcome="done") == done + 1
    assert (
        sample("commend_workflow_actions_total", action="submit", outcome="stale_version")
        == stale + 1
    )


def test_list_renders_and_task_outcomes_are_counted(app, world, db_session, dispatching):
    renders = sample("commend_list_renders_total", outcome="done")
    ran = sample("commend_tasks_total", task="commend.generate_list", outcome="success")
    recognise(world, "KD", "district", nominee_name="Đặng Thị Ánh")
    made, _ = lists.request_list(
        db_session, world.users["adm_p"], world.campaign, world.units["D1"], on=services.today()
    )
    with app.app_context():
        db_session.commit()
    db_session.refresh(made)
    assert made.status == "done"
    assert sample("commend_list_renders_total", outcome="done") == renders + 1
    assert sample("commend_list_render_duration_seconds_count") >= 1
    assert sample("commend_tasks_total", task="commend.generate_list", outcome="success") == ran + 1


def test_a_worker_serves_its_own_metrics_to_the_allowed_addresses():
    port = free_port()
    server = metrics.serve_worker_metrics(f"127.0.0.1:{port}", "127.0.0.1")
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:
            assert answer.status == 200
            assert b"python_info" in answer.read()  # this process's samples
    finally:
        server.shutdown()
        server.server_close()
    port = free_port()
    server = metrics.serve_worker_metrics(f"127.0.0.1:{port}", "127.0.0.2")
    try:
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5)
        assert refused.value.code == 403
        refused.value.close()
    finally:
        server.shutdown()
        server.server_close()


# Logs ----------------------------------------------------------------------------------------


def test_each_request_is_one_json_line_with_its_id(client, json_logs):
    answer = client.get("/login")
    request_id = answer.headers["X-Request-ID"]
    [line] = [entry for entry in json_logs() if entry["logger"] == "commend.request"]
    assert line["request_id"] == request_id
    assert (line["method"], line["path"], line["route"], line["status"]) == (
        "GET",
        "/login",
        "/login",
        200,
    )
    assert line["level"] == "INFO"
    assert line["duration_ms"] >= 0
    assert line["time"].endswith("+00:00")
    client.get("/healthz")  # asked every few seconds: not logged while it is well
    assert len([entry for entry in json_logs() if entry["logger"] == "commend.request"]) == 1


def test_the_request_id_follows_an_action_into_the_task_that_sends_its_notices(
    client, world, auth, db_session, dispatching, json_logs
):
    nomination = world.nominate()
    db_session.commit()
    answer = client.post(
        f"/api/v1/nominations/{nomination.id}/actions/submit",
        json={"version": nomination.version},
        headers=auth("sec_k1"),
    )
    assert answer.status_code == 200
    request_id = answer.headers["X-Request-ID"]
    tasks = [entry for entry in json_logs() if entry["logger"] == "commend.task"]
    [sent] = [entry for entry in tasks if entry["task"] == outbox_tasks.SEND]
    assert (sent["request_id"], sent["outcome"]) == (request_id, "success")
    assert sent["task_id"]
    assert sent["duration_ms"] >= 0


def test_a_batch_of_notices_carries_the_request_id_of_each(app):
    """The hand-off batches the notices of several actions into one message: its headers map
    each notice to its request, and the task's records name them all."""
    sent = []

    class Task:
        def apply_async(self, args, headers=None):
            sent.append((args, headers))

    class Celery:
        def __init__(self):
            self.tasks = {outbox_tasks.SEND: Task()}

    work = [(outbox_tasks.SEND, 1), (outbox_tasks.SEND, 2), (outbox_tasks.SEND, 3)]
    asked = {(outbox_tasks.SEND, 1): "aaa", (outbox_tasks.SEND, 2): "bbb"}
    with app.app_context():
        assert outbox_tasks.publish(Celery(), work, asked)
    assert sent == [(([1, 2, 3],), {logs.TASK_HEADER: {"1": "aaa", "2": "bbb"}})]

    class Request:
        id = "task-1"
        headers = sent[0][1]

    class Running:
        name = outbox_tasks.SEND
        request = Request()

    token = logs.bind_task(Running())
    try:
        assert logs.current() == {
            "task": outbox_tasks.SEND,
            "task_id": "task-1",
            "request_ids": ["aaa", "bbb"],
        }
    finally:
        logs.reset(token)


def test_a_proxys_request_id_is_kept_only_behind_trusted_proxies(database_url):
    for proxies, kept in ((0, False), (1, True)):
        app = create_app(
            {"ENVIRONMENT": "testing", "DATABASE_URL": database_url, "TRUSTED_PROXIES": proxies}
        )
        client = app.test_client()
        answer = client.get("/nowhere", headers={"X-Request-ID": "nginx-4f2a9c"})
        assert (answer.headers["X-Request-ID"] == "nginx-4f2a9c") is kept
        odd = client.get("/nowhere", headers={"X-Request-ID": "<script>"})
        assert odd.headers["X-Request-ID"] != "<script>"


def test_text_logs_leave_logging_as_it_was():
    root = logging.getLogger()
    before = list(root.handlers)
    logs.configure("text")
    assert root.handlers == before
    with pytest.raises(RuntimeError, match="LOG_FORMAT"):
        create_app({"ENVIRONMENT": "testing", "LOG_FORMAT": "xml"})


# The login throttle counts in one place -------------------------------------------------------


def test_the_throttle_counts_in_the_redis_broker_by_default(monkeypatch):
    monkeypatch.delenv("REDIS_URL", raising=False)
    broker = "redis://127.0.0.1:6379/3"
    assert throttle_storage({"CELERY_BROKER_URL": broker}) == broker
    assert throttle_storage({"CELERY_BROKER_URL": "amqp://x"}) == "memory://"
    assert throttle_storage({}) == "memory://"
    own = "redis://127.0.0.1:6379/9"
    assert throttle_storage({"CELERY_BROKER_URL": broker, "RATELIMIT_STORAGE_URI": own}) == own
    monkeypatch.setenv("REDIS_URL", own)
    assert throttle_storage({"CELERY_BROKER_URL": broker}) == own


def test_a_server_without_redis_says_at_start_that_each_process_counts_alone(
    database_url, caplog, monkeypatch
):
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.delenv("RATELIMIT_STORAGE_URI", raising=False)
    settings = {
        "ENVIRONMENT": "production",
        "SECRET_KEY": "x" * 64,
        "DATABASE_URL": database_url,
        "LOG_FORMAT": "text",
    }
    with caplog.at_level(logging.WARNING, logger="web.throttle"):
        create_app(settings)
    assert "each counts alone" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="web.throttle"):
        app = create_app({**settings, "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0"})
    assert "each counts alone" not in caplog.text
    assert app.config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/0"
