"""The queue with bulk approval, the dashboard, and the administration pages."""

import datetime as dt
import re
from io import BytesIO

from sqlalchemy import func, select

from workflow import services
from workflow.models import (
    CampaignAmendment,
    CampaignClosure,
    CommendationList,
    HistoryEntry,
    OutboxMessage,
    Unit,
    User,
)

BASE_URL = "http://127.0.0.1:5000"  # config.Default.BASE_URL: where e-mailed links point


def test_the_queue_lists_pending_items_oldest_first_with_deadline_and_wait(web, world, db_session):
    first = world.act(world.nominate(nominee_name="Người thứ nhất"), "sec_k1", "submit")
    second = world.act(world.nominate(nominee_name="Người thứ hai"), "sec_k1", "submit")
    world.act(world.nominate(cell="K3", nominee_name="Ở xã khác"), "sec_k3", "submit")
    first.pending_since -= dt.timedelta(days=3)
    db_session.flush()
    web.login("rev_c1")
    page = web.get("/queue").text
    assert page.index("Người thứ nhất") < page.index("Người thứ hai")
    assert "Ở xã khác" not in page
    deadline = world.campaign.commune_review_deadline.strftime("%d/%m/%Y")
    assert deadline in page
    assert re.search(r'<td class="num"[^>]*>3</td>', page)
    assert f'value="{second.id}:{second.version}"' in page


def test_bulk_approve_reports_each_item(web, world, db_session):
    items = [
        world.act(world.nominate(nominee_name=f"Hồ sơ {n}"), "sec_k1", "submit") for n in range(3)
    ]
    stale = items[2]
    selected = [f"{n.id}:{n.version}" for n in items]
    world.act(stale, "sec_k1", "withdraw")  # changed since the reviewer loaded the queue
    web.login("rev_c1")
    data = {"csrf_token": web.token("/queue"), "selected": selected, "action": "approve"}
    asked = web.client.post("/queue", data=data)  # first, what will happen, and nothing else
    assert 'data-step="confirm-bulk"' in asked.text
    assert f"<strong>Chuyển lên {world.units['D1'].name}</strong>: 2 hồ sơ" in asked.text
    assert "1 hồ sơ không thể đồng ý lúc này" in asked.text
    assert "Xác nhận: đồng ý 2 hồ sơ" in asked.text  # the button says what it does
    db_session.refresh(items[0])
    assert items[0].state == "commune_review"
    response = web.client.post("/queue", data={**data, "confirm": "1"})
    assert response.status_code == 200
    assert response.text.count('data-result="ok"') == 2
    assert response.text.count('data-result="conflict"') == 1
    for nomination in items:
        db_session.refresh(nomination)
    assert [n.state for n in items] == ["district_review", "district_review", "withdrawn"]
    approvals = db_session.scalar(
        select(func.count()).select_from(HistoryEntry).where(HistoryEntry.action == "approve")
    )
    assert approvals == 2


def test_bulk_approve_tells_which_item_the_database_gave_up(web, world, db_session, monkeypatch):
    """An item lost to a deadlock is said to try again; the items before it stay approved."""
    from psycopg.errors import DeadlockDetected
    from sqlalchemy.exc import OperationalError

    items = [
        world.act(world.nominate(nominee_name=f"Hồ sơ {n}"), "sec_k1", "submit") for n in range(2)
    ]
    selected = [f"{n.id}:{n.version}" for n in items]
    perform = services.perform

    def second_deadlocks(session, nomination, *args, **kwargs):
        if nomination.id == items[1].id:
            raise OperationalError("UPDATE …", {}, DeadlockDetected("deadlock detected"))
        return perform(session, nomination, *args, **kwargs)

    monkeypatch.setattr(services, "perform", second_deadlocks)
    web.login("rev_c1")
    data = {"csrf_token": web.token("/queue"), "selected": selected, "action": "approve"}
    response = web.client.post("/queue", data={**data, "confirm": "1"})
    assert response.status_code == 200
    assert response.text.count('data-result="ok"') == 1
    assert "Vui lòng thử lại" in response.text
    for nomination in items:
        db_session.refresh(nomination)
    assert [n.state for n in items] == ["district_review", "commune_review"]


