"""Several machines: two web nodes (gunicorn) and a Celery worker, each with an instance folder
of its own, sharing nothing but PostgreSQL, Redis, an SMTP server and the file store.

Walked once with STORAGE_URL=database and once with s3://… on moto's S3 server: evidence
uploaded on node A is read on node B; a list asked for on A is rendered by the worker and
downloaded from B; an action's request id is found in the worker's log of the task that sends
its notices; /healthz answers 200 on both nodes, and 503 naming the broker while Redis is down.
"""

import hashlib
import json
import os
import re
import secrets
import signal
import subprocess

import pytest
import requests
import sqlalchemy as sa
from conftest import TEST_DATABASE_URL, World, _fresh_postgres, free_port
from list_files import build_campaign, check_csv, check_xlsx
from moto_server import AWS_ENVIRONMENT
from test_tasks_real import (
    BIN,
    MAIL_FROM,
    ROOT,
    CeleryProcess,
    Inbox,
    RedisServer,
    SMTPServer,
    wait_for,
)

from web import create_app
from web.database import db, normalise_url
from workflow import accounts, services
from workflow.models import Attachment, StoredFile

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not TEST_DATABASE_URL,
        reason="runs once per `make test`, in the PostgreSQL pass (TEST_DATABASE_URL)",
    ),
]

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40
CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


class WebNode:
    """`gunicorn 'web:create_app()'` with two worker processes on a loopback port of its own."""

    def __init__(self, name, env, base):
        self.name = name
        self.port = free_port()
        self.instance = base / f"instance-{name}"
        # Its two worker processes add up their samples here (as a node's deployment does).
        self.metrics = base / f"metrics-{name}"
        self.env = {
            **env,
            "COMMEND_INSTANCE_PATH": str(self.instance),
            "PROMETHEUS_MULTIPROC_DIR": str(self.metrics),
        }
        self.log_path = base / f"{name}.log"
        self.process = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        self.metrics.mkdir()
        self.log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                "2",
                "--threads",
                "4",
                "web:create_app()",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

        def answers():
            if self.process.poll() is not None:
                pytest.fail(f"node {self.name} exited:\n{self.log_path.read_text()[-3000:]}")
            try:
                return requests.get(f"{self.url}/healthz", timeout=10).status_code == 200
            except requests.RequestException:  # not listening yet, or still booting its workers
                return False

        wait_for(answers, 120, f"node {self.name} to answer")

    def health(self):
        return requests.get(f"{self.url}/healthz", timeout=10)

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        if self.process is not None:
            self.log.close()


class Cluster:
    def __init__(self, storage, app, world, tokens, nodes, worker, redis, inbox, base, metrics):
        self.storage = storage
        self.app = app
        self.world = world
        self.tokens = tokens
        self.a, self.b = nodes
        self.worker = worker
        self.redis = redis
        self.inbox = inbox
        self.base = base
        self.worker_metrics = metrics

    def api(self, node, username, method, path, body=None):
        return requests.request(
            method,
            f"{node.url}/api/v1{path}",
            json=body,
            headers={"Authorization": f"Bearer {self.tokens[username]}"},
            timeout=30,
        )

    def worker_records(self):
        records = []
        for line in self.worker.log_path.read_text(errors="replace").splitlines():
            try:
                records.append(json.loads(line))
            except ValueError:
                continue  # Celery's banner
        return records


