"""The real thing: PostgreSQL, a Redis server of our own, `celery worker` and `beat` processes,
and an aiosmtpd SMTP server, all on loopback.

These run once per `make test`, in its PostgreSQL pass, on a database of their own (the test
database's name + `_tasks`) that the workers can see because everything here really commits.
"""

import asyncio
import collections
import datetime as dt
import email
import email.policy
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import TEST_DATABASE_URL, World, _fresh_postgres, free_port, service_missing
from list_files import build_campaign, check_csv, check_pdf, check_xlsx, pdf_text

from tasks import mail
from web import create_app
from web.database import db, normalise_url
from workflow import accounts, services
from workflow.models import OutboxMessage

pytestmark = [
    pytest.mark.postgres,  # `make test-sqlite` deselects these; they run in the PostgreSQL pass
    pytest.mark.skipif(
        not TEST_DATABASE_URL,
        reason="runs once per `make test`, in the PostgreSQL pass (TEST_DATABASE_URL)",
    ),
]

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
MAIL_FROM = "commend <no-reply@commend.test>"
# Everything here runs with the default settings: the recovery times measured are the ones a
# province gets. COMMEND_RECOVERY_REPORT names a JSON file to append each recovery to
# (`make bench` reads it).
RECOVERY_LIMIT_SECONDS = 120
RECOVERY_REPORT = os.environ.get("COMMEND_RECOVERY_REPORT")


def wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    pytest.fail(f"timed out after {timeout}s waiting for {what}")


