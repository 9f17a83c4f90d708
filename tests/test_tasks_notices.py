"""Notices in-process: recipients, templates, Message-IDs, claiming, back-off, resend, digests."""

import contextlib
import datetime as dt
import email
import email.policy
import threading

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from conftest import World, free_port, read_mail
from sqlalchemy import select
from sqlalchemy.orm import Session

from tasks import mail, notices
from tasks import outbox as outbox_tasks
from workflow import glossary, outbox, services
from workflow.models import OutboxMessage, utcnow


@pytest.fixture(autouse=True)
def _app_context(app):
    """Rendering, sending and the after-commit hand-off all work inside the app context."""
    with app.app_context():
        yield


def rows_of(session, nomination):
    return session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.nomination_id == nomination.id)
        .order_by(OutboxMessage.id)
    ).all()


def sent_to(session, nomination, seen):
    """(notice, recipient) of the rows written since the `seen` ids."""
    fresh = [row for row in rows_of(session, nomination) if row.id not in seen]
    seen.update(row.id for row in fresh)
    return sorted((row.notice, row.recipient_email) for row in fresh)


def test_each_event_goes_to_the_recipients_api_md_names(world, db_session):
    seen = set()
    nomination = world.nominate(target="district", nominee_email="an@example.org")
    steps = [
        ("sec_k1", "submit", [("submitted", "rev_c1@example.org")]),
        ("rev_c1", "return", [("returned", "sec_k1@example.org")]),
        ("sec_k1", "resubmit", [("resubmitted", "rev_c1@example.org")]),
        (
            "rev_c1",
            "approve",
            [("forwarded", "rev_d1@example.org"), ("forwarded", "sec_k1@example.org")],
        ),
        (
            "rev_d1",
            "approve",
            [("commended", "an@example.org"), ("commended", "sec_k1@example.org")],
        ),
    ]
    for username, action, expected in steps:
        world.act(nomination, username, action)
        assert sent_to(db_session, nomination, seen) == expected, action

    withdrawn = world.nominate(cell="K3")
    world.act(withdrawn, "sec_k3", "submit")
    sent_to(db_session, withdrawn, seen)
    world.act(withdrawn, "sec_k3", "withdraw")
    assert sent_to(db_session, withdrawn, seen) == [("withdrawn", "rev_c2@example.org")]

    rejected = world.nominate(cell="KD")
    world.act(rejected, "sec_kd", "submit")
    assert sent_to(db_session, rejected, seen) == [("submitted", "rev_d1@example.org")]
    world.act(rejected, "rev_d1", "reject", comment="Chưa đủ tiêu chuẩn")
    assert sent_to(db_session, rejected, seen) == [("rejected", "sec_kd@example.org")]


def _returned_row(world, db_session, comment):
    nomination = world.nominate(nominee_name="Trần Thị Bình")
    world.act(nomination, "sec_k1", "submit")
    world.act(nomination, "rev_c1", "return", comment=comment)
    return nomination, rows_of(db_session, nomination)[-1]


def test_templates_name_nominee_state_unit_comment_and_link(app, world, db_session):
    nomination, row = _returned_row(world, db_session, "Bổ sung <minh chứng> về kết quả")
    subject, text, html = notices.render(row)
    assert "Trần Thị Bình" in subject
    assert "\n" not in subject
    for part in ("Trả lại để bổ sung", "Đảng ủy xã Tiên Lương", "Bổ sung <minh chứng>"):
        assert part in text
    link = f"{app.config['BASE_URL']}/nominations/{nomination.id}"
    assert link in text
    assert f'href="{link}"' in html
    assert "Bổ sung &lt;minh chứng&gt;" in html  # the comment is escaped in HTML
    assert "<minh" not in html

    row.language = "en"
    subject, text, html = notices.render(row)
    assert subject.startswith("[Exemplars] Nomination returned for revision: Trần Thị Bình")
    assert "New state: Returned for revision" in text
    assert "Acting unit: Đảng ủy xã Tiên Lương" in text


