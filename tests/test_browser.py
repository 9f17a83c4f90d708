"""Browser tests: Playwright drives Debian's Chromium against the real app on a loopback port.

They run on the SQLite pass only (their server has a database of its own). Set
COMMEND_SCREENSHOTS=1 to refresh the pictures in docs/screenshots/ that the README shows.
"""

import os
import re
import shutil
import threading
from pathlib import Path

import pytest
from conftest import TEST_DATABASE_URL, service_missing
from flask_migrate import upgrade
from werkzeug.serving import make_server

from web import create_app
from web.database import db
from workflow import demo, files, services
from workflow.models import Campaign, User

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-gpu",
]
SCREENSHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
XSS_NAME = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">'


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    """The app on a free loopback port, against a committed SQLite database of its own."""
    if TEST_DATABASE_URL:
        pytest.skip("browser tests run on the SQLite pass only")
    if not (shutil.which("chromium") or os.path.exists(CHROMIUM)):
        service_missing(f"Chromium not found at {CHROMIUM} (apt-get install -y chromium)")
    try:
        import playwright.sync_api  # noqa: F401 (only checks that the package is there)
    except ImportError:
        service_missing("the playwright package is not installed")
    folder = tmp_path_factory.mktemp("live")
    app = create_app(
        {
            "ENVIRONMENT": "testing",
            "DATABASE_URL": f"sqlite:///{folder / 'live.sqlite3'}",
            "SECRET_KEY": "browser-tests",
            "ATTACHMENTS_DIR": str(folder / "attachments"),
            # Notices and lists are produced in-process after each commit, as in `make run`.
            "OUTBOX_DISPATCH_ON_COMMIT": True,
            "MAIL_DIR": str(folder / "mail"),
            "LISTS_DIR": str(folder / "lists"),
        }
    )
    with app.app_context():
        upgrade()
        demo.seed(db.session, store=files.LocalStore(folder / "attachments"))
        _queue_two_more(db.session)
        db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)
    with app.app_context():
        db.engine.dispose()


def _queue_two_more(session):
    """Two more nominations pending at the commune, for the bulk approval."""
    users = {user.username: user for user in session.query(User)}
    campaign = session.query(Campaign).filter_by(name=demo.CAMPAIGN).one()
    for name in ("Nguyễn Văn Lực", "Hội Cựu chiến binh thôn Đồng Hội"):
        nomination = services.create_nomination(
            session,
            users["bithu"],
            campaign,
            {
                "kind": "individual",
                "nominee_name": name,
                "title": "Vận động nhân dân hiến đất làm đường",
                "field": "Nông thôn mới",
                "summary": "Tóm tắt thành tích.",
                "achievements": "Hiến 300 m² đất.",
                "target_level": "commune",
            },
        )
        services.perform(session, nomination, users["bithu"], action="submit", version=1)


@pytest.fixture(scope="module")
def browser(live_server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page_for(browser, live_server):
    """`page_for("bithu")` → a page logged in as that demo user in a fresh browser context."""
    contexts = []
    problems = []

    def make(username):
        context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900})
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
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def _act(page, action, comment=None):
    if comment is not None:
        page.fill("textarea[name=comment]", comment)
    page.click(f"button[name=action][value={action}]")
    page.wait_for_load_state()


def _state(page):
    return page.locator("h1 .badge").inner_text()


