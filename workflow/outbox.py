"""The outbox's life after commit: claiming, retrying, failing, resending, and periodic notices.

Rows are written by the services in the action's transaction (see notices.py). Workers move a
row pending → sending → sent, or back to pending with a back-off, or to failed after the last
attempt. Every change of status is one conditional UPDATE, so two workers never own one row.
"""

import datetime as dt
from collections import defaultdict

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from workflow import policy
from workflow.errors import Forbidden, NotAllowedNow, NotFound
from workflow.levels import LEVEL_OF_REVIEW_STATE, REVIEW_LEVELS
from workflow.models import KINDS, Campaign, Nomination, OutboxMessage, Unit, User, utcnow
from workflow.routing import CHUNK

# session.info: the (kind, id) pairs of work this transaction made for the workers, handed off
# after it commits (tasks/outbox.py); kinds are "notice" and "list".
PENDING_WORK = "commend_pending_work"
DIGEST_HORIZON_DAYS = 3  # an item is in the digest when its review deadline is this close or past
DIGEST_MAX_ITEMS = 200  # a digest names this many items and counts the rest
LIST_OWN_ITEMS = 50  # a secretary's list notice names this many of the cell's nominations


def remember_for_hand_off(session, kind, ids):
    """Rows written without the ORM (the hot path's outbox rows): hand them off after commit."""
    session.info.setdefault(PENDING_WORK, set()).update((kind, row_id) for row_id in ids)


_OUTBOX = OutboxMessage.__table__


def _update(session, *conditions, **values):
    """One conditional UPDATE on the outbox; the number of rows it changed. No loaded row
    needs to learn of it. (Its conditions name the mapped class's columns, so the session
    still runs it through its bulk-update path; running it on the connection instead measured
    no faster in the hand-off thread.)"""
    return session.execute(_OUTBOX.update().where(*conditions).values(**values)).rowcount


# What a worker needs of a row to send it: claimed and read in one statement.
_CLAIMED = (
    OutboxMessage.id,
    OutboxMessage.key,
    OutboxMessage.notice,
    OutboxMessage.recipient_email,
    OutboxMessage.language,
    OutboxMessage.context,
    OutboxMessage.attempts,
    OutboxMessage.created_at,
    # Its recipient's name, for the greeting ("Kính gửi đồng chí Nguyễn Văn A").
    select(User.full_name)
    .where(User.id == OutboxMessage.recipient_user_id)
    .scalar_subquery()
    .label("recipient_name"),
)


def claim(session, message_ids, *, lease_token, now=None):
    """Take the pending rows among `message_ids` for sending, under one lease; the rows taken
    (another worker has the others, or they are done). Only the lease's holder marks them."""
    return session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(message_ids), OutboxMessage.status == "pending")
        .values(status="sending", claimed_at=now or utcnow(), lease_token=lease_token)
        .returning(*_CLAIMED)
        .execution_options(synchronize_session=False)
    ).all()


def _leased(message_ids, lease_token):
    return (
        OutboxMessage.id.in_(message_ids),
        OutboxMessage.status == "sending",
        OutboxMessage.lease_token == lease_token,
    )


def mark_sent(session, message_ids, *, lease_token, now=None):
    """Record the sends; how many rows the lease still held. Fewer: the lease ended mid-batch
    and a row went to another worker (its recipient may get a copy, with the same Message-ID)."""
    return _update(
        session,
        *_leased(message_ids, lease_token),
        status="sent",
        attempts=OutboxMessage.attempts + 1,
        sent_at=now or utcnow(),
        last_error=None,
        next_attempt_at=None,
        lease_token=None,
        server_down=False,
    )


def retry_delay(attempts, *, base, cap):
    """Exponential back-off after the `attempts`-th failed try: base, 2 base, 4 base, … ≤ cap."""
    return min(cap, base * 2 ** max(attempts - 1, 0))


def mark_unsent(
    session, message, error, *, lease_token, server_down, max_attempts, base, cap, now=None
):
    """After a failed try: back to pending with a back-off (the delay), or failed (None).

    `server_down`: the mail server could not be reached (not a refusal of this message), so the
    sweep may bring the row forward as soon as the server answers again.
    """
    now = now or utcnow()
    attempts = message.attempts + 1
    done = {"attempts": attempts, "last_error": error, "claimed_at": None, "lease_token": None}
    if attempts >= max_attempts:
        _update(
            session,
            *_leased([message.id], lease_token),
            status="failed",
            next_attempt_at=None,
            server_down=server_down,
            **done,
        )
        return None
    delay = retry_delay(attempts, base=base, cap=cap)
    _update(
        session,
        *_leased([message.id], lease_token),
        status="pending",
        next_attempt_at=now + dt.timedelta(seconds=delay),
        server_down=server_down,
        **done,
    )
    return delay


