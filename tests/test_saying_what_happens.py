"""Issue 8 on the server side: one glossary on every surface, buttons that say what they do,
confirmation steps, an individual's fields, search without diacritics, pages that lead back."""

import ast
import importlib
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

import workflow
from tasks import documents, notices
from web import labels
from web.api.serializers import nomination_labels
from workflow import glossary, queries
from workflow.fields import fold
from workflow.machine import STATES
from workflow.models import HistoryEntry, Nomination

API = "/api/v1"


# One glossary.


def test_fold_drops_diacritics_case_and_the_bar_of_d():
    assert fold("Nguyễn Thị Hằng") == "nguyen thi hang"
    assert fold("NGUYỄN") == "nguyen"
    assert fold("hiến đất") == "hien dat"
    assert fold("ĐẢNG ỦY Đồng Hội") == "dang uy dong hoi"


def test_every_state_level_and_kind_has_one_name_per_language():
    for table in ("states", "levels", "levels_in_text", "units_in_text", "kinds"):
        for language in glossary.LANGUAGES:
            words = glossary.names(table, language)
            assert all(words.values()), (table, language)
            assert len(set(words.values())) == len(words), (table, language)  # no two alike
    assert set(glossary.STATES) == set(STATES)
    assert glossary.name("states", "commended", "vi") == "Được công nhận"
    assert glossary.name("states", "returned", "vi") == "Trả lại để bổ sung"
    assert glossary.name("states", "rejected", "vi") == "Không được chấp thuận"


@pytest.mark.parametrize("language", glossary.LANGUAGES)
def test_every_surface_speaks_the_glossary(app, world, language):
    """Pages (web.labels), e-mails (tasks.notices), the list files (tasks.documents) and the
    API's labels read their words from workflow.glossary, and only from there."""
    world.nominate()
    nomination = world.session.scalar(select(Nomination))
    with app.test_request_context(f"/?lang={language}"):
        for state in STATES:
            assert str(labels.STATES[state]) == glossary.name("states", state, language)
        for level in ("commune", "district", "province", "cell"):
            assert str(labels.LEVELS[level]) == glossary.name("levels", level, language)
        for kind in ("individual", "collective"):
            assert str(labels.KINDS[kind]) == glossary.name("kinds", kind, language)
        assert nomination_labels(nomination, language) == {
            "state": glossary.name("states", nomination.state, language),
            "kind": glossary.name("kinds", nomination.kind, language),
            "target_level": glossary.name("levels", nomination.target_level, language),
            "recognized_level": None,
        }
    words = notices.LABELS[language]
    assert words["states"] == glossary.names("states", language)
    assert words["kinds"] == glossary.names("kinds_in_text", language)
    for level, word in words["levels"].items():
        assert word == glossary.name("levels_in_text", level, language)
    if language == "vi":  # the list files are Vietnamese documents
        for level, word in documents.LEVEL_NAMES.items():
            assert word == glossary.name("levels", level, "vi")
        for level, word in documents.LEVEL_WORDS.items():
            assert word == glossary.name("levels_in_text", level, "vi")
        assert glossary.names("kinds", "vi") == documents.KIND_NAMES


def test_no_surface_keeps_words_of_its_own():
    """The names the glossary retired are spelled nowhere a person reads."""
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    retired = ("Được biểu dương", "Không được đề nghị", "Đồng ý, chuyển cấp trên", "Đang xét duyệt")
    places = [root / "web" / "translations" / "vi" / "LC_MESSAGES" / "messages.po"]
    places += list((root / "web" / "templates").rglob("*.html"))
    places += list((root / "web" / "templates").rglob("*.txt"))
    places += [root / "tasks" / "notices.py", root / "tasks" / "documents.py"]
    for place in places:
        text = place.read_text(encoding="utf-8")
        text = "\n".join(line for line in text.splitlines() if not line.startswith("#~"))
        for word in retired:
            assert word not in text, (place, word)