def test_the_whole_walk_in_a_browser(page_for, live_server):
    secretary = page_for("bithu")
    _shot(secretary, "dashboard-secretary")
    secretary.click("text=Hồ sơ mới")
    # The campaign where each level decides alone (Cẩm Khê votes in committee in the other one).
    label = f"{demo.CAMPAIGN} ({services.today().year})"
    secretary.select_option("select[name=campaign_id]", label=label)
    secretary.check("input[name=kind][value=collective]")
    secretary.fill("input[name=nominee_name]", "Chi đoàn thôn Đồng Hội")
    secretary.fill("input[name=title]", "Thắp sáng đường quê bằng đèn năng lượng mặt trời")
    secretary.fill("input[name=field]", "Thanh niên")
    secretary.fill("textarea[name=summary]", "Lắp 120 bóng đèn.")
    assert secretary.locator("#summary-count").inner_text() == "17 / 5000"  # the counter script
    secretary.fill("textarea[name=achievements]", "Đường quê sáng suốt 3 km.")
    secretary.select_option("select[name=target_level]", "district")
    _shot(secretary, "new-nomination")
    secretary.click("button.primary")
    secretary.wait_for_url(re.compile(r"/nominations/\d+$"))
    url = secretary.url
    assert _state(secretary) == "Bản nháp"
    _act(secretary, "submit")
    assert _state(secretary) == "Cấp xã xem xét"

    commune = page_for("xa")
    commune.goto(url)
    _act(commune, "approve")
    assert _state(commune) == "Cấp huyện xem xét"

    district = page_for("huyen")
    district.goto(url)
    _act(district, "return", comment="")
    assert "Phải ghi ý kiến" in district.locator(".error").inner_text()
    assert _state(district) == "Cấp huyện xem xét"
    _act(district, "return", comment="Bổ sung ảnh chụp tuyến đường.")
    assert _state(district) == "Trả lại để bổ sung"

    secretary.goto(url)
    _act(secretary, "resubmit")
    assert _state(secretary) == "Cấp huyện xem xét"
    district.goto(url)
    assert district.locator(".diagram-current").get_attribute("data-state") == "district_review"
    _act(district, "approve")
    assert _state(district) == "Được biểu dương"

    secretary.goto(url)
    timeline = secretary.locator("ol.timeline li")
    assert timeline.count() == 6
    assert "Bổ sung ảnh chụp tuyến đường." in timeline.nth(3).inner_text()
    assert "Huyện ủy Cẩm Khê" in timeline.nth(3).inner_text()
    _shot(secretary, "nomination")


def test_bulk_approve_in_a_browser(page_for):
    reviewer = page_for("xa")
    _shot(reviewer, "dashboard-reviewer")
    reviewer.click("nav >> text=Hồ sơ chờ xử lý")
    # Wait for the load event: the select-all script binds itself at DOMContentLoaded.
    reviewer.wait_for_url("**/queue", wait_until="load")
    rows = reviewer.locator("input[name=selected]")
    assert rows.count() >= 3
    _shot(reviewer, "queue")
    reviewer.check("#select-all")  # the select-all script
    assert all(rows.nth(i).is_checked() for i in range(rows.count()))
    reviewer.click("button[name=action][value=approve]")
    reviewer.wait_for_load_state()
    results = reviewer.locator(".results li")
    assert results.count() >= 3
    assert reviewer.locator('.results li[data-result="ok"]').count() == results.count()
    assert "Không có hồ sơ nào đang chờ." in reviewer.locator("table.list").inner_text()


def test_switching_to_english_is_remembered(page_for):
    page = page_for("admin")
    _shot(page, "dashboard-admin")
    page.click("button[name=lang][value=en]")
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert "Dashboard" in page.locator("h1").inner_text()
    page.click("nav >> text=Units")
    assert "Unit tree" in page.locator("h1").inner_text()
    _shot(page, "units-en")
    page.goto("/nominations?lang=vi")
    assert page.locator("h1").inner_text() == "Hồ sơ"
    _shot(page, "nominations")


