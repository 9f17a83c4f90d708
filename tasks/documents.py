"""A list snapshot rendered as a party document (PDF), a workbook (XLSX) and a CSV file."""

import csv
import datetime as dt
import io
import tempfile

from flask import render_template
from flask_babel import force_locale
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from workflow.levels import REVIEW_LEVELS
from workflow.lists import file_key, file_name, number_label
from workflow.paperwork import (
    FORMULA_TRIGGERS,
    KIND_NAMES,
    LEVEL_NAMES,
    LEVEL_WORDS,
    SIGNER_TITLES,
    campaign_phrase,
    pdf_document,
    place,
    superior_body,
    text_cell,
    vietnamese_date,
)

COLUMNS = (
    ("STT", None),
    ("Loại", "kind"),
    ("Họ và tên / Tên tập thể", "nominee_name"),
    ("Năm sinh", "nominee_birth_year"),
    ("Chức vụ", "nominee_position"),
    ("Đơn vị", "unit"),
    ("Lĩnh vực", "field"),
    ("Tên mô hình, việc làm", "title"),
    ("Thành tích tiêu biểu", "achievements"),
)


def summary_rows(summary):
    rows = []
    for level in REVIEW_LEVELS:
        counts = summary.get(level, {})
        collective, individual = counts.get("collective", 0), counts.get("individual", 0)
        rows.append((LEVEL_NAMES[level], collective, individual, collective + individual))
    totals = tuple(sum(row[index] for row in rows) for index in (1, 2, 3))
    return rows, ("Tổng cộng", *totals)


def document_context(commendation_list, signatory=None):
    """What the list's documents say; `signatory` is (title, name) from the issuing unit's
    settings (unit_settings.signatory), the secretary without a name when not given."""
    unit = commendation_list.unit
    title, name = signatory or ("secretary", None)
    issued_on = commendation_list.issued_on or dt.date.today()
    rows, total = summary_rows(commendation_list.summary or {})
    return {
        "superior": superior_body(unit),
        "issuer": unit.name.upper(),
        "number": number_label(commendation_list),
        "place_and_date": f"{place(unit)}, {vietnamese_date(issued_on)}",
        "level": LEVEL_WORDS[commendation_list.level],
        "campaign": commendation_list.campaign.name,
        "campaign_phrase": campaign_phrase(commendation_list.campaign.name),
        "signer_title": SIGNER_TITLES[title],
        "signer_name": name,
        "collectives": [row for row in commendation_list.rows if row["kind"] == "collective"],
        "individuals": [row for row in commendation_list.rows if row["kind"] == "individual"],
        "summary_rows": rows,
        "summary_total": total,
        "count": commendation_list.count,
    }


# Each renderer writes its format to a binary file opened for it, row by row where the format
# allows (CSV, and XLSX in openpyxl's write-only mode): memory stays flat whatever the length.


def render_pdf(commendation_list, stream, *, signatory=None, sign=None):
    """The list as a party document; with `sign`, the rendered PDF is handed to it to be signed
    into `stream` with its stamp in the space to sign (see pdf_document)."""
    with force_locale("vi"):  # a party document, in Vietnamese whoever asked for it
        html = render_template(
            "lists/document.html", **document_context(commendation_list, signatory)
        )
    pdf_document(html, stream, sign=sign)


def _text(value):
    return "" if value is None else str(value)


def _cell_values(row, index):
    values = [index]
    for _, name in COLUMNS[1:]:
        value = row.get(name)
        values.append(KIND_NAMES.get(value, value) if name == "kind" else value)
    return values


def render_xlsx(commendation_list, stream):
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Danh sách")
    for letter, width in zip("ABCDEFGHI", (6, 10, 30, 10, 20, 30, 20, 35, 60), strict=True):
        sheet.column_dimensions[letter].width = width
    bold, wrapped = Font(bold=True), Alignment(wrap_text=True, vertical="top")
    sheet.append([text_cell(sheet, title, font=bold) for title, _ in COLUMNS])
    for index, row in enumerate(commendation_list.rows, start=1):
        sheet.append(
            [text_cell(sheet, value, alignment=wrapped) for value in _cell_values(row, index)]
        )
    summary = workbook.create_sheet("Tổng hợp")
    summary.append(["Cấp công nhận", "Tập thể", "Cá nhân", "Tổng"])
    rows, total = summary_rows(commendation_list.summary or {})
    for values in (*rows, total):
        summary.append(list(values))
    info = workbook.create_sheet("Văn bản")
    context = document_context(commendation_list)
    for label, value in (
        ("Cơ quan ban hành", commendation_list.unit.name),
        ("Số", context["number"]),
        ("Địa danh, ngày", context["place_and_date"]),
        ("Đợt", context["campaign"]),
        ("Cấp công nhận", context["level"]),
        ("Số lượng", context["count"]),
    ):
        info.append([label, text_cell(info, value)])
    workbook.save(stream)


def _csv_safe(value):
    text = _text(value)
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def render_csv(commendation_list, stream):
    # UTF-8 with a byte-order mark: Excel then reads the Vietnamese correctly.
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="", write_through=True)
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow([title for title, _ in COLUMNS])
    for index, row in enumerate(commendation_list.rows, start=1):
        writer.writerow([_csv_safe(value) for value in _cell_values(row, index)])
    text.detach()  # the caller closes the file


RENDERERS = {"pdf": render_pdf, "xlsx": render_xlsx, "csv": render_csv}


def write_all(commendation_list, store, *, signatory=None, sign=None):
    """Render every format into a temporary file, then put it in the lists' `store` under its
    key; the checksums and sizes to keep in the snapshot (computed as the file is stored, in
    blocks: no file is ever held whole in memory). The PDF names `signatory` in its signature
    block and, with `sign`, is signed before it is stored, so its checksum covers the signed
    file."""
    files = {}
    pdf_options = {"signatory": signatory, "sign": sign}
    for file_format, render in RENDERERS.items():
        with tempfile.TemporaryFile() as stream:
            render(commendation_list, stream, **(pdf_options if file_format == "pdf" else {}))
            stream.seek(0)
            stored = store.put(file_key(commendation_list.id, file_format), stream)
        files[file_format] = {
            "name": file_name(commendation_list.id, file_format),
            "sha256": stored.sha256,
            "size": stored.size,
        }
    return files
