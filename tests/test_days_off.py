"""The days-off page: a province's administrators keep its extra days off beside Vietnam's public
holidays, and a day off lengthens the comment periods published after it."""

import datetime as dt

import pytest
from sqlalchemy import select

from workflow import campaigns, comments, services, workdays
from workflow.models import DayOff, Unit

URL = "/admin/days-off"
TET_DAY_OFF = dt.date(2027, 2, 15)  # the Monday after Tết Đinh Mùi


def _days(session, code):
    unit = session.scalar(select(Unit).where(Unit.code == code))
    return [row.day for row in workdays.days_off_of(session, unit)]


def _add(web, day, name="Nghỉ bù theo thông báo của Tỉnh ủy"):
    return web.post(URL, {"day": day, "name": name}, token_from=URL)


def _remove(web, day, confirm=None):
    data = {"day": day, **({"confirm": confirm} if confirm else {})}
    return web.post(f"{URL}/remove", data, token_from=URL)


@pytest.fixture
def other_province(world, db_session):
    """A second province, Q, with an administrator of its own."""
    unit = Unit(code="Q", name="Tỉnh ủy Yên Bái", level="province", path="/Q/")
    db_session.add(unit)
    world.units["Q"] = unit
    world.add_user("adm_q", "admin", "Q")
    db_session.commit()
    return unit


def test_the_page_lists_this_and_next_years_public_holidays(web, world):
    web.login("adm_p")
    page = web.get(URL)
    assert page.status_code == 200
    year = services.today().year
    for each in (year, year + 1):
        assert f"Ngày nghỉ lễ năm {each}" in page.text
        assert f'data-holidays="{each}"' in page.text
    assert "Tết Nguyên Đán" in page.text
    assert "Quốc khánh" in page.text
    assert "Chưa có ngày nghỉ riêng nào." in page.text
    english = web.get(URL, query_string={"lang": "en"}).text
    assert "Lunar New Year" in english
    assert "National Day" in english


def test_a_province_administrator_adds_and_removes_a_day_off_with_confirmation(
    web, world, db_session
):
    web.login("adm_p")
    added = _add(web, "2027-01-04")
    assert added.status_code == 302
    page = web.get(URL).text
    assert "Đã thêm ngày nghỉ 04/01/2027." in page
    assert 'data-day="2027-01-04"' in page
    assert "Nghỉ bù theo thông báo của Tỉnh ủy" in page
    assert _days(db_session, "P") == [dt.date(2027, 1, 4)]

    asked = _remove(web, "2027-01-04")
    assert asked.status_code == 200
    assert 'data-step="confirm-remove-day-off"' in asked.text
    assert "04/01/2027" in asked.text
    assert _days(db_session, "P") == [dt.date(2027, 1, 4)]  # asking removed nothing
    removed = _remove(web, "2027-01-04", confirm="1")
    assert removed.status_code == 302
    assert "Đã xóa ngày nghỉ 04/01/2027." in web.get(URL).text
    assert _days(db_session, "P") == []


def test_bad_or_repeated_days_off_are_refused_with_a_message(web, world, db_session):
    web.login("adm_p")
    assert _add(web, "2027-01-04").status_code == 302
    again = _add(web, "2027-01-04", name="Lần nữa")
    assert again.status_code == 409
    assert "Ngày 04/01/2027 đã là ngày nghỉ." in again.text
    bad = _add(web, "04/01/2027", name="")
    assert bad.status_code == 422
    assert "Ngày không hợp lệ." in bad.text
    assert "Vui lòng nhập trường này." in bad.text
    assert _add(web, "2027-01-05", name="x" * 201).status_code == 422
    assert _remove(web, "2027-03-03").status_code == 404  # not a day off
    assert _remove(web, "not-a-date").status_code == 400
    assert _days(db_session, "P") == [dt.date(2027, 1, 4)]


def test_weekends_and_holidays_added_again_are_flagged_as_changing_nothing(web, world):
    web.login("adm_p")
    _add(web, "2027-02-08", name="Mùng ba Tết")  # already a public holiday
    page = web.get(URL).text
    assert "Trùng ngày cuối tuần hoặc ngày lễ: không làm thay đổi gì." in page


@pytest.mark.parametrize("username", ["adm_d1", "rev_p", "sec_k1"])
def test_only_a_province_administrator_keeps_days_off(web, world, db_session, username):
    workdays.add_day_off(
        db_session, world.users["adm_p"], world.units["P"], day=dt.date(2027, 1, 4), name="Nghỉ"
    )
    web.login(username)
    assert web.get(URL).status_code == 403
    added = web.post(URL, {"day": "2027-01-05", "name": "x"}, token_from="/")
    assert added.status_code == 403
    removed = web.post(f"{URL}/remove", {"day": "2027-01-04", "confirm": "1"}, token_from="/")
    assert removed.status_code == 403
    assert _days(db_session, "P") == [dt.date(2027, 1, 4)]


def test_another_provinces_administrator_keeps_only_their_own(
    web, world, db_session, other_province
):
    workdays.add_day_off(
        db_session, world.users["adm_p"], world.units["P"], day=dt.date(2027, 1, 4), name="Của P"
    )
    web.login("adm_q")
    page = web.get(URL).text
    assert "Tỉnh ủy Yên Bái" in page
    assert "Của P" not in page
    assert _remove(web, "2027-01-04", confirm="1").status_code == 404
    assert _add(web, "2027-01-04", name="Của Q").status_code == 302
    assert _days(db_session, "P") == [dt.date(2027, 1, 4)]
    assert _days(db_session, "Q") == [dt.date(2027, 1, 4)]
    rows = db_session.scalars(select(DayOff).order_by(DayOff.id)).all()
    assert [(row.unit_id, row.name) for row in rows] == [
        (world.units["P"].id, "Của P"),
        (other_province.id, "Của Q"),
    ]


def test_a_day_off_lengthens_a_period_published_after_it_and_the_page_shows_it(
    web, world, db_session, monkeypatch
):
    campaign = world.campaign
    campaigns.amend(
        db_session,
        world.users["adm_p"],
        campaign,
        version=campaign.version,
        reason="Lấy ý kiến nhân dân",
        new_options={"district": {"comment_days": 5}},
    )
    before, after = (world.nominate(nominee_name=name) for name in ("Trước", "Sau"))
    for nomination in (before, after):
        world.act(nomination, "sec_k1", "submit")
        world.act(nomination, "rev_c1", "approve")
    published_on = dt.date(2027, 2, 3)  # the Wednesday before Tết Đinh Mùi (4–10 February)
    first = comments.publish(db_session, world.users["rev_d1"], before, on=published_on)
    assert first.ends_on == dt.date(2027, 2, 17)  # 5 working days: Tết and a weekend skipped

    web.login("adm_p")
    assert _add(web, TET_DAY_OFF.isoformat(), name="Nghỉ thêm sau Tết").status_code == 302
    second = comments.publish(db_session, world.users["rev_d1"], after, on=published_on)
    assert second.ends_on == dt.date(2027, 2, 18)  # one more day off: one day later
    assert first.ends_on == dt.date(2027, 2, 17)  # announced before: unchanged

    monkeypatch.setattr(services, "today", lambda: published_on)
    page = web.get(f"/public/campaigns/{campaign.id}").text
    assert "Ý kiến gửi đến hết ngày 17/02/2027." in page
    assert "Ý kiến gửi đến hết ngày 18/02/2027." in page