def test_bulk_approve_needs_a_reviewer_and_a_selection(web, world):
    web.login("sec_k1")
    assert web.post("/queue", {"selected": "1:1"}, token_from="/queue").status_code == 403
    web.post("/logout", token_from="/")
    web.login("rev_c1")
    assert web.post("/queue", {}, token_from="/queue").status_code == 400
    assert web.post("/queue", {"selected": "x:y"}, token_from="/queue").status_code == 400


def test_the_queue_page_number_is_read_strictly(web, world):
    web.login("rev_c1")
    assert web.get("/queue?page=2").status_code == 200
    for bad in ("\u00b2", "0", "-1", "x", "100001", "99999999999999999999"):
        assert web.get(f"/queue?page={bad}").status_code == 400, bad


def test_a_malformed_selection_approves_nothing(web, world, db_session):
    valid = world.act(world.nominate(nominee_name="Hồ sơ hợp lệ"), "sec_k1", "submit")
    good = f"{valid.id}:{valid.version}"
    web.login("rev_c1")
    for selected in (
        ["\u00b2:1"],
        ["1:\u00b2"],
        ["99999999999:1"],
        [f"{2**31}:1"],
        [f"{valid.id}:{2**31}"],
        [f"{valid.id}:0"],
        [f"{valid.id}:1\n"],
        [good, "x:1"],
        [good, "\u0661:1"],  # an Arabic-Indic digit: int() reads it, the form does not
    ):
        answer = web.post("/queue", {"selected": selected}, token_from="/queue")
        assert answer.status_code == 400, selected
        assert "Không đọc được lựa chọn" in answer.text
    answer = web.post("/queue?page=\u00b2", {"selected": [good]}, token_from="/queue")
    assert answer.status_code == 400
    db_session.refresh(valid)
    assert valid.state == "commune_review"
    approvals = db_session.scalar(
        select(func.count()).select_from(HistoryEntry).where(HistoryEntry.action == "approve")
    )
    assert approvals == 0


def test_bulk_approve_cannot_reach_outside_the_unit(web, world, db_session):
    elsewhere = world.act(world.nominate(cell="K3"), "sec_k3", "submit")
    web.login("rev_c1")
    answer = web.post(
        "/queue",
        {"selected": f"{elsewhere.id}:{elsewhere.version}", "confirm": "1"},
        token_from="/queue",
    )
    assert 'data-result="conflict"' in answer.text
    db_session.refresh(elsewhere)
    assert elsewhere.state == "commune_review"


def test_dashboards_per_role(web, world, db_session):
    returned = world.act(
        world.act(world.nominate(nominee_name="Cần sửa"), "sec_k1", "submit"), "rev_c1", "return"
    )
    late = world.act(world.nominate(), "sec_k1", "submit")
    world.campaign.commune_review_deadline = services.today() - dt.timedelta(days=1)
    db_session.flush()
    web.login("sec_k1")
    page = web.get("/").text
    assert "Cần bạn bổ sung, chỉnh sửa" in page
    assert f"/nominations/{returned.id}" in page
    assert "<svg" in page
    web.post("/logout", token_from="/")
    web.login("rev_c1")
    page = web.get("/").text
    assert re.search(r'data-metric="queue">1<', page)
    assert "Quá hạn xét duyệt: 1" in page
    overdue_list = page[page.index("overdue-list") :]
    assert f"/nominations/{late.id}" in overdue_list
    assert f"/nominations/{returned.id}" not in overdue_list
    assert late.id
    web.post("/logout", token_from="/")
    world.act(late, "rev_c1", "recognize")
    web.login("adm_p")
    page = web.get(f"/?campaign_id={world.campaign.id}").text
    assert "Điển hình tiên tiến được công nhận theo cấp" in page
    assert "Tiến độ theo cấp" in page
    report = page[page.index('class="report stack"') :]
    assert re.search(r"Cấp xã</th><td [^>]*>0</td><td [^>]*>1</td>", report)
    totals = re.findall(r'data-total="(\w+)"[^>]*>(\d+)<', report)  # every column is totalled
    assert totals == [("collective", "0"), ("individual", "1"), ("all", "1"), ("waiting", "0")]
    assert web.get("/?campaign_id=999").status_code == 400


