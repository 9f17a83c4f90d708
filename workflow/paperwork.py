"""How the party documents read on paper: their words, places and dates, rendering their HTML
to PDF (with the place of a digital signature), and the register as a workbook. Shared by the
document tasks (tasks/documents.py, tasks/minutes.py) and the pages that render a document
themselves (a nomination's report of achievements, the register's export)."""

import io

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from workflow import glossary, signing
from workflow.fields import without_controls
from workflow.levels import REVIEW_LEVELS
from workflow.register import list_number

LEVEL_NAMES = {level: glossary.name("levels", level, "vi") for level in REVIEW_LEVELS}
LEVEL_WORDS = {"commune": "cấp xã", "district": "cấp huyện", "province": "cấp tỉnh"}
KIND_NAMES = glossary.names("kinds", "vi")
# The signer's title under "T/M BAN THƯỜNG VỤ" (unit_settings.signer_title).
SIGNER_TITLES = {"secretary": "BÍ THƯ", "deputy_secretary": "PHÓ BÍ THƯ"}
SIGNATURE_ANCHOR = "signature-space"  # the id of the space to sign in the document templates
# The names units carry before their place ("Huyện ủy Cẩm Khê" → "Cẩm Khê").
BODY_PREFIXES = (
    "Tỉnh ủy ",
    "Thành ủy ",
    "Huyện ủy ",
    "Quận ủy ",
    "Thị ủy ",
    "Đảng ủy ",
    "Đảng bộ ",
)
PLACE_PREFIXES = ("xã ", "thị trấn ", "phường ")
# A spreadsheet treats text starting with these as a formula (CSV/formula injection).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def place(unit):
    """The place a unit is named after: "Huyện ủy Cẩm Khê" → "Cẩm Khê"."""
    name = unit.name
    for prefix in BODY_PREFIXES:
        if name.startswith(prefix):
            name = name.removeprefix(prefix)
            break
    for prefix in PLACE_PREFIXES:
        if name.startswith(prefix):
            return name.removeprefix(prefix)
    return name


def superior_body(unit):
    """The party organisation above the issuing unit, as a document header names it."""
    parent = unit.parent
    if parent is None:
        return None
    word = {"province": "TỈNH ", "district": "HUYỆN "}.get(parent.level, "")
    return f"ĐẢNG BỘ {word}{place(parent).upper()}"


def vietnamese_date(day):
    return f"ngày {day.day:02d} tháng {day.month:02d} năm {day.year}"


# The words a campaign's name opens with that are no proper noun: their capital is the name's
# own, and goes in a sentence ("đợt biểu dương …"). Any other keeps it ("đợt Huế 2026").
COMMON_OPENINGS = (
    "biểu dương",
    "tuyên dương",
    "điển hình",
    "học tập",
    "thi đua",
    "khen thưởng",
    "phong trào",
    "gương",
    "tổng kết",
)


def campaign_phrase(name):
    """ "đợt …": the campaign as a sentence names it ("Đợt biểu dương 2026" → "đợt biểu dương
    2026", "Biểu dương điển hình …" → "đợt biểu dương điển hình …"); a name that opens with
    a proper noun or an acronym keeps it as written ("đợt Phú Thọ: …", "đợt VN 2026")."""
    rest = name[4:] if name[:4].casefold() == "đợt " else name
    if rest.casefold().startswith(COMMON_OPENINGS):
        rest = rest[:1].lower() + rest[1:]
    return f"đợt {rest}"


def pdf_document(html, stream, *, sign=None):
    """Render `html` into `stream`. `sign(source, output, page=, box=)` signs the rendered file,
    given the page and the PDF rectangle of the element with id SIGNATURE_ANCHOR."""
    from weasyprint import HTML  # heavy; only the document tasks and the print view need it

    document = HTML(string=html).render()
    if sign is None:
        document.write_pdf(stream)
        return
    page, box = next(
        (index, signing.box_of(page.anchors[SIGNATURE_ANCHOR], page.height))
        for index, page in enumerate(document.pages)
        if SIGNATURE_ANCHOR in page.anchors
    )
    rendered = io.BytesIO()
    document.write_pdf(rendered)
    rendered.seek(0)
    sign(rendered, stream, page=page, box=box)


def text_cell(sheet, value, alignment=None, font=None):
    """A cell stored as text, never as a formula, whatever the nominee's text starts with."""
    if isinstance(value, str):
        value = without_controls(value)  # openpyxl refuses them, in text stored before we did
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"
        if value.startswith(FORMULA_TRIGGERS):
            cell.quotePrefix = True
    if alignment is not None:
        cell.alignment = alignment
    if font is not None:
        cell.font = font
    return cell


XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
REGISTER_COLUMNS = (
    "STT",
    "Họ và tên / Tên tập thể",
    "Loại",
    "Năm sinh",
    "Đơn vị (khi được công nhận)",
    "Cấp công nhận",
    "Năm",
    "Ngày công nhận",
    "Số danh sách",
)


def render_register_xlsx(entries, stream):
    """The register's `entries` (workflow.register) as a workbook, written row by row."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Sổ vàng")
    for letter, width in zip("ABCDEFGHI", (6, 30, 10, 10, 60, 14, 8, 14, 14), strict=True):
        sheet.column_dimensions[letter].width = width
    bold = Font(bold=True)
    sheet.append([text_cell(sheet, title, font=bold) for title in REGISTER_COLUMNS])
    for index, entry in enumerate(entries, start=1):
        values = (
            index,
            entry.nominee_name,
            KIND_NAMES[entry.kind],
            entry.birth_year,
            ", ".join(entry.unit_names),
            LEVEL_NAMES[entry.level],
            entry.year,
            entry.recognized_on.strftime("%d/%m/%Y"),
            list_number(entry),
        )
        sheet.append([text_cell(sheet, value) for value in values])
    workbook.save(stream)
