"""How a level decides: committee votes with quorum and majority, secret ballots, quotas, the
public comment period, and options pinned to the campaign with recorded amendments."""

import datetime as dt
import threading

import pytest
from conftest import World
from sqlalchemy import func, inspect, select
from sqlalchemy.orm import sessionmaker

from workflow import (
    accounts,
    campaigns,
    comments,
    committees,
    decisions,
    options,
    services,
    workdays,
)
from workflow.errors import (
    CommentPeriodOpen,
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    VoteRequired,
)
from workflow.models import (
    CampaignAmendment,
    HistoryEntry,
    MeetingItem,
    MeetingVoter,
    Nomination,
    OutboxMessage,
)

API = "/api/v1"
PROBLEMS = "https://commend.example/problems/"


def amend(world, reason="Theo nghị quyết của Ban Thường vụ", **levels):
    campaign = world.campaign
    return campaigns.amend(
        world.session,
        world.users["adm_p"],
        campaign,
        version=campaign.version,
        reason=reason,
        new_options=levels,
    )


def at_district(world, count=1, kind="individual", target="district"):
    """`count` nominations of cell K1 waiting at D1."""
    waiting = []
    for number in range(count):
        nomination = world.nominate(nominee_name=f"Người thứ {number}", kind=kind, target=target)
        world.act(nomination, "sec_k1", "submit")
        world.act(nomination, "rev_c1", "approve")
        waiting.append(nomination)
    return waiting


@pytest.fixture
def committee(world, db_session):
    """D1 decides by a committee of 9, three of whom vote in the app."""
    for name in ("uv_1", "uv_2"):
        world.add_user(name, "reviewer", "D1")
    db_session.flush()
    amend(world, district={"decision": "committee"})
    return committees.set_committee(
        db_session,
        world.users["adm_d1"],
        world.units["D1"],
        size=9,
        members=["rev_d1", "uv_1", "uv_2"],
    )


def paper_vote(world, nominations, present, agree, *, on=None):
    session, chair = world.session, world.users["rev_d1"]
    meeting = committees.open_meeting(
        session,
        chair,
        world.units["D1"],
        world.campaign,
        held_on=on or services.today(),
        closes_on=None,
        place="Hội trường Huyện ủy",
        mode="paper",
        nominations=nominations,
    )
    committees.attach_scan(
        session, chair, meeting, key=f"scan-{meeting.id}", name="bb.pdf", sha256="0" * 64, size=9
    )
    counts = {
        str(nomination.id): count for nomination, count in zip(nominations, agree, strict=True)
    }
    return committees.close_meeting(
        session, chair, meeting, present=present, agree=counts, on=on or services.today()
    )


# Quorum and majority ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("present", "agree", "quorate", "passed"),
    [(6, 5, True, True), (6, 4, True, False), (5, 5, False, False), (9, 5, True, True)],
)
def test_nine_members_quorum_and_majority_at_the_edges(present, agree, quorate, passed):
    assert options.quorate(present, 9, "2/3") is quorate
    assert (quorate and options.passes(agree, 9, "1/2")) is passed


def test_a_paper_meeting_decides_with_the_campaigns_rules(world, committee, db_session):
    first, second = at_district(world, 2)
    meeting = paper_vote(world, [first, second], present=6, agree=[5, 4])
    assert (meeting.size, meeting.present, meeting.quorate) == (9, 6, True)
    items = {item.nomination_id: item for item in meeting.items}
    assert (items[first.id].agree, items[first.id].disagree, items[first.id].passed) == (5, 1, True)
    assert items[second.id].passed is False
    vote = decisions.vote_of(db_session, first, world.units["D1"])
    assert (vote["passed"], vote["agree"], vote["present"]) == (True, 5, 6)
    # The passed one can be recognised; the failed one only returned or rejected.
    world.act(first, "rev_d1", "approve")
    assert first.state == "commended"
    with pytest.raises(VoteRequired):
        world.act(second, "rev_d1", "approve")
    world.act(second, "rev_d1", "return")
    assert second.state == "returned"


