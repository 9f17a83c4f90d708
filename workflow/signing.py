"""Signed lists (ký số): a unit's key from the settings, the PAdES signature of a list's PDF with
its stamp in the signature block, and the check of a signed file with pyHanko's validator.

The keys live in the server's settings, never in the database: `SIGNING_KEYS` maps a key's name
to where it is and which units may sign with it, e.g.

    {"tinh-uy": {"units": ["PT"], "pkcs12": "/etc/commend/keys/pt.p12",
                 "password_env": "COMMEND_PT_P12_PASSWORD"},
     "token-ck": {"units": ["PT-CK"], "pkcs11_module": "/usr/lib/softhsm/libsofthsm2.so",
                  "token": "Huyen uy Cam Khe", "key": "ky-so", "pin_file": "/etc/commend/ck.pin"}}

A password or PIN comes from the environment variable `password_env` / `pin_env` names, or from
the file `password_file` / `pin_file` names. A unit's administrators choose, among the keys
that name their unit, the one its lists are signed with (unit_settings). `SIGNING_TRUST_ROOTS`
names a PEM file of the certificate authorities whose signatures count as valid.
"""

import datetime as dt
import functools
import io
import json
import logging
import os
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

log = logging.getLogger(__name__)
TIMEZONE = ZoneInfo("Asia/Ho_Chi_Minh")
FIELD_NAME = "ChuKySo"
# A stored PDF up to this size is checked in memory, a larger one from a temporary file.
SPOOL_BYTES = 16 << 20
# Fonts with Vietnamese glyphs for the visible stamp: Times New Roman's metrics first (Liberation
# 2, Debian's fonts-liberation2: the 1.x of fonts-liberation has no Vietnamese letters).
STAMP_FONTS = (
    "/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
)
PX_TO_PT = 0.75  # WeasyPrint places things in CSS pixels (1/96 in); PDF counts points (1/72 in)


class SigningError(Exception):
    """A key that cannot be used as configured; the message says what is wrong (never a
    secret)."""


@dataclass(frozen=True)
class Verification:
    """What checking a signed file found: who signed, when, and whether it verifies (intact,
    covering the whole file, by a certificate that chains to a trusted authority)."""

    signer: str | None
    signed_at: dt.datetime | None
    valid: bool
    problem: str | None = None


def configured_keys(config):
    """{name: key} from SIGNING_KEYS (a mapping, or its JSON text from the environment)."""
    keys = config.get("SIGNING_KEYS") or {}
    if isinstance(keys, str):
        try:
            keys = json.loads(keys)
        except ValueError:
            raise SigningError("SIGNING_KEYS is not valid JSON") from None
    if not isinstance(keys, dict) or not all(isinstance(key, dict) for key in keys.values()):
        raise SigningError("SIGNING_KEYS must map key names to objects")
    return keys


def keys_for(config, unit):
    """The names of the keys `unit` may sign with, sorted; none while SIGNING_KEYS cannot be
    read (logged: the operator's to mend; signing with a key says why it cannot)."""
    try:
        keys = configured_keys(config)
    except SigningError:
        log.exception("SIGNING_KEYS cannot be read; no unit can choose a signing key")
        return []
    return sorted(name for name, key in keys.items() if unit.code in key.get("units", ()))


def _secret(key, name, what):
    """A password or PIN, from the environment variable or the file the key names."""
    if key.get(f"{what}_env"):
        value = os.environ.get(key[f"{what}_env"])
        if value is None:
            raise SigningError(f"key {name}: the variable {key[f'{what}_env']} is not set")
        return value
    if key.get(f"{what}_file"):
        try:
            return Path(key[f"{what}_file"]).read_text(encoding="utf-8").strip()
        except OSError as error:
            raise SigningError(
                f"key {name}: its {what} file is unreadable ({error.strerror})"
            ) from None
    return None


