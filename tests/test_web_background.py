"""The web side of the background work: final lists, failed notices, set-password e-mail."""

import hashlib
import re

from conftest import read_mail
from list_files import build_campaign, check_csv, check_pdf, check_xlsx, pdf_text, recognise
from sqlalchemy import func, select

from tasks import notices
from workflow import lists, policy, services
from workflow.errors import Conflict
from workflow.models import CampaignClosure, CommendationList, OutboxMessage, User

BASE_URL = "http://127.0.0.1:5000"  # config.Default.BASE_URL: where e-mailed links point


def test_a_new_account_without_a_password_is_mailed_its_link(web, db_session, dispatching):
    web.login("adm_p")
    created = web.post(
        "/admin/users",
        {
            "username": "moi",
            "full_name": "Nguyễn Thị Mới",
            "email": "moi@example.org",
            "role": "secretary",
            "unit_code": "K2",
            "password": "",
        },
        token_from="/admin/users",
    )
    assert created.status_code == 302
    [message] = read_mail(dispatching)
    assert message["To"] == "moi@example.org"
    assert message["Subject"] == "[Điển hình tiên tiến] Đặt mật khẩu cho tài khoản moi"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Kính gửi đồng chí Nguyễn Thị Mới" in text
    assert "72 giờ" in text
    link = next(line for line in text.splitlines() if line.startswith(BASE_URL))
    assert f'href="{link}"' in html
    row = db_session.scalar(select(OutboxMessage).where(OutboxMessage.notice == "set_password"))
    db_session.refresh(row)
    assert (row.status, row.attempts) == ("sent", 1)
    # The link in the message is the one that works.
    page = web.get(link.removeprefix(BASE_URL))
    assert page.status_code == 200
    assert 'name="password"' in page.text


def test_set_password_notice_in_english_escapes_the_name(app, world):
    row = OutboxMessage(
        key="set_password-1-1-1",
        notice="set_password",
        recipient_email="a@b.vn",
        language="en",
        context={
            "username": "an",
            "full_name": "An <b>bold</b>",
            "link": "http://127.0.0.1:5000/set-password/abc",
        },
    )
    with app.app_context():
        subject, text, html = notices.render(row)
    assert subject == "[Exemplars] Set the password of your account an"
    assert "Dear An <b>bold</b>," in text
    assert "An &lt;b&gt;bold&lt;/b&gt;" in html
    assert 'href="http://127.0.0.1:5000/set-password/abc"' in html
    assert "72 hours" in text


def test_imported_accounts_receive_their_links_by_mail(web, db_session, dispatching):
    web.login("adm_p")
    text = (
        "username,full_name,email,role,unit_code,password\n"
        "n1,Người Một,n1@example.org,secretary,K1,\n"
        "n2,Người Hai,n2@example.org,secretary,K2,\n"
        "n3,Người Ba,n3@example.org,reviewer,C1,mat-khau-dai\n"
    )
    done = web.post("/admin/import/users", {"text": text, "action": "import"}, token_from="/")
    assert done.status_code == 200
    assert sorted(message["To"] for message in read_mail(dispatching)) == [
        "n1@example.org",
        "n2@example.org",
    ]
    assert db_session.scalar(select(User.needs_password).where(User.username == "n3")) is False


# Final commendation lists.


def _produce_first_list(web, campaign_id, unit_code, *, token_from):
    """The list page's id of `unit_code`'s first list, asked for and confirmed as the pages
    do: a first number is registered for good, so the button asks first."""
    url = f"/campaigns/{campaign_id}/lists"
    asked = web.post(url, {"unit_code": unit_code}, token_from=token_from)
    assert asked.status_code == 200, asked.text
    assert 'data-step="confirm-first-list"' in asked.text
    confirmed = {"unit_code": unit_code, "first": "1", "number": "1", "confirm": "1"}
    return _list_page_id(web.post(url, confirmed, token_from=token_from))


def _list_page_id(response):
    assert response.status_code == 302, response.text
    location = response.headers["Location"]
    assert re.fullmatch(r"/lists/\d+", location), location
    return int(location.rsplit("/", 1)[1])