def test_a_meeting_without_quorum_decides_nothing(world, committee, db_session):
    (nomination,) = at_district(world)
    meeting = paper_vote(world, [nomination], present=5, agree=[5])
    assert meeting.quorate is False
    assert meeting.items[0].passed is False
    with pytest.raises(VoteRequired):
        world.act(nomination, "rev_d1", "approve")


def test_a_committee_level_needs_a_vote_before_approve_or_recognize(
    client, world, committee, auth, db_session
):
    (nomination,) = at_district(world, target="province")
    db_session.commit()
    for action in ("approve", "recognize"):
        answer = client.post(
            f"{API}/nominations/{nomination.id}/actions/{action}",
            json={"version": nomination.version},
            headers=auth("rev_d1"),
        )
        assert answer.status_code == 409
        assert answer.json["type"] == PROBLEMS + "vote-required"
    # Returning needs no vote.
    answer = client.post(
        f"{API}/nominations/{nomination.id}/actions/return",
        json={"version": nomination.version, "comment": "Bổ sung minh chứng"},
        headers=auth("rev_d1"),
    )
    assert answer.status_code == 200


def test_a_resubmitted_nomination_needs_a_new_vote(world, committee, db_session):
    (nomination,) = at_district(world)
    paper_vote(world, [nomination], present=9, agree=[9])
    world.act(nomination, "rev_d1", "return")
    world.act(nomination, "sec_k1", "resubmit")
    assert nomination.pending_unit_id == world.units["D1"].id
    with pytest.raises(VoteRequired):
        world.act(nomination, "rev_d1", "approve")


# Secret ballots ----------------------------------------------------------------------------------


def open_app_meeting(world, nominations):
    return committees.open_meeting(
        world.session,
        world.users["rev_d1"],
        world.units["D1"],
        world.campaign,
        held_on=services.today(),
        closes_on=services.today() + dt.timedelta(days=2),
        place="Trực tuyến",
        mode="app",
        nominations=nominations,
    )


def test_members_vote_once_and_secretly_in_the_app(client, world, committee, auth, db_session):
    nominations = at_district(world, 2)
    meeting = open_app_meeting(world, nominations)
    db_session.commit()
    url = f"{API}/meetings/{meeting.id}"
    first, second = (str(nomination.id) for nomination in nominations)
    # A key of digits that are not ASCII, or of more digits than an id has, names no nomination.
    for odd in ("²", "1" * 5000):
        votes = {first: "agree", odd: "agree"}
        refused = client.post(f"{url}/ballots", json={"votes": votes}, headers=auth("uv_1"))
        assert refused.status_code == 422, refused.json
        assert refused.json["errors"][0]["field"] == f"votes.{odd}"
    for member, votes in (
        ("rev_d1", {first: "agree", second: "disagree"}),
        ("uv_1", {first: "agree", second: "agree"}),
    ):
        answer = client.post(f"{url}/ballots", json={"votes": votes}, headers=auth(member))
        assert answer.status_code == 201, answer.json
    again = client.post(f"{url}/ballots", json={"votes": {first: "agree"}}, headers=auth("uv_1"))
    assert again.status_code == 409
    outsider = client.post(
        f"{url}/ballots", json={"votes": {first: "agree"}}, headers=auth("rev_c1")
    )
    assert outsider.status_code == 404  # the meeting lies outside the commune reviewer's unit
    stranger = client.post(
        f"{url}/ballots", json={"votes": {first: "agree"}}, headers=auth("adm_d1")
    )
    assert stranger.status_code == 403  # an administrator, but not a member
    while_open = client.get(url, headers=auth("adm_p")).json
    assert (while_open["results"], while_open["ballots_cast"]) == ([], 2)
    closed = client.post(f"{url}/close", headers=auth("rev_d1"))
    assert closed.status_code == 200
    body = closed.json
    # 2 ballots of 9 members: no quorum, so nothing passes, but the counts are shown.
    assert (body["present"], body["quorate"]) == (2, False)
    assert {row["nomination_id"]: row["agree"] for row in body["results"]} == {
        int(first): 2,
        int(second): 1,
    }


