"""A final list's stored files, served to the API and to the pages by one function, and the
check of a signed list's PDF."""

import datetime as dt

from flask import current_app
from werkzeug.exceptions import Gone, NotFound

from web.downloads import send_stored
from web.i18n import format_moment
from web.storage import store
from workflow import files, lists, signing
from workflow.errors import NotAllowedNow


def send_list_file(commendation_list, file_format):
    """The `file_format` file of a done list, streamed from the lists' store as an attachment
    with its UTF-8 name and recorded checksum.

    The caller has loaded the list through `workflow.lists.get_list` (the visibility check).
    Checksums are compared when the file is written and by the daily audit, not on every
    download: a list the audit found altered or incomplete is refused (410), and so is a file
    that is gone or whose size is no longer the one written.
    """
    if file_format not in lists.FORMATS:
        raise NotFound(f"there is no {file_format!r} file of a list")
    if commendation_list.status != "done":
        raise NotAllowedNow(f"list {commendation_list.id} is {commendation_list.status}, not done")
    if commendation_list.audit_error:
        raise Gone(
            f"the stored files of this list failed the check of "
            f"{format_moment(commendation_list.audit_failed_at)} "
            f"({commendation_list.audit_error}); they are not served until an administrator "
            "restores them and the audit finds them whole"
        )
    recorded = commendation_list.files[file_format]
    return send_stored(
        store(files.LISTS),
        lists.file_key(commendation_list.id, file_format),
        size=recorded["size"],
        sha256=recorded["sha256"],
        mimetype=lists.MEDIA_TYPES[file_format],
        download_name=lists.download_name(commendation_list, file_format),
        what="file of this list",
        changed="the stored file no longer matches the list; it is not served",
    )


def signature_of(commendation_list):
    """A signed list's signature as it stands now: {"signer", "signed_at", "valid", "problem"},
    the stored PDF checked again with pyHanko's validator (a changed byte fails it); None for a
    list that is not signed."""
    recorded = commendation_list.signature
    if not recorded:
        return None
    try:
        with store(files.LISTS).open(lists.file_key(commendation_list.id, "pdf")) as stream:
            found = signing.verify_pdf(stream, signing.trust_roots(current_app.config))
    except OSError:
        found = signing.Verification(None, None, False, "the file is no longer stored")
    except signing.SigningError as error:
        found = signing.Verification(None, None, False, str(error))
    if found.valid and found.signer != recorded["signer"]:
        found = signing.Verification(found.signer, found.signed_at, False, "another signer")
    return {
        "signer": recorded["signer"],
        "signed_at": dt.datetime.fromisoformat(recorded["signed_at"]),
        "valid": found.valid,
        "problem": found.problem,
    }