def test_a_reviewer_produces_the_list_from_the_dashboard_and_downloads_it(
    web, world, db_session, dispatching, tmp_path
):
    expected = build_campaign(world)
    web.login("rev_d1")
    dashboard = web.get(f"/?campaign_id={world.campaign.id}").text
    assert "Lập danh sách khen thưởng" in dashboard
    assert f'action="/campaigns/{world.campaign.id}/lists"' in dashboard
    list_id = _produce_first_list(web, world.campaign.id, "D1", token_from="/")
    page = web.get(f"/lists/{list_id}")
    assert page.status_code == 200
    text = page.text
    assert "Danh sách số 01-DS/HU" in text
    assert 'data-field="status">Đã lập xong<' in text
    assert 'data-field="count">3<' in text
    assert f'data-field="date">{services.today():%d/%m/%Y}<' in text
    assert "Huyện ủy Cẩm Khê" in text
    summary = text[text.index('class="report"') :]
    assert re.search(r'Cấp huyện</th><td class="num">1</td><td class="num">2</td>', summary)
    assert re.search(r'Cấp xã</th><td class="num">0</td><td class="num">1</td>', summary)
    for name in expected:
        assert name in text
    assert "Lò Văn Khác" not in text  # another district's row

    stored = db_session.get(CommendationList, list_id)
    db_session.refresh(stored)
    downloads = {}
    for file_format in ("pdf", "xlsx", "csv"):
        url = f"/lists/{list_id}/{file_format}"
        assert f'href="{url}"' in text
        with web.get(url) as download:
            assert download.status_code == 200
            disposition = download.headers["Content-Disposition"]
            assert disposition.startswith("attachment")
            assert "filename*=UTF-8''Danh%20s%C3%A1ch%2001-DS-HU%20Huy%E1%BB%87n" in disposition
            content = download.data
        assert hashlib.sha256(content).hexdigest() == stored.files[file_format]["sha256"]
        downloads[file_format] = content
    check_xlsx(downloads["xlsx"], expected)
    check_csv(downloads["csv"], expected)
    pdf = pdf_text(downloads["pdf"], tmp_path)
    if pdf is not None:
        check_pdf(pdf, "01-DS/HU")

    # The notice to the requester links to this page.
    [ready] = [
        m
        for m in read_mail(dispatching)
        if "01-DS/HU" in str(m["Subject"]) and m["To"] == "rev_d1@example.org"
    ]
    assert ready["To"] == "rev_d1@example.org"
    assert f'href="{BASE_URL}/lists/{list_id}"' in ready.get_body(("html",)).get_content()


def test_list_pages_follow_the_tree(web, world, db_session, browser_of):
    made, _outcome = lists.request_list(
        db_session,
        world.users["adm_p"],
        world.campaign,
        world.units["C1"],
        on=services.today(),
    )
    db_session.commit()
    page = f"/lists/{made.id}"
    assert web.get(page).status_code == 302  # to the login page
    for username, status in (
        ("adm_p", 200),
        ("adm_d1", 200),
        ("rev_c1", 200),
        ("rev_d1", 200),
        ("rev_c2", 404),
        ("sec_k1", 404),
        ("rev_d2", 404),
        ("rev_p", 200),
    ):
        viewer = browser_of(username)
        assert viewer.get(page).status_code == status, username
        assert viewer.get(f"{page}/pdf").status_code == (409 if status == 200 else 404), username
    assert browser_of("rev_c1").get(f"{page}/doc").status_code == 404
    assert browser_of("rev_c1").get("/lists/999999").status_code == 404
    shown = browser_of("rev_c1").get(page).text
    assert "Đang chờ lập" in shown  # not produced: no task ran in this test
    assert f"/lists/{made.id}/pdf" not in shown


