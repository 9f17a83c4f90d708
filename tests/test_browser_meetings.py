"""A committee meeting in a real browser, from opening to minutes, on a phone and on a laptop.

Playwright drives Debian's Chromium against the app on a loopback port (SQLite pass only).
At 390 px every page of the meeting walk must fit the screen: no sideways scrolling.
"""

import os
import re
import shutil
import threading
from pathlib import Path

import pytest
from conftest import TEST_DATABASE_URL, service_missing
from flask_migrate import upgrade
from list_files import pdf_text
from werkzeug.serving import make_server

from web import create_app
from web.database import db
from workflow import campaigns, committees, demo, services
from workflow.models import Campaign, Unit, User

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-gpu",
]
MEMBERS = ("uv_ck_1", "uv_ck_2", "uv_ck_3")  # with "huyen": 4 of 5 members have accounts
PHONE, LAPTOP = {"width": 390, "height": 844}, {"width": 1366, "height": 900}
SCAN = b"%PDF-1.4\n% bien ban kiem phieu giay\n%%EOF\n"
# The innermost elements that stick out of the window, to name in a failure.
WIDEST = """() => {
  const out = (e) => e.getBoundingClientRect().right > window.innerWidth + 1;
  return Array.from(document.querySelectorAll("body *"))
    .filter((e) => out(e) && !Array.from(e.children).some(out))
    .slice(0, 5)
    .map((e) => e.tagName + "." + e.className + " " + (e.textContent || "").trim().slice(0, 40));
}"""


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    """The demo on a free loopback port, with Cẩm Khê deciding by a committee of five."""
    if TEST_DATABASE_URL:
        pytest.skip("browser tests run on the SQLite pass only")
    if not (shutil.which("chromium") or os.path.exists(CHROMIUM)):
        service_missing(f"Chromium not found at {CHROMIUM} (apt-get install -y chromium)")
    try:
        import playwright.sync_api  # noqa: F401 (only checks that the package is there)
    except ImportError:
        service_missing("the playwright package is not installed")
    folder = tmp_path_factory.mktemp("live-meetings")
    app = create_app(
        {
            "ENVIRONMENT": "testing",
            "DATABASE_URL": f"sqlite:///{folder / 'live.sqlite3'}",
            "SECRET_KEY": "browser-tests",
            "ATTACHMENTS_DIR": str(folder / "attachments"),
            # Notices and minutes are produced in-process after each commit, as in `make run`.
            "OUTBOX_DISPATCH_ON_COMMIT": True,
            "MAIL_DIR": str(folder / "mail"),
            "LISTS_DIR": str(folder / "lists"),
            "MINUTES_DIR": str(folder / "minutes"),
        }
    )
    with app.app_context():
        upgrade()
        demo.seed(db.session)
        _a_committee_at_cam_khe(db.session)
        db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)
    with app.app_context():
        db.engine.dispose()


def _a_committee_at_cam_khe(session):
    users = {user.username: user for user in session.query(User)}
    district = session.query(Unit).filter_by(code="PT-CK").one()
    campaign = session.query(Campaign).order_by(Campaign.id).first()
    campaigns.amend(
        session,
        users["admin"],
        campaign,
        version=campaign.version,
        reason="Ban Thường vụ Huyện ủy biểu quyết",
        new_options={
            "commune": {"decision": "single", "comment_days": 0},
            "district": {"decision": "committee", "comment_days": 0},
        },
    )
    for number, username in enumerate(MEMBERS, start=1):
        session.add(
            User(
                username=username,
                full_name=f"Ủy viên Ban Thường vụ số {number}",
                email=f"{username}@camkhe.example",
                role="reviewer",
                unit=district,
                language="vi",
                password_hash=users["huyen"].password_hash,
            )
        )
    session.flush()
    committees.set_committee(session, users["admin"], district, size=5, members=["huyen", *MEMBERS])
    for name in ("Nguyễn Văn Họp", "Trần Thị Phiếu", "Hội Nông dân thôn Đồng Hội", "Lê Văn Giấy"):
        nomination = services.create_nomination(
            session,
            users["bithu"],
            campaign,
            {
                "kind": "collective" if name.startswith("Hội") else "individual",
                "nominee_name": name,
                "title": "Vận động nhân dân hiến đất làm đường",
                "field": "Nông thôn mới",
                "summary": "Tóm tắt thành tích.",
                "achievements": "Hiến 300 m² đất.",
                "target_level": "district",
            },
        )
        for username, action in (("bithu", "submit"), ("xa", "approve")):
            services.perform(
                session, nomination, users[username], action=action, version=nomination.version
            )