@pytest.mark.parametrize("language", ["vi", "en"])
@pytest.mark.parametrize(
    "notice",
    ["submitted", "resubmitted", "forwarded", "returned", "rejected", "commended", "withdrawn"],
)
def test_every_nomination_notice_renders_in_both_languages(world, db_session, notice, language):
    nomination, row = _returned_row(world, db_session, "Ý kiến")
    row.notice = notice
    row.language = language
    row.context = {**row.context, "to_state": "commended", "recognized_level": "district"}
    subject, text, html = notices.render(row)
    assert "Trần Thị Bình" in subject
    assert f"{glossary.name('states', 'commended', language)} –" in text  # the glossary's word
    assert f"/nominations/{nomination.id}" in html


def test_message_id_is_derived_from_the_row_key(app, world, db_session):
    _, row = _returned_row(world, db_session, "Ý kiến")
    first = notices.build_message(row)
    again = notices.build_message(row)
    assert first["Message-ID"] == again["Message-ID"]
    assert first["Message-ID"] == mail.message_id(row.key, app.config["MAIL_FROM"])
    assert first["Message-ID"].endswith("@commend.local>")
    other = mail.message_id(row.key + "x", app.config["MAIL_FROM"])
    assert other != first["Message-ID"]
    assert first["To"] == "sec_k1@example.org"
    assert first["Content-Language"] == "vi"


def test_a_row_is_claimed_once_and_marked_sent_only_by_its_lease(world, db_session):
    _, row = _returned_row(world, db_session, "Ý kiến")
    assert outbox.claim(db_session, [row.id], lease_token="first")
    assert not outbox.claim(db_session, [row.id], lease_token="second")
    db_session.refresh(row)
    assert (row.status, row.attempts) == ("sending", 0)  # an attempt counts once tried
    assert not outbox.mark_sent(db_session, [row.id], lease_token="second")
    assert outbox.mark_sent(db_session, [row.id], lease_token="first")
    assert not outbox.claim(db_session, [row.id], lease_token="third")


def test_an_ended_lease_frees_the_row_and_its_old_holder_cannot_mark_it(world, db_session):
    _, row = _returned_row(world, db_session, "Ý kiến")
    long_ago = utcnow() - dt.timedelta(seconds=31)
    assert outbox.claim(db_session, [row.id], lease_token="dead", now=long_ago)
    assert outbox.release_expired_leases(db_session, lease=30) == 1
    db_session.refresh(row)
    assert (row.status, row.lease_token) == ("pending", None)
    assert row.id in outbox.due_ids(db_session, grace=120)  # due at once, no grace
    assert outbox.claim(db_session, [row.id], lease_token="alive")
    assert not outbox.mark_sent(db_session, [row.id], lease_token="dead")
    assert outbox.mark_sent(db_session, [row.id], lease_token="alive")


def test_a_failed_hand_off_makes_the_row_due_at_once(world, db_session):
    _, row = _returned_row(world, db_session, "Ý kiến")
    assert row.id not in outbox.due_ids(db_session, grace=120)
    assert outbox.mark_handoff_failed(db_session, [row.id]) == 1
    assert row.id in outbox.due_ids(db_session, grace=120)


def test_back_off_doubles_up_to_the_cap():
    delays = [outbox.retry_delay(attempt, base=30, cap=600) for attempt in range(1, 8)]
    assert delays == [30, 60, 120, 240, 480, 600, 600]


def test_commit_hands_rows_to_the_sender_and_rollback_does_not(world, db_session, dispatching):
    nomination = world.nominate()
    db_session.commit()
    world.act(nomination, "sec_k1", "submit")
    db_session.rollback()
    assert not dispatching.exists() or not list(dispatching.glob("*.eml"))

    nomination = db_session.get(type(nomination), nomination.id)
    world.act(nomination, "sec_k1", "submit")
    db_session.commit()
    messages = read_mail(dispatching)
    assert [message["To"] for message in messages] == ["rev_c1@example.org"]
    assert "Nguyễn Văn An" in messages[0]["Subject"]
    row = rows_of(db_session, nomination)[-1]
    db_session.refresh(row)
    assert (row.status, row.attempts) == ("sent", 1)
    assert row.sent_at is not None