def test_no_table_or_answer_ties_a_member_to_a_choice(client, world, committee, auth, db_session):
    nominations = at_district(world)
    meeting = open_app_meeting(world, nominations)
    db_session.commit()
    url = f"{API}/meetings/{meeting.id}"
    key = str(nominations[0].id)
    client.post(f"{url}/ballots", json={"votes": {key: "disagree"}}, headers=auth("uv_2"))
    # Who took part is kept apart from the counts, with nothing to join them by.
    assert {column.name for column in inspect(MeetingVoter).columns} == {"meeting_id", "user_id"}
    assert "user_id" not in {column.name for column in inspect(MeetingItem).columns}
    assert (
        db_session.scalar(
            select(func.count())
            .select_from(HistoryEntry)
            .where(HistoryEntry.actor_id == world.users["uv_2"].id)
        )
        == 0
    )
    client.post(f"{url}/close", headers=auth("rev_d1"))
    for path in (url, f"{API}/nominations/{key}", f"{API}/units/D1/meetings"):
        text = client.get(path, headers=auth("adm_p")).get_data(as_text=True)
        assert "uv_2" not in text


def test_members_are_notified_when_a_meeting_opens_and_the_day_before_it_closes(
    world, committee, db_session
):
    meeting = open_app_meeting(world, at_district(world))
    opened = db_session.scalars(
        select(OutboxMessage.recipient_email).where(OutboxMessage.notice == "meeting_opened")
    ).all()
    assert sorted(opened) == sorted(world.users[name].email for name in ("rev_d1", "uv_1", "uv_2"))
    committees.cast_ballot(
        db_session, world.users["uv_1"], meeting, {str(meeting.items[0].nomination_id): "agree"}
    )
    day_before = meeting.closes_on - dt.timedelta(days=1)
    assert committees.closing_reminders(db_session, on=day_before - dt.timedelta(days=1)) == []
    reminded = committees.closing_reminders(db_session, on=day_before)
    assert sorted(message.recipient_email for message in reminded) == sorted(
        world.users[name].email
        for name in ("rev_d1", "uv_2")  # uv_1 has voted
    )
    assert committees.closing_reminders(db_session, on=day_before) == []  # once


# Quotas ---------------------------------------------------------------------------------------


def test_deciding_past_the_quota_is_a_409_naming_it(client, world, auth, db_session):
    first, second = at_district(world, 2)
    campaigns.set_quota(
        db_session,
        world.users["adm_p"],
        world.campaign,
        world.units["D1"],
        collective=3,
        individual=1,
    )
    world.act(first, "rev_d1", "approve")
    db_session.commit()
    answer = client.post(
        f"{API}/nominations/{second.id}/actions/approve",
        json={"version": second.version},
        headers=auth("rev_d1"),
    )
    assert answer.status_code == 409
    assert answer.json["type"] == PROBLEMS + "quota-exhausted"
    assert answer.json["quota"] == {"unit_code": "D1", "kind": "individual", "limit": 1, "used": 1}
    usage = campaigns.quota_usage(db_session, world.campaign, world.units["D1"])
    assert usage["individual"] == {"limit": 1, "used": 1, "remaining": 0}
    assert usage["collective"] == {"limit": 3, "used": 0, "remaining": 3}
    # Forwarding is no recognition: the quota does not stop it.
    (upward,) = at_district(world, target="province")
    world.act(upward, "rev_d1", "approve")
    assert upward.state == "province_review"


