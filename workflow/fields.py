"""Field rules shared by the JSON API and the CSV imports: types, lengths, NFC text, no control
characters."""

import datetime as dt
import re
import unicodedata
from functools import partial
from typing import Annotated

from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, BeforeValidator, EmailStr, Field, Strict, ValidationError

# What a paste or a file brings and nobody types: a word processor's line and page breaks (\v,
# \f), which are line breaks, and other control characters (an escape, a bell), which no page,
# worksheet or file name can show.
_BREAKS = {0x0B: "\n", 0x0C: "\n"}
CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")


def plain(value):
    """`value` NFC-normalised, with a word processor's breaks as line breaks."""
    return unicodedata.normalize("NFC", value).translate(_BREAKS)


def without_controls(value):
    """`value` with a word processor's breaks as line breaks and the other control characters
    dropped."""
    return CONTROL.sub("", value.translate(_BREAKS))


def clean_text(value, *, min_length, max_length, secret=False):
    """`value` `plain` and stripped; ValueError if it holds NUL or another control character
    (tabs and line breaks aside), or its length is out of bounds. A `secret` (a password) is
    only NFC-normalised and stripped, as it always was: what was hashed must match again."""
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    if secret:
        value = unicodedata.normalize("NFC", value).strip()
    else:
        value = plain(value).strip()
        if CONTROL.search(value):
            raise ValueError("must not contain control characters")
    if len(value) < min_length:
        raise ValueError(
            "must not be empty" if min_length == 1 else f"at least {min_length} characters"
        )
    if len(value) > max_length:
        raise ValueError(f"at most {max_length} characters")
    return value


def Text(max_length, min_length=1, secret=False):
    """A string, `clean_text`, of bounded length."""
    return Annotated[
        str,
        Strict(),
        AfterValidator(
            partial(clean_text, min_length=min_length, max_length=max_length, secret=secret)
        ),
    ]


def _iso_date(value):
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str):
        raise ValueError("must be a date written YYYY-MM-DD")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError("must be a date written YYYY-MM-DD") from None


def _year(value):
    if not 1900 <= value <= 2100:
        raise ValueError("must be between 1900 and 2100")
    return value


IsoDate = Annotated[dt.date, BeforeValidator(_iso_date)]
MAX_ID = 2**31 - 1  # the largest value an INTEGER primary key holds on every database we run
Id = Annotated[int, Strict(), Field(ge=1, le=MAX_ID)]
QueryId = Annotated[int, Field(ge=1, le=MAX_ID)]  # query strings arrive as text
Year = Annotated[int, Strict(), AfterValidator(_year)]
NOT_ASCII_ADDRESS = "must be written without diacritics before the @"


def sendable_address(address):
    """`address` as every mail server takes it: a domain with diacritics in its ASCII form
    ("an@bưuđiện.vn" → "an@xn--buin-1ua66gr30m.vn"); ValueError for diacritics before the @,
    which only a server that speaks SMTPUTF8 delivers (a notice to it could never be sent)."""
    if address.isascii():
        return address
    try:
        return validate_email(address, check_deliverability=False, allow_smtputf8=False).ascii_email
    except EmailNotValidError:
        raise ValueError(NOT_ASCII_ADDRESS) from None


Email = Annotated[
    EmailStr,
    AfterValidator(sendable_address),
    AfterValidator(lambda value: value if len(value) <= 254 else _too_long()),
]


_ID_TEXT = re.compile(r"[1-9][0-9]{0,9}")


def id_from_text(text):
    """The id that `text` (a JSON object's key, a form's value) spells in ASCII digits, as the
    app writes ids (no leading zero: "05" and "5" would name one id twice), within the range
    of an id; else None. (str.isdigit() also takes "²", which int() refuses, and has no bound
    on the length.)"""
    if isinstance(text, str) and _ID_TEXT.fullmatch(text) and 1 <= int(text) <= MAX_ID:
        return int(text)
    return None


def _too_long():
    raise ValueError("at most 254 characters")


def describe(item):
    """(field, message) for one item of a pydantic ValidationError."""
    field = ".".join(str(part) for part in item["loc"]) or "body"
    message = {
        "missing": "is required",
        "extra_forbidden": "is not a known field",
    }.get(item["type"], item["msg"].removeprefix("Value error, "))
    return field, message


def problems_from(error: ValidationError):
    """Every problem of a pydantic error as (field, message) pairs."""
    return [describe(item) for item in error.errors(include_url=False)]


def fold(text):
    """`text` as a search key: without diacritics (đ → d), case-folded, single-spaced.

    "Nguyễn  Văn ĐỨC" and "nguyen van duc" fold alike: the key people match names with when
    one of them typed without accents or in capitals (Đ and đ are letters of their own, not a
    d with a mark: folded by hand).
    """
    decomposed = unicodedata.normalize("NFD", text or "")
    bare = "".join(character for character in decomposed if not unicodedata.combining(character))
    return " ".join(bare.replace("đ", "d").replace("Đ", "D").casefold().split())
