"""Evidence files: type and size checked by content, bytes stored outside the web root."""

import hashlib
import re
import secrets
import unicodedata
from pathlib import Path, PurePath

from sqlalchemy import select

from workflow import policy
from workflow.errors import Forbidden, Invalid, NotAllowedNow, NotFound
from workflow.models import Attachment, Nomination
from workflow.services import EDITABLE_STATES  # evidence changes while the fields may

# The first bytes of each accepted format; the declared type and the file name are not trusted.
MAGIC = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)


def sniff(data):
    """The content type the bytes really hold, or None when it is not an accepted format."""
    return next((kind for magic, kind in MAGIC if data.startswith(magic)), None)


# The extension a stored file takes from the type its bytes hold, and the spellings it replaces.
EXTENSIONS = {"application/pdf": ".pdf", "image/png": ".png", "image/jpeg": ".jpg"}
SPELLINGS = {".pdf": {".pdf"}, ".png": {".png"}, ".jpg": {".jpg", ".jpeg", ".jpe"}}
# What reads as an extension: a dot, a letter, then up to seven letters or digits (".html",
# ".php5"); "Biên bản 12.5.2024" has none.
EXTENSION_LIKE = re.compile(r"\.[A-Za-z][A-Za-z0-9]{0,7}")
MAX_NAME = 200
FALLBACK_NAME = "tep-dinh-kem"


def clean_filename(filename, content_type):
    """The stored and downloaded name: no directories, no control characters, bounded length,
    and the extension of the type the bytes really hold — `poly.html` holding a PNG is
    `poly.png`, `scan.PDF` is `scan.pdf`, and a name without an extension gets one."""
    extension = EXTENSIONS[content_type]
    name = PurePath(unicodedata.normalize("NFC", filename or "").replace("\\", "/")).name
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    stem, dot, suffix = name.rpartition(".")
    if dot and EXTENSION_LIKE.fullmatch(dot + suffix):
        name = stem  # the uploader's extension, whatever it claimed
        # "scan.pdf.exe" and "poly.png.html" keep one extension, not two.
        stem, dot, suffix = name.rpartition(".")
        if dot and (dot + suffix).lower() in SPELLINGS[extension]:
            name = stem
    # No leading dot (a hidden file once saved) and no trailing dots or spaces (Windows).
    name = name.strip(" .")[: MAX_NAME - len(extension)].rstrip(" .")
    return (name or FALLBACK_NAME) + extension


def download_name(attachment):
    """The name to save evidence under; older rows kept the uploader's name, so it is derived
    again from the detected type."""
    return clean_filename(attachment.filename, attachment.content_type)


def add_attachment(session, nomination, actor, *, filename, data, directory, max_bytes):
    """Store `data` as evidence for `nomination`; the caller commits."""
    if not policy.can(actor, policy.EDIT, nomination):
        raise Forbidden("only a secretary of the nomination's cell may attach evidence")
    if nomination.state not in EDITABLE_STATES:
        raise NotAllowedNow(f"evidence cannot be attached in state {nomination.state}")
    if not data:
        raise Invalid("file", "the file is empty")
    if len(data) > max_bytes:
        raise Invalid("file", f"the file is larger than {max_bytes} bytes")
    content_type = sniff(data)
    if content_type is None:
        raise Invalid("file", "only PDF, JPEG and PNG files are accepted")
    storage_key = secrets.token_hex(16)
    path = Path(directory) / storage_key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    attachment = Attachment(
        nomination=nomination,
        filename=clean_filename(filename, content_type),
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        storage_key=storage_key,
        uploaded_by_id=actor.id,
    )
    session.add(attachment)
    try:
        session.flush()
    except Exception:
        path.unlink(missing_ok=True)
        raise
    return attachment


def attachments_of(session, nomination):
    return session.scalars(
        select(Attachment).where(Attachment.nomination_id == nomination.id).order_by(Attachment.id)
    ).all()


def get_attachment(session, actor, nomination_id, attachment_id):
    """The attachment if its nomination is visible to the actor, else NotFound."""
    attachment = session.get(Attachment, attachment_id)
    if (
        attachment is None
        or attachment.nomination_id != nomination_id
        or not policy.can_download(actor, attachment)
    ):
        raise NotFound(f"attachment {attachment_id} not found")
    return attachment


def file_of(attachment, directory):
    return Path(directory) / attachment.storage_key


def remove_attachment(session, attachment, actor, *, directory):
    nomination: Nomination = attachment.nomination
    if not policy.can(actor, policy.EDIT, nomination):
        raise Forbidden("only a secretary of the nomination's cell may remove evidence")
    if nomination.state not in EDITABLE_STATES:
        raise NotAllowedNow(f"evidence cannot be removed in state {nomination.state}")
    session.delete(attachment)
    session.flush()
    file_of(attachment, directory).unlink(missing_ok=True)