class RedisServer:
    """A redis-server of the test's own, on a fixed loopback port, that can be stopped."""

    def __init__(self, directory):
        self.port = free_port()
        self.directory = directory
        self.process = None

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        executable = shutil.which("redis-server")
        if executable is None:
            service_missing("redis-server is not installed")
        self.process = subprocess.Popen(
            [
                executable,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(self._answers, 10, "redis-server to answer")

    def _answers(self):
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as connection:
                connection.sendall(b"PING\r\n")
                return connection.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self):
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None


class Inbox:
    """What the SMTP server received: (recipient, Message-ID, Subject, when) per delivery."""

    def __init__(self):
        self.deliveries = []
        self.delay = 0.0

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        for recipient in envelope.rcpt_tos:
            self.deliveries.append(
                (recipient, message["Message-ID"], str(message["Subject"]), time.monotonic())
            )
        return "250 Message accepted for delivery"

    def ids(self):
        return [message_id for _, message_id, _, _ in self.deliveries]


class SMTPServer:
    def __init__(self, inbox):
        self.inbox = inbox
        self.port = free_port()
        self.controller = None

    def start(self):
        from aiosmtpd.controller import Controller

        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


class CeleryProcess:
    """`celery -A tasks worker` (or beat) in its own process group, so it can be SIGKILLed."""

    def __init__(self, arguments, env, log_path, ready_text):
        self.arguments = arguments
        self.env = env
        self.log_path = log_path
        self.ready_text = ready_text
        self.process = None

    def start(self):
        self.log = self.log_path.open("ab")
        start = self.log_path.stat().st_size
        self.process = subprocess.Popen(
            [str(BIN / "celery"), "-A", "tasks", *self.arguments],
            cwd=ROOT,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

        def ready():
            if self.process.poll() is not None:
                pytest.fail(f"celery exited early:\n{self.log_path.read_text()[-3000:]}")
            with self.log_path.open("rb") as stream:
                stream.seek(start)
                return self.ready_text in stream.read()

        wait_for(ready, 60, f"celery {self.arguments[0]} to be ready")

    def kill(self):
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)
        self.log.close()

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


class Stack:
    """Everything one module of real-service tests shares."""

    def __init__(self, app, world, tokens, inbox, smtp, redis, worker):
        self.app = app
        self.world = world
        self.tokens = tokens
        self.inbox = inbox
        self.smtp = smtp
        self.redis = redis
        self.worker = worker
        self.client = app.test_client()

    def call(self, username, method, url, body=None):
        headers = {"Authorization": f"Bearer {self.tokens[username]}"}
        response = self.client.open(url, method=method, json=body, headers=headers)
        return response

    def nominate(self, cell="K1", target="district", **fields):
        body = {
            "campaign_id": self.world.campaign.id,
            "kind": "individual",
            "nominee_name": "Nguyễn Văn An",
            "title": "Hiến đất làm đường",
            "field": "Nông thôn mới",
            "summary": "Tóm tắt",
            "achievements": "Hiến 300 m² đất",
            "target_level": target,
            **fields,
        }
        response = self.call(f"sec_{cell.lower()}", "POST", "/api/v1/nominations", body)
        assert response.status_code == 201, response.json
        return response.json

    def act(self, username, nomination, action, comment=None):
        response = self.call(
            username,
            "POST",
            f"/api/v1/nominations/{nomination['id']}/actions/{action}",
            {"version": nomination["version"], "comment": comment},
        )
        assert response.status_code == 200, response.json
        nomination.update(response.json)
        return nomination

    def rows(self, nomination_ids=None, notice=None):
        with self.app.app_context():
            query = sa.select(OutboxMessage).order_by(OutboxMessage.id)
            if nomination_ids is not None:
                query = query.where(OutboxMessage.nomination_id.in_(nomination_ids))
            if notice is not None:
                query = query.where(OutboxMessage.notice == notice)
            return db.session.scalars(query).all()  # closed, not expired, with the context

    def message_ids(self, rows):
        return {mail.message_id(row.key, MAIL_FROM): row for row in rows}

    def settle(self, rows, timeout=60):
        """Wait until every expected message arrived and every row says sent."""
        expected = self.message_ids(rows)
        wait_for(
            lambda: set(expected) <= set(self.inbox.ids()),
            timeout,
            f"{len(expected)} messages to arrive",
        )
        ids = [row.id for row in rows]
        wait_for(
            lambda: all(row.status == "sent" for row in self.rows() if row.id in ids),
            timeout,
            "the rows to be marked sent",
        )
        time.sleep(1.5)  # long enough for a duplicate to show up, if one were coming
        return expected


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    base = tmp_path_factory.mktemp("real")
    target = sa.make_url(normalise_url(TEST_DATABASE_URL))
    # Beside the suite's own database, named after it: two checkouts can test side by side.
    target = target.set(database=f"{target.database}_tasks")
    database_url = target.render_as_string(hide_password=False)
    _fresh_postgres(database_url)

    redis = RedisServer(base)
    redis.start()
    inbox = Inbox()
    smtp = SMTPServer(inbox)
    smtp.start()
    env = {
        **os.environ,
        "COMMEND_ENV": "development",
        "SECRET_KEY": secrets.token_hex(32),  # the workers start only with one, as in production
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": redis.url,
        "SMTP_URL": f"smtp://127.0.0.1:{smtp.port}",
        "MAIL_FROM": MAIL_FROM,
        "COMMEND_INSTANCE_PATH": str(base / "instance"),
        "LISTS_DIR": str(base / "lists"),
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("FLASK_DEBUG", None)
    subprocess.run(
        [str(BIN / "flask"), "--app", "web", "db", "upgrade"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    app = create_app(
        {
            "ENVIRONMENT": "testing",
            "SECRET_KEY": "test",
            "DATABASE_URL": database_url,
            "CELERY_BROKER_URL": redis.url,
            "SMTP_URL": env["SMTP_URL"],
            "MAIL_FROM": MAIL_FROM,
            "LISTS_DIR": env["LISTS_DIR"],
            "OUTBOX_DISPATCH_ON_COMMIT": True,
        }
    )
    context = app.app_context()
    context.push()
    world = World(db.session)
    world.add_user("adm_d2", "admin", "D2")
    db.session.flush()
    tokens = {
        username: accounts.issue_token(db.session, user, hours=2)[0]
        for username, user in world.users.items()
    }
    db.session.commit()

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
            "real@localhost",
        ],
        env,
        base / "worker.log",
        b"ready.",
    )
    beat = CeleryProcess(
        ["beat", "--loglevel=INFO", "--schedule", str(base / "beat-schedule"), "--pidfile="],
        env,
        base / "beat.log",
        b"beat: Starting",
    )
    worker.start()
    beat.start()
    yield Stack(app, world, tokens, inbox, smtp, redis, worker)
    beat.stop()
    worker.stop()
    db.session.rollback()
    context.pop()
    app.extensions["celery"].close()
    app.extensions["database"].engine.dispose()
    smtp.stop()
    redis.stop()


@pytest.fixture
def real(stack):
    stack.inbox.deliveries.clear()
    stack.inbox.delay = 0.0
    yield stack
    if stack.smtp.controller is None:
        stack.smtp.start()
    if stack.redis.process is None:
        stack.redis.start()


def test_each_event_reaches_exactly_its_recipients_once(real):
    walked = real.nominate(nominee_email="nguyen.van.an@tienluong.vn")
    for username, action, comment in (
        ("sec_k1", "submit", None),
        ("rev_c1", "return", "Bổ sung minh chứng"),
        ("sec_k1", "resubmit", None),
        ("rev_c1", "approve", None),
        ("rev_d1", "approve", None),
    ):
        real.act(username, walked, action, comment)
    withdrawn = real.act("sec_k3", real.nominate(cell="K3"), "submit")
    real.act("sec_k3", withdrawn, "withdraw")
    rejected = real.act("sec_kd", real.nominate(cell="KD"), "submit")
    real.act("rev_d1", rejected, "reject", "Chưa đủ tiêu chuẩn")

    rows = real.rows([walked["id"], withdrawn["id"], rejected["id"]])
    expected = real.settle(rows)
    received = collections.Counter(
        (expected[message_id].notice, recipient)
        for recipient, message_id, _, _ in real.inbox.deliveries
    )
    assert received == collections.Counter(
        {
            ("submitted", "rev_c1@example.org"): 1,
            ("returned", "sec_k1@example.org"): 1,
            ("resubmitted", "rev_c1@example.org"): 1,
            ("forwarded", "sec_k1@example.org"): 1,
            ("forwarded", "rev_d1@example.org"): 1,
            ("commended", "sec_k1@example.org"): 1,
            ("commended", "nguyen.van.an@tienluong.vn"): 1,
            ("submitted", "rev_c2@example.org"): 1,
            ("withdrawn", "rev_c2@example.org"): 1,
            ("submitted", "rev_d1@example.org"): 1,
            ("rejected", "sec_kd@example.org"): 1,
        }
    )
    subjects = {subject for _, _, subject, _ in real.inbox.deliveries}
    assert "[Điển hình tiên tiến] Được công nhận điển hình tiên tiến: Nguyễn Văn An" in subjects


def test_a_worker_that_starts_queues_the_notices_a_dead_one_had_reserved(real):
    """A killed worker takes the messages it had reserved with it (Redis gives them back only
    after the visibility timeout, hours later). Their rows are pending and unclaimed, which the
    sweep leaves OUTBOX_SWEEP_GRACE_SECONDS (two minutes) to their hand-off; a worker that starts
    queues them at once."""
    grace = real.app.config["OUTBOX_SWEEP_GRACE_SECONDS"]
    real.worker.stop()
    try:
        nomination = real.nominate()
        real.act("sec_k1", nomination, "submit")
        rows = real.rows([nomination["id"]])
        assert [row.status for row in rows] == ["pending"]
        # Its message is gone, as one a killed worker had reserved.
        assert real.app.extensions["celery"].control.purge() >= 1
    finally:
        real.worker.start()
    started = time.monotonic()
    real.settle(rows, timeout=grace / 4)
    assert time.monotonic() - started < grace / 4


def recovered(fault, rows, came_back, received):
    """Check and record one recovery: every row delivered within the limit, the time from the
    service's return to the last delivery, and the copies of notices in flight at the fault."""
    seconds = max(at for _, _, _, at in received) - came_back
    copies = sum(count - 1 for count in collections.Counter(m for _, m, _, _ in received).values())
    if RECOVERY_REPORT:
        with open(RECOVERY_REPORT, "a", encoding="utf-8") as report:
            entry = {"fault": fault, "delivered": len(rows), "seconds": round(seconds, 1)}
            report.write(json.dumps({**entry, "copies": copies}) + "\n")
    assert seconds <= RECOVERY_LIMIT_SECONDS, f"{fault}: {seconds:.0f}s to recover"
    return seconds, copies


def test_smtp_down_then_back_every_notice_arrives_within_a_minute(real):
    real.smtp.stop()
    drafts = [real.nominate(cell=("K1", "K2")[index % 2]) for index in range(10)]
    for draft in drafts:
        real.act(f"sec_{draft['cell']['code'].lower()}", draft, "submit")
    ids = [draft["id"] for draft in drafts]
    wait_for(
        lambda: all(row.attempts >= 1 and row.server_down for row in real.rows(ids)),
        60,
        "every notice to fail its first try while SMTP is down",
    )
    rows = real.rows(ids)
    assert all(row.status == "pending" and row.last_error for row in rows)
    assert real.inbox.deliveries == []
    time.sleep(3)  # well inside the 30 s back-off
    real.smtp.start()
    came_back = time.monotonic()
    expected = real.settle(rows, timeout=RECOVERY_LIMIT_SECONDS + 10)
    assert sorted(real.inbox.ids()) == sorted(expected)
    recovered("SMTP stopped, then started", rows, came_back, real.inbox.deliveries)


def test_redis_down_actions_succeed_and_notices_arrive_within_a_minute(real):
    drafts = [real.nominate(cell=("K1", "K2")[index % 2]) for index in range(10)]
    real.redis.stop()
    started = time.monotonic()
    for draft in drafts:
        real.act(f"sec_{draft['cell']['code'].lower()}", draft, "submit")  # 200 while it is down
    assert time.monotonic() - started < 60
    rows = real.rows([draft["id"] for draft in drafts])
    assert {row.status for row in rows} == {"pending"}
    # The failed hand-off is known: each row is due at once, not after the sweep's grace.
    assert all(row.next_attempt_at is not None for row in rows)
    time.sleep(1)
    assert real.inbox.deliveries == []
    real.redis.start()
    came_back = time.monotonic()
    expected = real.settle(rows, timeout=RECOVERY_LIMIT_SECONDS + 10)
    assert sorted(real.inbox.ids()) == sorted(expected)
    recovered(
        "Redis stopped while 10 actions are taken, then started",
        rows,
        came_back,
        real.inbox.deliveries,
    )


def test_list_files_hold_exactly_the_right_rows(real, tmp_path):
    world = real.world
    today = services.today()
    world.campaign = services.create_campaign(  # a campaign of its own: only these rows count
        db.session,
        world.users["adm_p"],
        world.units["P"],
        name="Đợt biểu dương điển hình tiên tiến 2026",
        year=today.year,
        submission_deadline=today + dt.timedelta(days=30),
        review_deadlines={},
    )
    expected_names = build_campaign(world)
    db.session.commit()
    made = real.call(
        "rev_d1", "POST", f"/api/v1/campaigns/{real.world.campaign.id}/lists", {"unit_code": "D1"}
    )
    assert made.status_code == 202, made.json
    assert made.json["status"] in ("pending", "running", "done")

    def finished():
        shown = real.call("rev_d1", "GET", f"/api/v1/lists/{made.json['id']}").json
        return shown if shown["status"] in ("done", "failed") else None

    shown = wait_for(finished, 60, "the list to be written")
    assert shown["status"] == "done", shown
    assert shown["count"] == 3
    downloads = {}
    for file_format, url in shown["files"].items():
        with real.call("adm_p", "GET", url) as download:
            assert download.status_code == 200
            downloads[file_format] = download.data
    check_xlsx(downloads["xlsx"], expected_names)
    check_csv(downloads["csv"], expected_names)
    text = pdf_text(downloads["pdf"], tmp_path)
    if text is None:
        service_missing("pdftotext (poppler-utils) is not installed")
    check_pdf(text, shown["number"])
    ready = real.rows(notice="list_ready")
    # The requester, and the secretaries of the cells whose nominations are on the list.
    assert sorted(row.recipient_email for row in ready) == [
        "rev_d1@example.org",
        "sec_k1@example.org",
        "sec_k3@example.org",
        "sec_kd@example.org",
    ]
    real.settle(ready)


def test_a_worker_killed_mid_burst_loses_no_notice_and_recovers_within_a_minute(real):
    real.inbox.delay = 0.25  # a slow relay keeps the burst in flight
    cells = ("K1", "K2", "K3", "KD")
    drafts = [real.nominate(cell=cells[index % 4]) for index in range(120)]
    real.inbox.deliveries.clear()
    for draft in drafts:
        real.act(f"sec_{draft['cell']['code'].lower()}", draft, "submit")
    rows = real.rows([draft["id"] for draft in drafts])
    assert len(rows) == 120
    wait_for(lambda: len(real.inbox.deliveries) >= 2, 30, "the burst to start arriving")
    real.worker.kill()
    in_flight = {
        row.id for row in real.rows([draft["id"] for draft in drafts]) if row.status == "sending"
    }
    assert len(set(real.inbox.ids())) < 120, "the burst ended before the kill; nothing was tested"
    real.inbox.delay = 0.0
    real.worker.start()
    came_back = time.monotonic()
    expected = real.settle(rows, timeout=RECOVERY_LIMIT_SECONDS + 10)
    received = collections.Counter(real.inbox.ids())
    assert set(received) == set(expected)
    # A message the relay accepted just before the kill may come again, recognisably: with the
    # same Message-ID, to the same recipient; nothing else comes twice.
    for message_id, count in received.items():
        recipients = {to for to, seen, _, _ in real.inbox.deliveries if seen == message_id}
        assert recipients == {expected[message_id].recipient_email}
        if count > 1:
            assert (count, expected[message_id].id in in_flight) == (2, True), message_id
    recovered(
        "the worker SIGKILLed mid-burst of 120, then restarted",
        rows,
        came_back,
        real.inbox.deliveries,
    )


def test_daily_digest_reaches_each_reviewer_once_a_day(real):
    world = real.world
    today = services.today()
    campaign = services.create_campaign(
        db.session,
        world.users["adm_p"],
        world.units["P"],
        name="Đợt gấp rút 2026",
        year=today.year,
        submission_deadline=today + dt.timedelta(days=1),
        review_deadlines={"commune": today + dt.timedelta(days=2)},
    )
    db.session.commit()
    draft = real.nominate(cell="K2", campaign_id=campaign.id, nominee_name="Trịnh Thị Hạn")
    real.act("sec_k2", draft, "submit")
    digests = real.app.extensions["celery"].tasks["commend.deadline_digests"]
    assert digests.apply_async(ignore_result=False).get(timeout=30) == 1
    assert digests.apply_async(ignore_result=False).get(timeout=30) == 0  # once a day
    rows = real.rows(notice="deadline_digest")
    assert [row.recipient_email for row in rows] == ["rev_c1@example.org"]
    expected = real.settle([*rows, *real.rows([draft["id"]])])
    digest_id = next(message_id for message_id, row in expected.items() if row in rows)
    deliveries = [entry for entry in real.inbox.deliveries if entry[1] == digest_id]
    assert len(deliveries) == 1
    recipient, _, subject, _ = deliveries[0]
    assert recipient == "rev_c1@example.org"
    assert subject.startswith(f"[Điển hình tiên tiến] Nhắc hạn xét duyệt ngày {today:%d/%m/%Y}")
