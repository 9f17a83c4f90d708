"""Cross-cutting rules of the HTML side: CSRF, headers, languages, error pages, catalogues."""

import re
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from sqlalchemy import func, select

from workflow.models import HistoryEntry, Nomination, User

TRANSLATIONS = Path(__file__).resolve().parent.parent / "web" / "translations"


def _html_post_rules(app):
    for rule in app.url_map.iter_rules():
        if "POST" in rule.methods and not rule.rule.startswith("/api/"):
            yield rule


def test_every_html_post_without_a_csrf_token_is_a_400(app, web, world):
    nomination = world.nominate()
    web.login("adm_p")
    values = {
        "nomination_id": nomination.id,
        "attachment_id": 1,
        "user_id": world.users["sec_k1"].id,
        "code": "C1",
        "kind": "units",
        "campaign_id": world.campaign.id,
        "token": "x",
        "message_id": 1,
        "meeting_id": 1,
    }
    rules = list(_html_post_rules(app))
    assert len(rules) >= 15
    for rule in rules:
        url = rule.rule
        for name in rule.arguments:
            url = url.replace(f"<int:{name}>", str(values[name])).replace(
                f"<{name}>", str(values[name])
            )
        answer = web.post_raw(url, {"action": "approve"})
        assert answer.status_code == 400, url
    assert web.get("/").status_code == 200  # still logged in: nothing was done


def test_get_requests_change_nothing(web, world, db_session):
    nomination = world.nominate()
    web.login("sec_k1")
    before = (
        db_session.scalar(select(func.count()).select_from(HistoryEntry)),
        db_session.scalar(select(Nomination.version).where(Nomination.id == nomination.id)),
    )
    for url in (
        f"/nominations/{nomination.id}?action=submit&version=1",
        "/queue?selected=1:1",
        "/?lang=en",
        "/nominations/new",
    ):
        web.get(url)
    after = (
        db_session.scalar(select(func.count()).select_from(HistoryEntry)),
        db_session.scalar(select(Nomination.version).where(Nomination.id == nomination.id)),
    )
    assert before == after


def test_security_headers(web):
    response = web.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"]
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in response.headers
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    secure = web.client.get("/login", base_url="https://localhost")
    assert "max-age" in secure.headers["Strict-Transport-Security"]


def test_pages_carry_no_inline_script_or_style(web, world):
    nomination = world.nominate()
    web.login("sec_k1")
    for url in ("/", "/nominations", f"/nominations/{nomination.id}", "/nominations/new", "/queue"):
        page = web.get(url).text
        assert not re.search(r"<script(?![^>]*\bsrc=)", page), url
        assert " style=" not in page, url
        assert " onclick=" not in page, url


def test_session_cookie_is_secure_when_served_over_https(app):
    from web import create_app

    secure = create_app(
        {
            "ENVIRONMENT": "testing",
            "SECRET_KEY": "t",
            "BASE_URL": "https://commend.example",
            "DATABASE_URL": app.config["DATABASE_URL"],
        }
    )
    assert secure.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_SECURE"] is False


def test_english_is_chosen_with_lang_and_remembered(web, world, db_session):
    web.login("sec_k1")
    assert "Tổng quan" in web.get("/").text
    english = web.get("/?lang=en").text
    assert '<html lang="en">' in english
    assert "Dashboard" in english
    assert "Tổng quan" not in english
    assert "Dashboard" in web.get("/nominations").text  # remembered in the session
    web.post("/language", {"lang": "en", "next": "/queue"}, token_from="/")
    db_session.refresh(world.users["sec_k1"])
    assert world.users["sec_k1"].language == "en"
    web.post("/logout", token_from="/")
    web.client.delete_cookie("session")
    web.login("sec_k1")
    assert "Dashboard" in web.get("/").text  # remembered on the user across sessions
    assert web.post("/language", {"lang": "fr"}, token_from="/").status_code == 400
    unreadable = web.post("/language", {"lang": "vi", "next": "http://[::1"}, token_from="/")
    assert (unreadable.status_code, unreadable.headers["Location"]) == (302, "/")
    db_session.refresh(world.users["sec_k1"])
    assert world.users["sec_k1"].language == "vi"