def test_asking_for_a_list_checks_rights_fields_and_token(web, world):
    campaign = world.campaign.id
    url = f"/campaigns/{campaign}/lists"
    web.login("rev_c1")
    assert web.post(url, {"unit_code": "D1"}, token_from="/").status_code == 404  # above C1
    assert web.post(url, {"unit_code": ""}, token_from="/").status_code == 400
    assert web.post(url, {"unit_code": "X" * 41}, token_from="/").status_code == 400
    assert web.post_raw(url, {"unit_code": "C1"}).status_code == 400  # no CSRF token
    assert web.post("/campaigns/999999/lists", {"unit_code": "C1"}, token_from="/").status_code == (
        404
    )
    web.post("/logout", token_from="/")
    web.login("rev_d1")
    refused = web.post(url, {"unit_code": "C1"}, token_from="/")
    assert refused.status_code == 403  # a unit below, but not the reviewer's own
    assert "Bạn không có quyền" in refused.text
    web.post("/logout", token_from="/")
    web.login("adm_d1")
    cell = web.post(url, {"unit_code": "K1"}, token_from="/")
    assert cell.status_code == 422
    assert "Danh sách khen thưởng do đơn vị cấp xã, huyện hoặc tỉnh lập." in cell.text
    web.post("/logout", token_from="/")
    web.login("sec_k1")
    dashboard = web.get("/").text
    assert "Lập danh sách khen thưởng" not in dashboard
    assert web.post(url, {"unit_code": "K1"}, token_from="/").status_code == 422


def _produced_list(app, world, db_session, username="rev_d1", unit="D1"):
    """A list produced in-process (dispatching must be on), reloaded after its task."""
    made, _outcome = lists.request_list(
        db_session, world.users[username], world.campaign, world.units[unit], on=services.today()
    )
    with app.app_context():  # the after-commit hand-off runs the task in the app's context
        db_session.commit()
    db_session.refresh(made)
    assert made.status == "done", made.error
    return made


def test_downloads_refuse_a_missing_or_altered_file(app, web, world, db_session, dispatching, auth):
    build_campaign(world)
    made = _produced_list(app, world, db_session)
    stored = dispatching.parent / "lists" / str(made.id) / f"list-{made.id}.csv"
    web.login("rev_d1")
    with web.get(f"/lists/{made.id}/csv") as served:
        assert served.status_code == 200
    stored.write_bytes(stored.read_bytes() + b"x")
    altered = web.get(f"/lists/{made.id}/csv")
    assert altered.status_code == 410
    assert altered.mimetype == "text/html"
    assert "không còn khớp với danh sách" in altered.text
    api = web.client.get(f"/api/v1/lists/{made.id}/csv", headers=auth("rev_d1"))
    assert api.status_code == 410
    assert api.json["detail"] == "the stored file no longer matches the list; it is not served"
    stored.unlink()
    missing = web.get(f"/lists/{made.id}/csv")
    assert missing.status_code == 410
    assert "Tệp lưu trữ bị mất" in missing.text
    api = web.client.get(f"/api/v1/lists/{made.id}/csv", headers=auth("rev_d1"))
    assert (api.status_code, api.mimetype) == (410, "application/problem+json")
    with web.get(f"/lists/{made.id}/pdf") as intact:
        assert intact.status_code == 200  # the other files are intact


def test_the_list_page_escapes_what_people_wrote(app, web, world, db_session, dispatching):
    recognise(world, "KD", "district", nominee_name='<script>alert("x")</script>')
    made = _produced_list(app, world, db_session)
    web.login("adm_p")
    page = web.get(f"/lists/{made.id}").text
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page


def test_closing_a_level_requests_its_list_in_the_same_transaction(web, world, db_session):
    web.login("adm_p")
    url = f"/admin/campaigns/{world.campaign.id}"
    closed = web.post(f"{url}/close", {"unit_code": "D1", "confirm": "1"}, token_from=url)
    list_id = _list_page_id(closed)
    made = db_session.get(CommendationList, list_id)
    db_session.refresh(made)
    # No dispatch in this test: the list row waits, committed with the closure, for its task.
    assert (made.unit.code, made.level, made.status) == ("D1", "district", "pending")
    assert made.requested_by.username == "adm_p"
    closure = db_session.scalar(select(CampaignClosure))
    assert (closure.unit.code, closure.campaign_id) == ("D1", made.campaign_id)
    shown = web.get(f"/lists/{list_id}").text
    assert "Danh sách số 01-DS/HU" in shown
    assert "Đang chờ lập" in shown
    # A second close of the same level is refused, and asks for no second list.
    assert web.post(f"{url}/close", {"unit_code": "D1"}, token_from=url).status_code == 409
    assert db_session.scalar(select(func.count()).select_from(CommendationList)) == 1


