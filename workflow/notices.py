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
    null,
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
            bindparam("queued_at", type_=outbox.c.created_at.type),
        )
        .select_from(users if entry is None else users.join(entry, true()))
        .where(
            User.active,
            or_(
                (User.role == "secretary") & (User.unit_id == bindparam("secretaries_cell_id")),
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
def _entry_and_outbox(names, after=None, outbox=True):
    """PostgreSQL: an action's history row (of these columns) and its notice's outbox rows in
    one statement: (the entry's id, an outbox row's id, its address) per row written, and one
    row with the entry's id alone when no one is to hear it (or there is no notice, `outbox`
    false). `after`: an UPDATE … RETURNING id (the action's versioned update), written in the
    same statement: the entry is written only if it changed its row, else no row comes back.
    Built once per set of columns and update, as `_INSERT_HISTORY` would be."""
    values = [bindparam(name, type_=_HISTORY.c[name].type) for name in names]
    if after is None:
        entry = _HISTORY.insert().values(dict(zip(names, values, strict=True)))
    else:
        moved = after.cte("moved")
        entry = _HISTORY.insert().from_select(names, select(*values).select_from(moved))
    entry = entry.returning(_HISTORY.c.id).cte("entry")
    statement = select(entry.c.id, null(), null())
    if outbox:
        sent = _outbox_from_people(entry).cte("sent")
        statement = select(entry.c.id, sent.c.id, sent.c.recipient_email).select_from(
            entry.outerjoin(sent, true())
        )
    if after is not None:
        # SQLAlchemy adds to an UPDATE's SET clause every parameter named as a column of its
        # table, even inside a WITH: it would write that value into the nomination. Checked
        # once per statement; its parameters are the keys `write_entry` passes.
        clashing = sorted(statement.compile().params.keys() & after.table.c.keys())
        if clashing:
            raise RuntimeError(f"parameters named as columns of {after.table}: {clashing}")
    return statement


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


def write_entry(session, entry, *, notice=None, nomination=None, previous=None, after=None):
    """Insert the history row `entry` (a dict of its columns), setting `entry["id"]`, and for
    `notice` the outbox rows about it, one per recipient, in the action's transaction; return
    the outbox rows' ids. Keys are "<notice>-<nomination>-v<version>-<recipient>": each action
    moves the nomination's version, so every event's keys are its own. `previous`: the unit the
    nomination waited at before the action.

    `after`: (statement, parameters) of the UPDATE … RETURNING id that the entry records (the
    action's versioned update): if it changes no row, nothing is written and None is returned.
    On PostgreSQL the update, the entry and the outbox rows are one statement, atomic on its own
    (`_entry_and_outbox`); SQLite writes nothing inside a WITH, so it runs them one by one."""
    parameters = _notice_parameters(entry, notice, nomination, previous) if notice else {}
    update, given = after or (None, {})
    if session.get_bind().dialect.name == "postgresql":
        rows = session.execute(
            _entry_and_outbox(tuple(entry), update, notice is not None),
            {**given, **entry, **parameters},
        ).all()
        if not rows:
            return None
        entry["id"] = rows[0][0]
        written = [(row_id, email) for _entry_id, row_id, email in rows if row_id is not None]
    else:
        if update is not None and session.execute(update, given).first() is None:
            return None
        entry["id"] = session.execute(_INSERT_HISTORY, entry).scalar_one()
        written = []
        if notice is not None:
            written = session.execute(
                _OUTBOX_FROM_PEOPLE, {**parameters, "history_id": entry["id"]}
            ).all()
    ids = [row_id for row_id, _email in written]
    addresses = {email.casefold() for _row_id, email in written}
    email = nomination.nominee_email if notice == "commended" else None
    if email and email.casefold() not in addresses:
        ids.append(
            session.execute(
                _INSERT_ONE,
                {
                    "key": _key_prefix(notice, nomination) + address_tag(email),
                    "notice": notice,
                    "nomination_id": nomination.id,
                    "history_id": entry["id"],
                    "recipient_user_id": None,
                    "recipient_email": email,
                    "language": "vi",
                    "context": parameters["context"],
                    "status": "pending",
                    "attempts": 0,
                    "created_at": parameters["queued_at"],
                },
            ).scalar_one()
        )
    return ids


def _key_prefix(notice, nomination):
    return f"{notice}-{nomination.id}-v{nomination.version}-"


def _notice_parameters(entry, notice, nomination, previous):
    """What the outbox rows of `notice` about `entry` are written with, but their recipients."""
    secretaries, reviewers = AUDIENCE[notice]
    return {
        "key_prefix": _key_prefix(notice, nomination) + "u",
        "notice": notice,
        "nomination_id": nomination.id,
        "context": context_of(nomination, entry, entry["actor_unit_name"]),
        "queued_at": utcnow(),
        "secretaries_cell_id": nomination.cell_id if secretaries else None,
        "reviewing_unit_id": {
            "pending": nomination.pending_unit_id,
            "previous": previous,
            None: None,
        }[reviewers],
    }
