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


def _button(page, action):
    return page.locator(f"button[name=action][value={action}]").inner_text().strip()


def _next_step(page):
    return page.locator("[data-field=next-step]").inner_text()


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
    secretary.check("input[name=target_level][value=district]")  # no level is chosen for them
    _shot(secretary, "new-nomination")
    secretary.click("button.primary")
    secretary.wait_for_url(re.compile(r"/nominations/\d+$"))
    url = secretary.url
    assert _state(secretary) == "Bản nháp"
    _act(secretary, "submit")
    assert _state(secretary) == "Cấp xã đang xem xét"

    commune = page_for("xa")
    commune.goto(url)
    assert "Bước tiếp theo: Đảng ủy xã Tiên Lương xem xét" in _next_step(commune)
    # Below the level asked for, approving forwards, and the button names where to.
    assert _button(commune, "approve") == "Chuyển lên Huyện ủy Cẩm Khê"
    assert _button(commune, "recognize") == "Công nhận cấp xã"
    _act(commune, "approve")
    assert _state(commune) == "Cấp huyện đang xem xét"

    district = page_for("huyen")
    district.goto(url)
    _act(district, "return", comment="")
    assert "Phải ghi ý kiến" in district.locator(".error").inner_text()
    assert _state(district) == "Cấp huyện đang xem xét"
    _act(district, "return", comment="Bổ sung ảnh chụp tuyến đường.")
    assert _state(district) == "Trả lại để bổ sung"

    secretary.goto("/")
    revisions = secretary.locator("ul.revisions").inner_text()
    assert "Bổ sung ảnh chụp tuyến đường." in revisions  # the reason, on the dashboard
    secretary.goto(url)
    assert "Bổ sung ảnh chụp tuyến đường." in secretary.locator("[data-field=reason]").inner_text()
    assert "Bước tiếp theo: Chi bộ thôn Đồng Hội bổ sung và gửi lại Huyện ủy Cẩm Khê" in (
        _next_step(secretary)
    )
    _act(secretary, "resubmit")
    assert _state(secretary) == "Cấp huyện đang xem xét"
    district.goto(url)
    assert district.locator("ol.path [aria-current=step]").get_attribute("data-unit") == "PT-CK"
    # At the level asked for, approving recognises: the button says so.
    assert _button(district, "approve") == "Công nhận cấp huyện"
    assert district.locator("button[name=action][value=recognize]").count() == 0
    _act(district, "approve")
    assert _state(district) == "Được công nhận"

    secretary.goto(url)
    timeline = secretary.locator("ol.timeline li")
    assert timeline.count() == 6
    assert "chuyển lên cấp huyện" in timeline.nth(2).inner_text()
    assert "Bổ sung ảnh chụp tuyến đường." in timeline.nth(3).inner_text()
    assert "Huyện ủy Cẩm Khê" in timeline.nth(3).inner_text()
    assert "công nhận cấp huyện" in timeline.nth(5).inner_text()
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
    # Each row says the level asked for and what approving it will do, counted before the click.
    assert reviewer.locator("[data-field=outcome]", has_text="Công nhận cấp xã").count() >= 2
    assert "Công nhận cấp xã:" in reviewer.locator("[data-field=outcomes]").inner_text()
    reviewer.check("#select-all")  # the select-all script
    assert all(rows.nth(i).is_checked() for i in range(rows.count()))
    reviewer.click("button[name=action][value=approve]")
    reviewer.wait_for_load_state()
    confirm = reviewer.locator("[data-step=confirm-bulk]")  # nothing is approved yet
    assert "Công nhận cấp xã" in confirm.locator(".outcomes").inner_text()
    confirm.locator("button[name=action][value=approve]").click()
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
    secretary.check("input[name=target_level][value=commune]")
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
    asked = district.locator("[data-step=confirm-first-list]")  # its number is for good
    assert "không thể thu hồi" in asked.inner_text()
    district.click("text=Xác nhận: lập danh sách số 01-DS/HU")
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


