"""The pages around a level's decision: committees (page and users.csv), campaign options,
amendments and quotas, the nomination's decision box, the queue, the dashboard and the summary."""

import re

import pytest
from sqlalchemy import select

from workflow import campaigns, comments, committees, imports, services
from workflow.models import CampaignAmendment, CommitteeMember
from workflow.policy import OPERATOR

HEADER = "username,full_name,email,role,unit_code,password,committee\n"


def _row(username, unit="D1", committee="D1", role="reviewer"):
    return f"{username},Người {username},{username}@example.org,{role},{unit},,{committee}\n"


def _seats(db_session, unit):
    return sorted(
        member.user.username
        for member in db_session.scalars(
            select(CommitteeMember).where(CommitteeMember.unit_id == unit.id)
        )
    )


def _amend(world, **levels):
    return campaigns.amend(
        world.session,
        world.users["adm_p"],
        world.campaign,
        version=world.campaign.version,
        reason="Nghị quyết Ban Thường vụ",
        new_options=levels,
    )


def _at_district(world, name="Nguyễn Văn Bình"):
    nomination = world.nominate(nominee_name=name)
    world.act(nomination, "sec_k1", "submit")
    world.act(nomination, "rev_c1", "approve")
    return nomination


# users.csv: the committee column ------------------------------------------------------------


def test_the_committee_column_seats_accounts_of_their_own_unit(world, db_session):
    admin, d1 = world.users["adm_d1"], world.units["D1"]
    no_committee = imports.preview(db_session, admin, "users", HEADER + _row("uv_a"))[0]
    assert [(e.line, e.column) for e in no_committee] == [(2, "committee")]
    assert "D1 has no committee yet" in no_committee[0].message
    committees.set_committee(db_session, admin, d1, size=3, members=["rev_d1"])
    assert imports.import_users(db_session, admin, HEADER + _row("uv_a") + _row("uv_b")) == (2, 0)
    assert _seats(db_session, d1) == ["rev_d1", "uv_a", "uv_b"]
    # Idempotent; an empty cell gives up the seat; a file without the column keeps them.
    assert imports.import_users(db_session, admin, HEADER + _row("uv_a") + _row("uv_b")) == (0, 0)
    assert imports.import_users(db_session, admin, HEADER + _row("uv_b", committee="")) == (0, 1)
    assert _seats(db_session, d1) == ["rev_d1", "uv_a"]
    old_format = "username,full_name,email,role,unit_code,password\n" + ",".join(
        ["uv_a", "Người uv_a", "uv_a@example.org", "reviewer", "D1", ""]
    )
    assert imports.import_users(db_session, admin, old_format + "\n") == (0, 0)
    assert _seats(db_session, d1) == ["rev_d1", "uv_a"]


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (_row("uv_x", committee="D2"), "no unit with code 'D2'"),  # outside the importer's tree
        (_row("uv_x", committee="NOPE"), "no unit with code 'NOPE'"),
        (_row("uv_x", committee="C1"), "a committee seat is in the account's own unit"),
        (_row("uv_x", committee="D1;C1"), "a committee seat is in the account's own unit"),
    ],
)
def test_the_committee_column_names_line_and_column(world, db_session, row, message):
    admin = world.users["adm_d1"]
    committees.set_committee(db_session, admin, world.units["D1"], size=3, members=[])
    text = HEADER + _row("uv_ok") + row
    errors, counts = imports.preview(db_session, admin, "users", text)
    assert [(error.line, error.column, error.message) for error in errors] == [
        (3, "committee", message)
    ]
    assert counts is None
    with pytest.raises(imports.ImportError_):
        imports.import_users(db_session, admin, text)


