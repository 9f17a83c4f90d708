"""The nomination pages: search, the new and edit forms, the page, actions and evidence files."""

import re
import unicodedata

import pytest
from sqlalchemy import func, select

from workflow.models import Attachment, HistoryEntry, Nomination

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32

FIELDS = {
    "campaign_id": None,
    "kind": "individual",
    "nominee_name": "Nguyễn Thị Hoa",
    "title": "Mô hình “Hũ gạo tình thương”",
    "field": "An sinh xã hội",
    "summary": "Vận động mỗi hộ góp một nắm gạo mỗi tuần.",
    "achievements": "Hỗ trợ 35 hộ nghèo trong năm.",
    "target_level": "district",
}


def _fields(world, **changes):
    return {**FIELDS, "campaign_id": str(world.campaign.id), **changes}


def test_a_secretary_creates_a_draft_through_the_form(web, world, db_session):
    web.login("sec_k1")
    page = web.get("/nominations/new")
    assert page.status_code == 200
    for name in ("campaign_id", "kind", "nominee_name", "title", "field", "summary"):
        assert f'name="{name}"' in page.text
    assert 'data-counter="5000"' in page.text
    response = web.post("/nominations/new", _fields(world), token_from="/nominations/new")
    assert response.status_code == 302
    created = db_session.scalar(
        select(Nomination).where(Nomination.nominee_name == "Nguyễn Thị Hoa")
    )
    assert created.state == "draft"
    assert created.cell.code == "K1"
    assert response.headers["Location"] == f"/nominations/{created.id}"


def test_validation_messages_are_vietnamese(web, world, db_session):
    web.login("sec_k1")
    bad = _fields(world, nominee_name="", nominee_birth_year="abc", nominee_email="x@", kind="")
    response = web.post("/nominations/new", bad, token_from="/nominations/new")
    assert response.status_code == 422
    assert "Vui lòng nhập trường này." in response.text
    assert "Phải là số nguyên." in response.text or "Vui lòng nhập năm" in response.text
    assert "Địa chỉ thư điện tử không hợp lệ." in response.text
    assert db_session.scalar(select(func.count()).select_from(Nomination)) == 0


def test_text_is_stored_as_nfc_and_nul_is_refused(web, world, db_session):
    web.login("sec_k1")
    decomposed = unicodedata.normalize("NFD", "Nguyễn Thị Hoà")
    response = web.post(
        "/nominations/new", _fields(world, title="Có\x00ký tự lạ"), token_from="/nominations/new"
    )
    assert response.status_code == 422
    assert "Có ký tự không được phép." in response.text
    assert db_session.scalar(select(func.count()).select_from(Nomination)) == 0
    response = web.post(
        "/nominations/new", _fields(world, nominee_name=decomposed), token_from="/nominations/new"
    )
    assert response.status_code == 302
    stored = db_session.scalar(select(Nomination.nominee_name))
    assert stored == unicodedata.normalize("NFC", decomposed) != decomposed


def test_too_long_text_is_refused_with_the_limit(web, world):
    web.login("sec_k1")
    response = web.post(
        "/nominations/new", _fields(world, title="x" * 301), token_from="/nominations/new"
    )
    assert response.status_code == 422
    assert "Tối đa 300 ký tự." in response.text


def test_a_level_above_the_campaign_unit_is_refused_beside_the_field(web, world, db_session):
    world.campaign.unit = world.units["D1"]
    db_session.flush()
    web.login("sec_k1")
    response = web.post(
        "/nominations/new", _fields(world, target_level="province"), token_from="/nominations/new"
    )
    assert response.status_code == 422
    assert "Cấp đề nghị cao hơn cấp của đơn vị mở đợt." in response.text


@pytest.mark.parametrize("username", ["rev_c1", "adm_p"])
def test_only_secretaries_open_the_new_form(web, username):
    web.login(username)
    assert web.get("/nominations/new").status_code == 403


