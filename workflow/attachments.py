"""Evidence files: type and size checked by content, bytes stored outside the web root."""

import hashlib
import re
import secrets
import unicodedata
from pathlib import PurePath

from sqlalchemy import select

from workflow import files, policy
from workflow.errors import Forbidden, Invalid, NotAllowedNow, NotFound
from workflow.models import Attachment, Nomination, utcnow
from workflow.services import EDITABLE_STATES, flush_or_conflict  # as the fields change

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


def add_attachment(session, nomination, actor, *, filename, data, store, max_bytes):
    """Store `data` as evidence for `nomination`; the caller commits.

    The file is staged in `store` and takes its key only when the transaction commits. The
    nomination's version moves too (UPDATE … WHERE version = the one read), so evidence cannot
    slip in beside a concurrent submit: one of the two gets StaleVersion.
    """
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
    attachment = Attachment(
        nomination=nomination,
        filename=clean_filename(filename, content_type),
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        storage_key=secrets.token_hex(16),
        uploaded_by_id=actor.id,
    )
    session.add(attachment)
    nomination.updated_at = utcnow()
    flush_or_conflict(session)
    files.stage(session, store, attachment.storage_key, data)
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


def open_file(attachment, store):
    """The evidence's bytes as a stream; FileNotFoundError when they are not stored."""
    return store.open(attachment.storage_key)


def remove_attachment(session, attachment, actor, *, store):
    """Remove evidence; its file is deleted once the transaction commits, and kept if not."""
    nomination: Nomination = attachment.nomination
    if not policy.can(actor, policy.EDIT, nomination):
        raise Forbidden("only a secretary of the nomination's cell may remove evidence")
    if nomination.state not in EDITABLE_STATES:
        raise NotAllowedNow(f"evidence cannot be removed in state {nomination.state}")
    session.delete(attachment)
    nomination.updated_at = utcnow()  # the version moves, as when evidence is added
    flush_or_conflict(session)
    files.remove_after_commit(session, store, attachment.storage_key)
