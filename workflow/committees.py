"""Committees and their meetings: who sits on a unit's committee, and how a meeting votes.

A reviewer of the unit opens a meeting on nominations pending there. In the app, each member
account casts one secret ballot (agree / disagree per nomination): the counts and the list of
who took part are kept apart, and nothing records which member voted how. On paper, the chair
enters the attendance and the agree counts and attaches the scanned minutes. Closing computes
each result with the campaign's rules, records them on the meeting (with the rules used, so a
later amendment changes nothing), and writes a `vote` history entry with the tally on every
nomination of the agenda; a passed vote at the unit that makes the final call publishes the name
for public comment when its level asks for a comment period.
"""

import datetime as dt

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.exc import StaleDataError

from workflow import comments, decisions, options, policy, queries, routing
from workflow.errors import Conflict, Forbidden, Invalid, NotAllowedNow, NotFound, StaleVersion
from workflow.fields import id_from_text
from workflow.levels import LEVEL_OF_REVIEW_STATE
from workflow.models import (
    Committee,
    CommitteeMember,
    HistoryEntry,
    Meeting,
    MeetingItem,
    MeetingVoter,
    Nomination,
    OutboxMessage,
    User,
    utcnow,
)
from workflow.notices import address_tag

MAX_COMMITTEE = 200
MAX_AGENDA = 500
BALLOT_CHOICES = ("agree", "disagree")


# The committee ------------------------------------------------------------------------------


def committee_of(session, unit):
    return session.get(Committee, unit.id, options=[joinedload(Committee.members)])


def set_committee(session, actor, unit, *, size, members):
    """Set `unit`'s committee: its size and the accounts (usernames) that sit on it.

    Members are active accounts of the unit itself (its reviewers and administrators), who see
    every nomination that can come before it.
    """
    if not policy.can_administer(actor, unit):
        raise Forbidden("only an administrator of this unit or above sets its committee")
    if unit.level not in LEVEL_OF_REVIEW_STATE.values():
        raise Invalid("unit_code", "only a reviewing unit has a committee")
    if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= MAX_COMMITTEE:
        raise Invalid("size", f"must be a whole number from 1 to {MAX_COMMITTEE}")
    names = list(dict.fromkeys(members))
    if len(names) > size:
        raise Invalid("members", "more members with accounts than the committee's size")
    users = {
        user.username: user
        for user in session.scalars(select(User).where(User.username.in_(names)))
    }
    for name in names:
        user = users.get(name)
        if user is None or user.unit_id != unit.id or not user.active:
            raise Invalid("members", f"{name} is not an active account of {unit.code}")
    committee = committee_of(session, unit) or Committee(unit=unit, size=size)
    committee.size = size
    committee.members = [CommitteeMember(user_id=users[name].id) for name in names]
    session.add(committee)
    session.flush()
    return committee


def is_member(session, user, unit):
    return (
        session.scalar(
            select(CommitteeMember.user_id).where(
                CommitteeMember.unit_id == unit.id, CommitteeMember.user_id == user.id
            )
        )
        is not None
    )


# Meetings -----------------------------------------------------------------------------------


def nominations_for_agenda(session, actor, nomination_ids):
    """The nominations named for an agenda, each visible to the actor (else NotFound)."""
    found = {
        nomination.id: nomination
        for nomination in session.scalars(
            select(Nomination)
            .where(Nomination.id.in_(nomination_ids))
            .options(joinedload(Nomination.cell))
        )
        if policy.can_see_nomination(actor, nomination)
    }
    for number in nomination_ids:
        if number not in found:
            raise NotFound(f"nomination {number} not found")
    return [found[number] for number in dict.fromkeys(nomination_ids)]