def test_closing_the_level_above_a_district_campaign_asks_for_no_list(web, world, db_session):
    campaign = services.create_campaign(
        db_session,
        world.users["adm_p"],
        world.units["D1"],
        name="Đợt của huyện",
        year=services.today().year,
        submission_deadline=services.today(),
        review_deadlines={},
    )
    web.login("adm_p")
    url = f"/admin/campaigns/{campaign.id}"
    closed = web.post(f"{url}/close", {"unit_code": "P", "confirm": "1"}, token_from=url)
    assert closed.status_code == 302
    assert closed.headers["Location"] == url
    assert db_session.scalar(select(func.count()).select_from(CampaignClosure)) == 1
    assert db_session.scalar(select(func.count()).select_from(CommendationList)) == 0


def test_a_closing_that_cannot_ask_for_its_list_closes_nothing(web, world, db_session, monkeypatch):
    def refuse(*args, **kwargs):
        raise Conflict("could not number the list; try again")

    monkeypatch.setattr(lists, "request_list", refuse)
    web.login("adm_p")
    url = f"/admin/campaigns/{world.campaign.id}"
    assert web.post(f"{url}/close", {"unit_code": "C1"}, token_from=url).status_code == 409
    assert db_session.scalar(select(func.count()).select_from(CampaignClosure)) == 0


def test_the_campaign_page_offers_the_units_the_administrator_keeps(web, world, db_session):
    web.login("adm_d1")
    url = f"/admin/campaigns/{world.campaign.id}"
    page = web.get(url).text
    form = page[
        page.index('id="list_unit_code"') : page.index("</select>", page.index("list_unit"))
    ]
    assert re.findall(r'<option value="(\w+)">', form) == ["D1", "C1", "C2"]
    list_id = _produce_first_list(web, world.campaign.id, "C2", token_from=url)
    assert f"/lists/{list_id}" in web.get(url).text
    assert (
        web.post(
            f"/campaigns/{world.campaign.id}/lists", {"unit_code": "D2"}, token_from=url
        ).status_code
        == 404
    )


def test_the_list_index_shows_what_each_person_may_see(web, world, db_session, browser_of):
    c1, _outcome = lists.request_list(
        db_session, world.users["adm_p"], world.campaign, world.units["C1"], on=services.today()
    )
    d2, _outcome = lists.request_list(
        db_session, world.users["adm_p"], world.campaign, world.units["D2"], on=services.today()
    )
    db_session.commit()
    links = re.compile(r'href="/lists/(\d+)"')
    everything = browser_of("adm_p").get("/lists").text
    assert sorted(int(found) for found in links.findall(everything)) == sorted([c1.id, d2.id])
    assert "01-DS/ĐU" in everything
    assert "01-DS/HU" in everything
    reviewer = browser_of("rev_c1")
    assert [int(found) for found in links.findall(reviewer.get("/lists").text)] == [c1.id]
    filtered = reviewer.get(f"/lists?campaign_id={world.campaign.id}").text
    assert [int(found) for found in links.findall(filtered)] == [c1.id]
    assert reviewer.get("/lists?campaign_id=abc").status_code == 400
    assert reviewer.get("/lists?campaign_id=999999").status_code == 400
    assert reviewer.get("/lists?page=0").status_code == 400
    secretary = browser_of("sec_k1").get("/lists").text
    assert links.findall(secretary) == []
    assert "Chưa có danh sách nào được lập." in secretary
    nav = browser_of("rev_c1").get("/").text
    assert 'href="/lists"' in nav
    assert 'href="/lists"' not in browser_of("sec_k1").get("/").text


# Failed notices, for administrators.