def test_a_script_in_a_name_stays_inert(page_for):
    secretary = page_for("bithu")
    secretary.goto("/nominations/new")
    secretary.check("input[name=kind][value=individual]")
    secretary.fill("input[name=nominee_name]", XSS_NAME)
    secretary.fill("input[name=title]", "Thử")
    secretary.fill("input[name=field]", "Thử")
    secretary.fill("textarea[name=summary]", "Thử")
    secretary.fill("textarea[name=achievements]", "Thử")
    secretary.select_option("select[name=target_level]", "commune")
    secretary.click("button.primary")
    secretary.wait_for_url(re.compile(r"/nominations/\d+$"))
    assert XSS_NAME in secretary.locator("h1").inner_text()
    secretary.goto("/nominations")
    assert XSS_NAME in secretary.locator("table.list").inner_text()
    assert secretary.evaluate("window.__pwned") is None
    assert secretary.locator("img[src=x]").count() == 0


def test_a_reviewer_produces_the_commendation_list_in_a_browser(page_for):
    district = page_for("huyen")
    district.click("text=Lập danh sách khen thưởng")
    district.wait_for_url(re.compile(r"/lists/\d+$"))
    assert district.locator("h1").inner_text() == "Danh sách số 01-DS/HU"
    assert district.locator("[data-field=status]").inner_text() == "Đã lập xong"
    _shot(district, "list")
    with district.expect_download() as download:
        district.click("text=Tải PDF")
    assert download.value.suggested_filename == "Danh sách 01-DS-HU Huyện ủy Cẩm Khê.pdf"
    assert download.value.failure() is None
    district.click("text=Tất cả danh sách của đợt này")
    assert "01-DS/HU" in district.locator("table.list").inner_text()


def test_login_page_in_a_browser(browser, live_server):
    context = browser.new_context(base_url=live_server)
    page = context.new_page()
    page.goto("/login")
    _shot(page, "login")
    page.fill("input[name=username]", "bithu")
    page.fill("input[name=password]", "wrong")
    page.click("button.primary")
    assert "Sai tên đăng nhập hoặc mật khẩu." in page.locator(".error").inner_text()
    context.close()


def test_the_public_page_fits_a_phone_and_takes_a_comment(browser, live_server):
    """No login, 390 px wide: the names open for comment, then a comment sent and thanked."""
    context = browser.new_context(base_url=live_server, viewport={"width": 390, "height": 844})
    page = context.new_page()
    problems = []
    page.on("console", lambda message: _note(problems, message))
    page.on("pageerror", lambda error: problems.append(str(error)))
    for campaign_id in (1, 2, 3):  # the demo's campaign decided by committee votes
        page.goto(f"/public/campaigns/{campaign_id}")
        if page.locator("article.public-name").count():
            break
    names = page.locator("article.public-name h3")
    assert names.count() == 2
    assert "Hà Văn Sáu" in page.locator("main").inner_text()
    assert "Ý kiến gửi đến hết ngày" in page.locator("main").inner_text()
    assert page.locator("header nav").count() == 0  # no menu of the logged-in side
    wide = "document.documentElement.scrollWidth <= window.innerWidth"
    assert page.evaluate(wide)
    card = page.locator("article.public-name", has_text="Hà Văn Sáu")
    card.locator("summary").click()
    assert page.evaluate(wide)
    _shot(page, "public")
    card.locator("input[name=name]").fill("Lê Văn Dân")
    card.locator("input[name=contact]").fill("0912 345 678")
    card.locator("textarea[name=text]").fill("Tôi xác nhận ông Sáu hiến đất xây nhà văn hóa.")
    assert card.locator(".counter").inner_text() == "46 / 2000"  # the counter script
    card.locator("button.primary").click()
    page.wait_for_load_state()
    assert (
        "Cảm ơn. Ý kiến của bạn đã được gửi đến cán bộ xét duyệt."
        in page.locator(".flash").inner_text()
    )
    assert page.evaluate(wide)
    context.close()
    assert not problems, problems


TWO_TIER_MERGE = """old_code,new_code,name
LC-TP,LC-TB,Đảng ủy phường Tân Phong – Bình Lư
LC-BL,LC-TB,
"""


