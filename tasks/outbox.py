"""Outbox dispatch: the after-commit hand-off, the send task with back-off, the sweep, digests."""

import datetime as dt
import logging
import secrets

from celery.exceptions import SoftTimeLimitExceeded
from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from tasks import mail, notices
from tasks.lists import GENERATE_LIST
from tasks.minutes import RENDER_MINUTES
from web import logs
from web.database import db
from workflow import accounts, committees, lists, minutes, outbox, services
from workflow.models import CommendationList, Meeting, OutboxMessage, utcnow

log = logging.getLogger(__name__)

SEND = "commend.send_notices"
SEND_BATCH = 20  # notices per message: one SMTP connection each, well inside the time limit
SWEEP = "commend.sweep"
DIGESTS = "commend.deadline_digests"


# The after-commit hook -----------------------------------------------------------------------


def _collect(session, flush_context):
    """Remember the outbox rows and lists that this transaction made through the ORM (or made
    pending again), and the meetings it closed, whose minutes are to be written; the hot path's
    rows are remembered by the service that wrote them."""
    for instance in (*session.new, *session.dirty):
        if isinstance(instance, OutboxMessage) and instance.status == "pending":
            outbox.remember_for_hand_off(session, "notice", [instance.id])
        elif isinstance(instance, CommendationList) and instance.status == "pending":
            outbox.remember_for_hand_off(session, "list", [instance.id])
        elif isinstance(instance, Meeting) and instance.status == "closed" and not instance.minutes:
            outbox.remember_for_hand_off(session, "minutes", [instance.id])


def _forget(session, previous_transaction):
    if previous_transaction.parent is None:  # the whole transaction, not a savepoint
        session.info.pop(outbox.PENDING_WORK, None)


def _hand_off(session):
    """After commit: hand the new rows to the workers. A broker that is down costs nothing but
    time: the rows stay pending, marked due, and the periodic sweep queues them once it is back."""
    if session.in_nested_transaction():
        return  # SQLAlchemy fires after_commit for a released savepoint too: not yet committed
    work = session.info.pop(outbox.PENDING_WORK, None)
    if not work or not has_app_context():
        return
    if not current_app.config["OUTBOX_DISPATCH_ON_COMMIT"]:
        return
    tasks = {"notice": SEND, "list": GENERATE_LIST, "minutes": RENDER_MINUTES}
    enqueue(sorted((tasks[kind], row_id) for kind, row_id in work), request_id=logs.request_id())


def enqueue(work, request_id=None):
    """Hand (task name, id) pairs to the workers: through the web process's hand-off thread
    (tasks/handoff.py) when it has one, so that no request waits for the broker; else now.
    `request_id` (the request that committed them) travels with them into the tasks' logs."""
    thread = current_app.extensions.get("hand_off")
    if thread is not None:
        thread.submit(work, request_id)
        return True
    request_ids = dict.fromkeys(work, request_id) if request_id else None
    return publish(current_app.extensions["celery"], work, request_ids)


def batches(work):
    """One message per batch of notices (sent over one SMTP connection), one per list."""
    notices_ = [object_id for name, object_id in work if name == SEND]
    for start in range(0, len(notices_), SEND_BATCH):
        yield SEND, notices_[start : start + SEND_BATCH]
    for name, object_id in work:
        if name != SEND:
            yield name, object_id


def publish(celery_app, work, request_ids=None):
    """Queue the work on the broker (or, without one, run it here). On a broker error, log,
    and mark the notices not handed off as due at once: the next sweep queues them as soon as
    the broker is back.

    `request_ids` maps (task name, id) pairs to the request that asked for them: each message
    carries the map of its ids in its headers (a batch of notices may serve several actions),
    and the task binds them to its log records (web/logs.py).
    """
    request_ids = request_ids or {}
    pending = list(batches(work))
    for position, (name, argument) in enumerate(pending):
        ids = argument if isinstance(argument, list) else [argument]
        asked = {str(i): request_ids[name, i] for i in ids if request_ids.get((name, i))}
        try:
            celery_app.tasks[name].apply_async(
                (argument,), headers={logs.TASK_HEADER: asked} if asked else None
            )
        except Exception:
            log.warning("could not queue %s(%s); the sweep will", name, argument, exc_info=True)
            _handoff_failed(
                [item for task, items in pending[position:] if task == SEND for item in items]
            )
            return False
    return True


def _handoff_failed(message_ids):
    # After commit the request's session cannot run SQL: a short transaction of its own.
    try:
        with db.engine.begin() as connection, Session(bind=connection) as session:
            outbox.mark_handoff_failed(session, message_ids)
    except Exception:  # the database too: the rows stay pending and the grace lets them wait
        log.warning("could not mark %d notices as not handed off", len(message_ids), exc_info=True)


def listen_for_commits():
    """Install the hook on every SQLAlchemy session (once; harmless when no app is bound)."""
    for name, function in (
        ("after_flush", _collect),
        ("after_soft_rollback", _forget),
        ("after_commit", _hand_off),
    ):
        if not event.contains(Session, name, function):
            event.listen(Session, name, function)


# The tasks -----------------------------------------------------------------------------------