def test_smtp_down_backs_off_then_fails_and_admin_resends(
    app, client, world, db_session, dispatching, auth, monkeypatch
):
    monkeypatch.setitem(app.config, "SMTP_URL", f"smtp://127.0.0.1:{free_port()}")
    monkeypatch.setitem(app.config, "OUTBOX_MAX_ATTEMPTS", 2)
    world.add_user("adm_d2", "admin", "D2")
    nomination = world.nominate()
    world.act(nomination, "sec_k1", "submit")
    db_session.commit()
    row = rows_of(db_session, nomination)[-1]
    db_session.refresh(row)
    assert (row.status, row.attempts) == ("pending", 1)
    assert "ConnectionRefusedError" in row.last_error
    assert row.server_down
    assert row.next_attempt_at > utcnow()
    # the sweep waits for the back-off to end
    assert row.id not in outbox.due_ids(db_session, grace=0)
    assert row.id in outbox.due_ids(db_session, grace=0, now=row.next_attempt_at)

    send = app.extensions["celery"].tasks[outbox_tasks.SEND]
    assert send.delay([row.id]).get() == ["failed"]
    db_session.refresh(row)
    assert (row.status, row.attempts) == ("failed", 2)

    failed = client.get("/api/v1/outbox?status=failed", headers=auth("adm_p"))
    assert failed.status_code == 200
    assert [item["id"] for item in failed.json["items"]] == [row.id]
    assert client.get("/api/v1/outbox", headers=auth("rev_c1")).status_code == 403
    assert client.get("/api/v1/outbox?status=lost", headers=auth("adm_p")).status_code == 422
    assert client.post(f"/api/v1/outbox/{row.id}/resend", headers=auth("adm_d2")).status_code == (
        404
    )
    assert client.post(f"/api/v1/outbox/{row.id}/resend", headers=auth("rev_c1")).status_code == (
        403
    )

    monkeypatch.setitem(app.config, "SMTP_URL", None)  # the relay is back
    resent = client.post(f"/api/v1/outbox/{row.id}/resend", headers=auth("adm_p"))
    assert resent.status_code == 200, resent.json
    db_session.refresh(row)
    assert (row.status, row.attempts) == ("sent", 1)
    assert [message["To"] for message in read_mail(dispatching)] == ["rev_c1@example.org"]
    again = client.post(f"/api/v1/outbox/{row.id}/resend", headers=auth("adm_p"))
    assert again.status_code == 409


def test_sweep_frees_stale_claims_and_sends_them(app, world, db_session, dispatching):
    nomination = world.nominate()
    world.act(nomination, "sec_k1", "submit")
    row = rows_of(db_session, nomination)[-1]
    assert outbox.claim(
        db_session, [row.id], lease_token="dead", now=utcnow() - dt.timedelta(hours=1)
    )
    db_session.commit()
    sweep = app.extensions["celery"].tasks[outbox_tasks.SWEEP]
    app.config["OUTBOX_SWEEP_GRACE_SECONDS"], saved = 0, app.config["OUTBOX_SWEEP_GRACE_SECONDS"]
    try:
        assert sweep.delay().get() == 1
    finally:
        app.config["OUTBOX_SWEEP_GRACE_SECONDS"] = saved
    db_session.refresh(row)
    assert (row.status, row.attempts) == ("sent", 1)  # the dead worker never tried it
    assert len(read_mail(dispatching)) == 1


def test_broker_down_the_action_still_succeeds(app, client, world, auth, monkeypatch):
    conf = app.extensions["celery"].conf
    monkeypatch.setitem(app.config, "OUTBOX_DISPATCH_ON_COMMIT", True)
    monkeypatch.setitem(conf, "task_always_eager", False)
    monkeypatch.setitem(conf, "broker_url", f"redis://127.0.0.1:{free_port()}/0")
    nomination = world.nominate()
    response = client.post(
        f"/api/v1/nominations/{nomination.id}/actions/submit",
        json={"version": nomination.version},
        headers=auth("sec_k1"),
    )
    assert response.status_code == 200, response.json
    assert response.json["state"] == "commune_review"
    rows = rows_of(world.session, nomination)
    assert [(row.status, row.attempts) for row in rows] == [("pending", 0)]