@pytest.fixture(scope="module")
def browser(live_server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page_for(browser, live_server):
    """`page_for("huyen", PHONE)` → a page logged in as that user in a fresh context."""
    contexts, problems = [], []

    def make(username, viewport):
        context = browser.new_context(
            base_url=live_server, viewport=viewport, accept_downloads=True
        )
        contexts.append(context)
        page = context.new_page()
        page.on("console", lambda message: _note(problems, message))
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.goto("/login")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", demo.DEMO_PASSWORD)
        page.click("button.primary")
        page.wait_for_url(f"{live_server}/")
        return page

    yield make
    for context in contexts:
        context.close()
    assert not problems, problems  # no script error, no CSP violation on any page


def _note(problems, message):
    # A refused form answers 422 on purpose; what must never happen is a blocked script or style.
    if message.type == "error" and "Failed to load resource" not in message.text:
        problems.append(message.text)


def _shot(page, name):
    if os.environ.get("COMMEND_SCREENSHOTS"):
        folder = os.path.join(os.path.dirname(__file__), "..", "docs", "screenshots")
        page.screenshot(path=os.path.join(folder, f"{name}.png"), full_page=True)


def _fits(page):
    """No sideways scrolling: the page is no wider than the window."""
    width = page.evaluate("document.documentElement.scrollWidth")
    window = page.evaluate("window.innerWidth")
    wide = page.evaluate(WIDEST) if width > window else []
    assert width <= window, f"{page.url} is {width}px wide in a {window}px window: {wide}"


def _open_meeting(chair, mode, names):
    if chair.locator("button.menu-toggle").is_visible():  # on a phone the menu folds away
        chair.click("button.menu-toggle")
    chair.click("nav >> text=Phiên họp")
    chair.wait_for_url("**/meetings")
    chair.click("text=Mở phiên họp")
    chair.wait_for_url("**/meetings/new")
    _fits(chair)
    chair.fill("input[name=place]", "Phòng họp Ban Thường vụ Huyện ủy")
    chair.check(f"input[name=mode][value={mode}]")
    for name in names:
        chair.check(f"label:has-text('{name}')")
    chair.click("button.primary")
    chair.wait_for_url(re.compile(r"/meetings/\d+$"))
    return chair.url


def _minutes_text(page, tmp_path):
    with page.expect_download() as download:
        page.click("[data-field=minutes]")
    assert download.value.failure() is None
    assert download.value.suggested_filename.startswith("Biên bản kiểm phiếu ")
    content = Path(download.value.path()).read_bytes()
    assert content.startswith(b"%PDF")
    return pdf_text(content, tmp_path)


def test_a_meeting_in_the_app_on_a_phone_from_opening_to_minutes(page_for, tmp_path):
    chair = page_for("huyen", PHONE)
    url = _open_meeting(chair, "app", ["Nguyễn Văn Họp", "Trần Thị Phiếu"])
    _fits(chair)
    assert "Số phiếu đã bỏ: 0/5 thành viên." in chair.locator("[data-field=ballots]").inner_text()
    _shot(chair, "meeting-open")
    # Four members vote; the first three agree on both, the last disagrees on the second.
    for number, username in enumerate(("huyen", *MEMBERS)):
        member = chair if username == "huyen" else page_for(username, PHONE)
        member.goto(url)
        for fieldset in range(2):
            choice = "disagree" if number == 3 and fieldset == 1 else "agree"
            member.locator("fieldset.ballot-item").nth(fieldset).locator(
                f"input[value={choice}]"
            ).check()
        member.click("#ballot button.primary")
        member.wait_for_selector("[data-step=confirm-ballot]")
        _fits(member)
        member.click("[data-step=confirm-ballot] button.primary")
        member.wait_for_selector("[data-step=voted]")
        assert "Bạn đã biểu quyết" in member.locator("[data-step=voted]").inner_text()
        _fits(member)
    chair.goto(url)
    assert "Số phiếu đã bỏ: 4/5 thành viên." in chair.locator("[data-field=ballots]").inner_text()
    assert chair.locator("#results").count() == 0  # no counts while the meeting is open
    chair.click("button:has-text('Kết thúc phiên họp…')")
    chair.wait_for_selector("[data-step=confirm-close]")
    _fits(chair)
    chair.click("[data-step=confirm-close] button.danger")
    chair.wait_for_selector("#results")
    _fits(chair)
    assert "phiên họp hợp lệ" in chair.locator("[data-field=quorum]").inner_text()
    outcomes = chair.locator("[data-field=outcome]")
    assert [outcomes.nth(i).inner_text() for i in range(2)] == ["Đạt", "Đạt"]  # 4 and 3 of 5
    _shot(chair, "meeting-results")
    text = _minutes_text(chair, tmp_path)
    if text is None:
        service_missing("pdftotext (poppler-utils) is needed to read the minutes back")
    flat = " ".join(text.split())
    assert "BIÊN BẢN KIỂM PHIẾU" in flat
    assert "Trên ứng dụng" in flat or "Biểu quyết trên ứng dụng" in flat
    assert "4/5" in flat
    assert "Lê Văn Hùng" in flat  # the chair signs
    # The nomination page shows the tally, and the queue and the other new pages fit the phone.
    chair.goto("/queue")
    _fits(chair)
    chair.click("text=Nguyễn Văn Họp")
    vote = chair.locator("[data-field=vote]").inner_text()
    assert "Đã biểu quyết: 4/5 thành viên dự, 4 đồng ý" in vote
    _fits(chair)
    _shot(chair, "nomination-decision")
    for path in ("/meetings", "/"):
        chair.goto(path)
        _fits(chair)
    admin = page_for("admin", PHONE)
    for path in ("/admin/units/PT-CK/committee", "/admin/campaigns", "/admin/campaigns/1"):
        admin.goto(path)
        _fits(admin)


def test_a_paper_meeting_on_a_laptop_from_opening_to_minutes(page_for, tmp_path):
    chair = page_for("huyen", LAPTOP)
    url = _open_meeting(chair, "paper", ["Hội Nông dân thôn Đồng Hội", "Lê Văn Giấy"])
    chair.goto(url)
    chair.fill("input[name=present]", "4")
    agree = chair.locator("#paper input[type=number]")
    assert agree.count() == 3  # present, and one per nomination
    agree.nth(1).fill("4")
    agree.nth(2).fill("2")
    chair.check("input[name=checked]")
    # A file that is no PDF is refused in the browser: the form is not sent.
    chair.set_input_files(
        "input[name=scan]",
        {"name": "bien-ban.pdf", "mimeType": "application/pdf", "buffer": b"GIF89a"},
    )
    chair.wait_for_function("document.querySelector('input[name=scan]').validationMessage !== ''")
    assert "phải là tệp PDF" in chair.eval_on_selector(
        "input[name=scan]", "e => e.validationMessage"
    )
    chair.click("text=Ghi số phiếu và kết thúc phiên họp")
    assert chair.url == f"{chair.url.split('/meetings')[0]}/meetings/{url.rsplit('/', 1)[1]}"
    assert chair.locator("#results").count() == 0
    chair.set_input_files(
        "input[name=scan]", {"name": "bien-ban.pdf", "mimeType": "application/pdf", "buffer": SCAN}
    )
    chair.wait_for_function("document.querySelector('input[name=scan]').validationMessage === ''")
    _shot(chair, "meeting-paper")
    chair.click("text=Ghi số phiếu và kết thúc phiên họp")
    chair.wait_for_selector("#results")
    outcomes = chair.locator("[data-field=outcome]")
    assert [outcomes.nth(i).inner_text() for i in range(2)] == ["Đạt", "Không đạt"]
    with chair.expect_download() as scan:
        chair.click("text=Bản chụp biên bản giấy (PDF)")
    assert Path(scan.value.path()).read_bytes() == SCAN
    text = _minutes_text(chair, tmp_path)
    if text is None:
        service_missing("pdftotext (poppler-utils) is needed to read the minutes back")
    flat = " ".join(text.split())
    assert "Biểu quyết trên giấy" in flat
    assert "Số trường hợp đạt: 1/2" in flat
