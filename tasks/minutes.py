"""The minutes task: a closed meeting's biên bản kiểm phiếu, rendered as a party document (PDF)."""

import hashlib
import logging

from flask import render_template
from flask_babel import force_locale

from tasks.documents import KIND_NAMES, place, superior_body, vietnamese_date
from web.database import db
from web.storage import store
from workflow import committees, files, minutes, options
from workflow.models import Meeting

log = logging.getLogger(__name__)

RENDER_MINUTES = "commend.render_minutes"
LEVEL_WORDS = {"commune": "cấp xã", "district": "cấp huyện", "province": "cấp tỉnh"}
MODES = {
    "app": "Biểu quyết trên ứng dụng, bỏ phiếu kín",
    "paper": "Biểu quyết trên giấy, có biên bản kèm theo",
}


def minutes_context(meeting, results, number):
    """What the minutes say; `results` are committees.results() pairs."""
    unit = meeting.unit
    day = minutes.issued_on(meeting)
    return {
        "superior": superior_body(unit),
        "issuer": unit.name.upper(),
        "number": minutes.number_label(meeting, number),
        "place_and_date": f"{place(unit)}, {vietnamese_date(day)}",
        "level": LEVEL_WORDS.get(unit.level, ""),
        "campaign": meeting.campaign.name,
        "held_on": meeting.held_on.strftime("%d/%m/%Y"),
        "place": meeting.place,
        "mode": MODES[meeting.mode],
        "chair": meeting.chair.full_name,
        "size": meeting.size,
        "present": meeting.present,
        "quorate": meeting.quorate,
        "quorum_at_least": meeting.quorum_at_least,
        "pass_more_than": meeting.pass_more_than,
        "fewest_present": options.fewest_present(meeting.size, meeting.quorum_at_least),
        "fewest_agreeing": options.fewest_agreeing(meeting.size, meeting.pass_more_than),
        "rows": [
            {
                "name": nomination.nominee_name,
                "unit": nomination.cell.name,
                "kind": KIND_NAMES[nomination.kind],
                "agree": item.agree,
                "disagree": item.disagree,
                "passed": bool(item.passed),
            }
            for nomination, item in results
        ],
        "passed": sum(1 for _nomination, item in results if item.passed),
    }


def render_pdf(context):
    from weasyprint import HTML  # heavy; only the document tasks need it

    with force_locale("vi"):  # a party document, in Vietnamese whoever asked for it
        html = render_template("meetings/minutes.html", **context)
    return HTML(string=html).write_pdf()


def render_minutes(task, meeting_id):
    """Number, render and store the minutes of a closed meeting, once."""
    session = db.session
    meeting = session.get(Meeting, meeting_id)
    if meeting is None or meeting.status != "closed" or meeting.minutes:
        session.rollback()
        return "nothing to do"
    minutes_store = store(files.MINUTES)
    try:
        number = minutes.next_number(session, meeting)
        context = minutes_context(meeting, committees.results(session, meeting), number)
        content = render_pdf(context)
        digest = hashlib.sha256(content).hexdigest()
        key = minutes.storage_key(meeting, digest)
        staged = files.stage(session, minutes_store, key, content)
        # Read back what was written before it counts: a short or altered file is not kept.
        with minutes_store.open(staged) as stream:
            if hashlib.file_digest(stream, "sha256").hexdigest() != digest:
                raise OSError("the minutes written do not read back")
        if not minutes.record(
            session, meeting, key=key, sha256=digest, size=len(content), number=number
        ):
            session.rollback()  # another rendering was first; the staged file goes with this
            return "already written"
        session.commit()  # the staged file takes its name now
    except Exception:
        log.exception("the minutes of meeting %s could not be written", meeting_id)
        session.rollback()
        return "failed"  # the sweep asks again later
    return "done"


def register(celery_app, config):
    limit = float(config["TASK_TIME_LIMIT_SECONDS"])
    celery_app.task(name=RENDER_MINUTES, bind=True, time_limit=limit, soft_time_limit=limit * 0.9)(
        render_minutes
    )
