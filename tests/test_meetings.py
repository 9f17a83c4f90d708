"""Committee meetings end to end: the minutes written after the close, and the pages of every
role — opening, secret ballots, closing in the app and on paper, results and files."""

import datetime as dt
import re

import pytest
from conftest import service_missing
from list_files import pdf_text
from sqlalchemy import select

from tasks import minutes as minutes_task
from workflow import campaigns, committees, services
from workflow.models import Meeting

API = "/api/v1"
SCAN = b"%PDF-1.4\n% bien ban kiem phieu giay\n%%EOF\n"


def at_district(world, count=1, kind="individual", target="district"):
    """`count` nominations of cell K1 waiting at D1."""
    waiting = []
    for number in range(count):
        nomination = world.nominate(
            nominee_name=f"Nguyễn Văn Thứ {number + 1}", kind=kind, target=target
        )
        world.act(nomination, "sec_k1", "submit")
        world.act(nomination, "rev_c1", "approve")
        waiting.append(nomination)
    return waiting


@pytest.fixture
def committee(world, db_session):
    """D1 decides by a committee of 9; rev_d1 (the chair) and two members vote in the app."""
    for name in ("uv_1", "uv_2"):
        world.add_user(name, "reviewer", "D1")
    db_session.flush()
    campaigns.amend(
        db_session,
        world.users["adm_p"],
        world.campaign,
        version=world.campaign.version,
        reason="Ban Thường vụ biểu quyết",
        new_options={"district": {"decision": "committee"}},
    )
    return committees.set_committee(
        db_session,
        world.users["adm_d1"],
        world.units["D1"],
        size=9,
        members=["rev_d1", "uv_1", "uv_2"],
    )


@pytest.fixture
def minutes_here(app, dispatching, tmp_path, monkeypatch):
    """Minutes written in-process after each commit, under tmp_path."""
    monkeypatch.setitem(app.config, "MINUTES_DIR", str(tmp_path / "minutes"))
    monkeypatch.setitem(app.config, "ATTACHMENTS_DIR", str(tmp_path / "attachments"))
    return tmp_path / "minutes"


def _paper_meeting_through_the_api(client, auth, world, nominations):
    body = {
        "campaign_id": world.campaign.id,
        "held_on": services.today().isoformat(),
        "place": "Hội trường Huyện ủy Cẩm Khê",
        "mode": "paper",
        "nomination_ids": [nomination.id for nomination in nominations],
    }
    opened = client.post(f"{API}/units/D1/meetings", json=body, headers=auth("rev_d1"))
    assert opened.status_code == 201, opened.json
    return opened.json["id"]


# The minutes ---------------------------------------------------------------------------------