def test_a_committee_is_never_filled_past_its_size(world, db_session):
    admin, d1 = world.users["adm_d1"], world.units["D1"]
    committees.set_committee(db_session, admin, d1, size=2, members=["rev_d1"])
    text = HEADER + _row("uv_a") + _row("uv_b")
    errors, _counts = imports.preview(db_session, admin, "users", text)
    assert [(e.line, e.column) for e in errors] == [(3, "committee")]
    assert "committee's size (2)" in errors[0].message
    assert _seats(db_session, d1) == ["rev_d1"]  # all or nothing
    # The operator's import may seat anyone in the tree.
    assert imports.import_users(db_session, OPERATOR, HEADER + _row("uv_a")) == (1, 0)


def test_the_import_page_shows_committee_errors_by_line_and_column(web, world):
    web.login("adm_p")
    url = "/admin/import/users"
    answer = web.post(url, {"text": HEADER + _row("uv_a"), "action": "import"}, token_from=url)
    assert answer.status_code == 422
    assert re.search(r'<tr><td class="num">2</td><td>committee</td>', answer.text)


def test_the_import_page_says_every_account_error_in_vietnamese(web, world, db_session):
    """Each message an import of accounts can give reads in full in Vietnamese: no English
    level codes, no "or", no untranslated detail after "Không hợp lệ:"."""
    web.login("adm_p")
    url = "/admin/import/users"

    def errors(text):
        answer = web.post(url, {"text": HEADER + text, "action": "import"}, token_from=url)
        assert answer.status_code == 422
        assert "Không hợp lệ:" not in answer.text
        return answer.text

    wrong_level = errors(_row("uv_a", unit="D1", role="secretary", committee=""))
    assert "Vai trò Bí thư chi bộ chỉ dành cho đơn vị chi bộ." in wrong_level
    wrong_level = errors(_row("uv_b", unit="K1", committee=""))
    assert "chỉ dành cho đơn vị cấp xã, cấp huyện, cấp tỉnh." in wrong_level
    seat = "Tài khoản chỉ có thể là thành viên Ban Thường vụ của chính đơn vị mình."
    assert seat in errors(_row("uv_c", committee="C1"))
    roles = "Giá trị phải là một trong: &#39;secretary&#39;, &#39;reviewer&#39;, &#39;admin&#39;."
    assert roles in errors(_row("uv_d", role="boss", committee=""))
    assert "D1 chưa có Ban Thường vụ" in errors(_row("uv_e"))
    d1 = world.units["D1"]
    committees.set_committee(db_session, world.users["adm_p"], d1, size=1, members=["rev_d1"])
    assert "nhiều hơn số thành viên của Ban (1)" in errors(_row("uv_f"))


# The committee page -------------------------------------------------------------------------


def test_an_administrator_keeps_the_committee_on_its_page(web, world, db_session, browser_of):
    world.add_user("uv_1", "reviewer", "D1")
    admin = web.login("adm_d1")
    url = "/admin/units/D1/committee"
    page = admin.get(url)
    assert page.status_code == 200
    assert 'value="uv_1"' in page.text
    assert 'value="rev_d1"' in page.text
    assert 'value="rev_c1"' not in page.text  # only the unit's own accounts
    assert f'href="{url}"' in admin.get("/admin/units").text
    too_many = admin.post(url, {"size": "1", "members": ["rev_d1", "uv_1"]}, token_from=url)
    assert too_many.status_code == 422
    assert "nhiều hơn số thành viên Ban Thường vụ" in too_many.text
    saved = admin.post(url, {"size": "9", "members": ["rev_d1", "uv_1"]}, token_from=url)
    assert saved.status_code == 302
    assert _seats(db_session, world.units["D1"]) == ["rev_d1", "uv_1"]
    assert "9 thành viên; 2 thành viên biểu quyết trên ứng dụng." in admin.get(url).text
    assert admin.post(url, {"size": "0"}, token_from=url).status_code == 422
    assert admin.get("/admin/units/D2/committee").status_code == 404
    assert admin.get("/admin/units/K1/committee").status_code == 404
    assert browser_of("rev_d1").get(url).status_code == 403