def open_meeting(session, actor, unit, campaign, *, held_on, closes_on, place, mode, nominations):
    """A reviewer of `unit` opens a meeting of its committee on `nominations` pending there."""
    if not policy.can_run_meetings(actor, unit):
        raise Forbidden("only a reviewer of this unit opens its committee's meetings")
    if options.of_level(campaign, unit.level)["decision"] != "committee":
        raise NotAllowedNow(f"in this campaign the {unit.level} level does not decide by vote")
    committee = committee_of(session, unit)
    if committee is None:
        raise NotAllowedNow(f"{unit.code} has no committee yet: an administrator sets it up")
    if mode not in ("app", "paper"):
        raise Invalid("mode", "must be app or paper")
    if mode == "app" and not committee.members:
        raise NotAllowedNow("no committee member has an account to vote in the app")
    closes_on = closes_on or held_on
    if closes_on < held_on:
        raise Invalid("closes_on", "is before the meeting's day")
    if not nominations:
        raise Invalid("nomination_ids", "must name at least one nomination")
    if len(nominations) > MAX_AGENDA:
        raise Invalid("nomination_ids", f"at most {MAX_AGENDA} nominations")
    for nomination in nominations:
        if nomination.pending_unit_id != unit.id or nomination.campaign_id != campaign.id:
            raise Invalid(
                "nomination_ids",
                f"nomination {nomination.id} is not pending at {unit.code} in this campaign",
            )
    meeting = Meeting(
        unit=unit,
        campaign=campaign,
        mode=mode,
        status="open",
        held_on=held_on,
        closes_on=closes_on,
        place=place,
        chair_id=actor.id,
        items=[MeetingItem(nomination_id=nomination.id) for nomination in nominations],
    )
    session.add(meeting)
    session.flush()
    _notify_members(session, meeting, "meeting_opened")
    return meeting


def get_meeting(session, actor, meeting_id):
    """The meeting if it exists and its unit lies in the actor's subtree, else NotFound."""
    meeting = session.get(Meeting, meeting_id, options=[joinedload(Meeting.unit)])
    if meeting is None or not policy.can_see_unit(actor, meeting.unit):
        raise NotFound(f"meeting {meeting_id} not found")
    return meeting


def agenda(session, meeting):
    """The meeting's nominations, in id order."""
    return session.scalars(
        select(Nomination)
        .join(MeetingItem, MeetingItem.nomination_id == Nomination.id)
        .where(MeetingItem.meeting_id == meeting.id)
        .options(joinedload(Nomination.cell))
        .order_by(Nomination.id)
    ).all()


def ballots_cast(session, meeting):
    return session.scalar(
        select(func.count()).select_from(MeetingVoter).where(MeetingVoter.meeting_id == meeting.id)
    )


def has_voted(session, meeting, user):
    return session.get(MeetingVoter, (meeting.id, user.id)) is not None


def cast_ballot(session, actor, meeting, votes):
    """One member's secret ballot: {nomination id: "agree" | "disagree"}; once per member.

    The counts move by one in single UPDATEs, and the member is recorded as having voted in
    a separate table: nothing stored ties the member to the choices.
    """
    if meeting.mode != "app":
        raise NotAllowedNow("this meeting is recorded on paper")
    if not is_member(session, actor, meeting.unit):
        raise Forbidden("only the committee's members vote")
    if meeting.status != "open":
        raise NotAllowedNow("the meeting is closed")
    on_agenda = set(
        session.scalars(
            select(MeetingItem.nomination_id).where(MeetingItem.meeting_id == meeting.id)
        )
    )
    if not isinstance(votes, dict) or not votes:
        raise Invalid("votes", "must give a choice for at least one nomination")
    choices = {}
    for key, choice in votes.items():
        nomination_id = id_from_text(key)
        if nomination_id not in on_agenda:
            raise Invalid(f"votes.{key}", "is not on this meeting's agenda")
        if choice not in BALLOT_CHOICES:
            raise Invalid(f"votes.{key}", "must be agree or disagree")
        choices[nomination_id] = choice
    try:
        with session.begin_nested():
            session.add(MeetingVoter(meeting_id=meeting.id, user_id=actor.id))
    except IntegrityError:
        raise Conflict("you have already voted in this meeting") from None
    for choice in BALLOT_CHOICES:
        chosen = [nomination_id for nomination_id, value in choices.items() if value == choice]
        if chosen:
            column = getattr(MeetingItem, choice)
            session.execute(
                update(MeetingItem)
                .where(MeetingItem.meeting_id == meeting.id, MeetingItem.nomination_id.in_(chosen))
                .values({choice: column + 1})
                .execution_options(synchronize_session=False)
            )
    session.flush()


