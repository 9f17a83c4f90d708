"""What a level's decision needs before a reviewer may approve or recognise: the committee's
passed vote, the end of the public comment period, and room in the unit's quota.

`check` is called by `services.perform` before the action writes, after the version, the right
and the state have been checked (API.md's order); a recognition holds its transaction from here
(the quota's lock) to its commit. It raises the 409 problems
/vote-required, /comment-period-open and /quota-exhausted.
"""

from dataclasses import dataclass

from sqlalchemy import func, select

from workflow import options
from workflow.errors import CommentPeriodOpen, QuotaExhausted, VoteRequired
from workflow.models import HistoryEntry, Nomination, Publication, Quota

DECIDING_ACTIONS = ("approve", "recognize")
# History actions that are not moves of the state machine: they record a level's deliberation.
VOTE, PUBLISHED, REOPENED = "vote", "published", "vote_reopened"


def check(session, nomination, pending_unit, *, recognises, on):
    """Refuse an approval or recognition at `pending_unit` that its level's rules do not allow
    yet. `recognises`: the action would recognise the nomination at this unit's level."""
    level = options.of_level(nomination.campaign, pending_unit.level)
    if level["decision"] == "committee":
        vote = vote_of(session, nomination, pending_unit)
        if vote is None:
            raise VoteRequired(f"{pending_unit.code} decides by a committee vote; none has passed")
        if not vote["passed"]:
            raise VoteRequired("the committee's vote did not pass: return or reject it")
    if not recognises:
        return
    if level["comment_days"]:
        publication = publication_of(session, nomination, pending_unit)
        if publication is None:
            raise CommentPeriodOpen("the names must first be published for public comment")
        if on <= publication.ends_on:
            raise CommentPeriodOpen(
                f"the public comment period ends on {publication.ends_on.isoformat()}",
                ends_on=publication.ends_on,
            )
    take_quota(session, nomination, pending_unit)


def vote_of(session, nomination, unit):
    """The tally of the committee's latest vote on `nomination` at `unit` since it arrived there,
    or None when there is none (or it was reopened since)."""
    entry = session.scalar(
        select(HistoryEntry)
        .where(
            HistoryEntry.nomination_id == nomination.id,
            HistoryEntry.actor_unit_id == unit.id,
            HistoryEntry.action.in_((VOTE, REOPENED)),
            HistoryEntry.at >= nomination.pending_since,
        )
        .order_by(HistoryEntry.id.desc())
        .limit(1)
    )
    if entry is None or entry.action == REOPENED:
        return None
    return entry.details


def votes_of(session, nominations):
    """{nomination id: its vote_of tally} for many nominations at their pending units, in one
    query (the queue); a nomination without a standing vote is absent."""
    waiting = [nomination.id for nomination in nominations if nomination.pending_unit_id]
    if not waiting:
        return {}
    rows = session.execute(
        select(HistoryEntry.nomination_id, HistoryEntry.action, HistoryEntry.details)
        .join(Nomination, Nomination.id == HistoryEntry.nomination_id)
        .where(
            HistoryEntry.nomination_id.in_(waiting),
            HistoryEntry.actor_unit_id == Nomination.pending_unit_id,
            HistoryEntry.action.in_((VOTE, REOPENED)),
            HistoryEntry.at >= Nomination.pending_since,
        )
        .order_by(HistoryEntry.id)
    ).all()
    latest = {}
    for nomination_id, action, details in rows:
        latest[nomination_id] = details if action == VOTE else None
    return {key: value for key, value in latest.items() if value is not None}


@dataclass(frozen=True)
class Standing:
    """Where the decision on a nomination stands at the unit it waits at."""

    unit: object
    decision: str  # "single" | "committee"
    comment_days: int
    vote: dict | None  # the latest standing tally (vote_of)
    publication: object | None  # the open publication (publication_of)


def standing(session, nomination):
    """The decision's standing at the pending unit; None when the nomination waits nowhere."""
    unit = nomination.pending_unit
    if unit is None:
        return None
    level = options.of_level(nomination.campaign, unit.level)
    return Standing(
        unit=unit,
        decision=level["decision"],
        comment_days=level["comment_days"],
        vote=vote_of(session, nomination, unit),
        publication=publication_of(session, nomination, unit),
    )


def publication_of(session, nomination, unit):
    """The publication of `nomination` by `unit` since it arrived there and not withdrawn."""
    return session.scalar(
        select(Publication)
        .where(
            Publication.nomination_id == nomination.id,
            Publication.unit_id == unit.id,
            Publication.withdrawn_at.is_(None),
            Publication.created_at >= nomination.pending_since,
        )
        .order_by(Publication.id.desc())
        .limit(1)
    )


def take_quota(session, nomination, unit):
    """Refuse past the quota. The quota's row is locked first, so that two recognitions at the
    edge are counted one after the other and never both get the last place."""
    quota = session.scalar(
        select(Quota)
        .where(Quota.campaign_id == nomination.campaign_id, Quota.unit_id == unit.id)
        .with_for_update()
    )
    limit = getattr(quota, nomination.kind) if quota is not None else None
    if limit is None:
        return
    used = used_places(session, nomination.campaign_id, unit.id)[nomination.kind]
    if used >= limit:
        raise QuotaExhausted(
            f"{unit.code} has recognised {used} of its {limit} {nomination.kind} places",
            unit_code=unit.code,
            kind=nomination.kind,
            quota=limit,
            used=used,
        )


def used_places(session, campaign_id, unit_id):
    """{kind: how many `unit_id` has recognised in the campaign}."""
    counts = {"collective": 0, "individual": 0}
    counts.update(
        session.execute(
            select(Nomination.kind, func.count())
            .where(
                Nomination.campaign_id == campaign_id,
                Nomination.recognized_unit_id == unit_id,
                Nomination.state == "commended",
            )
            .group_by(Nomination.kind)
        ).all()
    )
    return counts