def test_english_pages_hold_no_vietnamese_words(web, world):
    nomination = world.nominate(
        nominee_name="Nguyen Van An", title="Road", field="Roads", summary="S", achievements="A"
    )
    web.login("rev_c1")
    web.get("/?lang=en")
    for url in (f"/nominations/{nomination.id}", "/nominations", "/queue", "/"):
        page = web.get(url).text
        main = re.sub(r"<select.*?</select>", " ", page[page.index("<main") :], flags=re.S)
        body = re.sub(r"<[^>]+>", " ", main)
        for unit in world.units.values():  # the nomination's path names its units
            body = body.replace(unit.name, "")
        body = body.replace(world.users["rev_c1"].full_name, "")
        body = body.replace("Đợt điển hình 2026", "")
        body = body.replace(world.users["sec_k1"].full_name, "")
        assert not re.search(r"[ạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹđơư]", body, re.I), url


def test_dates_are_written_day_month_year_in_vietnam_time(app):
    import datetime as dt

    from web.i18n import format_day, format_moment

    with app.test_request_context():
        late_evening_utc = dt.datetime(2026, 3, 4, 18, 30, tzinfo=dt.UTC)
        assert format_moment(late_evening_utc) == "05/03/2026 01:30"
        assert format_day(late_evening_utc) == "05/03/2026"
        assert format_day(dt.date(2026, 12, 1)) == "01/12/2026"


@pytest.mark.parametrize("url", ["/nope", "/nominations/abc", "/admin/import/other"])
def test_html_errors_are_friendly_pages(web, url):
    web.login("adm_p")
    response = web.get(url)
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "Không tìm thấy" in response.text


def test_api_errors_stay_problem_json(client):
    response = client.get("/api/v1/nope")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"


def test_too_large_a_form_is_a_friendly_413(web, app, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1000)
    response = web.post("/login", {"username": "x" * 5000, "password": "y"})
    assert response.status_code == 413
    assert "quá lớn" in response.text


def _read(reader, name):
    with (TRANSLATIONS / name).open("rb") as handle:
        return reader(handle)


def test_the_vietnamese_catalogue_is_complete_and_compiled():
    template = _read(read_po, "messages.pot")
    po = _read(read_po, "vi/LC_MESSAGES/messages.po")
    mo = _read(read_mo, "vi/LC_MESSAGES/messages.mo")
    wanted = {_hashable(message.id) for message in template if message.id}
    translated = {
        _hashable(message.id)
        for message in po
        if message.id
        and all(_hashable(message.string) if message.pluralizable else [1])
        and message.string
    }
    assert wanted <= translated, sorted(wanted - translated, key=str)
    compiled = {_hashable(m.id): _hashable(m.string) for m in mo if m.id}
    assert compiled == {_hashable(m.id): _hashable(m.string) for m in po if m.id}


def _hashable(value):
    """A plural message's id and strings come as lists: tuples compare and hash the same."""
    return tuple(value) if isinstance(value, list | tuple) else value


def test_the_template_lists_every_string_of_the_code():
    """A new _("...") in web/ that nobody extracted would show in English to everyone."""
    from babel.messages.extract import extract_from_dir

    template = _read(read_po, "messages.pot")
    known = {
        message.id[0] if isinstance(message.id, tuple) else message.id
        for message in template
        if message.id
    }
    root = TRANSLATIONS.parent.parent
    found = set()
    method_map = [("web/**.py", "python"), ("web/templates/**.html", "jinja2")]
    for _file, _line, message, _comments, _context in extract_from_dir(
        root,
        method_map,
        keywords={
            "_": None,
            "_l": None,
            "gettext": None,
            "lazy_gettext": None,
            "ngettext": (1, 2),
            "_plural": (1, 2),
        },
        directory_filter=lambda path: ".venv" not in path,
    ):
        found.add(message if isinstance(message, str) else message[0])
    assert found <= known, sorted(found - known)


def test_disabled_users_cannot_reach_pages_with_an_old_cookie(web, world, db_session):
    web.login("rev_c1")
    db_session.execute(
        User.__table__.update().where(User.username == "rev_c1").values(active=False)
    )
    db_session.expire_all()
    assert web.get("/queue").status_code == 302


def test_switching_language_from_a_page_with_lang_in_its_address_sticks(web):
    web.login("sec_k1")
    page = web.get("/nominations?lang=vi&state=draft").text
    assert 'name="next" value="/nominations?state=draft"' in page
    answer = web.post(
        "/language", {"lang": "en", "next": "/nominations?state=draft"}, token_from="/"
    )
    assert answer.headers["Location"] == "/nominations?state=draft"
    assert "Nominations" in web.get(answer.headers["Location"]).text