# Campaign options, amendments, quotas --------------------------------------------------------


def test_campaign_options_are_shown_amended_with_a_reason_and_listed(
    web, world, db_session, browser_of
):
    admin = web.login("adm_p")
    url = f"/admin/campaigns/{world.campaign.id}"
    page = admin.get(url).text
    assert 'data-level="district"' in page
    assert "Cán bộ xét duyệt quyết định" in page
    version = str(world.campaign.version)
    form = {
        "options_given": "1",
        "commune_reviews": "y",
        "district_reviews": "y",
        "province_reviews": "y",
        "district_decision": "committee",
        "district_quorum_at_least": "2/3",
        "district_pass_more_than": "1/2",
        "district_comment_days": "5",
        "reason": "Nghị quyết số 12 của Ban Thường vụ",
        "version": version,
    }
    bad = admin.post(f"{url}/options", {**form, "district_quorum_at_least": "3/2"}, token_from=url)
    assert bad.status_code == 422
    field = bad.text.split('name="district_quorum_at_least"')[1].split("</div>")[0]
    assert "Vui lòng nhập phân số, ví dụ" in field
    done = admin.post(f"{url}/options", form, token_from=url)
    assert done.status_code == 302
    page = admin.get(url).text
    district = page.split('data-level="district"')[1].split("</tr>")[0]
    assert "Ban Thường vụ biểu quyết" in district
    assert "Nghị quyết số 12 của Ban Thường vụ" in page
    assert "Cấp huyện: Hình thức quyết định: Cán bộ xét duyệt quyết định →" in page
    amendment = db_session.scalar(select(CampaignAmendment))
    assert amendment.changes["options"]["after"]["district"]["comment_days"] == 5
    stale = admin.post(f"{url}/options", form, token_from=url)
    assert stale.status_code == 409
    assert "Đợt vừa được người khác điều chỉnh." in stale.text
    # A new campaign starts from these options: the form is prefilled with them.
    opening = admin.get("/admin/campaigns").text
    decision = opening.split('name="district_decision"')[1].split("</select>")[0]
    assert '<option selected value="committee">' in decision
    # An administrator of a district sees the options but does not amend them.
    shown = browser_of("adm_d1").get(url).text
    assert 'data-level="district"' in shown
    assert f'action="{url}/options"' not in shown


def test_quotas_are_set_and_shown_with_what_is_left(web, world, db_session):
    admin = web.login("adm_p")
    url = f"/admin/campaigns/{world.campaign.id}"
    nomination = _at_district(world)
    world.act(nomination, "rev_d1", "approve")  # recognised at the district: one place used
    saved = admin.post(
        f"{url}/quotas",
        {"unit_code": "D1", "collective": "", "individual": "3", "reason": "Chỉ tiêu 2026"},
        token_from=url,
    )
    assert saved.status_code == 302
    row = admin.get(url).text.split('data-unit="D1"')[1].split("</tr>")[0]
    assert re.sub(r"\s+", " ", row).count("1 / 3") == 1
    assert ">2<" in row
    assert "không giới hạn" in row
    bad = admin.post(f"{url}/quotas", {"unit_code": "D1", "individual": "-1"}, token_from=url)
    assert bad.status_code == 422


def test_the_open_form_carries_the_options_into_the_new_campaign(web, world, db_session):
    admin = web.login("adm_p")
    opened = admin.post(
        "/admin/campaigns",
        {
            "name": "Đợt 2027",
            "year": "2027",
            "unit_code": "P",
            "submission_deadline": "2027-05-01",
            "options_given": "1",
            "commune_reviews": "y",
            "district_reviews": "y",
            "province_reviews": "y",
            "province_decision": "committee",
            "province_comment_days": "10",
        },
        token_from="/admin/campaigns",
    )
    assert opened.status_code == 302, opened.text
    campaign_id = int(opened.headers["Location"].rsplit("/", 1)[1])
    created = services.get_campaign(db_session, world.users["adm_p"], campaign_id)
    assert created.options["province"]["decision"] == "committee"
    assert created.options["province"]["comment_days"] == 10
    assert created.options["district"]["decision"] == "single"


