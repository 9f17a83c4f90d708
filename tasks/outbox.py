"""Outbox dispatch: the after-commit hand-off, the send task with back-off, the sweep, digests."""

import datetime as dt
import logging
import secrets

from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from tasks import mail, notices
from tasks.lists import GENERATE_LIST
from web.database import db
from workflow import accounts, committees, lists, outbox, services
from workflow.models import CommendationList, OutboxMessage, utcnow

log = logging.getLogger(__name__)

SEND = "commend.send_notice"
SWEEP = "commend.sweep"
DIGESTS = "commend.deadline_digests"

_PENDING = "commend_pending_work"  # session.info key: what this transaction asks to be done


# The after-commit hook -----------------------------------------------------------------------


def _collect(session, flush_context):
    """Remember the outbox rows and lists that this transaction made (or made pending again)."""
    for instance in (*session.new, *session.dirty):
        if isinstance(instance, OutboxMessage) and instance.status == "pending":
            session.info.setdefault(_PENDING, set()).add((SEND, instance.id))
        elif isinstance(instance, CommendationList) and instance.status == "pending":
            session.info.setdefault(_PENDING, set()).add((GENERATE_LIST, instance.id))


def _forget(session, previous_transaction):
    if previous_transaction.parent is None:  # the whole transaction, not a savepoint
        session.info.pop(_PENDING, None)


def _hand_off(session):
    """After commit: queue a task per new row. A broker that is down costs nothing but time:
    the rows stay pending and the periodic sweep queues them once it is back."""
    if session.in_nested_transaction():
        return  # SQLAlchemy fires after_commit for a released savepoint too: not yet committed
    work = session.info.pop(_PENDING, None)
    if not work or not has_app_context():
        return
    if not current_app.config["OUTBOX_DISPATCH_ON_COMMIT"]:
        return
    enqueue(sorted(work, key=lambda item: (item[0], item[1])))


def enqueue(work):
    """Queue (task name, id) pairs. On a broker error, log, and mark the notices not handed
    off as due at once: the next sweep queues them as soon as the broker is back. Without a
    broker, the web process's background thread takes them (tasks/embedded.py)."""
    embedded = current_app.extensions.get("embedded_worker")
    if embedded is not None:
        embedded.submit(work)
        return True
    celery_app = current_app.extensions["celery"]
    for position, (name, object_id) in enumerate(work):
        try:
            celery_app.tasks[name].delay(object_id)
        except Exception:
            log.warning("could not queue %s(%s); the sweep will", name, object_id, exc_info=True)
            _handoff_failed([item_id for task, item_id in work[position:] if task == SEND])
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


def send_notice(task, message_id):
    """Claim the row under a lease, send it, record the outcome; a failed send backs off and
    the sweep takes the row again when it is due (or as soon as the mail server answers)."""
    config = current_app.config
    session = db.session
    lease_token = secrets.token_hex(16)
    if not outbox.claim(session, message_id, lease_token=lease_token):
        session.rollback()
        return "not pending"
    session.commit()  # the claim is visible to every other worker before SMTP is touched
    message = session.get(OutboxMessage, message_id)
    try:
        email = notices.build_message(message)
        mail.backend_for(config, current_app.instance_path).send(email)
    except Exception as error:
        log.warning("sending outbox message %s failed", message_id, exc_info=True)
        delay = outbox.mark_unsent(
            session,
            message,
            f"{type(error).__name__}: {error}"[:2000],
            lease_token=lease_token,
            server_down=mail.is_unreachable(error),
            max_attempts=config["OUTBOX_MAX_ATTEMPTS"],
            base=config["OUTBOX_RETRY_BASE_SECONDS"],
            cap=config["OUTBOX_RETRY_MAX_SECONDS"],
        )
        session.commit()
        return "failed" if delay is None else "retry later"
    if not outbox.mark_sent(session, message_id, lease_token=lease_token):
        # The lease ended mid-send (it outlives a send's time limit, so this is rare) and the
        # row went to another worker: its recipient may see this message twice, with one
        # Message-ID. Said here so that it is never unnoticed.
        log.error(
            "outbox message %s was sent after its lease ended: possible duplicate", message_id
        )
    session.commit()
    return "sent"


def sweep(task):
    """Every OUTBOX_SWEEP_SECONDS: free the rows of workers whose lease ended, bring forward
    the rows that waited for a mail server that answers again, then queue whatever is due.
    Also forgets browser sessions that ended a day ago."""
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
    grace = config["OUTBOX_SWEEP_GRACE_SECONDS"]
    work = [(SEND, message_id) for message_id in outbox.due_ids(session, grace=grace)]
    work += [(GENERATE_LIST, list_id) for list_id in lists.due_ids(session, grace=grace)]
    session.rollback()
    if work:
        log.info("sweep: %d released, %d queued", released, len(work))
        enqueue(work)
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
        send_notice
    )
    celery_app.task(name=SWEEP, bind=True)(sweep)
    celery_app.task(name=DIGESTS, bind=True)(deadline_digests)
