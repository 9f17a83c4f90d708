"""A meeting's files — the minutes written after its close and the scanned paper minutes —
served to the API and to the pages by one function each."""

import hashlib

from flask import current_app

from web.downloads import send_stored
from web.storage import store
from workflow import attachments, committees, files, minutes
from workflow.errors import Invalid, NotFound


def scan_store():
    """Scanned minutes are kept beside the evidence files."""
    return store(files.EVIDENCE)


def store_scan(session, actor, meeting, data):
    """Paper mode: keep `data` as the meeting's scanned minutes (a PDF, checked by its bytes).

    The file is staged and takes its name when the session commits; a scan it replaces is
    deleted then.
    """
    limit = current_app.config["ATTACHMENT_MAX_BYTES"]
    if not data:
        raise Invalid("file", "the file is empty")
    if len(data) > limit:
        raise Invalid("file", f"the file is larger than {limit} bytes")
    if attachments.sniff(data) != "application/pdf":
        raise Invalid("file", "the scanned minutes must be a PDF file")
    digest = hashlib.sha256(data).hexdigest()
    key = f"minutes-scan-{meeting.id}-{digest[:16]}"
    previous = committees.attach_scan(
        session,
        actor,
        meeting,
        key=key,
        name=f"bien-ban-{meeting.id}.pdf",
        sha256=digest,
        size=len(data),
    )
    evidence = scan_store()
    files.stage(session, evidence, key, data)
    if previous and previous["key"] != key:
        files.remove_after_commit(session, evidence, previous["key"])


def send_minutes(meeting):
    """The minutes (biên bản kiểm phiếu) of a closed meeting; 409 while they are being written.

    The caller has loaded the meeting through `committees.get_meeting` (the visibility check).
    """
    stored = minutes.require_minutes(meeting)
    return send_stored(
        store(files.MINUTES),
        stored["key"],
        size=stored["size"],
        sha256=stored["sha256"],
        mimetype=minutes.MEDIA_TYPE,
        download_name=minutes.download_name(meeting),
        what="minutes",
    )


def send_scan(meeting):
    """The scanned paper minutes a chair attached."""
    if not meeting.scan:
        raise NotFound("this meeting has no scanned minutes")
    return send_stored(
        scan_store(),
        meeting.scan["key"],
        size=meeting.scan["size"],
        sha256=meeting.scan["sha256"],
        mimetype="application/pdf",
        download_name=meeting.scan["name"],
        what="scanned minutes",
    )