def attach_scan(session, actor, meeting, *, key, name, sha256, size):
    """Paper mode: the scanned minutes (a PDF already stored under `key`)."""
    _require_chair(actor, meeting)
    if meeting.mode != "paper":
        raise NotAllowedNow("only a paper meeting has scanned minutes")
    if meeting.status != "open":
        raise NotAllowedNow("the meeting is closed")
    previous = meeting.scan
    meeting.scan = {"key": key, "name": name, "sha256": sha256, "size": size}
    session.flush()
    return previous


def close_meeting(session, actor, meeting, *, version=None, present=None, agree=None, on):
    """Close the meeting and decide: the results, the history entries, the publications."""
    _require_chair(actor, meeting)
    if version is not None and version != meeting.version:
        raise StaleVersion(f"meeting {meeting.id} is at version {meeting.version}, not {version}")
    if meeting.status != "open":
        raise NotAllowedNow("the meeting is already closed")
    committee = committee_of(session, meeting.unit)
    size = committee.size
    # The counts are read again under the lock: ballots move them in UPDATEs that rows this
    # session loaded before (the agenda, when the meeting opened) know nothing of.
    items = session.scalars(
        select(MeetingItem)
        .where(MeetingItem.meeting_id == meeting.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    if meeting.mode == "paper":
        present = _paper_counts(items, size, present, agree)
        if meeting.scan is None:
            raise NotAllowedNow("attach the scanned minutes (PDF) before closing")
    else:
        if present is not None or agree is not None:
            raise Invalid("present", "an app meeting counts its ballots itself")
        present = ballots_cast(session, meeting)
    level = options.of_level(meeting.campaign, meeting.unit.level)
    quorate = options.quorate(present, size, level["quorum_at_least"])
    for item in items:
        item.passed = quorate and options.passes(item.agree, size, level["pass_more_than"])
    meeting.status, meeting.closed_at, meeting.closed_by_id = "closed", utcnow(), actor.id
    meeting.size, meeting.present, meeting.quorate = size, present, quorate
    meeting.quorum_at_least, meeting.pass_more_than = (
        level["quorum_at_least"],
        level["pass_more_than"],
    )
    try:
        session.flush()
    except StaleDataError:
        raise StaleVersion("the meeting was closed by someone else meanwhile") from None
    _record_results(session, actor, meeting, items, on=on)
    return meeting


def _paper_counts(items, size, present, agree):
    if isinstance(present, bool) or not isinstance(present, int) or not 0 <= present <= size:
        raise Invalid("present", f"must be a whole number from 0 to the committee's size ({size})")
    if not isinstance(agree, dict):
        raise Invalid("agree", "must give the agree count of every nomination")
    given = {}
    for key, count in agree.items():
        nomination_id = id_from_text(key)
        if nomination_id is None:
            raise Invalid(f"agree.{key}", "is not on this meeting's agenda")
        given[nomination_id] = count
    for item in items:
        count = given.pop(item.nomination_id, None)
        if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= present:
            raise Invalid(f"agree.{item.nomination_id}", "must be a count from 0 to those present")
        item.agree, item.disagree = count, present - count
    if given:
        raise Invalid(f"agree.{next(iter(given))}", "is not on this meeting's agenda")
    return present


def _record_results(session, actor, meeting, items, *, on):
    nominations = {nomination.id: nomination for nomination in agenda(session, meeting)}
    for item in items:
        nomination = nominations[item.nomination_id]
        tally = {
            "meeting_id": meeting.id,
            "mode": meeting.mode,
            "size": meeting.size,
            "present": meeting.present,
            "quorate": meeting.quorate,
            "agree": item.agree,
            "disagree": item.disagree,
            "passed": item.passed,
            "quorum_at_least": meeting.quorum_at_least,
            "pass_more_than": meeting.pass_more_than,
        }
        session.add(
            HistoryEntry(
                nomination=nomination,
                action=decisions.VOTE,
                from_state=nomination.state,
                to_state=nomination.state,
                actor_id=actor.id,
                actor_unit=meeting.unit,
                details=tally,
            )
        )
        still_here = nomination.pending_unit_id == meeting.unit_id
        if item.passed and still_here and _decides_here(session, nomination, meeting.unit):
            comments.publish_if_asked(session, actor, nomination, meeting.unit, on=on)
    session.flush()


def _decides_here(session, nomination, unit):
    """Does `unit` make the final call on `nomination` (its target level is reached there)?"""
    chain = routing.chain_of(nomination)
    decider = routing.decision_unit(chain, nomination.target_level)
    return decider is not None and decider.id == unit.id


def _require_chair(actor, meeting):
    if not policy.can_run_meetings(actor, meeting.unit):
        raise Forbidden("only a reviewer of the meeting's unit does this")


def meetings_of(session, actor, unit, *, status=None, limit=100):
    query = select(Meeting).where(Meeting.unit_id == unit.id)
    if status:
        query = query.where(Meeting.status == status)
    return session.scalars(
        query.options(joinedload(Meeting.campaign))
        .order_by(Meeting.held_on.desc(), Meeting.id.desc())
        .limit(limit)
    ).all()


def results(session, meeting):
    """(nomination, item) pairs in agenda order; counts are read only once the meeting closed."""
    if meeting.status != "closed":
        raise NotAllowedNow("the counts are secret until the meeting closes")
    items = {item.nomination_id: item for item in meeting.items}
    return [(nomination, items[nomination.id]) for nomination in agenda(session, meeting)]


# Notices to members --------------------------------------------------------------------------


def _notify_members(session, meeting, notice):
    members = session.scalars(
        select(User)
        .join(CommitteeMember, CommitteeMember.user_id == User.id)
        .where(CommitteeMember.unit_id == meeting.unit_id, User.active)
        .order_by(User.id)
    ).all()
    context = {
        "meeting_id": meeting.id,
        "unit": meeting.unit.name,
        "campaign": meeting.campaign.name,
        "held_on": meeting.held_on.isoformat(),
        "closes_on": meeting.closes_on.isoformat(),
        "place": meeting.place,
        "mode": meeting.mode,
        "items": len(meeting.items),
    }
    if notice == "meeting_closing":  # only those who have not voted yet
        voted = set(
            session.scalars(
                select(MeetingVoter.user_id).where(MeetingVoter.meeting_id == meeting.id)
            )
        )
        members = [member for member in members if member.id not in voted]
    keys = {member.id: f"{notice}-{meeting.id}-{address_tag(member.email)}" for member in members}
    # Keyed per meeting and member: the daily job run twice writes nothing new.
    sent = set(
        session.scalars(select(OutboxMessage.key).where(OutboxMessage.key.in_(keys.values())))
    )
    written = [
        OutboxMessage(
            key=keys[member.id],
            notice=notice,
            recipient_user_id=member.id,
            recipient_email=member.email,
            language=member.language,
            context=context,
        )
        for member in members
        if keys[member.id] not in sent
    ]
    session.add_all(written)
    session.flush()
    return written


def closing_reminders(session, *, on):
    """Daily: remind the members who have not voted, the day before an app meeting closes."""
    tomorrow = on + dt.timedelta(days=1)
    meetings = session.scalars(
        select(Meeting)
        .where(Meeting.status == "open", Meeting.mode == "app", Meeting.closes_on == tomorrow)
        .options(joinedload(Meeting.unit), joinedload(Meeting.campaign))
        .order_by(Meeting.id)
    ).all()
    written = []
    for meeting in meetings:
        written += _notify_members(session, meeting, "meeting_closing")
    return written


# What the pages offer -------------------------------------------------------------------------


def deciding_campaigns(session, actor, unit):
    """The campaigns the actor sees in which `unit`'s level decides by a committee vote."""
    return [
        campaign
        for campaign in queries.visible_campaigns(session, actor)
        if campaign.unit.contains(unit)
        and options.of_level(campaign, unit.level)["decision"] == "committee"
    ]


def pending_for_agenda(session, unit, campaign):
    """The nominations pending at `unit` in `campaign`, oldest first: what a meeting takes up."""
    return session.scalars(
        select(Nomination)
        .where(Nomination.pending_unit_id == unit.id, Nomination.campaign_id == campaign.id)
        .options(joinedload(Nomination.cell))
        .order_by(Nomination.pending_since, Nomination.id)
        .limit(MAX_AGENDA)
    ).all()


def eligible_members(session, unit):
    """The accounts that may sit on `unit`'s committee: its own active accounts."""
    return session.scalars(
        select(User).where(User.unit_id == unit.id, User.active).order_by(User.full_name, User.id)
    ).all()