def test_the_minutes_are_written_after_the_close_and_read_back(
    client, world, committee, auth, db_session, minutes_here, tmp_path
):
    first, second = at_district(world, 2)
    second.kind = "collective"
    second.nominee_name = "Tổ hòa giải thôn Đồng Hội"
    db_session.commit()
    meeting_id = _paper_meeting_through_the_api(client, auth, world, [first, second])
    url = f"{API}/meetings/{meeting_id}"
    waiting = client.get(f"{url}/minutes.pdf", headers=auth("rev_d1"))
    assert waiting.status_code == 409  # not closed yet: no minutes
    assert client.put(f"{url}/scan.pdf", data=SCAN, headers=auth("rev_d1")).status_code == 200
    close = {"present": 7, "agree": {str(first.id): 6, str(second.id): 3}}
    closed = client.post(f"{url}/close", json=close, headers=auth("rev_d1"))
    assert closed.status_code == 200
    shown = client.get(url, headers=auth("adm_p")).json
    assert shown["minutes"] == f"{url}/minutes.pdf"
    with client.get(shown["minutes"], headers=auth("adm_p")) as download:
        assert download.status_code == 200
        assert download.mimetype == "application/pdf"
        disposition = download.headers["Content-Disposition"]
        assert (
            "filename*=UTF-8''Bi%C3%AAn%20b%E1%BA%A3n%20ki%E1%BB%83m%20phi%E1%BA%BFu%2001-BB-HU"
            in (disposition)
        )
        content = download.data
    assert content.startswith(b"%PDF")
    meeting = db_session.get(Meeting, meeting_id)
    db_session.refresh(meeting)
    assert meeting.minutes["number"] == 1
    assert (minutes_here / meeting.minutes["key"]).read_bytes() == content
    text = pdf_text(content, tmp_path)
    if text is None:
        service_missing("pdftotext (poppler-utils) is needed to read the minutes back")
    flat = " ".join(text.split())
    for words in (
        "ĐẢNG BỘ TỈNH PHÚ THỌ",
        "HUYỆN ỦY CẨM KHÊ",
        "Số 01-BB/HU",
        "ĐẢNG CỘNG SẢN VIỆT NAM",
        "Cẩm Khê, ngày",
        "BIÊN BẢN KIỂM PHIẾU",
        "Hội trường Huyện ủy Cẩm Khê",
        "Biểu quyết trên giấy",
        "Tổng số thành viên: 9",
        "7/9",
        "ít nhất 2/3 tổng số thành viên (từ 6 thành viên trở lên)",
        "đủ số thành viên, phiên họp hợp lệ",
        "quá 1/2 tổng số thành viên (từ 5 thành viên trở lên)",
        "T/M BAN THƯỜNG VỤ",
        "Người dùng rev_d1",
        "Số trường hợp đạt: 1/2",
    ):
        assert words in flat, words
    lines = {line.split()[1]: line.split() for line in text.splitlines() if line[:4].strip()}
    assert lines["Nguyễn"][-3:] == ["6", "1", "Đạt"]  # one row per nomination, in agenda order
    assert lines["Tổ"][-3:] == ["3", "4", "Không"]
    assert lines["Nguyễn"][0] == "1"
    assert lines["Tổ"][0] == "2"


def test_a_meeting_without_quorum_says_so_in_its_minutes(
    client, world, committee, auth, db_session, minutes_here, tmp_path
):
    (nomination,) = at_district(world)
    db_session.commit()
    meeting_id = _paper_meeting_through_the_api(client, auth, world, [nomination])
    url = f"{API}/meetings/{meeting_id}"
    client.put(f"{url}/scan.pdf", data=SCAN, headers=auth("rev_d1"))
    client.post(
        f"{url}/close",
        json={"present": 5, "agree": {str(nomination.id): 5}},
        headers=auth("rev_d1"),
    )
    with client.get(f"{url}/minutes.pdf", headers=auth("rev_d1")) as download:
        text = pdf_text(download.data, tmp_path)
    if text is None:
        service_missing("pdftotext (poppler-utils) is needed to read the minutes back")
    flat = " ".join(text.split())
    assert "không đủ số thành viên, phiên họp không quyết định nội dung nào" in flat
    assert "Số trường hợp đạt: 0/1" in flat


def test_minutes_are_numbered_per_unit_and_written_once(app, world, committee, db_session):
    nominations = at_district(world, 2)
    chair = world.users["rev_d1"]
    meetings = []
    for nomination in nominations:
        meeting = committees.open_meeting(
            db_session,
            chair,
            world.units["D1"],
            world.campaign,
            held_on=services.today(),
            closes_on=None,
            place="Phòng họp",
            mode="app",
            nominations=[nomination],
        )
        committees.cast_ballot(db_session, chair, meeting, {str(nomination.id): "agree"})
        committees.close_meeting(db_session, chair, meeting, on=services.today())
        meetings.append(meeting)
    db_session.commit()
    with app.app_context():
        assert minutes_task.render_minutes(None, meetings[1].id) == "done"
        assert minutes_task.render_minutes(None, meetings[0].id) == "done"
        assert minutes_task.render_minutes(None, meetings[0].id) == "nothing to do"
    for meeting in meetings:
        db_session.refresh(meeting)
    assert [meeting.minutes["number"] for meeting in meetings] == [2, 1]