@pytest.fixture(scope="module", params=("database", "s3"))
def cluster(request, tmp_path_factory):
    storage = request.param
    base = tmp_path_factory.mktemp(f"nodes-{storage}")
    target = sa.make_url(normalise_url(TEST_DATABASE_URL))
    target = target.set(database=f"{target.database}_nodes")  # beside the suite's own database
    database_url = target.render_as_string(hide_password=False)
    _fresh_postgres(database_url)
    redis = RedisServer(base)
    redis.start()
    inbox = Inbox()
    smtp = SMTPServer(inbox)
    smtp.start()
    env = {
        **os.environ,
        "COMMEND_ENV": "production",
        "SECRET_KEY": secrets.token_hex(32),  # the same on every node and worker
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": redis.url,
        "SMTP_URL": f"smtp://127.0.0.1:{smtp.port}",
        "MAIL_FROM": MAIL_FROM,
        "LOG_FORMAT": "json",
        "PYTHONUNBUFFERED": "1",
    }
    for name in ("FLASK_DEBUG", "LISTS_DIR", "MINUTES_DIR", "MAIL_DIR", "STORAGE_URL"):
        env.pop(name, None)
    if storage == "database":
        env["STORAGE_URL"] = "database"
    else:
        moto = request.getfixturevalue("moto")
        bucket = moto.bucket(f"commend-nodes-{secrets.token_hex(4)}")
        env.update(AWS_ENVIRONMENT)
        env.update({"STORAGE_URL": f"s3://{bucket}/phu-tho", "S3_ENDPOINT_URL": moto.url})
    subprocess.run(
        [str(BIN / "flask"), "--app", "web", "db", "upgrade"],
        cwd=ROOT,
        env={**env, "COMMEND_INSTANCE_PATH": str(base / "instance-migrate")},
        check=True,
        capture_output=True,
    )
    app = create_app({"ENVIRONMENT": "testing", "SECRET_KEY": "test", "DATABASE_URL": database_url})
    context = app.app_context()
    context.push()
    world = World(db.session)
    build_campaign(world)  # three names recognised at D1's level, four that are not in its list
    tokens = {
        username: accounts.issue_token(db.session, user, hours=2)[0]
        for username, user in world.users.items()
    }
    db.session.commit()

    nodes = [WebNode("a", env, base), WebNode("b", env, base)]
    (base / "metrics-worker").mkdir()
    worker_metrics = f"127.0.0.1:{free_port()}"
    worker = CeleryProcess(
        [
            "worker",
            "--loglevel=INFO",
            "--concurrency=2",
            "--pool=prefork",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-n",
            f"nodes-{storage}@localhost",
        ],
        {
            **env,
            "COMMEND_INSTANCE_PATH": str(base / "instance-worker"),
            "PROMETHEUS_MULTIPROC_DIR": str(base / "metrics-worker"),
            "WORKER_METRICS_LISTEN": worker_metrics,
        },
        base / "worker.log",
        b"ready.",
    )
    try:
        for node in nodes:
            node.start()
        worker.start()
        yield Cluster(
            storage, app, world, tokens, nodes, worker, redis, inbox, base, worker_metrics
        )
    finally:
        worker.stop()
        for node in nodes:
            node.stop()
        db.session.rollback()
        context.pop()
        app.extensions["celery"].close()
        app.extensions["database"].engine.dispose()
        smtp.stop()
        redis.stop()


def _login(session, node, username):
    page = session.get(f"{node.url}/login", timeout=30)
    token = CSRF.search(page.text).group(1)
    answer = session.post(
        f"{node.url}/login",
        data={"csrf_token": token, "username": username, "password": "secret-pass"},
        allow_redirects=False,
        timeout=30,
    )
    assert answer.status_code == 302, answer.text[-500:]


def test_evidence_uploaded_on_one_node_is_read_on_the_other(cluster):
    draft = cluster.api(
        cluster.a,
        "sec_k1",
        "POST",
        "/nominations",
        {
            "campaign_id": cluster.world.campaign.id,
            "kind": "individual",
            "nominee_name": "Nguyễn Thị Minh Chứng",
            "title": "Hiến đất làm đường",
            "field": "Nông thôn mới",
            "summary": "Tóm tắt",
            "achievements": "Hiến 300 m² đất",
            "target_level": "district",
        },
    )
    assert draft.status_code == 201, draft.text
    nomination_id = draft.json()["id"]
    browser = requests.Session()
    _login(browser, cluster.a, "sec_k1")
    page = browser.get(f"{cluster.a.url}/nominations/{nomination_id}", timeout=30)
    uploaded = browser.post(
        f"{cluster.a.url}/nominations/{nomination_id}/attachments",
        data={"csrf_token": CSRF.search(page.text).group(1)},
        files={"file": ("biên bản hiện trường.png", PNG, "image/png")},
        allow_redirects=False,
        timeout=30,
    )
    assert uploaded.status_code == 302, uploaded.text[-500:]
    attachment = db.session.scalar(
        sa.select(Attachment).where(Attachment.nomination_id == nomination_id)
    )
    db.session.rollback()

    # The session is a row in the shared database: node B knows the browser too.
    download = browser.get(
        f"{cluster.b.url}/nominations/{nomination_id}/attachments/{attachment.id}", timeout=30
    )
    assert download.status_code == 200
    assert download.content == PNG
    assert download.headers["ETag"] == f'"{hashlib.sha256(PNG).hexdigest()}"'
    assert "filename*=UTF-8''bi%C3%AAn%20b%E1%BA%A3n" in download.headers["Content-Disposition"]
    for node in (cluster.a, cluster.b):
        assert not (node.instance / "attachments").exists()  # on no node's own disk
    if cluster.storage == "database":
        key = f"evidence/{attachment.storage_key}"
        assert db.session.scalar(sa.select(StoredFile.size).where(StoredFile.key == key)) == len(
            PNG
        )
        db.session.rollback()