def test_closing_a_units_review_asks_first_on_a_phone(page_for, live_server):
    """The confirmation of what cannot be undone fits the narrowest phone, passes axe, and
    going back leaves everything as it was."""
    admin = page_for("admin")
    admin.set_viewport_size(NARROWEST)
    admin.goto("/admin/campaigns/1?lang=vi")  # an earlier test may leave the account in English
    admin.click("text=Kết thúc xét duyệt của đơn vị này…")
    asked = admin.locator("[data-step=confirm-close-review]")
    assert "không thể hoàn tác" in asked.inner_text()
    assert admin.evaluate(FITS), admin.evaluate(WIDEST)
    assert _serious(admin) == []
    asked.locator("text=Chưa kết thúc").click()
    admin.wait_for_url(f"{live_server}/admin/campaigns/1")
    assert "Chưa cấp nào kết thúc xét duyệt." in admin.locator("main").inner_text()


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


# Every page of every role, on a phone and on a laptop: no sideways scrolling from the narrowest
# phone (360 px) to a laptop, a tablet between them, and no serious or critical accessibility
# violation (axe-core) on the narrowest phone or the laptop.
PHONE, LAPTOP = {"width": 390, "height": 844}, {"width": 1366, "height": 900}
NARROWEST, TABLET = {"width": 360, "height": 780}, {"width": 1024, "height": 768}
FITS = "document.documentElement.scrollWidth <= window.innerWidth"
ROLES = ("bithu", "xa", "huyen", "admin")
EXTRA_PAGES = ("/nominations/new", "/help/workflow", "/account", "/nominations/999999")
# Links that are files, not pages, or that change something by a GET-less path.
NOT_PAGES = re.compile(r"/attachments/|/files/|[./](pdf|csv|xlsx)$|/minutes|/dev/|/download|/scan")
WIDEST = """() => {
  const out = (e) => e.getBoundingClientRect().right > window.innerWidth + 1;
  return Array.from(document.querySelectorAll("body *"))
    .filter((e) => out(e) && !Array.from(e.children).some(out))
    .slice(0, 5)
    .map((e) => e.tagName + "." + e.className + " " + (e.textContent || "").trim().slice(0, 40));
}"""


def _serious(page):
    """axe-core's serious and critical violations on the page, as readable lines."""
    from axe_playwright_python.sync_playwright import Axe

    violations = Axe().run(page).response["violations"]
    return [
        f"{item['id']} ({item['impact']}): {item['nodes'][0]['target']}"
        for item in violations
        if item["impact"] in ("serious", "critical")
    ]


def _pages_of(page, live_server, limit=40):
    """The pages one person reaches from the dashboard by following links: one per kind of
    address (ids replaced), a few nominations in their different states, and the pages reached
    otherwise (a new nomination, help, the account, a page not found)."""
    seen, queue, found = {}, ["/"], []
    while queue and len(found) < limit:
        path = queue.pop(0)
        kind = re.sub(r"\d+", "N", path.split("?")[0]) + ("?" if "?" in path else "")
        kind = re.sub(r"/units/[^/]+/", "/units/X/", kind)
        if seen.get(kind, 0) >= (4 if kind == "/nominations/N" else 1) or NOT_PAGES.search(path):
            continue
        seen[kind] = seen.get(kind, 0) + 1
        found.append(path)
        page.goto(path)
        links = page.eval_on_selector_all("a[href]", "a => a.map(e => e.getAttribute('href'))")
        for href in links:
            if href.startswith(live_server):
                href = href[len(live_server) :]
            if href.startswith("/") and not href.startswith("//") and "lang=" not in href:
                queue.append(href.split("#")[0])
    return found + [path for path in EXTRA_PAGES if path not in found]


@pytest.mark.parametrize("username", ROLES)
def test_every_page_fits_a_phone_and_passes_axe(page_for, live_server, username):
    page = page_for(username)
    problems = []
    pages = _pages_of(page, live_server)
    assert len(pages) >= 8, pages  # the walk reached the role's pages, not just the dashboard
    for path in pages:
        page.set_viewport_size(NARROWEST)
        page.goto(path)
        problems += [f"{path} at 360 px: {line}" for line in _serious(page)]
        for size in (NARROWEST, PHONE, TABLET, LAPTOP):
            page.set_viewport_size(size)
            if not page.evaluate(FITS):
                problems.append(f"{path} is wider than {size['width']} px: {page.evaluate(WIDEST)}")
        problems += [f"{path} at 1366 px: {line}" for line in _serious(page)]
    assert not problems, "\n".join(problems)


def test_the_login_and_public_pages_pass_axe(browser, live_server):
    context = browser.new_context(base_url=live_server, viewport=PHONE)
    page = context.new_page()
    problems = []
    for path in ("/login", "/public/campaigns/3"):
        for size in (PHONE, LAPTOP):
            page.set_viewport_size(size)
            page.goto(path)
            problems += [f"{path} {size['width']}: {line}" for line in _serious(page)]
    context.close()
    assert not problems, problems