def wait_for_server(session, message_ids, *, lease_token, delay, now=None):
    """These claimed rows were not tried: the mail server could not be reached for the row
    before them. They wait for it as if they had failed the same way, without an attempt."""
    if not message_ids:
        return 0
    return _update(
        session,
        *_leased(message_ids, lease_token),
        status="pending",
        claimed_at=None,
        lease_token=None,
        server_down=True,
        next_attempt_at=(now or utcnow()) + dt.timedelta(seconds=delay),
    )


def hand_back(session, message_ids, *, lease_token, now=None):
    """These claimed rows were not tried (the task ran out of time): due at the next sweep."""
    if not message_ids:
        return 0
    return _update(
        session,
        *_leased(message_ids, lease_token),
        status="pending",
        claimed_at=None,
        lease_token=None,
        next_attempt_at=now or utcnow(),
    )


def release_expired_leases(session, *, lease, now=None):
    """Rows whose worker's lease ended (it died, or was killed) are due again at once."""
    now = now or utcnow()
    return _update(
        session,
        OutboxMessage.status == "sending",
        OutboxMessage.claimed_at < now - dt.timedelta(seconds=lease),
        status="pending",
        claimed_at=None,
        lease_token=None,
        next_attempt_at=now,
    )


def mark_handoff_failed(session, message_ids, *, now=None):
    """The broker refused these rows' hand-off: they are due at the next sweep, without the
    grace a row normally gets while its hand-off is under way."""
    if not message_ids:
        return 0
    return _update(
        session,
        OutboxMessage.id.in_(message_ids),
        OutboxMessage.status == "pending",
        next_attempt_at=now or utcnow(),
    )


def waiting_for_server(session, *, now=None):
    """Are rows backing off because the mail server could not be reached?"""
    now = now or utcnow()
    return (
        session.scalar(
            select(OutboxMessage.id)
            .where(
                OutboxMessage.status == "pending",
                OutboxMessage.server_down.is_(True),
                OutboxMessage.next_attempt_at > now,
            )
            .limit(1)
        )
        is not None
    )


def server_is_back(session, *, now=None):
    """The mail server answers again: every row that waited for it is due now."""
    now = now or utcnow()
    return _update(
        session,
        OutboxMessage.status == "pending",
        OutboxMessage.server_down.is_(True),
        OutboxMessage.next_attempt_at > now,
        next_attempt_at=now,
    )


def due_ids(session, *, grace, now=None, limit=1000):
    """Pending rows whose hand-off should have happened by now (oldest first).

    A new row waits `grace` seconds (its after-commit dispatch is probably under way); a row
    whose hand-off failed, whose lease ended or whose back-off is over is due at its
    `next_attempt_at`.
    """
    now = now or utcnow()
    threshold = now - dt.timedelta(seconds=grace)
    return session.scalars(
        select(OutboxMessage.id)
        .where(
            OutboxMessage.status == "pending",
            or_(
                and_(
                    OutboxMessage.next_attempt_at.is_(None), OutboxMessage.created_at <= threshold
                ),
                OutboxMessage.next_attempt_at <= now,
            ),
        )
        .order_by(OutboxMessage.id)
        .limit(limit)
    ).all()


def get_message(session, actor, message_id):
    """An outbox row an administrator may handle; NotFound outside the actor's subtree."""
    message = session.get(OutboxMessage, message_id)
    if message is None or not session.scalar(
        select(func.count())
        .select_from(OutboxMessage)
        .where(OutboxMessage.id == message_id, policy.visible_outbox(actor))
    ):
        raise NotFound(f"outbox message {message_id} not found")
    return message


def resend(session, actor, message):
    """An administrator sends a failed notice again: a fresh round of attempts."""
    if not policy.can_manage_outbox(actor):
        raise Forbidden("only an administrator may send a notice again")
    if message.status != "failed":
        raise NotAllowedNow(f"outbox message {message.id} is {message.status}, not failed")
    message.status = "pending"
    message.attempts = 0
    message.last_error = None
    message.next_attempt_at = None
    message.claimed_at = None
    message.lease_token = None
    message.server_down = False
    session.flush()
    return message


def failed_messages(session, actor, *, status="failed", limit=200):
    if not policy.can_manage_outbox(actor):
        raise Forbidden("only an administrator may see the outbox")
    return session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.status == status, policy.visible_outbox(actor))
        .order_by(OutboxMessage.id.desc())
        .limit(limit)
    ).all()


def _add_once(session, message):
    """Insert `message` unless a row with its key exists (a rerun of a periodic job)."""
    if session.scalar(select(OutboxMessage.id).where(OutboxMessage.key == message.key)):
        return None
    try:
        with session.begin_nested():
            session.add(message)
    except IntegrityError:  # a concurrent run inserted the same key first
        return None
    return message


