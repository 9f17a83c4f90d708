"""The embedded default (no broker): notices leave from a background thread of the web process,
never inside a request, and the thread keeps beat's schedule."""

import threading
import time

import pytest
from conftest import World, free_port
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from web import create_app
from workflow import accounts, outbox
from workflow.models import OutboxMessage, utcnow


class StallingInbox:
    """An SMTP handler that holds every message until released (at most `stall` seconds)."""

    def __init__(self, stall=5.0):
        self.release = threading.Event()
        self.stall = stall
        self.received = []
        self.arrived = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        import asyncio

        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, self.release.wait, self.stall)
        self.received.extend(envelope.rcpt_tos)
        self.arrived.set()
        return "250 OK"


@pytest.fixture
def embedded(database_url, committed, tmp_path):
    """An app as `make run` has it (no broker, the background thread), on committed data."""
    from aiosmtpd.controller import Controller

    inbox = StallingInbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    app = create_app(
        {
            "ENVIRONMENT": "testing",
            "DATABASE_URL": database_url,
            "HAND_OFF_THREAD": True,
            "OUTBOX_DISPATCH_ON_COMMIT": True,
            "SMTP_URL": f"smtp://127.0.0.1:{port}",
            "OUTBOX_SWEEP_SECONDS": 0.5,
        }
    )
    session = sessionmaker(bind=committed, expire_on_commit=False)()
    world = World(session)
    session.commit()
    yield app, world, inbox
    inbox.release.set()
    app.extensions["hand_off"].drain()  # the thread stops before its engine is disposed
    controller.stop()
    session.close()
    app.extensions["database"].engine.dispose()


def test_a_stalled_smtp_server_slows_no_request(embedded):
    app, world, inbox = embedded
    nomination = world.nominate()
    world.session.commit()
    token, _ = accounts.issue_token(world.session, world.users["sec_k1"], hours=1)
    world.session.commit()
    answer = app.test_client().post(
        f"/api/v1/nominations/{nomination.id}/actions/submit",
        json={"version": nomination.version},
        headers={"Authorization": f"Bearer {token}"},
    )
    # The request has answered while the SMTP server still holds the notice.
    assert answer.status_code == 200
    assert inbox.received == []
    inbox.release.set()
    assert inbox.arrived.wait(10)
    assert inbox.received == ["rev_c1@example.org"]


def test_the_thread_runs_the_sweep_on_its_schedule(embedded):
    app, world, inbox = embedded
    inbox.release.set()
    nomination = world.nominate()
    world.act(nomination, "sec_k1", "submit")
    world.session.commit()  # committed outside the app: no hand-off, as after a lost thread
    row = world.session.scalars(
        select(OutboxMessage).where(OutboxMessage.nomination_id == nomination.id)
    ).one()
    assert outbox.mark_handoff_failed(world.session, [row.id], now=utcnow()) == 1
    world.session.commit()
    with app.app_context():
        app.extensions["hand_off"].submit([])  # the first request starts the thread
    assert inbox.arrived.wait(10)  # the sweep found the row and sent it; nobody ran it by hand
    for _ in range(100):  # the server has it; the row is marked sent right after
        status = world.session.get(OutboxMessage, row.id, populate_existing=True).status
        world.session.rollback()  # SQLite: a transaction holds the write lock; let it go
        if status == "sent":
            break
        time.sleep(0.1)
    assert status == "sent"