def _failed_notice(world, db_session, error="SMTPServerDisconnected: <relay> went away"):
    nomination = world.nominate()
    world.act(nomination, "sec_k1", "submit")
    row = db_session.scalar(
        select(OutboxMessage).where(OutboxMessage.nomination_id == nomination.id)
    )
    row.status, row.attempts, row.last_error = "failed", 8, error
    db_session.commit()
    return row


def test_administrators_see_failed_notices_and_send_them_again(
    web, world, db_session, dispatching, browser_of
):
    row = _failed_notice(world, db_session)
    web.login("adm_p")
    page = web.get("/admin/outbox")
    assert page.status_code == 200
    listed = page.text[page.text.index(f'data-outbox="{row.id}"') :]
    assert "rev_c1@example.org" in listed
    assert '<td class="num">8</td>' in listed
    assert "SMTPServerDisconnected: &lt;relay&gt; went away" in listed  # escaped
    assert "<relay>" not in page.text
    assert f'action="/admin/outbox/{row.id}/resend"' in listed
    assert 'href="/admin/outbox"' in web.get("/admin/units").text  # in the admin navigation

    # Another district's administrator neither sees nor resends it.
    world.add_user("adm_d2", "admin", "D2")
    db_session.commit()
    other = browser_of("adm_d2")
    assert f'data-outbox="{row.id}"' not in other.get("/admin/outbox").text
    resend = f"/admin/outbox/{row.id}/resend"
    assert other.post(resend, token_from="/admin/outbox").status_code == 404
    assert browser_of("rev_c1").get("/admin/outbox").status_code == 403
    assert browser_of("rev_c1").post(resend, token_from="/").status_code == 403
    assert web.post_raw(resend).status_code == 400  # no CSRF token

    answer = web.post(resend, token_from="/admin/outbox")  # sent in-process after commit
    assert answer.status_code == 302
    assert answer.headers["Location"] == "/admin/outbox"
    db_session.refresh(row)
    assert (row.status, row.attempts, row.last_error) == ("sent", 1, None)
    assert [message["To"] for message in read_mail(dispatching)] == ["rev_c1@example.org"]
    assert f'data-outbox="{row.id}"' not in web.get("/admin/outbox").text
    sent = web.get("/admin/outbox?status=sent").text
    assert f'data-outbox="{row.id}"' in sent
    assert f"/admin/outbox/{row.id}/resend" not in sent  # only a failed notice is resent
    assert web.post(resend, token_from="/admin/outbox").status_code == 409
    assert web.get("/admin/outbox?status=lost").status_code == 400


def test_an_empty_outbox_page_says_so_in_english_too(web, world):
    web.login("adm_d1")
    page = web.get("/admin/outbox?lang=en").text
    assert "No notice with this status." in page
    assert "Send again" not in page


def test_the_dashboard_offers_a_list_only_to_a_reviewer_whose_unit_issues_one(
    world, db_session, browser_of
):
    district_campaign = services.create_campaign(
        db_session,
        world.users["adm_p"],
        world.units["D1"],
        name="Đợt của huyện",
        year=services.today().year,
        submission_deadline=services.today(),
        review_deadlines={},
    )
    db_session.commit()
    button = "Lập danh sách khen thưởng"
    province = browser_of("rev_p").get(f"/?campaign_id={district_campaign.id}").text
    assert button not in province  # above the campaign's unit: it recognises nothing in it
    assert button in browser_of("rev_p").get(f"/?campaign_id={world.campaign.id}").text
    commune = browser_of("rev_c1").get(f"/?campaign_id={district_campaign.id}").text
    assert button in commune
    assert f'action="/campaigns/{district_campaign.id}/lists"' in commune
    assert button not in browser_of("adm_p").get("/").text  # administrators: the campaign page


def test_the_list_filter_in_sql_agrees_with_the_predicate(world, db_session):
    made = [
        lists.request_list(
            db_session, world.users["adm_p"], world.campaign, world.units[code], on=services.today()
        )[0]
        for code in ("P", "D1", "D2", "C1", "C2", "C3")
    ]
    for username, actor in world.users.items():
        _total, shown = lists.visible_lists(db_session, actor, per_page=100)
        expected = {item.id for item in made if policy.can_see_list(actor, item)}
        assert {item.id for item in shown} == expected, username