def test_moving_a_unit_away_from_the_reviewer_of_its_nominations_is_refused(web, world, db_session):
    world.act(world.act(world.nominate(), "sec_k1", "submit"), "rev_c1", "approve")
    web.login("adm_p")
    refused = web.post("/admin/units/C1/move", {"parent_code": "D2"}, token_from="/admin/units")
    assert refused.status_code == 409
    assert "Có 1 hồ sơ thuộc C1 đang chờ D1 xét duyệt hoặc đã bị D1 trả lại" in refused.text
    assert db_session.scalar(select(Unit.path).where(Unit.code == "K1")) == "/P/D1/C1/K1/"
    imported = web.post(
        "/admin/import/units",
        {"text": "code,name,level,parent_code\nC1,Đảng ủy xã Tiên Lương,commune,D2\n"},
        token_from="/admin/import/units",
    )
    assert imported.status_code == 422
    assert re.search(
        r'<td class="num">2</td><td>parent_code</td><td>Có 1 hồ sơ thuộc C1', imported.text
    )


def test_renaming_a_unit_to_nothing_is_a_field_message(web, world, db_session):
    web.login("adm_p")
    for name in ("", "   "):
        answer = web.post("/admin/units/C1/rename", {"name": name}, token_from="/admin/units")
        assert answer.status_code == 422
        row = answer.text[answer.text.index("/admin/units/C1/rename") :]
        row = row[: row.index("</form>")]
        assert 'aria-invalid="true"' in row
        assert "Vui lòng nhập trường này." in row
    assert db_session.scalar(select(Unit.name).where(Unit.code == "C1")) == "Đảng ủy xã Tiên Lương"
    renamed = web.post("/admin/units/C1/rename", {"name": "Xã mới"}, token_from="/admin/units")
    assert renamed.status_code == 302


def test_administration_is_for_administrators(web):
    web.login("rev_p")
    for url in ("/admin/units", "/admin/users", "/admin/campaigns", "/admin/import/units"):
        assert web.get(url).status_code == 403


def test_units_add_rename_and_move_with_the_whole_subtree(web, world, db_session):
    web.login("adm_p")
    assert "Đảng ủy xã Tiên Lương" in web.get("/admin/units").text
    added = web.post(
        "/admin/units",
        {"parent_code": "C1", "code": "K9", "name": "Chi bộ thôn Mới", "level": "cell"},
        token_from="/admin/units",
    )
    assert added.status_code == 302
    bad = web.post(
        "/admin/units",
        {"parent_code": "K1", "code": "X1", "name": "Sai cấp", "level": "commune"},
        token_from="/admin/units",
    )
    assert bad.status_code == 422
    duplicate = web.post(
        "/admin/units",
        {"parent_code": "C1", "code": "K9", "name": "Trùng", "level": "cell"},
        token_from="/admin/units",
    )
    assert duplicate.status_code == 409
    assert "Đã có đơn vị mã K9." in duplicate.text
    renamed = web.post(
        "/admin/units/C1/rename", {"name": "Đảng ủy xã Tiên Lương mới"}, token_from="/admin/units"
    )
    assert renamed.status_code == 302
    moved = web.post("/admin/units/C1/move", {"parent_code": "D2"}, token_from="/admin/units")
    assert moved.status_code == 302
    paths = dict(db_session.execute(select(Unit.code, Unit.path)).all())
    assert paths["C1"] == "/P/D2/C1/"
    assert paths["K1"] == "/P/D2/C1/K1/"
    assert paths["K9"] == "/P/D2/C1/K9/"
    assert paths["K3"] == "/P/D1/C2/K3/"
    into_itself = web.post("/admin/units/D2/move", {"parent_code": "C1"}, token_from="/admin/units")
    assert into_itself.status_code == 422
    assert (
        web.post(
            "/admin/units/P/move", {"parent_code": "D1"}, token_from="/admin/units"
        ).status_code
        == 403
    )