def test_daily_digest_once_per_reviewer_for_items_near_or_past_deadline(app, world, db_session):
    today = services.today()
    world.campaign.commune_review_deadline = today + dt.timedelta(days=3)
    world.campaign.district_review_deadline = today + dt.timedelta(days=10)
    near = world.nominate(nominee_name="Lê Văn Gần")
    world.act(near, "sec_k1", "submit")  # pending at C1: deadline in 3 days
    far = world.nominate(cell="KD", nominee_name="Hà Thị Xa")
    world.act(far, "sec_kd", "submit")  # pending at D1: deadline in 10 days
    english = world.add_user("rev_c1_en", "reviewer", "C1")
    english.language = "en"
    db_session.flush()

    written = outbox.deadline_digests(db_session, on=today)
    assert sorted(row.recipient_email for row in written) == [
        "rev_c1@example.org",
        "rev_c1_en@example.org",
    ]
    assert outbox.deadline_digests(db_session, on=today) == []  # idempotent for the day
    vi_row = next(row for row in written if row.language == "vi")
    subject, text, _ = notices.render(vi_row)
    assert today.strftime("%d/%m/%Y") in subject
    assert "Lê Văn Gần" in text
    assert "Hà Thị Xa" not in text
    en_row = next(row for row in written if row.language == "en")
    subject, text, _ = notices.render(en_row)
    assert subject.startswith("[Exemplars] Review deadline reminder")

    later = today + dt.timedelta(days=8)  # the district deadline is now 2 days away
    assert {row.recipient_email for row in outbox.deadline_digests(db_session, on=later)} == {
        "rev_c1@example.org",
        "rev_c1_en@example.org",
        "rev_d1@example.org",
    }


def test_smtp_url_choices():
    plain = mail.SMTPBackend("smtp://127.0.0.1:2525")
    assert (plain.host, plain.port, plain.starttls, plain.username) == (
        "127.0.0.1",
        2525,
        False,
        None,
    )
    tls = mail.SMTPBackend("smtp://user%40x:p%3Ass@relay.example:587?starttls=1")
    assert (tls.username, tls.password, tls.starttls) == ("user@x", "p:ss", True)
    assert mail.SMTPBackend("smtps://u:p@relay.example").port == 465
    with pytest.raises(mail.MailConfigError):
        mail.SMTPBackend("smtp://u:p@relay.example:25")
    with pytest.raises(mail.MailConfigError):
        mail.SMTPBackend("http://relay.example")


def test_every_notice_has_its_templates_in_both_languages(app):
    for notice in notices.CONTEXTS:
        for language in notices.LABELS:
            for part in ("subject.txt", "body.txt", "body.html"):
                name = f"email/{notice}/{language}/{part}"
                assert app.jinja_env.get_template(name), name
    assert set(notices.CONTEXTS) >= {
        "submitted",
        "resubmitted",
        "forwarded",
        "returned",
        "rejected",
        "commended",
        "withdrawn",
        "deadline_digest",
        "list_ready",
        "set_password",
    }


def test_list_ready_notice_in_english(app):
    row = OutboxMessage(
        key="list_ready-7-a@b.vn",
        notice="list_ready",
        recipient_email="a@b.vn",
        language="en",
        context={
            "list_id": 7,
            "number": "03-DS/HU",
            "unit": "Huyện ủy Cẩm Khê",
            "campaign": "Đợt 2026",
            "level": "district",
            "count": 12,
        },
    )
    with app.app_context():
        subject, text, html = notices.render(row)
    assert subject == "[Exemplars] List no. 03-DS/HU of Huyện ủy Cẩm Khê is ready"
    assert "at district level" in text
    assert 'href="http://127.0.0.1:5000/lists/7"' in html  # the list's page, not the API