@pytest.mark.postgres
def test_concurrent_recognitions_never_exceed_the_quota(app, committed, is_postgres):
    if not is_postgres:
        pytest.skip("SQLite takes the write lock at BEGIN, so two writers cannot interleave")
    session = sessionmaker(bind=committed, expire_on_commit=False)()
    world = World(session)
    waiting = at_district(world, 6)
    campaigns.set_quota(
        session,
        world.users["adm_p"],
        world.campaign,
        world.units["D1"],
        collective=None,
        individual=2,
    )
    reviewers = [world.add_user(f"rev_d1_{n}", "reviewer", "D1") for n in range(6)]
    session.commit()
    tokens = [accounts.issue_token(session, user, hours=1)[0] for user in reviewers]
    session.commit()
    barrier = threading.Barrier(len(waiting))
    statuses = []

    def approve(nomination, token):
        client = app.test_client()
        barrier.wait()
        answer = client.post(
            f"{API}/nominations/{nomination.id}/actions/approve",
            json={"version": nomination.version},
            headers={"Authorization": f"Bearer {token}"},
        )
        statuses.append((answer.status_code, (answer.json or {}).get("type")))

    threads = [
        threading.Thread(target=approve, args=pair) for pair in zip(waiting, tokens, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(statuses, key=str) == sorted(
        [(200, None)] * 2 + [(409, PROBLEMS + "quota-exhausted")] * 4, key=str
    )
    session.expire_all()
    assert (
        session.scalar(
            select(func.count()).select_from(Nomination).where(Nomination.state == "commended")
        )
        == 2
    )
    session.close()


# The public comment period ---------------------------------------------------------------------


def test_working_days_skip_weekends_tet_and_the_provinces_days_off():
    # Tết Đinh Mùi: 4–10 February 2027 are public holidays (6–7 a weekend anyway).
    assert workdays.period_end(dt.date(2027, 2, 3), 5) == dt.date(2027, 2, 17)
    assert workdays.period_end(dt.date(2027, 2, 3), 5, {dt.date(2027, 2, 15)}) == dt.date(
        2027, 2, 18
    )
    assert workdays.period_end(dt.date(2026, 12, 4), 1) == dt.date(2026, 12, 7)  # Fri → Mon
    assert workdays.period_end(dt.date(2026, 12, 4), 0) == dt.date(2026, 12, 4)
    assert not workdays.is_working_day(dt.date(2027, 2, 8))  # the third day of Tết, a Monday


def test_a_province_keeps_its_own_days_off(world, db_session):
    admin, province = world.users["adm_p"], world.units["P"]
    workdays.add_day_off(db_session, admin, province, day=dt.date(2027, 1, 4), name="Nghỉ bù")
    with pytest.raises(Conflict):
        workdays.add_day_off(db_session, admin, province, day=dt.date(2027, 1, 4), name="Lại")
    with pytest.raises(Forbidden):
        workdays.add_day_off(
            db_session, world.users["adm_d1"], province, day=dt.date(2027, 1, 5), name="x"
        )
    assert workdays.days_off(db_session, world.units["K1"], dt.date(2027, 1, 1), 5) == {
        dt.date(2027, 1, 4)
    }


def test_recognition_waits_for_the_comment_period(world, db_session):
    amend(world, district={"comment_days": 5})
    (nomination,) = at_district(world)
    friday = dt.date(2027, 2, 5)  # in Tết
    with pytest.raises(CommentPeriodOpen):
        services.perform(
            db_session,
            nomination,
            world.users["rev_d1"],
            action="approve",
            version=nomination.version,
            on=friday,
        )
    publication = comments.publish(
        db_session, world.users["rev_d1"], nomination, on=dt.date(2027, 2, 3)
    )
    assert publication.ends_on == dt.date(2027, 2, 17)
    with pytest.raises(CommentPeriodOpen) as still_open:
        services.perform(
            db_session,
            nomination,
            world.users["rev_d1"],
            action="approve",
            version=nomination.version,
            on=dt.date(2027, 2, 17),
        )
    assert still_open.value.ends_on == dt.date(2027, 2, 17)
    services.perform(
        db_session,
        nomination,
        world.users["rev_d1"],
        action="approve",
        version=nomination.version,
        on=dt.date(2027, 2, 18),
    )
    assert nomination.state == "commended"


def test_a_passed_vote_publishes_and_a_comment_can_reopen_it(
    client, world, committee, auth, db_session
):
    amend(world, district={"comment_days": 3})
    (nomination,) = at_district(world)
    paper_vote(world, [nomination], present=7, agree=[6])
    publication = decisions.publication_of(db_session, nomination, world.units["D1"])
    assert publication is not None
    actions = [entry.action for entry in nomination.history]
    assert actions[-2:] == ["vote", "published"]
    comment = comments.add_comment(
        db_session,
        world.campaign,
        nomination.id,
        name="Trần Văn Dân",
        contact="0912 345 678",
        text="Gia đình ông chưa hoàn thành nghĩa vụ đóng góp.",
        address="192.0.2.7",
        on=publication.published_on,
    )
    db_session.commit()
    listed = client.get(f"{API}/nominations/{nomination.id}/comments", headers=auth("rev_d1"))
    assert [item["text"] for item in listed.json["items"]] == [comment.text]
    assert (
        client.get(
            f"{API}/nominations/{nomination.id}/comments", headers=auth("sec_k1")
        ).status_code
        == 403
    )
    reopened = client.post(
        f"{API}/nominations/{nomination.id}/reopen",
        json={"comment": "Xác minh lại ý kiến của nhân dân"},
        headers=auth("rev_d1"),
    )
    assert reopened.status_code == 200
    db_session.expire_all()
    assert decisions.vote_of(db_session, nomination, world.units["D1"]) is None
    assert decisions.publication_of(db_session, nomination, world.units["D1"]) is None
    answer = client.post(
        f"{API}/nominations/{nomination.id}/actions/approve",
        json={"version": nomination.version},
        headers=auth("rev_d1"),
    )
    assert answer.json["type"] == PROBLEMS + "vote-required"


def test_comments_are_refused_when_the_name_is_not_open(world, db_session):
    (nomination,) = at_district(world)
    with pytest.raises(NotFound):
        comments.add_comment(
            db_session,
            world.campaign,
            nomination.id,
            name="A",
            contact="B",
            text="C",
            address="192.0.2.1",
            on=services.today(),
        )


# Options pinned to the campaign ----------------------------------------------------------------


def test_options_are_pinned_and_amended_with_a_reason(client, world, auth, db_session):
    db_session.commit()
    url = f"{API}/campaigns/{world.campaign.id}"
    campaign = client.get(url, headers=auth("adm_p")).json
    assert campaign["options"]["district"]["decision"] == "single"
    version = campaign["version"]
    patch = {
        "version": version,
        "reason": "Nghị quyết 12",
        "options": {"district": {"decision": "committee"}},
    }
    assert client.patch(url, json={**patch, "reason": ""}, headers=auth("adm_p")).status_code == 422
    assert client.patch(url, json=patch, headers=auth("adm_d1")).status_code == 403
    # Above 1; and an exponent, which Fraction would spend seconds on, is not read at all.
    for odd in ("3/2", "1e99999999", "1" * 5000):
        bad = client.patch(
            url,
            json={**patch, "options": {"district": {"quorum_at_least": odd}}},
            headers=auth("adm_p"),
        )
        assert bad.status_code == 422
        assert bad.json["errors"][0]["field"] == "options.district.quorum_at_least"
    done = client.patch(url, json=patch, headers=auth("adm_p"))
    assert done.status_code == 200
    assert done.json["options"]["district"]["decision"] == "committee"
    assert done.json["version"] == version + 1
    assert client.patch(url, json=patch, headers=auth("adm_p")).status_code == 409  # stale
    amendments = client.get(f"{url}/amendments", headers=auth("adm_p")).json["items"]
    assert amendments[-1]["reason"] == "Nghị quyết 12"
    assert amendments[-1]["changes"]["options"]["before"]["district"]["decision"] == "single"


@pytest.mark.parametrize(
    ("text", "pinned"),
    [
        ("2/3", "2/3"),
        (" 3/4 ", "3/4"),
        (".5", "1/2"),
        ("0.75", "3/4"),
        ("+1/2", "1/2"),
        ("1000/1500", "2/3"),
    ],
)
def test_a_fraction_may_be_written_as_people_write_it(text, pinned):
    given = {"district": {"quorum_at_least": text}}
    assert options.normalise(given)["district"]["quorum_at_least"] == pinned


@pytest.mark.parametrize("text", ["3/2", "0", "2/0", "1/3/4", "", "1e99999999", "5e-1", "1" * 5000])
def test_a_fraction_written_otherwise_is_refused(text):
    with pytest.raises(Invalid) as refused:
        options.normalise({"district": {"quorum_at_least": text}})
    assert refused.value.field == "options.district.quorum_at_least"


def test_an_amendment_never_changes_a_decision_already_made(world, committee, db_session):
    (nomination,) = at_district(world)
    meeting = paper_vote(world, [nomination], present=6, agree=[5])
    amend(world, district={"pass_more_than": "2/3"})  # 5 of 9 would no longer pass
    assert (meeting.pass_more_than, meeting.items[0].passed) == ("1/2", True)
    world.act(nomination, "rev_d1", "approve")
    assert nomination.state == "commended"


def test_a_new_campaign_starts_from_the_last_ones_options(world, db_session):
    amend(world, province={"comment_days": 5}, district={"decision": "committee"})
    today = services.today()
    later = services.create_campaign(
        db_session,
        world.users["adm_p"],
        world.units["P"],
        name="Đợt sau",
        year=today.year,
        submission_deadline=today + dt.timedelta(days=10),
        review_deadlines={},
    )
    assert later.options["province"]["comment_days"] == 5
    assert later.options["district"]["decision"] == "committee"


def test_a_level_that_does_not_review_is_skipped(world, db_session):
    amend(world, commune={"reviews": False})
    nomination = world.nominate(target="district")
    world.act(nomination, "sec_k1", "submit")
    assert nomination.state == "district_review"
    assert nomination.pending_unit_id == world.units["D1"].id


@pytest.mark.parametrize(
    ("count", "said"),
    [
        (1, "1 nomination waits at the district level; settle it first"),
        (2, "2 nominations wait at the district level; settle them first"),
    ],
)
def test_a_level_with_waiting_nominations_keeps_reviewing(world, db_session, count, said):
    at_district(world, count)
    with pytest.raises(Conflict) as refused:
        amend(world, district={"reviews": False})
    assert str(refused.value) == said


# The API's shapes and check order ---------------------------------------------------------------


def test_meeting_api_from_opening_to_close_on_paper(
    app, client, world, committee, auth, db_session, tmp_path, monkeypatch
):
    monkeypatch.setitem(app.config, "ATTACHMENTS_DIR", str(tmp_path / "attachments"))
    first, second = at_district(world, 2)
    db_session.commit()
    body = {
        "campaign_id": world.campaign.id,
        "held_on": services.today().isoformat(),
        "place": "Hội trường Huyện ủy Cẩm Khê",
        "mode": "paper",
        "nomination_ids": [first.id, second.id],
    }
    assert (
        client.post(f"{API}/units/D1/meetings", json=body, headers=auth("adm_d1")).status_code
        == 403
    )
    assert (
        client.post(f"{API}/units/D2/meetings", json=body, headers=auth("rev_d1")).status_code
        == 404
    )
    assert (
        client.post(
            f"{API}/units/D1/meetings", json={**body, "mode": "zoom"}, headers=auth("rev_d1")
        ).status_code
        == 422
    )
    opened = client.post(f"{API}/units/D1/meetings", json=body, headers=auth("rev_d1"))
    assert opened.status_code == 201
    meeting = opened.json
    url = f"{API}/meetings/{meeting['id']}"
    close = {"present": 7, "agree": {str(first.id): 6, str(second.id): 2}}
    early = client.post(f"{url}/close", json=close, headers=auth("rev_d1"))
    assert early.status_code == 409  # the scanned minutes first
    not_pdf = client.put(f"{url}/scan.pdf", data=b"GIF89a", headers=auth("rev_d1"))
    assert not_pdf.status_code == 422
    scan = b"%PDF-1.4\n% bien ban kiem phieu\n%%EOF\n"
    assert client.put(f"{url}/scan.pdf", data=scan, headers=auth("rev_d1")).status_code == 200
    too_many = client.post(f"{url}/close", json={**close, "present": 10}, headers=auth("rev_d1"))
    assert too_many.status_code == 422
    for odd in ("²", "7²", "1" * 5000, f"0{first.id}"):  # "07" and "7" would be one item twice
        counts = {**close, "agree": {**close["agree"], odd: 1}}
        refused = client.post(f"{url}/close", json=counts, headers=auth("rev_d1"))
        assert refused.status_code == 422, refused.json
        assert refused.json["errors"][0]["field"] == f"agree.{odd}"
    closed = client.post(f"{url}/close", json=close, headers=auth("rev_d1"))
    assert closed.status_code == 200
    assert closed.json["results"] == [
        {"nomination_id": first.id, "agree": 6, "disagree": 1, "passed": True},
        {"nomination_id": second.id, "agree": 2, "disagree": 5, "passed": False},
    ]
    assert client.post(f"{url}/close", json=close, headers=auth("rev_d1")).status_code == 409
    history = client.get(f"{API}/nominations/{first.id}", headers=auth("sec_k1")).json["history"]
    assert history[-1]["action"] == "vote"
    assert (history[-1]["details"]["agree"], history[-1]["details"]["passed"]) == (6, True)
    downloaded = client.get(f"{url}/scan.pdf", headers=auth("adm_p"))
    assert (downloaded.status_code, downloaded.data) == (200, scan)
    downloaded.close()


def test_committee_api(client, world, auth, db_session):
    world.add_user("uv_x", "reviewer", "D1")
    db_session.commit()
    url = f"{API}/units/D1/committee"
    body = {"size": 7, "members": ["rev_d1", "uv_x"]}
    assert client.put(url, json=body, headers=auth("rev_d1")).status_code == 403
    assert (
        client.put(url, json={**body, "members": ["rev_c1"]}, headers=auth("adm_p")).status_code
        == 422
    )
    assert client.put(url, json={**body, "size": 1}, headers=auth("adm_p")).status_code == 422
    done = client.put(url, json=body, headers=auth("adm_d1"))
    assert done.status_code == 200
    assert done.json == {"unit_code": "D1", "size": 7, "members": ["rev_d1", "uv_x"]}
    assert client.get(url, headers=auth("rev_d1")).json["size"] == 7
    assert (
        client.put(f"{API}/units/D2/committee", json=body, headers=auth("adm_d1")).status_code
        == 404
    )


def test_quota_api(client, world, auth, db_session):
    db_session.commit()
    url = f"{API}/campaigns/{world.campaign.id}/quotas/D1"
    assert (
        client.put(
            url, json={"collective": 112, "individual": 124}, headers=auth("adm_d1")
        ).status_code
        == 403
    )
    assert (
        client.put(url, json={"collective": -1, "individual": 1}, headers=auth("adm_p")).status_code
        == 422
    )
    done = client.put(url, json={"collective": 112, "individual": 124}, headers=auth("adm_p"))
    assert done.status_code == 200
    assert done.json["collective"] == {"limit": 112, "used": 0, "remaining": 112}
    listed = client.get(f"{API}/campaigns/{world.campaign.id}/quotas", headers=auth("rev_d1")).json
    assert [item["unit_code"] for item in listed["items"]] == ["D1"]
    assert db_session.scalar(select(func.count()).select_from(CampaignAmendment)) == 1


@pytest.mark.parametrize("language", ["vi", "en"])
@pytest.mark.parametrize("notice", ["meeting_opened", "meeting_closing"])
def test_meeting_notices_render_in_both_languages(
    app, world, committee, db_session, notice, language
):
    from tasks import notices

    meeting = open_app_meeting(world, at_district(world, 2))
    row = db_session.scalars(
        select(OutboxMessage).where(OutboxMessage.notice == "meeting_opened")
    ).first()
    row.notice, row.language = notice, language
    with app.app_context():
        subject, text, html = notices.render(row)
    day = meeting.held_on if notice == "meeting_opened" else meeting.closes_on
    assert "Huyện ủy Cẩm Khê" in subject
    assert day.strftime("%d/%m/%Y" if language == "vi" else "%d %b %Y") in subject
    assert f"http://127.0.0.1:5000/meetings/{meeting.id}" in text
    assert f'href="http://127.0.0.1:5000/meetings/{meeting.id}"' in html