def test_the_sweep_asks_again_for_minutes_whose_hand_off_was_lost(world, committee, db_session):
    from workflow import minutes

    (nomination,) = at_district(world)
    chair = world.users["rev_d1"]
    meeting = committees.open_meeting(
        db_session,
        chair,
        world.units["D1"],
        world.campaign,
        held_on=services.today(),
        closes_on=None,
        place="Phòng họp",
        mode="app",
        nominations=[nomination],
    )
    committees.close_meeting(db_session, chair, meeting, on=services.today())
    later = meeting.closed_at + dt.timedelta(minutes=5)
    assert minutes.due_ids(db_session, grace=120, now=meeting.closed_at) == []
    assert minutes.due_ids(db_session, grace=120, now=later) == [meeting.id]
    assert db_session.scalar(select(Meeting.minutes).where(Meeting.id == meeting.id)) is None


# The pages -----------------------------------------------------------------------------------


def _open_through_the_page(web, world, nominations, mode="app"):
    form = {
        "campaign_id": world.campaign.id,
        "held_on": services.today().isoformat(),
        "closes_on": (services.today() + dt.timedelta(days=2)).isoformat(),
        "place": "Phòng họp Ban Thường vụ",
        "mode": mode,
        "nomination_ids": [nomination.id for nomination in nominations],
    }
    opened = web.post("/meetings/new", form, token_from="/meetings/new")
    assert opened.status_code == 302, opened.text
    return int(opened.headers["Location"].rsplit("/", 1)[1])


def test_a_meeting_in_the_app_from_opening_to_results(web, world, committee, browser_of):
    first, second = at_district(world, 2)
    chair = web.login("rev_d1")
    listing = chair.get("/meetings")
    assert listing.status_code == 200
    assert 'href="/meetings/new"' in listing.text
    assert 'href="/meetings"' in chair.get("/").text  # the menu entry
    form = chair.get("/meetings/new")
    assert form.status_code == 200
    assert "Nguyễn Văn Thứ 1" in form.text
    assert "9 thành viên" in form.text
    meeting_id = _open_through_the_page(chair, world, [first, second])
    url = f"/meetings/{meeting_id}"

    member = browser_of("uv_1")
    page = member.get(url).text
    assert f'name="vote_{first.id}"' in page
    assert 'data-field="ballots"' in page
    ballot = {f"vote_{first.id}": "agree", f"vote_{second.id}": "disagree"}
    incomplete = member.post(f"{url}/ballot", {f"vote_{first.id}": "agree"}, token_from=url)
    assert incomplete.status_code == 422
    assert "Hãy chọn đồng ý hoặc không đồng ý." in incomplete.text
    step = member.post(f"{url}/ballot", ballot, token_from=url)
    assert step.status_code == 200
    assert 'data-step="confirm-ballot"' in step.text
    assert f'data-vote="{second.id}">Không đồng ý<' in step.text
    assert (
        committees.ballots_cast(
            world.session, committees.get_meeting(world.session, world.users["rev_d1"], meeting_id)
        )
        == 0
    )  # nothing cast before confirming
    cast = member.post(f"{url}/ballot", {**ballot, "confirm": "1"}, token_from=url)
    assert cast.status_code == 302
    after = member.get(url).text
    assert 'data-step="voted"' in after
    assert 'name="vote_' not in after
    again = member.post(f"{url}/ballot", {**ballot, "confirm": "1"}, token_from="/")
    assert again.status_code == 409
    assert "Bạn đã biểu quyết trong phiên họp này" in again.text

    # While open, nobody reads counts: not the chair, not an administrator of the unit.
    for reader in (chair, browser_of("adm_d1")):
        text = reader.get(url).text
        assert "Số phiếu đã bỏ: 1/9 thành viên." in text
        assert 'id="results"' not in text
        assert "data-nomination" not in text
    admin = browser_of("adm_d1")
    assert 'name="vote_' not in admin.get(url).text  # an administrator who is no member
    assert admin.post(f"{url}/close", {"version": "1"}, token_from=url).status_code == 403
    assert admin.post(f"{url}/ballot", ballot, token_from=url).status_code == 403  # no member
    assert admin.post(f"{url}/paper", {"version": "1"}, token_from=url).status_code == 400

    confirm = chair.post(f"{url}/close", {"version": "1"}, token_from=url)
    assert confirm.status_code == 200
    assert 'data-step="confirm-close"' in confirm.text
    closed = chair.post(f"{url}/close", {"version": "1", "confirm": "1"}, token_from=url)
    assert closed.status_code == 302, closed.text
    results = chair.get(url).text
    assert 'id="results"' in results
    assert "không đủ số thành viên" in results.lower()
    assert re.search(rf'data-nomination="{first.id}".*?>1</td>.*?>0</td>', results, re.S)
    assert (
        "Biên bản kiểm phiếu đang được lập" in results
    )  # no dispatch in this test: not written yet