def test_cli_runs_the_periodic_jobs_without_beat(app, world, db_session, dispatching):
    today = services.today()
    world.campaign.commune_review_deadline = today
    nomination = world.nominate()
    world.act(nomination, "sec_k1", "submit")
    db_session.commit()  # the submitted notice is sent at once (in-process)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["deadline-digests", "--on", today.isoformat()])
    assert result.exit_code == 0, result.output
    assert "1 digest(s) written" in result.output
    assert "0 digest(s)" in runner.invoke(args=["deadline-digests"]).output
    subjects = sorted(str(message["Subject"]) for message in read_mail(dispatching))
    assert subjects[0].startswith("[Điển hình tiên tiến] Hồ sơ mới chờ xét duyệt")
    assert subjects[1].startswith("[Điển hình tiên tiến] Nhắc hạn xét duyệt")
    bad = runner.invoke(args=["deadline-digests", "--on", "21/11/2026"])
    assert bad.exit_code == 2
    assert "0 waiting item(s)" in runner.invoke(args=["outbox-sweep"]).output


def test_smtp_backend_logs_in_when_the_url_names_a_user():
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    received = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            received.append((session.authenticated, envelope.rcpt_tos, envelope.content))
            return "250 OK"

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (auth_data.login, auth_data.password) == (b"thu.ky@tienluong.vn", b"p@ss:w0rd")
        return AuthResult(success=ok)

    port = free_port()
    controller = Controller(
        Handler(),
        hostname="127.0.0.1",
        port=port,
        authenticator=authenticator,
        auth_require_tls=False,  # the test proves the login; TLS is the relay's business
    )
    controller.start()
    try:
        message = mail.build(
            key="submitted-9-rev@example.org",
            mail_from="commend <no-reply@commend.local>",
            to="rev@example.org",
            subject="Hồ sơ mới",
            text="Nội dung",
            html="<p>Nội dung</p>",
            language="vi",
            date=utcnow(),
        )
        user = "smtp://thu.ky%40tienluong.vn:p%40ss%3Aw0rd"
        mail.SMTPBackend(f"{user}@127.0.0.1:{port}?starttls=0").send(message)
        assert [(ok, to) for ok, to, _ in received] == [(True, ["rev@example.org"])]
        with pytest.raises(mail.MailConfigError):  # smtplib logs in with ASCII only
            mail.SMTPBackend(f"smtp://thu.ky:m%E1%BA%ADt@127.0.0.1:{port}?starttls=0")
    finally:
        controller.stop()


def test_concurrent_workers_claim_a_row_exactly_once(committed):

    with Session(committed, expire_on_commit=False) as session:
        world = World(session)
        nomination = world.nominate()
        world.act(nomination, "sec_k1", "submit")
        session.commit()
        row_id = rows_of(session, nomination)[-1].id

    barrier = threading.Barrier(6)
    outcomes = []

    def worker():
        with Session(committed) as session:
            barrier.wait()
            claimed = bool(outbox.claim(session, [row_id], lease_token=f"worker-{id(session)}"))
            session.commit()
            outcomes.append(claimed)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes) == [False] * 5 + [True]
    with Session(committed) as session:
        row = session.get(OutboxMessage, row_id)
        assert (row.status, row.attempts) == ("sending", 0)  # an attempt counts once tried


def three_notices(committed):
    """Three pending notices, committed: their ids."""
    with Session(committed, expire_on_commit=False) as session:
        world = World(session)
        for cell in ("K1", "K2", "K3"):
            world.act(world.nominate(cell=cell), f"sec_{cell.lower()}", "submit")
        session.commit()
        return session.scalars(select(OutboxMessage.id).order_by(OutboxMessage.id)).all()


class Relay:
    """A mail server that accepts everything and calls `on_send` with each message."""

    def __init__(self, on_send):
        self.on_send = on_send

    @contextlib.contextmanager
    def session(self):
        yield self.on_send


def test_each_send_is_recorded_before_the_next_one_starts(committed, monkeypatch):
    """A worker killed mid-batch sends none of the batch's earlier notices again: each row is
    marked sent, and committed, before the mail server is handed the next."""
    ids = three_notices(committed)
    sent_before = []

    def send(message):
        with Session(committed) as other:  # what another worker would see now
            sent = select(OutboxMessage.id).where(OutboxMessage.status == "sent")
            sent_before.append(sorted(other.scalars(sent)))

    monkeypatch.setattr(mail, "backend_for", lambda config, instance_path: Relay(send))
    assert outbox_tasks.send_notices(None, ids) == ["sent"] * 3
    assert sent_before == [[], ids[:1], ids[:2]]


