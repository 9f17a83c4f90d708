"""Which notices an action produces and for whom: outbox rows written in its transaction,
with the action's history entry (`write_entry`)."""

import hashlib
from collections import defaultdict
from functools import cache

from sqlalchemy import (
    JSON,
    Integer,
    String,
    bindparam,
    cast,
    insert,
    literal,
    or_,
    select,
    true,
)

from workflow import routing
from workflow.models import HistoryEntry, OutboxMessage, User, utcnow


# The notice each (action, new state) produces; "approve" names two, forwarded or commended.
def notice_for(action, to_state, from_pending):
    if to_state == "commended":
        return "commended"
    if action == "withdraw":
        return "withdrawn" if from_pending else None
    return {
        "submit": "submitted",
        "resubmit": "resubmitted",
        "approve": "forwarded",
        "return": "returned",
        "reject": "rejected",
    }.get(action)


# Who hears of each notice: the cell's secretaries (True/False), and the reviewers of the
# unit it now waits at ("pending") or waited at before the action ("previous").
AUDIENCE = {
    "submitted": (False, "pending"),
    "resubmitted": (False, "pending"),
    "forwarded": (True, "pending"),
    "returned": (True, None),
    "rejected": (True, None),
    "commended": (True, None),
    "withdrawn": (False, "previous"),
}


def _outbox_from_people(entry=None):
    """INSERT INTO outbox … SELECT … FROM users: one row per active account the notice goes to,
    written by the database itself, so that an action asks for its recipients and writes their
    rows in one statement. Built once: on the hot path, only the parameters change.

    `entry`: the history row's INSERT … RETURNING id as a CTE, when both are written in one
    statement (`_entry_and_outbox`); else the rows' history id is a parameter."""
    outbox = OutboxMessage.__table__
    users = User.__table__
    people = (
        select(
            bindparam("key_prefix", type_=String) + cast(User.id, String),
            bindparam("notice", type_=String),
            bindparam("nomination_id", type_=Integer),
            bindparam("history_id", type_=Integer) if entry is None else entry.c.id,
            User.id,
            User.email,
            User.language,
            bindparam("context", type_=JSON),
            literal("pending"),
            literal(0),
            bindparam("created_at", type_=outbox.c.created_at.type),
        )
        .select_from(users if entry is None else users.join(entry, true()))
        .where(
            User.active,
            or_(
                (User.role == "secretary") & (User.unit_id == bindparam("cell_id")),
                (User.role == "reviewer") & (User.unit_id == bindparam("reviewing_unit_id")),
            ),
        )
        .order_by(User.id)
    )
    columns = (
        "key",
        "notice",
        "nomination_id",
        "history_id",
        "recipient_user_id",
        "recipient_email",
        "language",
        "context",
        "status",
        "attempts",
        "created_at",
    )
    return (
        insert(outbox).from_select(columns, people).returning(outbox.c.id, outbox.c.recipient_email)
    )


_OUTBOX_FROM_PEOPLE = _outbox_from_people()
_INSERT_ONE = OutboxMessage.__table__.insert().returning(OutboxMessage.__table__.c.id)
_HISTORY = HistoryEntry.__table__
_INSERT_HISTORY = _HISTORY.insert().returning(_HISTORY.c.id)


@cache
def _entry_and_outbox(names):
    """PostgreSQL: the history row (of these columns) and its notice's outbox rows in one
    statement, one round trip fewer on every action: (the entry's id, an outbox row's id, its
    address) per row written, and one row with the entry's id alone when no one is to hear it.
    Built once per set of columns, as `_INSERT_HISTORY` would be."""
    entry = (
        _HISTORY.insert()
        .values({name: bindparam(name, type_=_HISTORY.c[name].type) for name in names})
        .returning(_HISTORY.c.id)
        .cte("entry")
    )
    sent = _outbox_from_people(entry).cte("sent")
    return select(entry.c.id, sent.c.id, sent.c.recipient_email).select_from(
        entry.outerjoin(sent, true())
    )


def _once(people):
    """Each address once, in the order given."""
    seen = set()
    for user, email, language in people:
        if email.casefold() not in seen:
            seen.add(email.casefold())
            yield user, email, language


