"""A final list's stored files, served to the API and to the pages by one function, and the
check of a signed list's PDF."""

import datetime as dt

from flask import current_app, send_file
from werkzeug.exceptions import Gone, NotFound

from web.i18n import format_moment
from workflow import lists, signing
from workflow.errors import NotAllowedNow


def send_list_file(commendation_list, file_format):
    """The `file_format` file of a done list, streamed from disk as an attachment with its UTF-8
    name.

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
    directory = lists.lists_dir(current_app.config, current_app.instance_path)
    path = lists.file_path(directory, commendation_list, file_format)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        current_app.logger.error("list %s: %s is missing", commendation_list.id, path)
        raise Gone("the file of this list is no longer stored") from None
    if size != commendation_list.files[file_format]["size"]:
        current_app.logger.error("list %s: %s has changed size", commendation_list.id, path)
        raise Gone("the stored file no longer matches the list; it is not served")
    # send_file streams the file and writes filename*=UTF-8''… (RFC 5987) beside an ASCII
    # fallback.
    return send_file(
        path,
        mimetype=lists.MEDIA_TYPES[file_format],
        as_attachment=True,
        download_name=lists.download_name(commendation_list, file_format),
        max_age=0,
    )


def signature_of(commendation_list):
    """A signed list's signature as it stands now: {"signer", "signed_at", "valid", "problem"},
    the stored PDF checked again with pyHanko's validator (a changed byte fails it); None for a
    list that is not signed."""
    recorded = commendation_list.signature
    if not recorded:
        return None
    directory = lists.lists_dir(current_app.config, current_app.instance_path)
    try:
        with lists.file_path(directory, commendation_list, "pdf").open("rb") as stream:
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
