"""A final list's stored files, served to the API and to the pages by one function."""

import hashlib
import io

from flask import current_app, send_file
from werkzeug.exceptions import Gone, InternalServerError, NotFound

from workflow import lists
from workflow.errors import NotAllowedNow


def send_list_file(commendation_list, file_format):
    """The `file_format` file of a done list, as an attachment with its UTF-8 name.

    The caller has loaded the list through `workflow.lists.get_list` (the visibility check).
    The bytes sent are the bytes whose checksum was just compared with the snapshot's.
    """
    if file_format not in lists.FORMATS:
        raise NotFound(f"there is no {file_format!r} file of a list")
    if commendation_list.status != "done":
        raise NotAllowedNow(f"list {commendation_list.id} is {commendation_list.status}, not done")
    directory = lists.lists_dir(current_app.config, current_app.instance_path)
    path = lists.file_path(directory, commendation_list, file_format)
    try:
        content = path.read_bytes()
    except FileNotFoundError:
        current_app.logger.error("list %s: %s is missing", commendation_list.id, path)
        raise Gone("the file of this list is no longer stored") from None
    if hashlib.sha256(content).hexdigest() != commendation_list.files[file_format]["sha256"]:
        current_app.logger.error(
            "list %s: %s does not match its checksum", commendation_list.id, path
        )
        raise InternalServerError("the stored file does not match the list's checksum")
    # send_file writes filename*=UTF-8''… (RFC 5987) beside an ASCII fallback.
    return send_file(
        io.BytesIO(content),
        mimetype=lists.MEDIA_TYPES[file_format],
        as_attachment=True,
        download_name=lists.download_name(commendation_list, file_format),
        max_age=0,
    )
