"""A running campaign's pinned options, quotas and deadlines, and the amendments that change them.

Everything that shapes how a campaign decides is fixed when it opens. Changing it afterwards is
an amendment by an administrator of the campaign's unit, with a reason, recorded with what was
before and after. An amendment never changes a decision already made: closed meetings keep the
rules they were decided with, recognitions stay, and quotas count what is already recognised.
"""

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.exc import StaleDataError

from workflow import decisions, options, policy
from workflow.errors import Conflict, Forbidden, Invalid, StaleVersion
from workflow.fields import clean_text
from workflow.levels import REVIEW_LEVELS, REVIEW_STATE
from workflow.models import Campaign, CampaignAmendment, Nomination, Quota, Unit

MAX_QUOTA = 100_000
UNCHANGED = object()


def starting_options(session, unit):
    """A new campaign starts from the options of the unit's latest one (else the defaults)."""
    latest = session.scalar(
        select(Campaign.options)
        .where(Campaign.unit_id == unit.id)
        .order_by(Campaign.created_at.desc(), Campaign.id.desc())
        .limit(1)
    )
    return options.normalise(None, base=latest) if latest else options.defaults()


def check_deadlines(submission_deadline, review_deadlines):
    """Each level reviews after the submissions close and after the level below it."""
    earliest = submission_deadline
    for level in REVIEW_LEVELS:
        day = review_deadlines.get(level)
        if day is not None and day < earliest:
            raise Invalid(f"review_deadlines.{level}", "is earlier than the deadline before it")
        earliest = day or earliest


def _require_amender(actor, campaign):
    if not policy.can_amend_campaign(actor, campaign):
        raise Forbidden("only an administrator of the campaign's unit or above amends it")


def _reason(reason):
    try:
        return clean_text(reason or "", min_length=1, max_length=2000)
    except ValueError as error:
        raise Invalid("reason", str(error)) from None


def _check_version(campaign, version):
    if version != campaign.version:
        raise StaleVersion(
            f"campaign {campaign.id} is at version {campaign.version}, not {version}"
        )


def amend(
    session,
    actor,
    campaign,
    *,
    version,
    reason,
    new_options=None,
    submission_deadline=UNCHANGED,
    review_deadlines=None,
):
    """Amend the options and/or deadlines of `campaign`; the recorded amendment, or None when
    nothing changed. Checks, in the API's order: the version, the right, the fields."""
    _check_version(campaign, version)
    _require_amender(actor, campaign)
    reason = _reason(reason)
    changes = {}
    if new_options is not None:
        merged = options.normalise(new_options, base=campaign.options)
        if merged != campaign.options:
            _refuse_dropping_busy_levels(session, campaign, merged)
            changes["options"] = {"before": campaign.options, "after": merged}
            campaign.options = merged
    deadlines = _deadlines(campaign)
    if submission_deadline is not UNCHANGED or review_deadlines is not None:
        submission = (
            campaign.submission_deadline
            if submission_deadline is UNCHANGED
            else submission_deadline
        )
        if not isinstance(submission, dt.date):
            raise Invalid("submission_deadline", "must be a date")
        reviews = {**campaign.review_deadlines, **(review_deadlines or {})}
        check_deadlines(submission, reviews)
        campaign.submission_deadline = submission
        for level in REVIEW_LEVELS:
            setattr(campaign, f"{level}_review_deadline", reviews.get(level))
        if _deadlines(campaign) != deadlines:
            changes["deadlines"] = {"before": deadlines, "after": _deadlines(campaign)}
    if not changes:
        return None
    return _record(session, actor, campaign, reason, changes)


def _deadlines(campaign):
    return {
        "submission": campaign.submission_deadline.isoformat(),
        **{
            level: day.isoformat() if day else None
            for level, day in campaign.review_deadlines.items()
        },
    }


def _refuse_dropping_busy_levels(session, campaign, merged):
    """A level cannot stop reviewing while nominations wait there: they would be stranded."""
    for level in REVIEW_LEVELS:
        if options.of_level(campaign, level)["reviews"] and not merged[level]["reviews"]:
            waiting = session.scalar(
                select(func.count())
                .select_from(Nomination)
                .where(
                    Nomination.campaign_id == campaign.id,
                    Nomination.state == REVIEW_STATE[level],
                )
            )
            if waiting:
                one = waiting == 1
                waits, them = ("nomination waits", "it") if one else ("nominations wait", "them")
                raise Conflict(f"{waiting} {waits} at the {level} level; settle {them} first")


def _record(session, actor, campaign, reason, changes):
    amendment = CampaignAmendment(
        campaign_id=campaign.id, actor_id=actor.id, reason=reason, changes=changes
    )
    session.add(amendment)
    try:
        session.flush()
    except StaleDataError:
        raise StaleVersion("the campaign was amended by someone else meanwhile") from None
    return amendment


def amendments_of(session, campaign):
    return session.scalars(
        select(CampaignAmendment)
        .where(CampaignAmendment.campaign_id == campaign.id)
        .options(joinedload(CampaignAmendment.actor))
        .order_by(CampaignAmendment.id)
    ).all()


# Quotas ---------------------------------------------------------------------------------------


def set_quota(session, actor, campaign, unit, *, collective, individual, reason=None):
    """Cap what `unit` may recognise at its level in `campaign`, per kind (None: no cap).

    Recorded as an amendment; lowering a quota below what is already recognised changes none of
    those recognitions, it only stops new ones.
    """
    _require_amender(actor, campaign)
    if unit.level not in REVIEW_LEVELS or not campaign.unit.contains(unit):
        raise Invalid("unit_code", "the unit does not take part in this campaign")
    for field, value in (("collective", collective), ("individual", individual)):
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_QUOTA
        ):
            raise Invalid(field, f"must be empty or a whole number from 0 to {MAX_QUOTA}")
    quota = quota_of(session, campaign, unit)
    before = _quota_values(quota)
    if quota is None:
        quota = Quota(campaign_id=campaign.id, unit=unit)
        session.add(quota)
    quota.collective, quota.individual = collective, individual
    after = _quota_values(quota)
    if after != before:
        text = _reason(reason) if reason else "quota set"
        _record(
            session,
            actor,
            campaign,
            text,
            {f"quota {unit.code}": {"before": before, "after": after}},
        )
    session.flush()
    return quota


def _quota_values(quota):
    if quota is None:
        return {"collective": None, "individual": None}
    return {"collective": quota.collective, "individual": quota.individual}


def quota_of(session, campaign, unit):
    return session.scalar(
        select(Quota).where(Quota.campaign_id == campaign.id, Quota.unit_id == unit.id)
    )


def quota_usage(session, campaign, unit):
    """{kind: {"limit", "used", "remaining"}} of `unit` in `campaign`; limit None: no cap."""
    quota = quota_of(session, campaign, unit)
    used = decisions.used_places(session, campaign.id, unit.id)
    usage = {}
    for kind in ("collective", "individual"):
        limit = getattr(quota, kind) if quota is not None else None
        usage[kind] = {
            "limit": limit,
            "used": used[kind],
            "remaining": None if limit is None else max(0, limit - used[kind]),
        }
    return usage


def quotas(session, actor, campaign):
    """(unit, usage) for every quota of `campaign` on a unit the actor sees, in tree order."""
    rows = session.scalars(
        select(Quota)
        .join(Unit, Quota.unit_id == Unit.id)
        .where(Quota.campaign_id == campaign.id, policy.subtree(actor.unit))
        .options(joinedload(Quota.unit))
        .order_by(Unit.path)
    ).all()
    return [(quota.unit, quota_usage(session, campaign, quota.unit)) for quota in rows]