# Buttons and pages that say what will happen.


def test_the_approve_button_names_the_next_unit_or_the_level_it_recognises(web, world):
    below = world.act(world.nominate(target="district"), "sec_k1", "submit")
    at_target = world.act(world.nominate(target="commune"), "sec_k1", "submit")
    web.login("rev_c1")
    page = web.get(f"/nominations/{below.id}").text
    district = world.units["D1"].name
    assert re.search(rf'value="approve" class="primary">Chuyển lên {district}<', page)
    assert re.search(r'value="recognize" class="">Công nhận cấp xã<', page)  # the alternative
    page = web.get(f"/nominations/{at_target.id}").text
    assert re.search(r'value="approve" class="primary">Công nhận cấp xã<', page)
    assert 'value="recognize"' not in page  # the unit that decides has nothing above to skip
    assert "quyết định công nhận cấp xã" in page  # the next step says who decides
    queue = web.get("/queue").text
    assert f"Chuyển lên {district}: 1 hồ sơ" in queue
    assert "Công nhận cấp xã: 1 hồ sơ" in queue
    assert re.search(r'data-field="target-level">Cấp huyện<', queue)


def test_the_timeline_says_forwarded_or_recognised(web, world):
    nomination = world.act(world.nominate(), "sec_k1", "submit")
    world.act(nomination, "rev_c1", "approve")
    world.act(nomination, "rev_d1", "approve")
    web.login("sec_k1")
    page = web.get(f"/nominations/{nomination.id}").text
    timeline = page[page.index('class="timeline"') :]
    assert "chuyển lên cấp huyện" in timeline
    assert "công nhận cấp huyện" in timeline
    assert "Version" not in page
    assert "Phiên bản" not in page
    assert f'data-field="outcome">Được công nhận cấp huyện · {world.units["D1"].name}' in page


def test_the_apis_history_says_what_happened_in_the_callers_language(client, world, auth):
    nomination = world.act(world.nominate(), "sec_k1", "submit")
    world.act(nomination, "rev_c1", "approve")
    world.session.commit()
    url = f"{API}/nominations/{nomination.id}"
    history = client.get(url, headers=auth("rev_d1")).json["history"]
    assert [entry["label"] for entry in history] == [
        "tạo bản nháp",
        "gửi đề nghị",
        "chuyển lên cấp huyện",
    ]
    english = client.get(f"{url}?lang=en", headers=auth("rev_d1")).json
    assert english["history"][2]["label"] == "forwarded it to district level"
    assert english["labels"]["state"] == "Under review at district level"


def test_a_returned_nomination_leads_with_the_reason(web, world):
    nomination = world.act(world.nominate(), "sec_k1", "submit")
    world.act(nomination, "rev_c1", "return", comment="Bổ sung ảnh chụp.")
    web.login("sec_k1")
    page = web.get(f"/nominations/{nomination.id}").text
    reason = page.index('data-field="reason"')
    assert reason < page.index('class="columns"')  # above the details, not in the timeline
    assert "Bổ sung ảnh chụp." in page[reason : page.index("</section>", reason)]
    assert "Bước tiếp theo: Chi bộ" in page
    dashboard = web.get("/").text
    assert "Bổ sung ảnh chụp." in dashboard[dashboard.index("revisions") :]
    menu = dashboard[dashboard.index("<nav") : dashboard.index("</nav>")]
    assert re.search(r'data-menu="queue">Cần bổ sung <span class="count"[^>]*>1<', menu)


def test_the_administrators_queue_page_speaks_to_the_administrator(web, world):
    web.login("adm_p")
    page = web.get("/queue").text
    assert "trả lại để chi bộ bổ sung" not in page
    assert "quản trị viên theo dõi hồ sơ" in page