def test_the_list_is_scoped_to_the_subtree_and_searchable(web, world):
    world.nominate(cell="K1", nominee_name="Lê Văn Một", title="Làm đường")
    world.nominate(cell="K3", nominee_name="Trần Thị Hai", title="Khuyến học")
    world.nominate(cell="K4", nominee_name="Phạm Văn Ba", title="Làm đường", kind="collective")
    web.login("rev_c1")
    page = web.get("/nominations").text
    assert "Lê Văn Một" in page
    assert "Trần Thị Hai" not in page
    assert "Phạm Văn Ba" not in page
    web.post("/logout", token_from="/")
    web.login("rev_p")
    assert "Phạm Văn Ba" in web.get("/nominations?q=đường").text
    assert "Trần Thị Hai" not in web.get("/nominations?q=đường").text
    assert "Trần Thị Hai" in web.get("/nominations?cell=Trường").text
    only_collectives = web.get("/nominations?kind=collective").text
    assert "Phạm Văn Ba" in only_collectives
    assert "Lê Văn Một" not in only_collectives
    in_d2 = web.get("/nominations?unit=D2").text
    assert "Phạm Văn Ba" in in_d2
    assert "Lê Văn Một" not in in_d2
    assert "Lê Văn Một" in web.get(f"/nominations?campaign_id={world.campaign.id}&state=draft").text
    assert "Lê Văn Một" not in web.get("/nominations?state=commended").text
    assert "Lê Văn Một" in web.get("/nominations?level=district").text


def test_bad_filters_are_a_400_not_a_500(web):
    web.login("rev_c1")
    for query in ("state=nope", "unit=D2", "campaign_id=99999", "page=0", "page=x"):
        assert web.get(f"/nominations?{query}").status_code == 400, query


def test_the_list_is_paginated(web, world, app, monkeypatch):
    monkeypatch.setitem(app.config, "PER_PAGE", 2)
    for number in range(5):
        world.nominate(nominee_name=f"Người số {number}")
    web.login("sec_k1")
    first = web.get("/nominations").text
    assert "5 hồ sơ" in first
    assert re.findall(r"Người số (\d)", first) == ["4", "3"]
    # Older pages follow the last row seen (keyset), not an offset.
    older = re.search(r'href="(/nominations\?after=\d+)"[^>]*rel="next"', first).group(1)
    second = web.get(older).text
    assert re.findall(r"Người số (\d)", second) == ["2", "1"]
    last = web.get(re.search(r'href="(/nominations\?after=\d+)"[^>]*rel="next"', second).group(1))
    assert re.findall(r"Người số (\d)", last.text) == ["0"]
    assert 'rel="next"' not in last.text
    assert web.get("/nominations?page=3").status_code == 200  # the old links still answer


def test_a_nomination_outside_the_subtree_is_not_found(web, world):
    nomination = world.nominate(cell="K4")
    web.login("rev_c1")
    assert web.get(f"/nominations/{nomination.id}").status_code == 404
    assert web.get("/nominations/999999").status_code == 404


def _buttons(page):
    return set(re.findall(r'name="action" value="([a-z]+)"', page))


def _act(web, nomination, action, comment="", version=None):
    url = f"/nominations/{nomination.id}"
    page = web.get(url).text
    version = (
        version
        if version is not None
        else re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)
    )
    return web.post(url, {"action": action, "version": version, "comment": comment}, token_from=url)


def test_the_whole_walk_with_a_return(browser_of, world, db_session):
    nomination = world.nominate(target="district")
    secretary, commune, district = browser_of("sec_k1"), browser_of("rev_c1"), browser_of("rev_d1")
    url = f"/nominations/{nomination.id}"
    assert _buttons(secretary.get(url).text) == {"submit", "withdraw"}
    assert _buttons(commune.get(url).text) == set()
    assert _act(secretary, nomination, "submit").status_code == 302
    assert _buttons(commune.get(url).text) == {"approve", "recognize", "return", "reject"}
    assert _buttons(secretary.get(url).text) == {"withdraw"}
    assert _act(commune, nomination, "approve").status_code == 302
    # At the decision unit approving is recognising, so no separate button.
    assert _buttons(district.get(url).text) == {"approve", "return", "reject"}

    refused = _act(district, nomination, "return", comment="  ")
    assert refused.status_code == 422
    assert "Phải ghi ý kiến khi trả lại hoặc không chấp thuận một hồ sơ." in refused.text
    db_session.refresh(nomination)
    assert nomination.state == "district_review"

    assert _act(district, nomination, "return", comment="Bổ sung minh chứng").status_code == 302
    assert _act(secretary, nomination, "resubmit").status_code == 302
    assert _act(district, nomination, "approve").status_code == 302
    db_session.refresh(nomination)
    assert nomination.state == "commended"
    assert nomination.recognized_level == "district"

    page = secretary.get(url).text
    timeline = page[page.index('class="timeline"') :]
    for text in (
        "tạo bản nháp",
        "gửi đề nghị",
        "trả lại để bổ sung",
        "Bổ sung minh chứng",
        "Huyện ủy Cẩm Khê",
        "Đảng ủy xã Tiên Lương",
        "gửi lại",
    ):
        assert text in timeline
    assert re.search(r"\d\d/\d\d/\d{4} \d\d:\d\d", timeline)
    entries = db_session.scalar(
        select(func.count())
        .select_from(HistoryEntry)
        .where(HistoryEntry.nomination_id == nomination.id)
    )
    assert entries == 6