def test_a_list_asked_for_on_one_node_is_downloaded_from_the_other(cluster):
    asked = cluster.api(
        cluster.a,
        "rev_d1",
        "POST",
        f"/campaigns/{cluster.world.campaign.id}/lists",
        {"unit_code": "D1"},
    )
    assert asked.status_code == 202, asked.text

    def finished():
        shown = cluster.api(cluster.b, "rev_d1", "GET", f"/lists/{asked.json()['id']}").json()
        return shown if shown["status"] in ("done", "failed") else None

    shown = wait_for(finished, 90, "the worker to write the list")
    assert shown["status"] == "done", shown
    downloads = {}
    for file_format, url in shown["files"].items():
        got = requests.get(
            f"{cluster.b.url}{url}",
            headers={"Authorization": f"Bearer {cluster.tokens['adm_p']}"},
            timeout=30,
        )
        assert got.status_code == 200, (file_format, got.text[-300:])
        assert got.headers["ETag"].strip('"') == hashlib.sha256(got.content).hexdigest()
        downloads[file_format] = got.content
    expected = {"Tổ hòa giải thôn Đồng Hội", "Đặng Thị Ánh", "Phạm Hữu Ý"}
    check_csv(downloads["csv"], expected)
    check_xlsx(downloads["xlsx"], expected)
    assert downloads["pdf"].startswith(b"%PDF-")
    assert not (cluster.base / "instance-worker" / "lists").exists()
    wait_for(
        lambda: any(to == "rev_d1@example.org" for to, *_ in cluster.inbox.deliveries),
        60,
        "the list_ready notice",
    )


def test_an_actions_request_id_reaches_the_worker_that_sends_its_notices(cluster):
    nomination = services.create_nomination(
        db.session,
        cluster.world.users["sec_k2"],
        cluster.world.campaign,
        {
            "kind": "collective",
            "nominee_name": "Chi hội Phụ nữ thôn Đồng Hội",
            "title": "Hũ gạo tiết kiệm",
            "field": "An sinh xã hội",
            "summary": "Tóm tắt",
            "achievements": "Giúp 40 hộ khó khăn",
            "target_level": "commune",
        },
    )
    db.session.commit()
    answer = cluster.api(
        cluster.a, "sec_k2", "POST", f"/nominations/{nomination.id}/actions/submit", {"version": 1}
    )
    assert answer.status_code == 200, answer.text
    request_id = answer.headers["X-Request-ID"]

    def sent():
        return [
            record
            for record in cluster.worker_records()
            if record.get("logger") == "commend.task"
            and record.get("task") == "commend.send_notices"
            and request_id in (record.get("request_id"), *record.get("request_ids", ()))
        ]

    [record] = wait_for(sent, 60, f"the worker's log of request {request_id}'s notices")
    assert record["outcome"] == "success"
    wait_for(
        lambda: any(to == "rev_c1@example.org" for to, *_ in cluster.inbox.deliveries),
        60,
        "the submitted notice",
    )


def test_healthz_on_both_nodes_and_503_while_redis_is_down(cluster):
    for node in (cluster.a, cluster.b):
        answer = node.health()
        assert answer.status_code == 200
        assert answer.json() == {
            "status": "ok",
            "checks": {"database": "ok", "broker": "ok", "storage": "ok"},
        }
    cluster.redis.stop()
    try:
        down = cluster.a.health()
        assert down.status_code == 503
        assert down.json()["failed"] == ["broker"]
        assert down.json()["checks"]["database"] == "ok"
    finally:
        cluster.redis.start()
    wait_for(lambda: cluster.a.health().status_code == 200, 30, "node a to be healthy again")


def _samples(text, name, **labels):
    """The values of `name` whose labels include `labels`, from Prometheus text."""
    values = []
    for line in text.splitlines():
        if line.startswith(name + "{") and all(f'{k}="{v}"' in line for k, v in labels.items()):
            values.append(float(line.rsplit(" ", 1)[1]))
    return values


def test_metrics_add_up_the_processes_of_a_node_and_of_the_worker(cluster):
    for _ in range(6):  # spread over both of node a's gunicorn workers
        assert cluster.a.health().status_code in (200, 503)
    scraped = requests.get(f"{cluster.a.url}/metrics", timeout=10)
    assert scraped.status_code == 200
    served = _samples(
        scraped.text, "commend_http_requests_total", route="/healthz", method="GET", status="200"
    )
    assert sum(served) >= 6  # both workers of the node, added up
    assert _samples(scraped.text, "commend_outbox_messages", status="failed") == [0.0]
    worker = requests.get(f"http://{cluster.worker_metrics}/metrics", timeout=10)
    assert worker.status_code == 200
    assert _samples(
        worker.text, "commend_tasks_total", task="commend.send_notices", outcome="success"
    )
