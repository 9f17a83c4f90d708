"""The documents officials sign, read back with poppler: the list's signature block, headings and
signature kept with what follows, no blank page, the subtitle, Times New Roman's metrics; and a
nomination's report of achievements."""

import shutil
import subprocess

import pytest
from conftest import service_missing
from list_files import build_campaign, nfc, recognise

from tasks import documents
from workflow import files as stored_files
from workflow import lists, services, unit_settings


def _tool(name):
    found = shutil.which(name)
    if found is None:
        service_missing(f"{name} (poppler-utils) is not installed")
    return found


def _pages(pdf, tmp_path):
    """The text of each page, in reading order (a column after the other)."""
    source = tmp_path / "document.pdf"
    source.write_bytes(pdf)
    text = subprocess.run(
        [_tool("pdftotext"), str(source), "-"], capture_output=True, check=True
    ).stdout.decode("utf-8")
    return [nfc(page) for page in text.split("\f")[:-1]]


def _fonts(pdf, tmp_path):
    source = tmp_path / "fonts.pdf"
    source.write_bytes(pdf)
    listing = subprocess.run(
        [_tool("pdffonts"), str(source)], capture_output=True, check=True, text=True
    ).stdout
    return {line.split()[0].partition("+")[2] for line in listing.splitlines()[2:]}


def _render(app, db_session, world, tmp_path):
    made, _ = lists.request_list(
        db_session, world.users["adm_p"], world.campaign, world.units["D1"], on=services.today()
    )
    lists.claim(db_session, made.id)
    db_session.refresh(made)
    lists.snapshot(db_session, made, on=services.today())
    with app.test_request_context():
        store = stored_files.LocalStore(tmp_path)
        files = documents.write_all(
            made,
            store,
            signatory=unit_settings.signatory(db_session, world.units["D1"]),
        )
    assert files["pdf"]["size"] > 0
    return store.path(lists.file_key(made.id, "pdf")).read_bytes()


def test_the_list_is_a_document_an_official_signs(app, world, db_session, tmp_path):
    build_campaign(world)
    unit_settings.update_settings(
        db_session,
        world.users["adm_d1"],
        world.units["D1"],
        signer_title="secretary",
        signer_name="Nguyễn Văn Hùng",
        signing_key=None,
        keys=(),
    )
    pdf = _render(app, db_session, world, tmp_path)
    pages = _pages(pdf, tmp_path)
    text = " ".join(" ".join(page.split()) for page in pages)
    assert (
        "các tập thể, cá nhân được công nhận điển hình tiên tiến cấp huyện, đợt điển hình 2026"
        in text
    )
    last = " ".join(pages[-1].split())
    assert "T/M BAN THƯỜNG VỤ BÍ THƯ" in last
    assert last.index("BÍ THƯ") < last.index("Nguyễn Văn Hùng")
    assert "PHÓ BÍ THƯ" not in last
    # Times New Roman's metrics: Liberation Serif throughout, no other face.
    assert _fonts(pdf, tmp_path) <= {
        "Liberation-Serif",
        "Liberation-Serif-Bold",
        "Liberation-Serif-Italic",
    }


def test_headings_and_the_signature_never_stand_alone_and_no_page_is_blank(
    app, world, db_session, tmp_path
):
    """Lists of growing length move the page breaks through every heading: none ends a page,
    the signature block always shares its page with the summary, no page is empty."""
    achievements = "Vận động nhân dân hiến đất, góp công làm đường giao thông nông thôn. " * 6
    seen_pages = set()
    for count in range(1, 8):
        recognise(
            world,
            "K1",
            "district",
            kind="collective",
            nominee_name=f"Tổ tự quản số {count}",
            achievements=achievements,
        )
        made_pdf = _render(app, db_session, world, tmp_path / str(count))
        pages = _pages(made_pdf, tmp_path)
        seen_pages.add(len(pages))
        for number, page in enumerate(pages, start=1):
            lines = [line.strip() for line in page.splitlines() if line.strip()]
            assert len(lines) > 2, f"{count} rows: page {number} is blank"
            body = [line for line in lines if line != f"{number}/{len(pages)}"]
            assert body[-1] not in ("I. Tập thể", "II. Cá nhân"), f"{count} rows: page {number}"
            assert not body[-1].startswith(("DANH SÁCH", "III. Tổng hợp")), f"{count}: {number}"
        last = pages[-1]
        assert "T/M BAN THƯỜNG VỤ" in last
        assert "Tổng cộng" in last  # the summary table stays with the signature
    assert len(seen_pages) >= 2  # the breaks did move through the document


