"""Which notices an action produces and for whom: outbox rows written in its transaction."""

import hashlib
from collections import defaultdict

from sqlalchemy import or_, select

from workflow import routing
from workflow.models import OutboxMessage, User


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


def recipients(session, notice, nomination, previous_pending_unit_id):
    """(user or None, e-mail, language) for each person the notice goes to, once each."""
    secretaries = (User.role == "secretary") & (User.unit_id == nomination.cell_id)
    reviewers_of = lambda unit_id: (User.role == "reviewer") & (User.unit_id == unit_id)  # noqa: E731
    audience = {
        "submitted": [reviewers_of(nomination.pending_unit_id)],
        "resubmitted": [reviewers_of(nomination.pending_unit_id)],
        "forwarded": [secretaries, reviewers_of(nomination.pending_unit_id)],
        "returned": [secretaries],
        "rejected": [secretaries],
        "commended": [secretaries],
        "withdrawn": [reviewers_of(previous_pending_unit_id)],
    }[notice]
    users = session.scalars(select(User).where(User.active, or_(*audience)).order_by(User.id)).all()
    people = [(user, user.email, user.language) for user in users]
    if notice == "commended" and nomination.nominee_email:
        people.append((None, nomination.nominee_email, "vi"))
    return _once(people)


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
        rows += outbox_rows(session, entry, "reorganised", nomination, None, people=found)
    return rows


def address_tag(email):
    """A short, fixed-length stand-in for an address in outbox keys (addresses reach 254)."""
    return hashlib.sha256(email.casefold().encode()).hexdigest()[:24]


def outbox_rows(session, entry, notice, nomination, previous_pending_unit_id, people=None):
    """One pending outbox row per recipient of `notice` about history `entry` (`people`, when
    the caller found them already, else `recipients`)."""
    context = {
        "nomination_id": nomination.id,
        "nominee_name": nomination.nominee_name,
        "kind": nomination.kind,
        "title": nomination.title,
        "action": entry.action,
        "from_state": entry.from_state,
        "to_state": entry.to_state,
        "acting_unit": entry.actor_unit_name,
        "comment": entry.comment,
        "recognized_level": nomination.recognized_level,
        "details": entry.details,
    }
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
        for user, email, language in (
            people
            if people is not None
            else recipients(session, notice, nomination, previous_pending_unit_id)
        )
    ]
