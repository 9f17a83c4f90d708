"""API views of how a level decides: campaign amendments and quotas, committees, meetings and
ballots, publications for public comment and the comments, a province's extra days off."""

import datetime as dt

from flask import request

from web.api import bp
from web.api.requests import body_of, read_json, require_actor, validate
from web.api.schemas import (
    Ballot,
    CampaignAmend,
    CommitteeSet,
    DayOffAdd,
    MeetingClose,
    MeetingOpen,
    QuotaSet,
    Reopen,
)
from web.api.serializers import campaign_json, nomination_json, quota_json
from web.database import db
from web.meeting_files import send_minutes, send_scan, store_scan
from workflow import (
    campaigns,
    comments,
    committees,
    services,
    workdays,
)
from workflow.errors import Invalid, NotFound


def _iso(value):
    return value.isoformat() if value is not None else None


# Campaign options, amendments, quotas -----------------------------------------------------------


@bp.patch("/campaigns/<int:campaign_id>")
def amend_campaign(campaign_id):
    actor, fields = body_of(CampaignAmend)
    campaign = services.get_campaign(db.session, actor, campaign_id)
    campaigns.amend(
        db.session,
        actor,
        campaign,
        version=fields.version,
        reason=fields.reason,
        new_options=fields.options,
        submission_deadline=fields.submission_deadline or campaigns.UNCHANGED,
        review_deadlines=fields.review_deadlines.model_dump(exclude_unset=True)
        if fields.review_deadlines is not None
        else None,
    )
    db.session.commit()
    return campaign_json(campaign)


@bp.get("/campaigns/<int:campaign_id>/amendments")
def list_amendments(campaign_id):
    actor = require_actor()
    campaign = services.get_campaign(db.session, actor, campaign_id)
    return {
        "items": [
            {
                "id": amendment.id,
                "reason": amendment.reason,
                "changes": amendment.changes,
                "actor": amendment.actor.username,
                "at": _iso(amendment.at),
            }
            for amendment in campaigns.amendments_of(db.session, campaign)
        ]
    }


@bp.put("/campaigns/<int:campaign_id>/quotas/<unit_code>")
def set_quota(campaign_id, unit_code):
    actor, fields = body_of(QuotaSet)
    campaign = services.get_campaign(db.session, actor, campaign_id)
    unit = services.get_unit(db.session, actor, unit_code)
    campaigns.set_quota(
        db.session,
        actor,
        campaign,
        unit,
        collective=fields.collective,
        individual=fields.individual,
        reason=fields.reason,
    )
    db.session.commit()
    return quota_json(unit, campaigns.quota_usage(db.session, campaign, unit))


@bp.get("/campaigns/<int:campaign_id>/quotas")
def list_quotas(campaign_id):
    actor = require_actor()
    campaign = services.get_campaign(db.session, actor, campaign_id)
    return {
        "items": [
            quota_json(unit, usage) for unit, usage in campaigns.quotas(db.session, actor, campaign)
        ]
    }


# Committees -----------------------------------------------------------------------------------


def committee_json(unit, committee):
    if committee is None:
        return {"unit_code": unit.code, "size": None, "members": []}
    return {
        "unit_code": unit.code,
        "size": committee.size,
        "members": [member.user.username for member in committee.members],
    }


@bp.put("/units/<code>/committee")
def set_committee(code):
    actor, fields = body_of(CommitteeSet)
    unit = services.get_unit(db.session, actor, code)
    committee = committees.set_committee(
        db.session, actor, unit, size=fields.size, members=fields.members
    )
    db.session.commit()
    return committee_json(unit, committee)


@bp.get("/units/<code>/committee")
def get_committee(code):
    actor = require_actor()
    unit = services.get_unit(db.session, actor, code)
    return committee_json(unit, committees.committee_of(db.session, unit))


# Meetings ------------------------------------------------------------------------------------


def meeting_json(meeting):
    """A meeting; its counts only once it is closed (no call returns a member's ballot)."""
    closed = meeting.status == "closed"
    body = {
        "id": meeting.id,
        "unit_code": meeting.unit.code,
        "campaign_id": meeting.campaign_id,
        "mode": meeting.mode,
        "status": meeting.status,
        "held_on": _iso(meeting.held_on),
        "closes_on": _iso(meeting.closes_on),
        "place": meeting.place,
        "chair": meeting.chair.username,
        "version": meeting.version,
        "nomination_ids": [item.nomination_id for item in meeting.items],
        "size": meeting.size,
        "present": meeting.present,
        "quorate": meeting.quorate,
        "quorum_at_least": meeting.quorum_at_least,
        "pass_more_than": meeting.pass_more_than,
        "results": [
            {
                "nomination_id": item.nomination_id,
                "agree": item.agree,
                "disagree": item.disagree,
                "passed": item.passed,
            }
            for item in meeting.items
        ]
        if closed
        else [],
        "scan": f"/api/v1/meetings/{meeting.id}/scan.pdf" if meeting.scan else None,
        "minutes": f"/api/v1/meetings/{meeting.id}/minutes.pdf" if meeting.minutes else None,
    }
    if not closed and meeting.mode == "app":
        body["ballots_cast"] = committees.ballots_cast(db.session, meeting)
    return body


