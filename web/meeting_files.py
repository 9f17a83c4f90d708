"""A meeting's files — the minutes written after its close and the scanned paper minutes —
served to the API and to the pages by one function each."""

from flask import current_app, send_file
from werkzeug.exceptions import Gone

from workflow import files, minutes
from workflow.errors import NotFound


def scan_store():
    """Scanned minutes are kept beside the evidence files."""
    return files.LocalStore(current_app.config["ATTACHMENTS_DIR"])


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