def test_a_nominations_report_of_achievements_prints_as_a_pdf(web, world, db_session, tmp_path):
    nomination = world.nominate(
        cell="K1",
        nominee_name="Nguyễn Thị Hoa",
        nominee_birth_year=1982,
        nominee_position="Chi hội trưởng Chi hội Phụ nữ",
        achievements="Vận động 120 hộ hiến 3.500 m² đất làm đường.",
    )
    web.login("sec_k1")
    page = web.get(f"/nominations/{nomination.id}")
    assert f'href="/nominations/{nomination.id}/report.pdf"' in page.text
    with web.get(f"/nominations/{nomination.id}/report.pdf") as answer:
        assert answer.status_code == 200
        assert answer.mimetype == "application/pdf"
        pdf = answer.data
    text = " ".join(" ".join(page.split()) for page in _pages(pdf, tmp_path))
    for words in (
        "CHI BỘ THÔN ĐỒNG HỘI",
        "ĐẢNG CỘNG SẢN VIỆT NAM",
        "BÁO CÁO THÀNH TÍCH",
        "đề nghị công nhận cá nhân điển hình tiên tiến cấp huyện, đợt điển hình 2026",
        "Nguyễn Thị Hoa",
        "1982",
        "Chi hội trưởng Chi hội Phụ nữ",
        "Vận động 120 hộ hiến 3.500 m² đất làm đường.",
        "T/M CHI ỦY BÍ THƯ CHI BỘ",
        "Người dùng sec_k1",
    ):
        assert words in text, words
    other = world.nominate(cell="K4", nominee_name="Ở Nơi Khác")
    assert web.get(f"/nominations/{other.id}/report.pdf").status_code == 404
    # A line break in the name (the API takes one) is no line break in the file's name.
    broken = world.nominate(cell="K1", nominee_name="Trần Văn\r\nBcc: x@example.org")
    with web.get(f"/nominations/{broken.id}/report.pdf") as answer:
        assert answer.status_code == 200
        assert "Tr%E1%BA%A7n%20V%C4%83n%20Bcc%3A" in answer.headers["Content-Disposition"]
    # Its ASCII name, for clients that do not read the UTF-8 one, keeps Đ as D.
    named = world.nominate(cell="K1", nominee_name="Đặng Thị Ánh")
    with web.get(f"/nominations/{named.id}/report.pdf") as answer:
        assert answer.headers["Content-Disposition"] == (
            'inline; filename="Ban thanh tich Dang Thi Anh.pdf"; '
            "filename*=UTF-8''B%E1%BA%A3n%20th%C3%A0nh%20t%C3%ADch%20%C4%90%E1%BA%B7ng"
            "%20Th%E1%BB%8B%20%C3%81nh.pdf"
        )


@pytest.mark.parametrize(
    ("name", "phrase"),
    [
        ("Đợt điển hình 2026", "đợt điển hình 2026"),
        ("Biểu dương điển hình 2026", "đợt biểu dương điển hình 2026"),
        ("VN 2026", "đợt VN 2026"),
        ("Phú Thọ: điển hình 2026", "đợt Phú Thọ: điển hình 2026"),
        ("Đợt Hồ Chí Minh 2026", "đợt Hồ Chí Minh 2026"),
        ("Huế 2026", "đợt Huế 2026"),
        ("Điển hình tiên tiến 2026", "đợt điển hình tiên tiến 2026"),
        ("Học tập và làm theo", "đợt học tập và làm theo"),
    ],
)
def test_the_campaign_reads_naturally_in_a_sentence(name, phrase):
    assert documents.campaign_phrase(name) == phrase


def test_every_page_has_the_print_stylesheet(web, world):
    """What it leaves out is checked in a browser (test_browser.py)."""
    assert 'href="/static/print.css" media="print"' in web.get("/login").text