def test_a_district_administrator_keeps_only_their_district(web, world):
    web.login("adm_d1")
    page = web.get("/admin/units").text
    assert "Huyện ủy Lâm Thao" not in page
    assert (
        web.post("/admin/units/C3/rename", {"name": "x"}, token_from="/admin/units").status_code
        == 404
    )
    assert (
        web.post(
            "/admin/units/C1/move", {"parent_code": "D2"}, token_from="/admin/units"
        ).status_code
        == 400
    )
    assert web.get("/admin/import/units").status_code == 200  # scoped: see test_security.py


def test_accounts_create_with_a_link_change_and_disable(web, world, db_session, app):
    web.login("adm_p")
    created = web.post(
        "/admin/users",
        {
            "username": "moi",
            "full_name": "Người Mới",
            "email": "moi@example.org",
            "role": "secretary",
            "unit_code": "K2",
            "password": "",
        },
        token_from="/admin/users",
    )
    assert created.status_code == 302
    user = db_session.scalar(select(User).where(User.username == "moi"))
    assert user.needs_password
    message = db_session.scalar(
        select(OutboxMessage).where(OutboxMessage.recipient_user_id == user.id)
    )
    assert message.notice == "set_password"
    assert message.recipient_email == "moi@example.org"
    link = message.context["link"].removeprefix(BASE_URL)
    assert link.startswith("/set-password/")

    wrong_level = web.post(
        "/admin/users",
        {
            "username": "sai",
            "full_name": "Sai",
            "email": "sai@example.org",
            "role": "secretary",
            "unit_code": "C1",
        },
        token_from="/admin/users",
    )
    assert wrong_level.status_code == 422

    page = f"/admin/users/{user.id}"
    assert (
        web.post(page, {"role": "reviewer", "unit_code": "C2"}, token_from=page).status_code == 302
    )
    db_session.refresh(user)
    assert (user.role, user.unit.code) == ("reviewer", "C2")

    secretary = world.users["sec_k1"]
    target = f"/admin/users/{secretary.id}"
    assert web.post(f"{target}/active", {"active": "0"}, token_from=target).status_code == 302
    db_session.refresh(secretary)
    assert not secretary.active
    assert web.post(f"{target}/password-link", {}, token_from=target).status_code == 409
    mine = f"/admin/users/{world.users['adm_p'].id}"
    assert web.post(f"{mine}/active", {"active": "0"}, token_from=mine).status_code == 403


def test_user_import_preview_lists_every_error_and_writes_nothing(web, db_session):
    web.login("adm_p")
    text = (
        "username,full_name,email,role,unit_code,password\n"
        "a1,Người A,not-an-email,secretary,K1,\n"
        "a2,,a2@example.test,boss,K1,\n"
        "a3,Người C,a3@example.test,secretary,K1,\n"
    )
    url = "/admin/import/users"
    answer = web.post(url, {"text": text, "action": "import"}, token_from=url)
    assert answer.status_code == 422
    rows = re.findall(r'<tr><td class="num">(\d+)</td><td>([a-z_]+)</td>', answer.text)
    assert ("2", "email") in rows
    assert ("3", "full_name") in rows
    assert ("3", "role") in rows
    assert "Giá trị phải là một trong: " in answer.text  # the errors are read in Vietnamese
    assert (
        db_session.scalar(select(func.count()).select_from(User).where(User.username.like("a_")))
        == 0
    )


