"""The public comment period: names published before a level recognises them, and the comments
anyone may send on them.

A level with `comment_days` > 0 recognises a name only after it has been published for that
many working days (weekends, Vietnamese public holidays and the province's extra days off do not
count). A committee's passed vote at the unit that makes the final call publishes the name
itself; at a `single` level, or to recognise below the level asked for, the reviewer publishes
it. A reviewer may reopen the decision in light of a comment: the publication is withdrawn, and
the level votes (and publishes) again.
"""

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from workflow import decisions, options, policy, workdays
from workflow.errors import Conflict, Forbidden, Invalid, NotAllowedNow, NotFound
from workflow.fields import clean_text
from workflow.models import Campaign, HistoryEntry, Nomination, Publication, PublicComment, utcnow

NAME_MAX, CONTACT_MAX, TEXT_MAX = 200, 200, 2000


def comment_days(nomination, unit):
    return options.of_level(nomination.campaign, unit.level)["comment_days"]


def publish_if_asked(session, actor, nomination, unit, *, on):
    """After a passed vote (closed by `actor`): publish the name when the level asks for a
    comment period."""
    if (
        comment_days(nomination, unit)
        and decisions.publication_of(session, nomination, unit) is None
    ):
        return _publish(session, actor, nomination, unit, on=on)
    return None


def publish(session, actor, nomination, *, on):
    """A reviewer of the pending unit puts the name out for public comment."""
    if not policy.is_pending_reviewer(actor, nomination):
        raise Forbidden("only a reviewer of the unit the nomination waits at publishes it")
    unit = nomination.pending_unit
    if not comment_days(nomination, unit):
        raise NotAllowedNow(f"the {unit.level} level of this campaign has no comment period")
    if options.of_level(nomination.campaign, unit.level)["decision"] == "committee":
        vote = decisions.vote_of(session, nomination, unit)
        if vote is None or not vote["passed"]:
            raise NotAllowedNow("the committee's vote must pass before the name is published")
    if decisions.publication_of(session, nomination, unit) is not None:
        raise Conflict("the name is already published for comment")
    return _publish(session, actor, nomination, unit, on=on)


def _publish(session, actor, nomination, unit, *, on):
    days = comment_days(nomination, unit)
    ends_on = workdays.period_end(on, days, workdays.days_off(session, unit, on, days))
    publication = Publication(
        nomination=nomination,
        campaign_id=nomination.campaign_id,
        unit=unit,
        published_on=on,
        ends_on=ends_on,
    )
    session.add(publication)
    session.add(
        HistoryEntry(
            nomination=nomination,
            action=decisions.PUBLISHED,
            from_state=nomination.state,
            to_state=nomination.state,
            actor_id=actor.id,
            actor_unit=unit,
            details={"published_on": on.isoformat(), "ends_on": ends_on.isoformat(), "days": days},
        )
    )
    session.flush()
    return publication


def reopen(session, actor, nomination, *, reason):
    """Reopen the level's decision in light of a comment: the vote no longer counts, the
    publication is withdrawn; the level decides (and publishes) again."""
    if not policy.is_pending_reviewer(actor, nomination):
        raise Forbidden("only a reviewer of the unit the nomination waits at reopens its decision")
    reason = _clean("comment", reason, 2000)
    unit = nomination.pending_unit
    publication = decisions.publication_of(session, nomination, unit)
    vote = decisions.vote_of(session, nomination, unit)
    if publication is None and vote is None:
        raise NotAllowedNow("there is no vote or publication to reopen")
    if publication is not None:
        publication.withdrawn_at = utcnow()
    session.add(
        HistoryEntry(
            nomination=nomination,
            action=decisions.REOPENED,
            from_state=nomination.state,
            to_state=nomination.state,
            actor_id=actor.id,
            actor_unit=unit,
            comment=reason,
        )
    )
    session.flush()


# The public side ------------------------------------------------------------------------------


def published(session, campaign, *, on):
    """(publication, nomination) pairs of `campaign` open for comment on `on`, by unit and name.

    A name is open while its period runs, its publication stands and the nomination still waits
    at the publishing unit since before it was published (as `decisions.publication_of` counts
    it): a name withdrawn, returned, rejected or sent back since leaves the public page at once.
    """
    return session.execute(
        select(Publication, Nomination)
        .join(Nomination, Publication.nomination_id == Nomination.id)
        .where(
            Publication.campaign_id == campaign.id,
            Publication.withdrawn_at.is_(None),
            Publication.published_on <= on,
            Publication.ends_on >= on,
            Nomination.pending_unit_id == Publication.unit_id,
            Publication.created_at >= Nomination.pending_since,
        )
        .options(joinedload(Nomination.cell), joinedload(Publication.unit))
        .order_by(Publication.unit_id, Nomination.kind, Nomination.nominee_name, Nomination.id)
    ).all()


def public_campaign(session, campaign_id):
    """Any campaign by id, for the public page (which shows only what is published)."""
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound(f"campaign {campaign_id} not found")
    return campaign


def add_comment(session, campaign, nomination_id, *, name, contact, text, address, on):
    """Anyone's comment on a name open for comment; stored with the address and the time."""
    open_now = {
        nomination.id: publication
        for publication, nomination in published(session, campaign, on=on)
    }
    publication = open_now.get(nomination_id)
    if publication is None:
        raise NotFound("this name is not open for comment")
    comment = PublicComment(
        publication_id=publication.id,
        nomination_id=nomination_id,
        name=_clean("name", name, NAME_MAX),
        contact=_clean("contact", contact, CONTACT_MAX),
        text=_clean("text", text, TEXT_MAX),
        address=(address or "unknown")[:64],
    )
    session.add(comment)
    session.flush()
    return comment


def _clean(field, value, max_length):
    if not isinstance(value, str):
        raise Invalid(field, "must not be empty")
    try:
        return clean_text(value, min_length=1, max_length=max_length)
    except ValueError as error:
        raise Invalid(field, str(error)) from None


def comments_of(session, actor, nomination):
    """The public comments on `nomination`, oldest first; reviewers and administrators only."""
    if not policy.can_read_comments(actor, nomination):
        raise Forbidden("only reviewers and administrators read the public comments")
    return session.scalars(
        select(PublicComment)
        .where(PublicComment.nomination_id == nomination.id)
        .order_by(PublicComment.id)
    ).all()


def comment_counts(session, nomination_ids):
    """{nomination id: number of public comments}, for the queue."""
    if not nomination_ids:
        return {}
    return dict(
        session.execute(
            select(PublicComment.nomination_id, func.count())
            .where(PublicComment.nomination_id.in_(nomination_ids))
            .group_by(PublicComment.nomination_id)
        ).all()
    )
