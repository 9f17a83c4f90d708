"""Outbox dispatch: the after-commit hand-off, the send task with back-off, the sweep, digests."""

import datetime as dt
import logging

from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from tasks import mail, notices
from tasks.lists import GENERATE_LIST
from tasks.minutes import RENDER_MINUTES
from web.database import db
from workflow import accounts, committees, lists, minutes, outbox, services
from workflow.models import CommendationList, Meeting, OutboxMessage, utcnow

log = logging.getLogger(__name__)

SEND = "commend.send_notice"
SWEEP = "commend.sweep"
DIGESTS = "commend.deadline_digests"

_PENDING = "commend_pending_work"  # session.info key: what this transaction asks to be done


# The after-commit hook -----------------------------------------------------------------------


def _collect(session, flush_context):
    """Remember the outbox rows and lists that this transaction made (or made pending again),
    and the meetings it closed, whose minutes are to be written."""
    for instance in (*session.new, *session.dirty):
        if isinstance(instance, OutboxMessage) and instance.status == "pending":
            session.info.setdefault(_PENDING, set()).add((SEND, instance.id))
        elif isinstance(instance, CommendationList) and instance.status == "pending":
            session.info.setdefault(_PENDING, set()).add((GENERATE_LIST, instance.id))
        elif isinstance(instance, Meeting) and instance.status == "closed" and not instance.minutes:
            session.info.setdefault(_PENDING, set()).add((RENDER_MINUTES, instance.id))


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
    """Queue (task name, id) pairs; on a broker error, log and leave the rest to the sweep."""
    celery_app = current_app.extensions["celery"]
    for name, object_id in work:
        try:
            celery_app.tasks[name].delay(object_id)
        except Exception:
            log.warning("could not queue %s(%s); the sweep will", name, object_id, exc_info=True)
            return False
    return True


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
    """Claim the row, send it, record the outcome; back off and retry while SMTP is down."""
    config = current_app.config
    session = db.session
    if not outbox.claim(session, message_id):
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
            max_attempts=config["OUTBOX_MAX_ATTEMPTS"],
            base=config["OUTBOX_RETRY_BASE_SECONDS"],
            cap=config["OUTBOX_RETRY_MAX_SECONDS"],
        )
        session.commit()
        if delay is None:
            return "failed"
        if task.request.is_eager:
            return "retry later"  # in-process: no timer; the row waits for the next sweep
        raise task.retry(countdown=delay, exc=error) from None
    outbox.mark_sent(session, message_id)
    session.commit()
    return "sent"


def sweep(task):
    """Every minute: free claims of dead workers, forget browser sessions ended a day ago, then
    queue whatever is due and unsent."""
    config = current_app.config
    session = db.session
    accounts.purge_ended_sessions(session, before=utcnow() - dt.timedelta(days=1))
    released = outbox.release_stale_claims(session, stale_after=config["OUTBOX_STALE_SECONDS"])
    # A list is stale only once its task must have been killed by its own time limit.
    list_stale = max(config["OUTBOX_STALE_SECONDS"], 1.5 * config["LIST_TIME_LIMIT_SECONDS"])
    released += lists.release_stale(session, stale_after=list_stale)
    session.commit()
    grace = config["OUTBOX_SWEEP_GRACE_SECONDS"]
    work = [(SEND, message_id) for message_id in outbox.due_ids(session, grace=grace)]
    work += [(GENERATE_LIST, list_id) for list_id in lists.due_ids(session, grace=grace)]
    work += [(RENDER_MINUTES, meeting_id) for meeting_id in minutes.due_ids(session, grace=grace)]
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


def register(celery_app):
    """Declare the outbox tasks on `celery_app` (one Celery app per Flask app)."""
    celery_app.task(name=SEND, bind=True, max_retries=None)(send_notice)
    celery_app.task(name=SWEEP, bind=True)(sweep)
    celery_app.task(name=DIGESTS, bind=True)(deadline_digests)