# The nomination's decision box, the queue, the dashboard, the summary -------------------------


@pytest.fixture
def voting_district(world, db_session):
    world.add_user("uv_1", "reviewer", "D1")
    db_session.flush()
    _amend(world, district={"decision": "committee", "comment_days": 3})
    committees.set_committee(
        db_session, world.users["adm_d1"], world.units["D1"], size=9, members=["rev_d1", "uv_1"]
    )


def _paper_vote(world, nominations, present, agree):
    chair = world.users["rev_d1"]
    meeting = committees.open_meeting(
        world.session,
        chair,
        world.units["D1"],
        world.campaign,
        held_on=services.today(),
        closes_on=None,
        place="Hội trường",
        mode="paper",
        nominations=nominations,
    )
    committees.attach_scan(
        world.session, chair, meeting, key=f"s-{meeting.id}", name="bb.pdf", sha256="0", size=1
    )
    counts = {str(n.id): count for n, count in zip(nominations, agree, strict=True)}
    committees.close_meeting(
        world.session, chair, meeting, present=present, agree=counts, on=services.today()
    )
    return meeting


def test_the_decision_box_follows_the_vote_publication_and_reopening(
    web, world, voting_district, db_session, browser_of
):
    nomination = _at_district(world)
    reviewer = web.login("rev_d1")
    url = f"/nominations/{nomination.id}"
    page = reviewer.get(url).text
    assert 'id="decision"' in page
    assert "Ban Thường vụ biểu quyết" in page
    assert "Chưa biểu quyết" in page
    refused = reviewer.post(
        url, {"action": "approve", "version": str(nomination.version)}, token_from=url
    )
    assert refused.status_code == 409
    assert "hồ sơ chưa được biểu quyết đạt" in refused.text

    meeting = _paper_vote(world, [nomination], present=6, agree=[5])
    page = reviewer.get(url).text
    vote = page.split('data-field="vote"')[1].split("</dd>")[0]
    assert "Đã biểu quyết: 6/9 thành viên dự, 5 đồng ý" in vote
    assert "Đạt" in vote
    assert f'href="/meetings/{meeting.id}"' in vote
    publication = page.split('data-field="publication"')[1].split("</dd>")[0]
    assert "lấy ý kiến đến hết ngày" in publication  # a passed vote at the deciding unit publishes
    timeline = page.split('class="timeline"')[1]
    assert "Đã biểu quyết: 6/9 thành viên dự, 5 đồng ý" in timeline
    early = reviewer.post(
        url, {"action": "approve", "version": str(nomination.version)}, token_from=url
    )
    assert early.status_code == 409
    assert "đang được công bố lấy ý kiến đến hết ngày" in early.text

    publication_row = comments.published(db_session, world.campaign, on=services.today())[0][0]
    comments.add_comment(
        db_session,
        world.campaign,
        nomination.id,
        name="Trần Văn Dân",
        contact="0912 345 678",
        text="Đề nghị xác minh lại thành tích.",
        address="192.0.2.7",
        on=publication_row.published_on,
    )
    assert "Đề nghị xác minh lại thành tích." in reviewer.get(url).text
    secretary = browser_of("sec_k1")
    shown = secretary.get(url).text
    assert "Đề nghị xác minh lại thành tích." not in shown  # comments reach reviewers only
    assert 'href="/meetings/' not in shown
    assert f'action="/nominations/{nomination.id}/reopen"' not in shown

    empty = reviewer.post(f"{url}/reopen", {"comment": ""}, token_from=url)
    assert empty.status_code == 422
    step = reviewer.post(f"{url}/reopen", {"comment": "Xác minh ý kiến"}, token_from=url)
    assert step.status_code == 200
    assert 'data-step="confirm-reopen"' in step.text
    assert "Chưa biểu quyết" not in reviewer.get(url).text  # nothing reopened before confirming
    done = reviewer.post(
        f"{url}/reopen", {"comment": "Xác minh ý kiến", "confirm": "1"}, token_from=url
    )
    assert done.status_code == 302
    page = reviewer.get(url).text
    assert "Chưa biểu quyết" in page.split('data-field="vote"')[1]
    assert "Chưa công bố" in page.split('data-field="publication"')[1]