def _deadline_of(campaign, level):
    return getattr(campaign, f"{level}_review_deadline")


def deadline_digests(session, *, on):
    """One digest row per reviewer whose unit has items due within the horizon or overdue.

    Keyed `digest-<date>-<user id>`, so running the job twice on a day writes nothing new.
    """
    horizon = on + dt.timedelta(days=DIGEST_HORIZON_DAYS)
    near = or_(
        *(
            and_(Unit.level == level, getattr(Campaign, f"{level}_review_deadline") <= horizon)
            for level in REVIEW_LEVELS
        )
    )
    items = session.execute(
        select(Nomination, Unit, Campaign)
        .join(Unit, Nomination.pending_unit_id == Unit.id)
        .join(Campaign, Nomination.campaign_id == Campaign.id)
        .where(Nomination.state.in_(tuple(LEVEL_OF_REVIEW_STATE)), near)
        .order_by(Unit.id, Nomination.pending_since, Nomination.id)
    ).all()
    by_unit = {}
    for nomination, unit, campaign in items:
        deadline = _deadline_of(campaign, unit.level)
        by_unit.setdefault(unit, []).append(
            {
                "nomination_id": nomination.id,
                "nominee_name": nomination.nominee_name,
                "title": nomination.title,
                "campaign": campaign.name,
                "level": unit.level,
                "deadline": deadline.isoformat(),
                "overdue": deadline < on,
            }
        )
    written = []
    for unit, unit_items in by_unit.items():
        reviewers = session.scalars(
            select(User)
            .where(User.role == "reviewer", User.unit_id == unit.id, User.active)
            .order_by(User.id)
        ).all()
        for reviewer in reviewers:
            message = OutboxMessage(
                key=f"digest-{on.isoformat()}-{reviewer.id}",
                notice="deadline_digest",
                recipient_user_id=reviewer.id,
                recipient_email=reviewer.email,
                language=reviewer.language,
                context={
                    "date": on.isoformat(),
                    "unit": unit.name,
                    "total": len(unit_items),
                    "overdue": sum(item["overdue"] for item in unit_items),
                    "items": unit_items[:DIGEST_MAX_ITEMS],
                },
            )
            if _add_once(session, message):
                written.append(message)
    session.flush()
    return written


def list_ready(session, commendation_list, *, number_label):
    """The notices that a list is written: to whoever asked for it, with the list's page, and
    to the secretaries of the cells whose nominations are on it, with those nominations (the
    list itself shows the whole subtree, which a cell's secretary does not see). Returns the
    rows written; a second run writes none."""
    rows = commendation_list.rows or []
    context = {
        "list_id": commendation_list.id,
        "number": number_label,
        "unit": commendation_list.issuer_name,
        "campaign": commendation_list.campaign.name,
        "level": commendation_list.level,
        "count": commendation_list.count,
        **{f"{kind}s": sum(row["kind"] == kind for row in rows) for kind in KINDS},
    }
    requester = commendation_list.requested_by
    audience = [(requester, context)]
    seen = {requester.email.casefold()}
    ids = [row["nomination_id"] for row in rows]
    cell_of = {}
    for start in range(0, len(ids), CHUNK):
        cell_of.update(
            session.execute(
                select(Nomination.id, Nomination.cell_id).where(
                    Nomination.id.in_(ids[start : start + CHUNK])
                )
            ).all()
        )
    own = defaultdict(list)  # cell id → its nominations on the list, in the list's order
    for row in rows:
        own[cell_of.get(row["nomination_id"])].append(
            {"nomination_id": row["nomination_id"], "nominee_name": row["nominee_name"]}
        )
    cells = sorted(cell for cell in own if cell is not None)
    for start in range(0, len(cells), CHUNK):
        secretaries = session.scalars(
            select(User)
            .where(
                User.role == "secretary",
                User.active,
                User.unit_id.in_(cells[start : start + CHUNK]),
            )
            .order_by(User.id)
        ).all()
        for secretary in secretaries:
            if secretary.email.casefold() in seen:
                continue
            seen.add(secretary.email.casefold())
            items = own[secretary.unit_id][:LIST_OWN_ITEMS]
            audience.append((secretary, {**context, "own": items}))
    written = []
    for person, person_context in audience:
        message = OutboxMessage(
            key=f"list_ready-{commendation_list.id}-{person.id}",
            notice="list_ready",
            recipient_user_id=person.id,
            recipient_email=person.email,
            language=person.language,
            context=person_context,
        )
        if _add_once(session, message):
            written.append(message)
    session.flush()
    return written