@contextmanager
def open_signer(config, name):
    """The pyHanko signer of the key `name`, open for as long as the block runs."""
    from pyhanko.sign import signers

    key = configured_keys(config).get(name)
    if key is None:
        raise SigningError(f"no signing key named {name!r} in SIGNING_KEYS")
    if key.get("pkcs12"):
        password = _secret(key, name, "password")
        signer = signers.SimpleSigner.load_pkcs12(
            key["pkcs12"], passphrase=password.encode() if password is not None else None
        )
        if signer is None:  # pyHanko logs why and answers None
            raise SigningError(f"key {name}: the PKCS#12 file cannot be opened with its password")
        yield signer
    elif key.get("pkcs11_module"):
        from pyhanko.config.pkcs11 import TokenCriteria
        from pyhanko.sign import pkcs11

        pin = _secret(key, name, "pin")
        try:
            session = pkcs11.open_pkcs11_session(
                key["pkcs11_module"],
                token_criteria=TokenCriteria(label=key.get("token")),
                user_pin=pin,
            )
        except Exception as error:  # the token library's own errors: name them, no secret
            raise SigningError(
                f"key {name}: the PKCS#11 token cannot be opened ({error!r})"
            ) from None
        try:
            yield pkcs11.PKCS11Signer(
                session,
                key_label=key.get("key"),
                cert_label=key.get("cert", key.get("key")),
                # Tokens without hash-and-sign mechanisms (ECDSA on SoftHSM): hash here.
                use_raw_mechanism=bool(key.get("raw_mechanism")),
            )
        finally:
            session.close()
    else:
        raise SigningError(f"key {name}: give either pkcs12 or pkcs11_module")


def common_name(certificate):
    """The signer as its certificate names it (asn1crypto certificate)."""
    subject = certificate.subject.native
    return subject.get("common_name") or certificate.subject.human_friendly


def box_of(anchor, page_height):
    """A PDF rectangle (points, from the bottom left) for a WeasyPrint anchor box (CSS pixels,
    from the top left: x1, y1, x2, y2)."""
    x1, y1, x2, y2 = anchor
    height = page_height * PX_TO_PT
    return (x1 * PX_TO_PT, height - y2 * PX_TO_PT, x2 * PX_TO_PT, height - y1 * PX_TO_PT)