def _fits(page):
    """Nothing is wider than the window: wide tables scroll inside their own box."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_an_administrator_reorganises_in_a_browser(page_for):
    admin = page_for("admin2")  # Lai Châu: merging its two communes leaves Phú Thọ alone
    admin.set_viewport_size({"width": 390, "height": 844})
    admin.goto("/admin/units")
    admin.click("nav.subnav >> text=Sắp xếp đơn vị")
    admin.fill("textarea[name=reason]", "Nghị quyết 60-NQ/TW: sáp nhập đơn vị cấp xã")
    admin.fill("textarea[name=text]", TWO_TIER_MERGE)
    admin.click("button[name=action][value=preview]")
    admin.wait_for_load_state()
    moved = admin.locator("table[data-table=nominations]")
    assert "Tổ hợp tác dệt thổ cẩm bản Nà Luồng" in moved.inner_text()
    assert "LC-TB" in moved.inner_text()
    assert _fits(admin)
    _shot(admin, "reorganisation-preview")

    admin.click("button[name=action][value=apply]")  # not confirmed yet: nothing happens
    admin.wait_for_load_state()
    assert "Hãy đánh dấu" in admin.locator(".confirm .error").inner_text()
    admin.check("input[name=confirm]")
    admin.click("button[name=action][value=apply]")
    admin.wait_for_url(re.compile(r"/admin/reorganisations/\d+$"))
    assert "Đã thực hiện việc sắp xếp." in admin.locator(".flash").inner_text()
    assert _fits(admin)
    admin.set_viewport_size({"width": 1280, "height": 900})
    assert "Đảng ủy xã Bình Lư" in admin.locator("table[data-table=units]").inner_text()
    _shot(admin, "reorganisation")

    reviewer = page_for("xa2")  # moved with the merged commune: the queue follows at once
    reviewer.goto("/queue")
    assert "Tổ hợp tác dệt thổ cẩm bản Nà Luồng" in reviewer.locator("table.list").inner_text()
    reviewer.click("text=Tổ hợp tác dệt thổ cẩm bản Nà Luồng")
    timeline = reviewer.locator("ol.timeline").inner_text()
    assert "nay chờ xét duyệt tại Đảng ủy phường Tân Phong – Bình Lư" in timeline
    assert "(trước đây: Đảng ủy xã Bình Lư)" in timeline


def test_a_nomination_prints_without_the_menu_or_the_buttons(page_for):
    """The print stylesheet: the content of a nomination, no menu, language switch or button."""
    page = page_for("bithu")
    page.goto("/nominations")
    page.locator("table a[href^='/nominations/']").first.click()
    page.wait_for_load_state()
    no_button_shows = (
        "[...document.querySelectorAll('button, a.button')].every(b => b.offsetParent === null)"
    )
    for selector in ("header nav", "header .tools", "a[data-field=print]"):
        assert page.locator(selector).first.is_visible(), selector
    assert not page.evaluate(no_button_shows)
    page.emulate_media(media="print")
    for selector in ("header nav", "header .tools", "a[data-field=print]"):
        assert not page.locator(selector).first.is_visible(), selector
    assert page.evaluate(no_button_shows)
    assert page.locator("dl.details").first.is_visible()
    assert page.locator("h1").is_visible()


def test_the_register_and_a_units_signature_fit_a_phone(browser, live_server):
    context = browser.new_context(base_url=live_server, viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto("/login")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", demo.DEMO_PASSWORD)
    page.click("button.primary")
    page.wait_for_url(f"{live_server}/")
    page.goto("/register?q=nguyen")
    rows = page.locator("table.register tbody tr")
    assert rows.count() >= 1
    assert "Nguyễn" in rows.first.inner_text()
    assert _fits(page)
    _shot(page, "register")
    page.goto("/admin/units/PT-CK/settings")
    assert page.locator("select[name=signer_title]").input_value() == "deputy_secretary"
    assert page.locator("input[name=signer_name]").input_value() == "Trần Thị Lan"
    assert _fits(page)
    context.close()