def reorganised_rows(session, moved):
    """The `reorganised` notices of many nominations at once, `moved` being (nomination,
    history entry) pairs: each goes to the reviewers of the unit it now waits at and to its
    cell's secretaries. Two queries whatever the number (a province moves thousands)."""
    units = sorted(
        {nomination.cell_id for nomination, _ in moved}
        | {nomination.pending_unit_id for nomination, _ in moved if nomination.pending_unit_id}
    )
    people = defaultdict(list)  # (role, unit id) → active users, by id
    for start in range(0, len(units), routing.CHUNK):
        for user in session.scalars(
            select(User)
            .where(
                User.active,
                User.unit_id.in_(units[start : start + routing.CHUNK]),
                User.role.in_(("secretary", "reviewer")),
            )
            .order_by(User.id)
        ):
            people[(user.role, user.unit_id)].append(user)
    rows = []
    for nomination, entry in moved:
        audience = people[("secretary", nomination.cell_id)]
        audience = sorted(
            audience + people[("reviewer", nomination.pending_unit_id)], key=lambda u: u.id
        )
        found = _once((user, user.email, user.language) for user in audience)
        rows += outbox_rows(entry, "reorganised", nomination, found)
    return rows


def address_tag(email):
    """A short, fixed-length stand-in for an address in outbox keys (addresses reach 254)."""
    return hashlib.sha256(email.casefold().encode()).hexdigest()[:24]


def context_of(nomination, entry, acting_unit):
    """What every workflow notice tells: which nomination, what happened to it, who acted (as
    the unit was named then), with the entry's details. `entry` is a history row or its dict."""
    value = entry.get if isinstance(entry, dict) else lambda name: getattr(entry, name)
    return {
        "nomination_id": nomination.id,
        "nominee_name": nomination.nominee_name,
        "kind": nomination.kind,
        "title": nomination.title,
        "action": value("action"),
        "from_state": value("from_state"),
        "to_state": value("to_state"),
        "acting_unit": acting_unit,
        "comment": value("comment"),
        "recognized_level": nomination.recognized_level,
        "details": value("details"),
    }


def outbox_rows(entry, notice, nomination, people):
    """Outbox rows of `notice` about history `entry` for `people` ((user, e-mail, language)),
    as objects: the bulk path of a reorganisation, which finds its recipients at once."""
    context = context_of(nomination, entry, entry.actor_unit_name)
    return [
        OutboxMessage(
            key=f"{notice}-{entry.id}-{address_tag(email)}",
            notice=notice,
            nomination_id=nomination.id,
            history_id=entry.id,
            recipient_user_id=user.id if user else None,
            recipient_email=email,
            language=language,
            context=context,
        )
        for user, email, language in people
    ]


def write_entry(session, entry, *, notice=None, nomination=None, previous=None):
    """Insert the history row `entry` (a dict of its columns), setting `entry["id"]`, and for
    `notice` the outbox rows about it, one per recipient, in the action's transaction; return
    the outbox rows' ids. Keys are "<notice>-<nomination>-v<version>-<recipient>": each action
    moves the nomination's version, so every event's keys are its own. `previous`: the unit the
    nomination waited at before the action."""
    if notice is None:
        entry["id"] = session.execute(_INSERT_HISTORY, entry).scalar_one()
        return []
    secretaries, reviewers = AUDIENCE[notice]
    context = context_of(nomination, entry, entry["actor_unit_name"])
    prefix = f"{notice}-{nomination.id}-v{nomination.version}-"
    now = utcnow()
    parameters = {
        "key_prefix": prefix + "u",
        "notice": notice,
        "nomination_id": nomination.id,
        "context": context,
        "created_at": now,
        "cell_id": nomination.cell_id if secretaries else None,
        "reviewing_unit_id": {
            "pending": nomination.pending_unit_id,
            "previous": previous,
            None: None,
        }[reviewers],
    }
    if session.get_bind().dialect.name == "postgresql":
        rows = session.execute(_entry_and_outbox(tuple(entry)), {**entry, **parameters}).all()
        entry["id"] = rows[0][0]
        written = [(row_id, email) for _entry_id, row_id, email in rows if row_id is not None]
    else:  # SQLite writes nothing inside a WITH
        entry["id"] = session.execute(_INSERT_HISTORY, entry).scalar_one()
        written = session.execute(
            _OUTBOX_FROM_PEOPLE, {**parameters, "history_id": entry["id"]}
        ).all()
    ids = [row_id for row_id, _email in written]
    addresses = {email.casefold() for _row_id, email in written}
    email = nomination.nominee_email
    if notice == "commended" and email and email.casefold() not in addresses:
        ids.append(
            session.execute(
                _INSERT_ONE,
                {
                    "key": prefix + address_tag(email),
                    "notice": notice,
                    "nomination_id": nomination.id,
                    "history_id": entry["id"],
                    "recipient_user_id": None,
                    "recipient_email": email,
                    "language": "vi",
                    "context": context,
                    "status": "pending",
                    "attempts": 0,
                    "created_at": now,
                },
            ).scalar_one()
        )
    return ids