def test_a_single_level_publishes_by_hand(web, world, db_session):
    _amend(world, commune={"comment_days": 2})
    nomination = world.nominate(target="commune")
    world.act(nomination, "sec_k1", "submit")
    reviewer = web.login("rev_c1")
    url = f"/nominations/{nomination.id}"
    page = reviewer.get(url).text
    assert "Chưa biểu quyết" not in page  # a single reviewer decides: no vote line
    assert f'action="{url}/publication"' in page
    asked = reviewer.post(f"{url}/publication", {}, token_from=url)
    assert asked.status_code == 200  # a name on the public page cannot be taken back: asked first
    assert "Xác nhận: công bố lấy ý kiến nhân dân" in asked.text
    assert f'action="{url}/publication"' in reviewer.get(url).text
    published = reviewer.post(f"{url}/publication", {"confirm": "1"}, token_from=url)
    assert published.status_code == 302
    page = reviewer.get(url).text
    assert f'action="{url}/publication"' not in page
    assert "Công bố ngày" in page
    again = reviewer.post(f"{url}/publication", {"confirm": "1"}, token_from=url)
    assert again.status_code == 409


def test_the_queue_shows_votes_comments_and_the_quota(web, world, voting_district, db_session):
    voted, waiting = _at_district(world, "Người đã họp"), _at_district(world, "Người chờ họp")
    _paper_vote(world, [voted], present=5, agree=[5])  # no quorum
    campaigns.set_quota(
        db_session,
        world.users["adm_p"],
        world.campaign,
        world.units["D1"],
        collective=None,
        individual=4,
    )
    reviewer = web.login("rev_d1")
    page = reviewer.get("/queue").text
    rows = {
        name: page.split(f">{name}</a>")[1].split("</tr>")[0]
        for name in ("Người đã họp", "Người chờ họp")
    }
    assert "Không đủ số thành viên dự họp (5/9)" in rows["Người đã họp"]
    assert "Chưa biểu quyết" in rows["Người chờ họp"]
    assert 'data-field="comments">0<' in rows["Người chờ họp"]
    quota = page.split('class="card quota"')[1].split("</section>")[0]
    assert re.search(r'data-kind="individual">.*?>0<.*?>4<.*?>4<', quota, re.S)
    dashboard = reviewer.get(f"/?campaign_id={world.campaign.id}").text
    assert 'id="quota"' in dashboard
    assert waiting.id  # both wait at D1


def test_the_summary_api_adds_the_quota_of_its_unit(client, world, auth, db_session):
    campaigns.set_quota(
        db_session,
        world.users["adm_p"],
        world.campaign,
        world.units["D1"],
        collective=2,
        individual=None,
    )
    db_session.commit()
    url = f"/api/v1/reports/summary?campaign_id={world.campaign.id}"
    mine = client.get(f"{url}&unit_code=D1", headers=auth("rev_d1")).json
    assert mine["quota"]["unit_code"] == "D1"
    assert mine["quota"]["collective"] == {"limit": 2, "used": 0, "remaining": 2}
    assert mine["quota"]["individual"] == {"limit": None, "used": 0, "remaining": None}
    assert {"by_state", "commended", "total_commended"} <= set(mine)
    assert "quota" not in client.get(url, headers=auth("adm_p")).json  # P has no quota
    assert "quota" not in client.get("/api/v1/reports/summary", headers=auth("rev_d1")).json