def test_english_counts_are_plural_only_when_more_than_one(web, world):
    world.act(world.nominate(), "sec_k1", "submit")
    web.login("rev_c1")
    web.get("/?lang=en")
    assert "1 nomination waits for your review" in web.get("/queue").text
    assert "1 nomination found" in web.get("/nominations").text


# Confirm before it cannot be undone.


@pytest.mark.parametrize(("username", "action"), [("sec_k1", "withdraw"), ("rev_c1", "reject")])
def test_withdraw_and_reject_ask_first(web, world, db_session, username, action):
    nomination = world.act(world.nominate(), "sec_k1", "submit")
    web.login(username)
    url = f"/nominations/{nomination.id}"
    page = web.get(url).text
    apart = page[page.index('class="actions-apart"') :]
    assert f'value="{action}" class="danger"' in apart  # kept away from the primary buttons
    data = {"action": action, "version": str(nomination.version), "comment": "Không đủ minh chứng"}
    asked = web.post(url, data, token_from=url)
    assert asked.status_code == 200
    assert f'data-step="confirm-{action}"' in asked.text
    db_session.refresh(nomination)
    assert nomination.state == "commune_review"  # nothing happened yet
    done = web.post(url, {**data, "confirm": "1"}, token_from=url)
    assert done.status_code == 302
    db_session.refresh(nomination)
    assert nomination.state == ("withdrawn" if action == "withdraw" else "rejected")


def test_reject_without_a_reason_is_refused_before_the_confirmation(web, world):
    nomination = world.act(world.nominate(), "sec_k1", "submit")
    web.login("rev_c1")
    url = f"/nominations/{nomination.id}"
    answer = web.post(url, {"action": "reject", "version": str(nomination.version)}, token_from=url)
    assert answer.status_code == 422
    assert "data-step" not in answer.text


def test_an_error_page_leads_back_to_the_page_before(web, world):
    web.login("sec_k1")
    answer = web.get("/nominations/999999", headers={"Referer": "http://localhost/nominations"})
    assert answer.status_code == 404
    assert 'href="/nominations" data-link="back"' in answer.text
    elsewhere = web.get("/nominations/999999", headers={"Referer": "https://evil.example/x"})
    assert 'data-link="back"' not in elsewhere.text
    for unreadable in ("http://[::1", "http://["):
        answer = web.get("/nominations/999999", headers={"Referer": unreadable})
        assert answer.status_code == 404
        assert 'data-link="back"' not in answer.text


# An individual's fields; a collective has none.