def sign_pdf(source, output, signer, *, page, box, unit_name, location, now=None):
    """Sign the PDF read from `source` into `output` (PAdES baseline, SHA-256), with a visible
    stamp in `box` on page `page` (0-based) naming the signer, the unit and the time."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.text import TextBoxStyle
    from pyhanko.sign import fields, signers
    from pyhanko.stamp import TextStampStyle

    moment = (now or dt.datetime.now(dt.UTC)).astimezone(TIMEZONE)
    signer_name = common_name(signer.signing_cert)
    # The unit's own certificate names the unit: it is said once.
    lines = ["Ký bởi: %(signer)s", "%(unit)s", "Thời gian ký: %(when)s"]
    if signer_name == unit_name:
        lines.remove("%(unit)s")
    style = TextStampStyle(
        stamp_text="\n".join(lines),
        text_box_style=TextBoxStyle(font=_stamp_font(), font_size=8),
        border_width=0,
    )
    metadata = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME,
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        reason=f"Ký ban hành văn bản của {unit_name}",
        location=location,
    )
    pdf_signer = signers.PdfSigner(
        metadata,
        signer=signer,
        stamp_style=style,
        new_field_spec=fields.SigFieldSpec(sig_field_name=FIELD_NAME, on_page=page, box=box),
    )
    pdf_signer.sign_pdf(
        IncrementalPdfFileWriter(source),
        output=output,
        appearance_text_params={
            "signer": signer_name,
            "unit": unit_name,
            "when": moment.strftime("%d/%m/%Y %H:%M:%S"),
        },
    )


def _stamp_font():
    from pyhanko.pdf_utils.font.opentype import GlyphAccumulator, GlyphAccumulatorFactory

    class FontFromBytes(GlyphAccumulatorFactory):
        """pyHanko's factory, given the font at 1,000 units per em (see _font_bytes), its file
        read whole and closed at once."""

        def create_font_engine(self, writer, obj_stream=None):
            if obj_stream is None and writer.stream_xrefs and self.create_objstream_if_needed:
                obj_stream = writer.prepare_object_stream()
            return GlyphAccumulator(
                writer=writer,
                font_handle=io.BytesIO(_font_bytes(self.font_file)),
                font_size=self.font_size,
                ot_script_tag=self.ot_script_tag,
                ot_language_tag=self.ot_language_tag,
                writing_direction=self.writing_direction,
                bcp47_lang_code=self.bcp47_lang_code,
                obj_stream=obj_stream,
            )

    font = next((path for path in STAMP_FONTS if Path(path).is_file()), None)
    if font is None:
        raise SigningError("no font with Vietnamese letters for the stamp: fonts-liberation2")
    return FontFromBytes(font)


@functools.cache
def _font_bytes(path):
    """The font scaled to 1,000 units per em: pyHanko writes a stamp's glyph widths and kerning
    as if every font had 1,000, and TrueType fonts such as Liberation have 2,048 (the letters
    would stand twice as far apart)."""
    from fontTools.ttLib import TTFont
    from fontTools.ttLib.scaleUpem import scale_upem

    font = TTFont(path)
    if font["head"].unitsPerEm != 1000:
        scale_upem(font, 1000)
    scaled = io.BytesIO()
    font.save(scaled)
    font.close()
    return scaled.getvalue()


def trust_roots(config):
    """The certificates of the authorities named by SIGNING_TRUST_ROOTS (a PEM file)."""
    from pyhanko.keys import load_certs_from_pemder

    path = config.get("SIGNING_TRUST_ROOTS")
    if not path:
        return []
    try:
        return list(load_certs_from_pemder([path]))
    except (OSError, ValueError) as error:
        raise SigningError(f"SIGNING_TRUST_ROOTS cannot be read: {error}") from None


def verify_pdf(stream, roots):
    """Check the one signature of the PDF in `stream` against the trusted `roots`. The reader
    seeks, so a stream from a store that reads straight through (the database, S3) is copied to
    a spooled temporary file first."""
    if not stream.seekable():
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as copy:
            shutil.copyfileobj(stream, copy, 1 << 20)
            copy.seek(0)
            return verify_pdf(copy, roots)
    from pyhanko.pdf_utils.misc import PdfReadError
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.errors import SignatureValidationError
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    try:
        signatures = PdfFileReader(stream, strict=False).embedded_signatures
    except Exception as error:  # whatever a damaged file makes the reader raise: not valid
        return Verification(None, None, False, f"the file is not a readable PDF ({error!r})")
    if len(signatures) != 1:
        return Verification(None, None, False, f"{len(signatures)} signatures instead of one")
    context = ValidationContext(
        trust_roots=roots, allow_fetching=False, revocation_mode="soft-fail"
    )
    try:
        status = validate_pdf_signature(signatures[0], context)
    except (SignatureValidationError, PdfReadError, ValueError) as error:
        return Verification(None, None, False, f"the signature cannot be checked ({error})")
    except Exception as error:  # a damaged file may break the validator anywhere: not valid
        return Verification(None, None, False, f"the signature cannot be checked ({error!r})")
    signer = common_name(status.signing_cert) if status.signing_cert is not None else None
    if not status.intact or not status.valid:
        problem = "the file was changed after it was signed"
    elif status.coverage != SignatureCoverageLevel.ENTIRE_FILE:
        problem = "the signature does not cover the whole file"
    elif not status.trusted:
        problem = "the certificate does not chain to a trusted authority"
    else:
        problem = None
    return Verification(signer, status.signer_reported_dt, problem is None, problem)