def test_the_page_shows_the_nominations_own_path_and_the_help_page_the_whole_diagram(web, world):
    nomination = world.act(world.nominate(), "sec_k1", "submit")  # asks for district level
    web.login("rev_c1")
    page = web.get(f"/nominations/{nomination.id}").text
    path = page[page.index('<ol class="path">') : page.index("</ol>", page.index('class="path"'))]
    assert re.findall(r'data-unit="([^"]+)"', path) == ["K1", "C1", "D1"]  # up to the decider
    assert re.findall(r'class="path-(\w+)" data-unit="(\w+)"', path) == [
        ("done", "K1"),
        ("current", "C1"),
        ("ahead", "D1"),
    ]
    assert 'aria-current="step"' in path
    assert "diagram-state" not in page
    assert f"Bước tiếp theo: {world.units['C1'].name} xem xét" in page
    help_page = web.get("/help/workflow").text
    assert help_page.count('class="diagram-state') == 8
    assert "diagram-current" not in help_page


def test_a_stale_version_is_a_conflict_and_changes_nothing(web, world, db_session):
    nomination = world.nominate()
    web.login("sec_k1")
    response = _act(web, nomination, "submit", version=str(nomination.version + 5))
    assert response.status_code == 409
    db_session.refresh(nomination)
    assert nomination.state == "draft"


def test_unknown_actions_and_foreign_rights_are_refused(web, world):
    nomination = world.nominate()
    web.login("sec_k1")
    assert _act(web, nomination, "explode").status_code == 400
    assert _act(web, nomination, "approve").status_code == 403


def test_editing_a_draft_and_not_a_submitted_one(web, world, db_session):
    nomination = world.nominate()
    web.login("sec_k1")
    url = f"/nominations/{nomination.id}/edit"
    form = web.get(url)
    assert form.status_code == 200
    assert "Nguyễn Văn An" in form.text
    version = re.search(r'name="version" type="hidden" value="(\d+)"', form.text).group(1)
    changes = {**FIELDS, "title": "Tiêu đề mới", "version": version}
    del changes["campaign_id"]
    assert web.post(url, changes, token_from=url).status_code == 302
    db_session.refresh(nomination)
    assert nomination.title == "Tiêu đề mới"
    stale = web.post(url, {**changes, "title": "Lần hai"}, token_from=url)
    assert stale.status_code == 409  # the version the form carried is no longer current
    db_session.refresh(nomination)
    assert nomination.title == "Tiêu đề mới"
    world.act(nomination, "sec_k1", "submit")
    db_session.commit()
    page = web.get(f"/nominations/{nomination.id}").text
    assert f'href="{url}"' not in page
    shown = web.get(url)
    assert shown.status_code == 409  # no form that could only fail when saved
    assert "Xung đột" in shown.text
    assert 'name="title"' not in shown.text
    refused = web.post(
        url,
        {**changes, "version": str(nomination.version)},
        token_from=f"/nominations/{nomination.id}",
    )
    assert refused.status_code == 409


def test_a_reviewer_cannot_edit(web, world):
    nomination = world.nominate()
    web.login("rev_c1")
    assert web.get(f"/nominations/{nomination.id}/edit").status_code == 403