def test_an_individuals_achievement_report_fields(web, world, db_session):
    web.login("sec_k1")
    form = web.get("/nominations/new").text
    assert 'name="target_level"' in form
    assert "checked" not in form
    assert "Việc làm tiêu biểu" in form
    assert "Ví dụ: Vận động nhân dân hiến" in form
    fields = {
        "campaign_id": str(world.campaign.id),
        "kind": "individual",
        "nominee_name": "Hà Thị Mai",
        "nominee_gender": "female",
        "nominee_birth_year": "1975",
        "nominee_ethnicity": "Mường",
        "nominee_position": "Chi hội trưởng",
        "nominee_workplace": "Thôn Đồng Hội",
        "title": "Nuôi ong",
        "field": "Kinh tế",
        "summary": "Tóm tắt.",
        "achievements": "Thành tích.",
        "target_level": "commune",
    }
    assert web.post("/nominations/new", fields, token_from="/nominations/new").status_code == 302
    mai = db_session.scalar(select(Nomination).where(Nomination.nominee_name == "Hà Thị Mai"))
    assert (mai.nominee_gender, mai.nominee_ethnicity, mai.nominee_workplace) == (
        "female",
        "Mường",
        "Thôn Đồng Hội",
    )
    page = web.get(f"/nominations/{mai.id}").text
    assert "Giới tính</dt><dd>Nữ" in page
    assert "Dân tộc</dt><dd>Mường" in page
    collective = {**fields, "kind": "collective", "nominee_name": "Tổ ong"}
    assert (
        web.post("/nominations/new", collective, token_from="/nominations/new").status_code == 302
    )
    bees = db_session.scalar(select(Nomination).where(Nomination.nominee_name == "Tổ ong"))
    assert bees.nominee_gender is bees.nominee_birth_year is bees.nominee_position is None
    assert "Giới tính" not in web.get(f"/nominations/{bees.id}").text
    missing = {**fields, "target_level": ""}
    refused = web.post("/nominations/new", missing, token_from="/nominations/new")
    assert refused.status_code == 422
    assert "Hãy chọn cấp đề nghị công nhận." in refused.text
    # A gender may be left out, but not given as blanks: that is no choice on the list.
    blank = {**fields, "nominee_name": "Hà Thị Lan", "nominee_gender": " "}
    refused = web.post("/nominations/new", blank, token_from="/nominations/new")
    assert refused.status_code == 422
    unsaid = {**fields, "nominee_name": "Hà Thị Lan", "nominee_gender": ""}
    assert web.post("/nominations/new", unsaid, token_from="/nominations/new").status_code == 302
    lan = db_session.scalars(select(Nomination).where(Nomination.nominee_name == "Hà Thị Lan"))
    assert [nomination.nominee_gender for nomination in lan] == [None]
    escaped = {**fields, "nominee_name": "Hà Thị Hoa", "title": "Nuôi ong\x07"}
    refused = web.post("/nominations/new", escaped, token_from="/nominations/new")
    assert refused.status_code == 422
    assert "Có ký tự không được phép." in refused.text
    # An address with diacritics before the @ could never be sent to.
    accented = {**fields, "nominee_name": "Hà Thị Hoa", "nominee_email": "hoa.hà@example.vn"}
    refused = web.post("/nominations/new", accented, token_from="/nominations/new")
    assert refused.status_code == 422
    assert "Phần trước @ cần viết không dấu" in refused.text
    domain = {**fields, "nominee_name": "Hà Thị Hoa", "nominee_email": "hoa@bưuđiện.vn"}
    assert web.post("/nominations/new", domain, token_from="/nominations/new").status_code == 302
    hoa = db_session.scalar(select(Nomination).where(Nomination.nominee_name == "Hà Thị Hoa"))
    assert hoa.nominee_email == "hoa@xn--buin-1ua66gr30m.vn"


def test_the_api_refuses_an_individuals_fields_for_a_collective(client, world, auth):
    body = {
        "campaign_id": world.campaign.id,
        "kind": "collective",
        "nominee_name": "Chi hội Phụ nữ",
        "title": "Hũ gạo",
        "field": "An sinh",
        "summary": "S",
        "achievements": "A",
        "target_level": "commune",
        "nominee_gender": "female",
    }
    answer = client.post(f"{API}/nominations", json=body, headers=auth("sec_k1"))
    assert answer.status_code == 422
    assert "nominee_gender" in answer.json["detail"]
    accented = {**body, "kind": "individual", "nominee_email": "nguyễn.văn.an@example.vn"}
    answer = client.post(f"{API}/nominations", json=accented, headers=auth("sec_k1"))
    assert answer.status_code == 422
    assert answer.json["errors"][0]["field"] == "nominee_email"
    # A word processor's breaks are line breaks; another control character is refused.
    escaped = {**body, "title": "Hũ gạo\x1b[31m"}
    answer = client.post(f"{API}/nominations", json=escaped, headers=auth("sec_k1"))
    assert answer.status_code == 422
    assert answer.json["errors"][0]["field"] == "title"
    pasted = {**body, "kind": "individual", "achievements": "Dòng 1\vDòng 2\fDòng 3"}
    answer = client.post(f"{API}/nominations", json=pasted, headers=auth("sec_k1"))
    assert answer.status_code == 201
    assert answer.json["achievements"] == "Dòng 1\nDòng 2\nDòng 3"
    body.pop("nominee_gender")
    created = client.post(f"{API}/nominations", json=body, headers=auth("sec_k1")).json
    person = client.patch(
        f"{API}/nominations/{created['id']}",
        json={"version": created["version"], "kind": "individual", "nominee_birth_year": 1980},
        headers=auth("sec_k1"),
    ).json
    assert person["nominee_birth_year"] == 1980
    again = client.patch(
        f"{API}/nominations/{created['id']}",
        json={"version": person["version"], "kind": "collective"},
        headers=auth("sec_k1"),
    ).json
    assert again["nominee_birth_year"] is None  # a collective sheds the individual's fields