def test_out_of_time_while_recording_a_send_hands_it_and_the_rest_back(committed, monkeypatch):
    ids = three_notices(committed)
    marked = outbox.mark_sent

    def mark_sent(session, message_ids, **lease):
        if message_ids == ids[1:2]:
            raise SoftTimeLimitExceeded()
        return marked(session, message_ids, **lease)

    monkeypatch.setattr(mail, "backend_for", lambda config, instance_path: Relay(lambda m: None))
    monkeypatch.setattr(outbox, "mark_sent", mark_sent)
    with pytest.raises(SoftTimeLimitExceeded):
        outbox_tasks.send_notices(None, ids)
    with Session(committed) as session:
        rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        # Sent, then due at the next sweep: the one in flight (which may arrive twice) and the
        # one not tried.
        assert [(row.status, row.lease_token) for row in rows] == [
            ("sent", None),
            ("pending", None),
            ("pending", None),
        ]
        assert rows[1].next_attempt_at is not None


@pytest.mark.parametrize(
    "nominee",
    [
        "Hội Cựu chiến binh xã Tiên Lương",
        "Chi hội Phụ nữ thôn Đồng Hội, xã Tiên Lương, huyện Cẩm Khê",
    ],
)
@pytest.mark.parametrize("language", ["vi", "en"])
@pytest.mark.parametrize(
    "notice",
    ["submitted", "resubmitted", "forwarded", "returned", "rejected", "commended", "withdrawn"],
)
def test_subjects_survive_the_wire_word_for_word(world, db_session, notice, language, nominee):
    _, row = _returned_row(world, db_session, "Ý kiến")
    row.notice, row.language = notice, language
    row.context = {**row.context, "nominee_name": nominee, "recognized_level": "district"}
    subject, _, _ = notices.render(row)
    message = notices.build_message(row)
    # What smtplib's send_message writes: the message's own policy, with CRLF line ends.
    wire = message.as_bytes(policy=message.policy.clone(linesep="\r\n"))
    received = email.message_from_bytes(wire, policy=email.policy.default)
    assert received["Subject"] == subject
    assert nominee in received["Subject"]


def test_the_sweep_sends_as_soon_as_the_mail_server_answers_again(
    app, world, db_session, dispatching, monkeypatch
):
    """A row backing off because the server was down does not wait out its back-off."""
    from aiosmtpd.controller import Controller

    port = free_port()
    monkeypatch.setitem(app.config, "SMTP_URL", f"smtp://127.0.0.1:{port}")
    nomination = world.nominate()
    world.act(nomination, "sec_k1", "submit")
    db_session.commit()
    row = rows_of(db_session, nomination)[-1]
    db_session.refresh(row)
    assert (row.status, row.server_down) == ("pending", True)
    assert row.next_attempt_at > utcnow() + dt.timedelta(seconds=20)
    sweep = app.extensions["celery"].tasks[outbox_tasks.SWEEP]
    assert sweep.delay().get() == 0  # still down: the back-off holds

    received = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            received.append(envelope.rcpt_tos)
            return "250 OK"

    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        assert sweep.delay().get() == 1  # the server answers: the row is due and sent now
    finally:
        controller.stop()
    db_session.refresh(row)
    assert (row.status, row.attempts, row.server_down) == ("sent", 2, False)
    assert received == [["rev_c1@example.org"]]


@pytest.mark.parametrize(
    ("language", "written"), [("vi", "1.250 hồ sơ"), ("en", "1,250 nominations")]
)
def test_a_notice_writes_numbers_as_its_reader_does(app, language, written):
    row = OutboxMessage(
        key="digest-1",
        notice="deadline_digest",
        recipient_email="a@b.vn",
        language=language,
        context={"date": "2026-12-04", "unit": "Huyện ủy Cẩm Khê", "total": 1250, "overdue": 0},
    )
    row.context["items"] = []
    with app.app_context():
        subject, text, html = notices.render(row)
    for part in (subject, text, html):
        assert written in part
    assert "0 hồ sơ đã quá hạn" not in text  # none overdue: not said
    assert "0 overdue" not in text