@bp.post("/units/<code>/meetings")
def open_meeting(code):
    actor, fields = body_of(MeetingOpen)
    unit = services.get_unit(db.session, actor, code)
    campaign = services.get_campaign(db.session, actor, fields.campaign_id)
    nominations = committees.nominations_for_agenda(db.session, actor, fields.nomination_ids)
    meeting = committees.open_meeting(
        db.session,
        actor,
        unit,
        campaign,
        held_on=fields.held_on,
        closes_on=fields.closes_on,
        place=fields.place,
        mode=fields.mode,
        nominations=nominations,
    )
    db.session.commit()  # the after-commit hand-off sends the members their notices
    return meeting_json(meeting), 201


@bp.get("/units/<code>/meetings")
def list_meetings(code):
    actor = require_actor()
    unit = services.get_unit(db.session, actor, code)
    return {
        "items": [
            meeting_json(meeting) for meeting in committees.meetings_of(db.session, actor, unit)
        ]
    }


@bp.get("/meetings/<int:meeting_id>")
def get_meeting(meeting_id):
    actor = require_actor()
    return meeting_json(committees.get_meeting(db.session, actor, meeting_id))


@bp.post("/meetings/<int:meeting_id>/ballots")
def cast_ballot(meeting_id):
    actor, fields = body_of(Ballot)
    meeting = committees.get_meeting(db.session, actor, meeting_id)
    committees.cast_ballot(db.session, actor, meeting, fields.votes)
    db.session.commit()
    return {"meeting_id": meeting.id, "recorded": True}, 201


@bp.post("/meetings/<int:meeting_id>/close")
def close_meeting(meeting_id):
    data = read_json() if request.get_data(cache=True).strip() else {}
    actor = require_actor()
    fields = validate(MeetingClose, data)
    meeting = committees.get_meeting(db.session, actor, meeting_id)
    committees.close_meeting(
        db.session,
        actor,
        meeting,
        version=fields.version,
        present=fields.present,
        agree=fields.agree,
        on=services.today(),
    )
    db.session.commit()  # the after-commit hand-off renders the minutes
    return meeting_json(meeting)


@bp.put("/meetings/<int:meeting_id>/scan.pdf")
def upload_scan(meeting_id):
    """Paper mode: the scanned minutes, the request body being the PDF itself."""
    actor = require_actor()
    data = request.get_data(cache=False)
    meeting = committees.get_meeting(db.session, actor, meeting_id)
    store_scan(db.session, actor, meeting, data)
    db.session.commit()
    return meeting_json(meeting)


@bp.get("/meetings/<int:meeting_id>/scan.pdf")
def download_scan(meeting_id):
    actor = require_actor()
    return send_scan(committees.get_meeting(db.session, actor, meeting_id))


@bp.get("/meetings/<int:meeting_id>/minutes.pdf")
def download_minutes(meeting_id):
    """The minutes written after the close; 409 while they are being written."""
    actor = require_actor()
    return send_minutes(committees.get_meeting(db.session, actor, meeting_id))


# Publications and public comments ---------------------------------------------------------------


def publication_json(publication):
    return {
        "nomination_id": publication.nomination_id,
        "unit_code": publication.unit.code,
        "published_on": _iso(publication.published_on),
        "ends_on": _iso(publication.ends_on),
    }


@bp.post("/nominations/<int:nomination_id>/publication")
def publish(nomination_id):
    actor = require_actor()
    nomination = services.get_nomination(db.session, actor, nomination_id)
    publication = comments.publish(db.session, actor, nomination, on=services.today())
    db.session.commit()
    return publication_json(publication), 201


@bp.post("/nominations/<int:nomination_id>/reopen")
def reopen(nomination_id):
    actor, fields = body_of(Reopen)
    nomination = services.get_nomination(db.session, actor, nomination_id)
    comments.reopen(db.session, actor, nomination, reason=fields.comment)
    db.session.commit()
    return nomination_json(nomination)


@bp.get("/nominations/<int:nomination_id>/comments")
def list_comments(nomination_id):
    actor = require_actor()
    nomination = services.get_nomination(db.session, actor, nomination_id)
    return {
        "items": [
            {
                "id": comment.id,
                "name": comment.name,
                "contact": comment.contact,
                "text": comment.text,
                "address": comment.address,
                "at": _iso(comment.at),
            }
            for comment in comments.comments_of(db.session, actor, nomination)
        ]
    }


# A province's extra days off --------------------------------------------------------------------


def _province(actor, code):
    unit = services.get_unit(db.session, actor, code)
    if unit.parent_id is not None:
        raise NotFound(f"{code} is not a province")
    return unit


@bp.get("/units/<code>/days-off")
def list_days_off(code):
    actor = require_actor()
    province = _province(actor, code)
    rows = workdays.days_off_of(db.session, province)
    return {"items": [{"day": _iso(row.day), "name": row.name} for row in rows]}


@bp.post("/units/<code>/days-off")
def add_day_off(code):
    actor, fields = body_of(DayOffAdd)
    province = _province(actor, code)
    workdays.add_day_off(db.session, actor, province, day=fields.day, name=fields.name)
    db.session.commit()
    return {"day": _iso(fields.day), "name": fields.name}, 201


@bp.delete("/units/<code>/days-off/<day>")
def remove_day_off(code, day):
    actor = require_actor()
    try:
        parsed = dt.date.fromisoformat(day)
    except ValueError:
        raise Invalid("day", "must be a date written YYYY-MM-DD") from None
    province = _province(actor, code)
    workdays.remove_day_off(db.session, actor, province, day=parsed)
    db.session.commit()
    return "", 204
