"""A nomination on paper: its report of achievements (bản thành tích) as a party document PDF,
and what the register says about its nominee, for the nomination page."""

import io

from flask import render_template, send_file
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from web.database import db
from web.downloads import file_name
from web.nominations import bp
from workflow import paperwork, register, services
from workflow.models import Nomination, User

KIND_WORDS = {"individual": "cá nhân", "collective": "tập thể"}


def nominee_record(actor, nomination):
    """{"earlier": register entries, "duplicates": nominations} of the same nominee, as far as
    `actor` sees (workflow.register.nominee_record)."""
    earlier, duplicate_ids = register.nominee_record(db.session, actor, nomination)
    duplicates = db.session.scalars(
        select(Nomination)
        .where(Nomination.id.in_(duplicate_ids))
        .options(joinedload(Nomination.cell))
        .order_by(Nomination.id)
    ).all()
    return {"earlier": earlier, "duplicates": duplicates}


def report_context(nomination, on):
    """What the report of achievements says: the cell reports to the unit above it."""
    cell = nomination.cell
    parent = cell.parent
    return {
        "superior": parent.name.upper() if parent else None,
        "issuer": cell.name.upper(),
        "place_and_date": f"{paperwork.place(parent or cell)}, {paperwork.vietnamese_date(on)}",
        "kind": KIND_WORDS[nomination.kind],
        "level": paperwork.LEVEL_WORDS[nomination.target_level],
        "campaign_phrase": paperwork.campaign_phrase(nomination.campaign.name),
        "nomination": nomination,
        "cell": cell.name,
        "confirming": parent.name.upper() if parent else None,
        "signer_title": "BÍ THƯ CHI BỘ",
        "signer_name": db.session.get(User, nomination.created_by_id).full_name,
    }


@bp.get("/<int:nomination_id>/report.pdf")
@login_required
def print_pdf(nomination_id):
    """The report of achievements, rendered now (a page or two), shown in the browser to print."""
    nomination = services.get_nomination(db.session, current_user, nomination_id)
    html = render_template(
        "nominations/document.html", **report_context(nomination, services.today())
    )
    stream = io.BytesIO()
    paperwork.pdf_document(html, stream)
    stream.seek(0)
    return send_file(
        stream,
        mimetype="application/pdf",
        download_name=file_name(f"Bản thành tích {nomination.nominee_name}.pdf"),
        max_age=0,
    )
