"""Stored files sent as downloads, from whichever store keeps them: streamed in blocks, with the
checksum recorded when they were written and their UTF-8 name."""

import base64
import unicodedata
from urllib.parse import quote

from flask import current_app, request, send_file, stream_with_context
from werkzeug.exceptions import Gone, ServiceUnavailable
from werkzeug.http import parse_options_header

# RFC 5987's attr-char, as Werkzeug quotes a UTF-8 file name.
ATTR_CHARS = "!#$&+-.^_`|~"


def init_app(app):
    app.after_request(with_ascii_name)


def ascii_name(name):
    """`name` as ASCII, for the clients that do not read a UTF-8 file name: its marks dropped,
    and Đ and đ written D and d (letters of their own to Unicode, which Werkzeug's fallback
    drops: "Đảng ủy xã Đồng Hội" became "ang uy xa ong Hoi")."""
    decomposed = unicodedata.normalize("NFKD", name.replace("Đ", "D").replace("đ", "d"))
    return decomposed.encode("ascii", "ignore").decode("ascii")


def with_ascii_name(response):
    """Every download named in UTF-8 (`filename*`) gets its ASCII `filename` from `ascii_name`."""
    disposition = response.headers.get("Content-Disposition")
    if disposition and "filename*=" in disposition:
        kind, parameters = parse_options_header(disposition)
        name = parameters["filename"]  # read from filename*, as RFC 6266 prefers it
        response.headers.set(
            "Content-Disposition",
            kind,
            filename=ascii_name(name),
            **{"filename*": f"UTF-8''{quote(name, safe=ATTR_CHARS)}"},
        )
    return response


def file_name(name):
    """`name` as a download may be called (Content-Disposition): what is not printable becomes a
    space (a line break in a unit's name; a bidi override, which can make "…gpj.exe.pdf" read
    as "…fdp.exe.jpg"), runs of spaces one, and path separators dashes."""
    shown = "".join(character if character.isprintable() else " " for character in name)
    return " ".join(shown.replace("/", "-").replace("\\", "-").split())


def send_stored(store, key, *, size, sha256, mimetype, download_name, what, changed=None):
    """The file under `key` in `store` as an attachment named `download_name`.

    `size` and `sha256` are what was recorded when it was written. The answer carries the
    checksum as its ETag (a client holding it gets 304) and as `Repr-Digest` (RFC 9530), and
    its length. A file that is gone, or whose size is no longer the one written, is refused
    (410); checksums are compared when a file is written and by the audit, not on every
    download. A store that does not answer is a 503.
    """
    try:
        stream = store.open(key)
    except FileNotFoundError:
        current_app.logger.error("%s: %s is missing from %r", what, key, store)
        raise Gone(f"the {what} is no longer stored") from None
    except OSError:
        current_app.logger.exception("%s: %s could not be read from %r", what, key, store)
        raise ServiceUnavailable("the file store does not answer; try again later") from None
    if stream.size != size:
        stream.close()
        current_app.logger.error("%s: %s has changed size in %r", what, key, store)
        raise Gone(
            changed or f"the stored {what} no longer matches what was written; it is not served"
        )
    response = send_file(
        stream,
        mimetype=mimetype,
        as_attachment=True,  # filename*=UTF-8''… (RFC 5987) beside an ASCII fallback
        download_name=file_name(download_name),
        etag=sha256,
        max_age=0,
        conditional=False,
    )
    response.content_length = size
    digest = base64.b64encode(bytes.fromhex(sha256)).decode("ascii")
    response.headers["Repr-Digest"] = f"sha-256=:{digest}:"
    response.make_conditional(request)
    if response.status_code == 304 or request.method == "HEAD":
        stream.close()
        response.response = []
        return response
    # Blocks are read while the answer is sent, after the view has returned: the app context
    # (and with it a database store's session) stays until the last one.
    response.response = stream_with_context(response.response)
    return response