def test_unit_import_dry_run_then_import(web, db_session):
    web.login("adm_p")
    text = "code,name,level,parent_code\nC9,Đảng ủy xã Mới,commune,D1\nK99,Chi bộ thôn 9,cell,C9\n"
    url = "/admin/import/units"
    dry = web.post(
        url,
        {"file": (BytesIO(text.encode()), "units.csv"), "action": "preview"},
        token_from=url,
        content_type="multipart/form-data",
    )
    assert dry.status_code == 200
    assert "sẽ tạo mới 2" in dry.text
    assert db_session.scalar(select(Unit).where(Unit.code == "C9")) is None
    done = web.post(url, {"text": text, "action": "import"}, token_from=url)
    assert "Đã nhập: tạo mới 2" in done.text
    assert db_session.scalar(select(Unit.path).where(Unit.code == "K99")) == "/P/D1/C9/K99/"
    cycle = "code,name,level,parent_code\nC9,Xã,commune,K99\n"
    assert web.post(url, {"text": cycle, "action": "preview"}, token_from=url).status_code == 422
    latin1 = web.post(
        url,
        {"file": (BytesIO("code,name\nĐ,é".encode("latin-1", "replace")), "u.csv")},
        token_from=url,
        content_type="multipart/form-data",
    )
    assert latin1.status_code == 422


def test_campaigns_open_edit_and_close(web, world, db_session):
    web.login("adm_p")
    opened = web.post(
        "/admin/campaigns",
        {
            "name": "Đợt 2027",
            "year": "2027",
            "unit_code": "P",
            "submission_deadline": "2027-05-01",
            "district_review_deadline": "2027-06-01",
        },
        token_from="/admin/campaigns",
    )
    assert opened.status_code == 302
    url = opened.headers["Location"]
    page = web.get(url).text
    assert "Đợt 2027" in page
    version = re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)
    changed = web.post(
        url,
        {
            "submission_deadline": "2027-05-15",
            "commune_review_deadline": "2027-05-20",
            "reason": "Thêm hạn xét cấp xã",
            "version": version,
        },
        token_from=url,
    )
    assert changed.status_code == 302
    assert 'value="2027-05-15"' in web.get(url).text
    amendment = db_session.scalar(select(CampaignAmendment))
    assert amendment.reason == "Thêm hạn xét cấp xã"
    assert amendment.changes["deadlines"]["after"]["submission"] == "2027-05-15"
    stale = web.post(
        url,
        {"submission_deadline": "2027-05-16", "reason": "x", "version": version},
        token_from=url,
    )
    assert stale.status_code == 409
    bad = web.post(url, {"submission_deadline": "15/13/2027"}, token_from=url)
    assert bad.status_code == 422
    assert "Ngày không hợp lệ." in bad.text
    asked = web.post(f"{url}/close", {"unit_code": "D1"}, token_from=url)
    assert asked.status_code == 200  # closing cannot be undone: asked first
    assert "Xác nhận: kết thúc xét duyệt của Huyện ủy Cẩm Khê" in asked.text
    assert 'name="unit_code" value="D1"' in asked.text
    assert 'data-step="confirm-close-review"' in asked.text
    assert "không thể hoàn tác" in asked.text
    assert "danh sách chính thức các trường hợp Huyện ủy Cẩm Khê công nhận" in asked.text
    for written in (CampaignClosure, CommendationList):  # asking closed nothing, listed nothing
        assert db_session.scalar(select(func.count()).select_from(written)) == 0
    confirmed = {"unit_code": "D1", "confirm": "1"}
    assert web.post(f"{url}/close", confirmed, token_from=url).status_code == 302
    assert db_session.scalar(select(func.count()).select_from(CampaignClosure)) == 1
    again = web.post(f"{url}/close", {"unit_code": "D1"}, token_from=url)
    assert again.status_code == 409  # refused before anyone is asked
    assert web.post(f"{url}/close", {"unit_code": "K1"}, token_from=url).status_code == 400
    assert "Huyện ủy Cẩm Khê" in web.get(url).text