def test_who_sees_the_meetings(web, world, committee, browser_of):
    (nomination,) = at_district(world)
    meeting_id = _open_through_the_page(web.login("rev_d1"), world, [nomination])
    url = f"/meetings/{meeting_id}"
    secretary = browser_of("sec_k1")
    assert secretary.get(url).status_code == 404  # a district's meeting lies outside the cell
    assert secretary.get("/meetings").status_code == 403
    assert 'href="/meetings"' not in secretary.get("/").text
    assert browser_of("rev_c1").get(url).status_code == 404
    assert browser_of("rev_p").get(url).status_code == 200  # the province sees its districts
    assert browser_of("rev_p").get("/meetings/new").status_code == 200
    assert browser_of("adm_d1").get("/meetings/new").status_code == 403  # reviewers open them
    nominee = browser_of("rev_d1").get(f"/nominations/{nomination.id}").text
    assert "Chưa biểu quyết" in nominee


def test_a_paper_meeting_is_closed_with_its_counts_and_scan(
    web, world, committee, app, tmp_path, monkeypatch
):
    import io

    monkeypatch.setitem(app.config, "ATTACHMENTS_DIR", str(tmp_path / "attachments"))
    first, second = at_district(world, 2)
    chair = web.login("rev_d1")
    meeting_id = _open_through_the_page(chair, world, [first, second], mode="paper")
    url = f"/meetings/{meeting_id}"
    page = chair.get(url).text
    assert 'data-pdf="1"' in page
    assert 'enctype="multipart/form-data"' in page
    counts = {
        "version": "1",
        "present": "7",
        f"agree_{first.id}": "6",
        f"agree_{second.id}": "2",
        "checked": "y",
    }
    missing = chair.post(f"{url}/paper", counts, token_from=url)
    assert missing.status_code == 422
    assert "Hãy đính kèm bản chụp biên bản." in missing.text
    not_pdf = chair.post(
        f"{url}/paper",
        {**counts, "scan": (io.BytesIO(b"GIF89a not a pdf"), "bien-ban.pdf")},
        token_from=url,
        content_type="multipart/form-data",
    )
    assert not_pdf.status_code == 422
    assert "Bản chụp biên bản phải là tệp PDF." in not_pdf.text
    too_many = chair.post(
        f"{url}/paper",
        {**counts, f"agree_{first.id}": "8", "scan": (io.BytesIO(SCAN), "bb.pdf")},
        token_from=url,
        content_type="multipart/form-data",
    )
    assert too_many.status_code == 422  # 8 agree of 7 present
    done = chair.post(
        f"{url}/paper",
        {**counts, "scan": (io.BytesIO(SCAN), "bb.pdf")},
        token_from=url,
        content_type="multipart/form-data",
    )
    assert done.status_code == 302, done.text
    results = chair.get(url).text
    assert "7/9 thành viên tham gia" in results
    passed = results.split(f'data-nomination="{first.id}"')[1].split("</tr>")[0]
    failed = results.split(f'data-nomination="{second.id}"')[1].split("</tr>")[0]
    assert "Đạt" in passed
    assert "Không đạt" in failed
    scan = chair.get(f"{url}/scan.pdf")
    assert (scan.status_code, scan.data) == (200, SCAN)
    scan.close()
    assert chair.get(f"{url}/minutes.pdf").status_code == 409  # not written in this test
