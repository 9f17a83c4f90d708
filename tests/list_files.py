"""Shared by the list tests: a campaign with rows in and out of a list, and file checks."""

import csv
import io
import shutil
import subprocess
import unicodedata

from openpyxl import load_workbook

# (cell, target, kind, nominee, title, achievements, who decides) — the district-level rows of D1.
INSIDE = (
    (
        "K1",
        "collective",
        "Tổ hòa giải thôn Đồng Hội",
        "Hòa giải thành 100% vụ việc",
        '=HYPERLINK("http://evil.example","Bấm vào đây")',
    ),
    (
        "KD",
        "individual",
        "Đặng Thị Ánh",
        "Khám bệnh miễn phí",
        "Khám cho 1.156 lượt người cao tuổi",
    ),
    ("K3", "individual", "Phạm Hữu Ý", "@Hũ gạo tiết kiệm", "-Vận động 300 hộ hiến đất"),
)


def recognise(world, cell, target, **fields):
    nomination = world.nominate(cell=cell, target=target, **fields)
    world.act(nomination, f"sec_{cell.lower()}", "submit")
    chain = {"K1": ["rev_c1", "rev_d1"], "K2": ["rev_c1", "rev_d1"], "K3": ["rev_c2", "rev_d1"]}
    chain |= {"KD": ["rev_d1"], "K4": ["rev_c3", "rev_d2"]}
    levels = {"rev_c1": "commune", "rev_c2": "commune", "rev_c3": "commune"}
    for reviewer in chain[cell]:
        world.act(nomination, reviewer, "approve")
        if levels.get(reviewer, "district") == target:
            break
    assert nomination.state == "commended", nomination.state
    return nomination


def build_campaign(world):
    """Three rows in D1's district list, and four that must stay out of it."""
    for cell, kind, name, title, achievements in INSIDE:
        recognise(
            world,
            cell,
            "district",
            kind=kind,
            nominee_name=name,
            title=title,
            achievements=achievements,
        )
    recognise(world, "K2", "commune", nominee_name="Vũ Văn Xã")  # commune level
    recognise(world, "K4", "district", nominee_name="Lò Văn Khác")  # another district
    pending = world.nominate(cell="K1", nominee_name="Hoàng Chờ Duyệt")
    world.act(pending, "sec_k1", "submit")  # not recognised
    return {name for _, _, name, _, _ in INSIDE}


def nfc(text):
    return unicodedata.normalize("NFC", text)


def pdf_text(content, tmp_path):
    tool = shutil.which("pdftotext")
    if tool is None:
        return None
    source = tmp_path / "list.pdf"
    source.write_bytes(content)
    completed = subprocess.run([tool, "-layout", str(source), "-"], capture_output=True, check=True)
    return nfc(completed.stdout.decode("utf-8"))


def check_pdf(text, number):
    assert f"Số {number}" in text
    assert "DANH SÁCH" in text
    assert "HUYỆN ỦY CẨM KHÊ" in text
    assert "ĐẢNG CỘNG SẢN VIỆT NAM" in text
    assert "Cẩm Khê, ngày" in text
    for _, _, name, _, _ in INSIDE:
        for word in name.split():
            assert word in text, word
    for word in ("Vũ", "Khác", "Hoàng"):  # from the rows that must stay out of the list
        assert word not in text, word


def check_xlsx(content, expected_names):
    workbook = load_workbook(io.BytesIO(content))
    sheet = workbook["Danh sách"]
    rows = list(sheet.iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    assert header[2] == "Họ và tên / Tên tập thể"
    assert {row[2] for row in body} == expected_names
    assert len(body) == len(expected_names)
    assert body[0][1] == "Tập thể"  # collectives come first
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            assert cell.data_type != "f", cell.coordinate
    texts = {cell.value for row in sheet.iter_rows(min_row=2) for cell in row}
    assert '=HYPERLINK("http://evil.example","Bấm vào đây")' in texts  # kept, as text
    summary = list(workbook["Tổng hợp"].iter_rows(values_only=True))
    assert summary[2] == ("Cấp huyện", 1, 2, 3)
    assert summary[1] == ("Cấp xã", 0, 1, 1)


def check_csv(content, expected_names):
    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows[0][2] == "Họ và tên / Tên tập thể"
    assert {row[2] for row in rows[1:]} == expected_names
    cells = {cell for row in rows[1:] for cell in row}
    assert '\'=HYPERLINK("http://evil.example","Bấm vào đây")' in cells
    assert "'@Hũ gạo tiết kiệm" in cells
    assert "'-Vận động 300 hộ hiến đất" in cells