# Search without diacritics or case, on both databases.


@pytest.mark.parametrize(
    "typed", ["nguyen thi hang", "NGUYỄN THỊ", "hien dat", "Hiến Đất", "HANG", "đất làm"]
)
def test_search_ignores_diacritics_and_case(client, world, auth, db_session, typed):
    world.nominate(nominee_name="Nguyễn Thị Hằng", title="Vận động hiến đất làm đường")
    world.nominate(nominee_name="Lê Văn Nam", title="Nuôi cá")
    db_session.commit()
    found = client.get(f"{API}/nominations", query_string={"q": typed}, headers=auth("rev_d1"))
    assert [item["nominee_name"] for item in found.json["items"]] == ["Nguyễn Thị Hằng"]


def test_the_folded_text_follows_an_edit(world, db_session):
    nomination = world.nominate(nominee_name="Trần Văn Đức")
    db_session.flush()
    assert nomination.search_text.startswith("tran van duc ")
    nomination.title = "Trồng rừng"
    db_session.flush()
    assert nomination.search_text == "tran van duc trong rung"
    conditions = queries.search_conditions(world.users["rev_d1"], q="trong RUNG")
    count = db_session.scalar(select(func.count()).select_from(Nomination).where(*conditions))
    assert count == 1
    assert db_session.scalar(select(func.count()).select_from(HistoryEntry)) >= 1


def _messages_written_in(module):
    """The messages `module` gives an `Invalid` or an `ImportError_` (or a ValueError, which the
    forms' and the imports' fields report) as a literal text, either of a conditional's, or a
    module's constant: each one a page shows through `labels.message`. (Texts built from
    values, or kept in a function's variable first, are not seen here.)"""
    tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
    constants = {
        target.id: node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
        for target in node.targets
        if isinstance(target, ast.Name) and isinstance(node.value.value, str)
    }
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
            continue
        if node.func.id in ("Invalid", "ImportError_", "ValueError"):
            given = node.args[-1:]
        elif node.func.id == "_error" and ast.unparse(node.args[0]) == "Invalid":
            given = node.args[3:4]
        else:
            continue
        while given:
            argument = given.pop()
            if isinstance(argument, ast.IfExp):  # "a" if … else "b": both
                given += [argument.body, argument.orelse]
            elif isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                yield argument.value
            elif isinstance(argument, ast.Name) and argument.id in constants:
                yield constants[argument.id]


def test_every_message_a_page_can_show_is_translated(app):
    """No "Không hợp lệ: <English>": every literal message of an Invalid, an import's row or a
    field has its Vietnamese (those built from values are matched by `labels.PATTERNS` and
    tested with them)."""
    modules = [
        importlib.import_module(f"workflow.{path.stem}")
        for path in sorted(Path(workflow.__file__).parent.glob("*.py"))
        if path.stem != "models"  # its one ValueError is a programming error's
    ]
    written = {text for module in modules for text in _messages_written_in(module)}
    assert "not a unit level" in written  # the walk finds them
    with app.test_request_context("/?lang=vi"):
        untranslated = sorted(text for text in written if labels.known_message(text) is None)
    assert untranslated == [], "\n".join(untranslated)