def test_imported_accounts_without_a_password_are_sent_a_link(web, db_session):
    web.login("adm_p")
    text = (
        "username,full_name,email,role,unit_code,password\n"
        "n1,Người Một,n1@example.org,secretary,K1,\n"
        "n2,Người Hai,n2@example.org,reviewer,C1,mat-khau-dai\n"
    )
    done = web.post("/admin/import/users", {"text": text, "action": "import"}, token_from="/")
    assert "Đường dẫn đặt mật khẩu đang được gửi tới 1 tài khoản mới." in done.text
    links = db_session.scalars(
        select(OutboxMessage.recipient_email).where(OutboxMessage.notice == "set_password")
    ).all()
    assert links == ["n1@example.org"]
    again = web.post("/admin/import/users", {"text": text, "action": "import"}, token_from="/")
    assert "Đường dẫn đặt mật khẩu" not in again.text  # nobody is sent a second link


def test_an_administrator_sends_a_set_password_link(web, world, db_session):
    web.login("adm_d1")
    assert web.get("/admin").headers["Location"] == "/admin/units"
    person = world.users["sec_k1"]
    page = f"/admin/users/{person.id}"
    shown = web.get(page)
    assert shown.status_code == 200
    assert person.email in shown.text
    assert web.post(f"{page}/password-link", {}, token_from=page).status_code == 302
    sent = db_session.scalar(
        select(OutboxMessage).where(
            OutboxMessage.recipient_user_id == person.id, OutboxMessage.notice == "set_password"
        )
    )
    assert sent.context["link"].startswith(f"{BASE_URL}/set-password/")
    outside = world.users["sec_k4"]
    assert web.get(f"/admin/users/{outside.id}").status_code == 404


def test_a_csv_larger_than_the_api_limit_is_accepted_for_import(web, app, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 2000)  # the API's limit, scaled down
    monkeypatch.setitem(app.config, "IMPORT_MAX_BYTES", 50_000)
    rows = "".join(f"X{n},Chi bộ số {n},cell,C1\n" for n in range(200))
    text = "code,name,level,parent_code\n" + rows
    assert 2000 < len(text.encode()) < 50_000
    web.login("adm_p")
    url = "/admin/import/units"
    answer = web.post(
        url,
        {"file": (BytesIO(text.encode()), "units.csv"), "action": "preview"},
        token_from=url,
        content_type="multipart/form-data",
    )
    assert answer.status_code == 200
    assert "sẽ tạo mới 200" in answer.text
    too_big = web.post(url, {"text": text * 20, "action": "preview"}, token_from=url)
    assert too_big.status_code == 413
    other = web.post("/language", {"lang": "vi", "next": "x" * 3000}, token_from="/")
    assert other.status_code == 413  # elsewhere the ordinary limit holds


def test_pasted_csv_text_is_read_cell_by_cell(web, world, db_session):
    # A page break inside a quoted cell is a line break in that cell, not a new row; an escape
    # is an error naming its line and column, as in a file.
    web.login("adm_p")
    url = "/admin/import/units"
    pasted = 'code,name,level,parent_code\nX1,"Chi bộ\vsố một",cell,C1\nX2,"Chi bộ\x1b",cell,C1\n'
    answer = web.post(url, {"text": pasted, "action": "preview"}, token_from=url)
    assert answer.status_code == 422
    assert '<td class="num">3</td><td>name</td><td>Có ký tự không được phép.</td>' in answer.text
    assert '<td class="num">2</td>' not in answer.text
    good = pasted.split("X2")[0]
    answer = web.post(url, {"text": good, "action": "import"}, token_from=url)
    assert answer.status_code in (200, 302), answer.text[:500]
    assert db_session.scalar(select(Unit.name).where(Unit.code == "X1")) == "Chi bộ\nsố một"