def test_the_menu_folds_behind_a_button_on_a_phone(page_for):
    page = page_for("bithu")
    page.set_viewport_size(PHONE)
    page.goto("/")
    toggle = page.locator("button.menu-toggle")
    assert toggle.is_visible()
    assert not page.locator("header nav").is_visible()
    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true"
    queue_link = page.locator("header nav a[data-menu=queue]")
    assert queue_link.is_visible()
    assert queue_link.inner_text().startswith("Cần bổ sung")  # what a secretary's queue holds
    _shot(page, "menu-phone")


def test_the_evidence_form_refuses_a_wrong_file_before_the_upload(page_for):
    secretary = page_for("bithu")
    secretary.set_viewport_size(PHONE)
    secretary.goto("/nominations?state=draft")
    secretary.locator("table.list a").first.click()
    upload = secretary.locator("input[type=file][data-evidence]")
    upload.set_input_files(
        files=[{"name": "thanh-tich.docx", "mimeType": "application/msword", "buffer": b"PK\x03"}]
    )
    secretary.wait_for_function(
        "document.querySelector('input[data-evidence]').validationMessage !== ''"
    )
    assert "Chỉ nhận tệp PDF, JPEG và PNG" in upload.evaluate("e => e.validationMessage")
    big = b"%PDF-1.4\n" + b"0" * (5 * 1024 * 1024)
    upload.set_input_files(
        files=[{"name": "lon.pdf", "mimeType": "application/pdf", "buffer": big}]
    )
    assert "lớn hơn 5 MB" in upload.evaluate("e => e.validationMessage")
    before = secretary.url
    secretary.click("text=Đính kèm")  # the browser keeps the form: nothing is sent
    assert secretary.url == before
    assert secretary.locator(".flash").count() == 0


def _tab_to(page, selector, limit=80):
    """Press Tab until `selector` has the focus (a keyboard-only person's way there)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"document.activeElement.matches({selector!r})"):
            return
    raise AssertionError(f"{selector} is not reachable with the Tab key")


@pytest.mark.parametrize("viewport", [PHONE, LAPTOP], ids=["390", "1366"])
def test_submit_and_approve_with_the_keyboard_alone(page_for, viewport):
    secretary = page_for("bithu3")
    secretary.set_viewport_size(viewport)
    secretary.goto("/nominations/new")
    _tab_to(secretary, "select[name=campaign_id]")
    secretary.keyboard.press("ArrowDown")  # the other campaign of the year: either will do
    secretary.keyboard.press("ArrowUp")
    _tab_to(secretary, "input[name=kind]")
    secretary.keyboard.press("ArrowDown")  # radio buttons move with the arrow keys
    secretary.keyboard.press("ArrowUp")
    _tab_to(secretary, "input[name=nominee_name]")
    secretary.keyboard.type(f"Bàn phím {viewport['width']}")
    for name, text in (
        ("title", "Dọn vệ sinh đường làng"),
        ("field", "Môi trường"),
        ("summary", "Tóm tắt."),
        ("achievements", "Thành tích."),
    ):
        _tab_to(secretary, f"[name={name}]")
        secretary.keyboard.type(text)
    _tab_to(secretary, "input[name=target_level]")
    secretary.keyboard.press("Space")  # the first level, chosen on purpose
    _tab_to(secretary, "button.primary")
    secretary.keyboard.press("Enter")
    secretary.wait_for_url(re.compile(r"/nominations/\d+$"))
    url = secretary.url
    _tab_to(secretary, "button[name=action][value=submit]")
    secretary.keyboard.press("Enter")
    secretary.wait_for_load_state()
    assert _state(secretary) == "Cấp xã đang xem xét"
    if viewport is PHONE:
        _shot(secretary, "nomination-phone")

    reviewer = page_for("xa")
    reviewer.set_viewport_size(viewport)
    reviewer.goto(url)
    _tab_to(reviewer, "button[name=action][value=approve]")
    assert reviewer.evaluate("document.activeElement.textContent").strip() == "Công nhận cấp xã"
    reviewer.keyboard.press("Enter")
    reviewer.wait_for_load_state()
    assert _state(reviewer) == "Được công nhận"


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
