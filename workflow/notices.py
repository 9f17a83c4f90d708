"""Which notices an action produces and for whom: outbox rows written in its transaction."""

import hashlib

from sqlalchemy import bindparam, or_, select

from workflow.models import User, utcnow


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
# Built once: on the hot path of every action, only the parameters change.
_PEOPLE = (
    select(User.id, User.email, User.language)
    .where(
        User.active,
        or_(
            (User.role == "secretary") & (User.unit_id == bindparam("cell_id")),
            (User.role == "reviewer") & (User.unit_id == bindparam("reviewing_unit_id")),
        ),
    )
    .order_by(User.id)
)


def recipients(session, notice, nomination, previous_pending_unit_id):
    """(user id or None, e-mail, language) for each person the notice goes to, once each."""
    secretaries, reviewers = AUDIENCE[notice]
    reviewing_unit_id = {
        "pending": nomination.pending_unit_id,
        "previous": previous_pending_unit_id,
        None: None,
    }[reviewers]
    with session.no_autoflush:  # the action's own changes are flushed once, with these rows
        people = session.execute(
            _PEOPLE,
            {
                "cell_id": nomination.cell_id if secretaries else None,
                "reviewing_unit_id": reviewing_unit_id,
            },
        ).all()
    if notice == "commended" and nomination.nominee_email:
        people.append((None, nomination.nominee_email, "vi"))
    seen = set()
    for user_id, email, language in people:
        if email.casefold() not in seen:
            seen.add(email.casefold())
            yield user_id, email, language


def address_tag(email):
    """A short, fixed-length stand-in for an address in outbox keys (addresses reach 254)."""
    return hashlib.sha256(email.casefold().encode()).hexdigest()[:24]


def outbox_rows(session, entry, acting_unit, notice, nomination, previous_pending_unit_id):
    """One pending outbox row per recipient of `notice` about history `entry`, written in the
    same flush as the entry and the nomination's versioned update (the rows name the entry
    through the relationship, and the version the action gives the nomination)."""
    context = {
        "nomination_id": nomination.id,
        "nominee_name": nomination.nominee_name,
        "kind": nomination.kind,
        "title": nomination.title,
        "action": entry["action"],
        "from_state": entry["from_state"],
        "to_state": entry["to_state"],
        "acting_unit": acting_unit,
        "comment": entry["comment"],
        "recognized_level": nomination.recognized_level,
    }
    now = utcnow()
    return [
        {
            "key": f"{notice}-{entry['id']}-{address_tag(email)}",
            "notice": notice,
            "nomination_id": nomination.id,
            "history_id": entry["id"],
            "recipient_user_id": user_id,
            "recipient_email": email,
            "language": language,
            "context": context,
            "status": "pending",
            "attempts": 0,
            "server_down": False,
            "created_at": now,
        }
        for user_id, email, language in recipients(
            session, notice, nomination, previous_pending_unit_id
        )
    ]