def send_notices(task, message_ids):
    """Send a batch of notices over one connection to the mail server.

    The batch is claimed in one statement under one lease, which outlives the task's hard time
    limit; only the lease's holder marks the rows sent, each as soon as the mail server has
    accepted it. A failed send backs off and the sweep takes the row again when it is due, or
    as soon as the mail server answers; when the server cannot be reached, the rest of the
    batch waits for it without an attempt. Killed mid-batch, the rows not yet sent come back
    when the lease ends: the notice in flight may then arrive twice, with one Message-ID.
    """
    config = current_app.config
    session = db.session
    lease_token = secrets.token_hex(16)
    ids = list(message_ids) if isinstance(message_ids, list | tuple) else [message_ids]
    rows = outbox.claim(session, ids, lease_token=lease_token)
    session.commit()  # the claims are visible to every other worker before SMTP is touched
    outcomes, sent = {}, []
    backend = mail.backend_for(config, current_app.instance_path)
    settled = 0  # the rows before this one are sent, or marked for another try
    try:
        with backend.session() as send:
            for settled, row in enumerate(rows):
                try:
                    send(notices.build_message(row))
                except SoftTimeLimitExceeded:
                    raise
                except Exception as error:
                    outcomes[row.id] = _unsent(session, row, error, lease_token, config)
                    if outcomes[row.id] == "server down":
                        rest = [r.id for r in rows[settled + 1 :]]
                        outbox.wait_for_server(
                            session,
                            rest,
                            lease_token=lease_token,
                            delay=config["OUTBOX_RETRY_BASE_SECONDS"],
                        )
                        outcomes.update(dict.fromkeys(rest, "waits for the server"))
                        break
                else:
                    _sent(session, row.id, lease_token)
                    sent.append(row.id)
            settled = len(rows)
    except SoftTimeLimitExceeded:
        # Out of time while sending or recording a row: it and the rest are due at the next
        # sweep (the row in flight may then arrive twice).
        session.rollback()
        outbox.hand_back(session, [r.id for r in rows[settled:]], lease_token=lease_token)
        raise
    finally:
        session.commit()
    outcomes.update(dict.fromkeys(sent, "sent"))
    return [outcomes.get(message_id, "not pending") for message_id in ids]


def _sent(session, message_id, lease_token):
    """Record one send at once, in a commit of its own: a worker killed later in the batch
    sends none of the batch's earlier notices again (measured: a few per cent of the rate)."""
    if not outbox.mark_sent(session, [message_id], lease_token=lease_token):
        # A lease outlives the task's time limit, so this is rare; said so that a possible
        # copy is never unnoticed.
        log.error("outbox row %s was sent after its lease ended: a possible copy", message_id)
    session.commit()


def _unsent(session, row, error, lease_token, config):
    log.warning("sending outbox message %s failed", row.id, exc_info=True)
    unreachable = mail.is_unreachable(error)
    delay = outbox.mark_unsent(
        session,
        row,
        f"{type(error).__name__}: {error}"[:2000],
        lease_token=lease_token,
        server_down=unreachable,
        max_attempts=config["OUTBOX_MAX_ATTEMPTS"],
        base=config["OUTBOX_RETRY_BASE_SECONDS"],
        cap=config["OUTBOX_RETRY_MAX_SECONDS"],
    )
    if delay is None:
        return "failed"
    return "server down" if unreachable else "retry later"


def sweep(task, grace=None):
    """Every OUTBOX_SWEEP_SECONDS: free the rows of workers whose lease ended, bring forward
    the rows that waited for a mail server that answers again, then queue whatever is due.
    Also forgets browser sessions that ended a day ago.

    A new row is due once its hand-off has had OUTBOX_SWEEP_GRACE_SECONDS, or `grace`: 0 from
    a worker that starts (`tasks.sweep_when_ready`)."""
    config = current_app.config
    session = db.session
    accounts.purge_ended_sessions(session, before=utcnow() - dt.timedelta(days=1))
    released = outbox.release_expired_leases(session, lease=config["OUTBOX_LEASE_SECONDS"])
    # A list is stale only once its task must have been killed by its own time limit.
    released += lists.release_stale(session, stale_after=1.5 * config["LIST_TIME_LIMIT_SECONDS"])
    session.commit()
    if outbox.waiting_for_server(session):
        session.rollback()  # no transaction held open while knocking on the mail server
        if mail.backend_for(config, current_app.instance_path).answers():
            log.info("the mail server answers again: %d rows due", outbox.server_is_back(session))
        session.commit()
    grace = config["OUTBOX_SWEEP_GRACE_SECONDS"] if grace is None else grace
    work = [(SEND, message_id) for message_id in outbox.due_ids(session, grace=grace)]
    work += [(GENERATE_LIST, list_id) for list_id in lists.due_ids(session, grace=grace)]
    work += [(RENDER_MINUTES, meeting_id) for meeting_id in minutes.due_ids(session, grace=grace)]
    session.rollback()
    if work:
        log.info("sweep: %d released, %d queued", released, len(work))
        publish(current_app.extensions["celery"], work)
    return len(work)


def deadline_digests(task, on=None):
    """Daily: one digest per reviewer with items near or past their level's review deadline,
    and a reminder to the committee members who have not voted in a meeting closing tomorrow."""
    day = dt.date.fromisoformat(on) if on else services.today()
    written = outbox.deadline_digests(db.session, on=day)
    written += committees.closing_reminders(db.session, on=day)
    db.session.commit()
    return len(written)


def register(celery_app, config):
    """Declare the outbox tasks on `celery_app` (one Celery app per Flask app)."""
    limit = float(config["OUTBOX_SEND_TIME_LIMIT_SECONDS"])
    celery_app.task(name=SEND, bind=True, time_limit=limit, soft_time_limit=limit * 0.8)(
        send_notices
    )
    celery_app.task(name=SWEEP, bind=True)(sweep)
    celery_app.task(name=DIGESTS, bind=True)(deadline_digests)
