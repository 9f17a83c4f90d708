"""A meeting's files — the minutes written after its close and the scanned paper minutes —
served to the API and to the pages by one function each."""

import hashlib

from flask import current_app, send_file
from werkzeug.exceptions import Gone

from workflow import attachments, committees, files, minutes
from workflow.errors import Invalid, NotFound


def scan_store():
    """Scanned minutes are kept beside the evidence files."""
    return files.LocalStore(current_app.config["ATTACHMENTS_DIR"])


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
    store = scan_store()
    files.stage(session, store, key, data)
    if previous and previous["key"] != key:
        files.remove_after_commit(session, store, previous["key"])


def minutes_store():
    return files.LocalStore(minutes.minutes_dir(current_app.config, current_app.instance_path))


def _stream(store, stored, what):
    """The stored file, refused (410) when it is gone or no longer of the size written."""
    path = store.path(stored["key"])
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        current_app.logger.error("%s: %s is missing", what, path)
        raise Gone(f"the {what} is no longer stored") from None
    if size != stored["size"]:
        current_app.logger.error("%s: %s has changed size", what, path)
        raise Gone(f"the stored {what} no longer matches what was written; it is not served")
    return store.open(stored["key"])


def send_minutes(meeting):
    """The minutes (biên bản kiểm phiếu) of a closed meeting; 409 while they are being written.

    The caller has loaded the meeting through `committees.get_meeting` (the visibility check).
    """
    stored = minutes.require_minutes(meeting)
    return send_file(
        _stream(minutes_store(), stored, "minutes"),
        mimetype=minutes.MEDIA_TYPE,
        as_attachment=True,
        download_name=minutes.download_name(meeting),
        max_age=0,
    )


def send_scan(meeting):
    """The scanned paper minutes a chair attached."""
    if not meeting.scan:
        raise NotFound("this meeting has no scanned minutes")
    return send_file(
        _stream(scan_store(), meeting.scan, "scanned minutes"),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=meeting.scan["name"],
        max_age=0,
    )