@pytest.mark.parametrize(
    ("message", "vi", "en"),
    [
        (
            "in this campaign the commune level does not decide by vote",
            "Trong đợt này, cấp xã không quyết định bằng biểu quyết của Ban Thường vụ.",
            "In this campaign the commune level does not decide by a committee vote.",
        ),
        (
            "the district level of this campaign has no comment period",
            "Ở cấp huyện, đợt này không lấy ý kiến nhân dân.",
            "At the district level this campaign has no public comment period.",
        ),
        (
            "3 nominations wait at the commune level; settle them first",
            "Còn 3 hồ sơ đang chờ ở cấp xã; hãy xử lý xong trước khi cấp này thôi xét duyệt.",
            "3 nominations wait at the commune level; settle them before the level stops "
            "reviewing.",
        ),
        (
            "a commune cannot sit under a cell",
            "Không thể đặt đơn vị cấp xã trực thuộc chi bộ.",
            "A commune cannot sit under a party cell.",
        ),
        (
            "a cell cannot merge with a commune",
            "Không thể sáp nhập chi bộ với đơn vị cấp xã.",
            "A party cell cannot be merged with a commune.",
        ),
        (
            "1 nomination waits at the commune level; settle it first",
            "Còn 1 hồ sơ đang chờ ở cấp xã; hãy xử lý xong trước khi cấp này thôi xét duyệt.",
            "1 nomination waits at the commune level; settle it before the level stops reviewing.",
        ),
        (
            "1 nomination below C1 is pending at or was returned by D1, which would no longer be "
            "above it",
            "Có 1 hồ sơ thuộc C1 đang chờ D1 xét duyệt hoặc đã bị D1 trả lại, trong khi D1 sẽ "
            "không còn là cấp trên của số hồ sơ này. Hãy giải quyết xong rồi mới chuyển đơn vị.",
            "1 nomination below C1 is under review at, or was returned by, D1, which would no "
            "longer be above it. Settle it first, then move the unit.",
        ),
        (
            "1250 nominations below C1 are pending at or were returned by D1, which would no "
            "longer be above them",
            "Có 1.250 hồ sơ thuộc C1 đang chờ D1 xét duyệt hoặc đã bị D1 trả lại, trong khi D1 sẽ "
            "không còn là cấp trên của số hồ sơ này. Hãy giải quyết xong rồi mới chuyển đơn vị.",
            "1,250 nominations below C1 are under review at, or were returned by, D1, which would "
            "no longer be above them. Settle them first, then move the unit.",
        ),
    ],
)
def test_a_level_inside_a_sentence_is_named_as_a_sentence_names_it(app, message, vi, en):
    """ "đang chờ ở cấp xã", not "ở Cấp xã" (the heading's word), and no "level level"."""
    for language, expected in (("vi", vi), ("en", en)):
        with app.test_request_context(f"/?lang={language}"):
            assert labels.known_message(message) == expected


@pytest.mark.parametrize(("language", "written"), [("vi", "12.500"), ("en", "12,500")])
def test_pages_write_numbers_as_their_reader_does(app, language, written):
    """Counts on the pages, in their plurals too: 12.500 in Vietnamese, 12,500 in English."""
    from flask import render_template_string

    with app.test_request_context(f"/?lang={language}"):
        found = render_template_string(
            '{{ ngettext("%(num)s nomination found", "%(num)s nominations found", n) }}', n=12500
        )
        assert written in found
        assert render_template_string("{{ n|decimalformat }}", n=12500) == written


def test_no_plural_formats_its_number_as_a_digit():
    """`ngettext` passes the number written out (`%(num)s`): a `%(num)d` would fail."""
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "web"
    found = [
        str(path)
        for path in [*root.rglob("*.html"), *root.rglob("*.txt"), *root.rglob("*.po")]
        if "%(num)d" in path.read_text(encoding="utf-8")
    ]
    assert found == []