def test_evidence_is_checked_stored_privately_and_served_by_policy(
    web, world, app, browser_of, db_session
):
    nomination = world.nominate()
    url = f"/nominations/{nomination.id}"
    web.login("sec_k1")
    upload = f"{url}/attachments"

    def send(data, name):
        from io import BytesIO

        return web.post(
            upload,
            {"file": (BytesIO(data), name)},
            token_from=url,
            content_type="multipart/form-data",
        )

    assert send(PDF, "bằng khen.pdf").status_code == 302
    fake = send(b"<html>not a pdf</html>", "evil.pdf")
    assert fake.status_code == 422
    assert "Chỉ nhận tệp PDF, JPEG và PNG." in fake.text
    assert send(b"", "empty.png").status_code == 422
    app.config["ATTACHMENT_MAX_BYTES"], limit = 40, app.config["ATTACHMENT_MAX_BYTES"]
    try:
        too_big = send(PNG + b"\x00" * 64, "big.png")
    finally:
        app.config["ATTACHMENT_MAX_BYTES"] = limit
    assert too_big.status_code in (413, 422)

    stored = db_session.scalars(
        select(Attachment).where(Attachment.nomination_id == nomination.id)
    ).all()
    assert [a.content_type for a in stored] == ["application/pdf"]
    assert stored[0].filename == "bằng khen.pdf"
    path = app.config["ATTACHMENTS_DIR"] + "/" + stored[0].storage_key
    with open(path, "rb") as handle:
        assert handle.read() == PDF
    assert "static" not in path

    download = f"{url}/attachments/{stored[0].id}"
    reviewer = browser_of("rev_d1")
    got = reviewer.get(download)
    assert got.status_code == 200
    assert got.data == PDF
    assert got.headers["Content-Type"] == "application/pdf"
    assert "attachment" in got.headers["Content-Disposition"]
    got.close()
    assert browser_of("rev_c3").get(download).status_code == 404
    assert browser_of("sec_k2").get(download).status_code == 404
    assert (
        reviewer.get(f"/nominations/{nomination.id + 1}/attachments/{stored[0].id}").status_code
        == 404
    )


def test_only_the_cell_secretary_attaches(web, world, browser_of):
    from io import BytesIO

    nomination = world.nominate()
    url = f"/nominations/{nomination.id}"
    reviewer = browser_of("rev_c1")
    answer = reviewer.post(
        f"{url}/attachments",
        {"file": (BytesIO(PDF), "x.pdf")},
        token_from=url,
        content_type="multipart/form-data",
    )
    assert answer.status_code == 403


def test_user_text_is_escaped(web, world):
    nomination = world.nominate(
        nominee_name="<script>alert('x')</script>", title='"><img src=x onerror=alert(1)>'
    )
    web.login("sec_k1")
    for url in (f"/nominations/{nomination.id}", "/nominations", "/"):
        page = web.get(url).text
        assert "<script>alert" not in page
        assert "<img src=x" not in page
    assert "&lt;script&gt;alert(" in web.get(f"/nominations/{nomination.id}").text


def test_evidence_is_removed_only_by_the_secretary_while_editable(web, world, browser_of, app):
    from io import BytesIO

    from workflow import attachments, files

    nomination = world.nominate()
    url = f"/nominations/{nomination.id}"
    web.login("sec_k1")
    web.post(
        f"{url}/attachments",
        {"file": (BytesIO(PNG), "anh.png")},
        token_from=url,
        content_type="multipart/form-data",
    )
    stored = attachments.attachments_of(world.session, nomination)
    assert [a.content_type for a in stored] == ["image/png"]
    path = files.LocalStore(app.config["ATTACHMENTS_DIR"]).path(stored[0].storage_key)
    assert path.is_file()
    remove = f"{url}/attachments/{stored[0].id}/delete"
    reviewer = browser_of("rev_c1")
    assert reviewer.post(remove, token_from=url).status_code == 403
    world.session.refresh(nomination)  # attaching evidence moved its version
    world.act(nomination, "sec_k1", "submit")
    assert web.post(remove, token_from=url).status_code == 409
    world.act(nomination, "rev_c1", "return")
    asked = web.post(remove, token_from=url)
    assert asked.status_code == 200
    assert path.exists()  # asked first: nothing removed yet
    assert web.post(remove, {"confirm": "1"}, token_from=url).status_code == 302
    assert not path.exists()
    assert attachments.attachments_of(world.session, nomination) == []
