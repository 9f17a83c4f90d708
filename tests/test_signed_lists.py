"""Signed lists (ký số): a unit's settings, its PKCS#12 key from the server's settings, the PAdES
signature of the list's PDF checked with pyHanko's validator, and a changed byte that fails it."""

import hashlib
import io
from functools import partial
from pathlib import Path

import pytest
from conftest import service_missing
from list_files import build_campaign, pdf_text
from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from signing_ca import TestCA
from sqlalchemy import select

from workflow import files as stored_files
from workflow import lists, unit_settings
from workflow.models import CommendationList, StoredFile, StoredFileChunk

PASSWORD = "mật-khẩu-ký-số"
PASSWORD_VARIABLE = "COMMEND_TEST_P12_PASSWORD"


@pytest.fixture
def signing_keys(app, tmp_path, monkeypatch, dispatching):
    """Cẩm Khê's key (PKCS#12, its password in the environment) and the trusted root."""
    authority = TestCA()
    roots = authority.write_root(tmp_path / "roots.pem")
    key_file = authority.write_pkcs12(tmp_path / "cam-khe.p12", "Huyện ủy Cẩm Khê", PASSWORD)
    monkeypatch.setenv(PASSWORD_VARIABLE, PASSWORD)
    keys = {
        "cam-khe": {"units": ["D1"], "pkcs12": str(key_file), "password_env": PASSWORD_VARIABLE}
    }
    monkeypatch.setitem(app.config, "SIGNING_KEYS", keys)
    monkeypatch.setitem(app.config, "SIGNING_TRUST_ROOTS", str(roots))
    return {"roots": roots, "key_file": key_file, "authority": authority}


def _settings(client, auth, username, code, **body):
    if body:
        return client.put(f"/api/v1/units/{code}/settings", json=body, headers=auth(username))
    return client.get(f"/api/v1/units/{code}/settings", headers=auth(username))


def test_a_units_settings_are_kept_by_its_administrators(
    client, world, auth, db_session, signing_keys
):
    db_session.commit()
    read = _settings(client, auth, "rev_d1", "D1")
    assert read.status_code == 200
    assert read.json == {
        "unit_code": "D1",
        "signer_title": "secretary",
        "signer_name": None,
        "signing_key": None,
        "signing_keys": ["cam-khe"],
        "updated_at": None,
    }
    body = {
        "signer_title": "deputy_secretary",
        "signer_name": "Trần Thị Lan",
        "signing_key": "cam-khe",
    }
    assert _settings(client, auth, "rev_d1", "D1", **body).status_code == 403
    saved = _settings(client, auth, "adm_d1", "D1", **body)
    assert saved.status_code == 200, saved.json
    assert saved.json["signer_name"] == "Trần Thị Lan"
    assert saved.json["signing_key"] == "cam-khe"

    refused = _settings(client, auth, "adm_p", "D1", signing_key="tinh-uy")
    assert refused.status_code == 422
    assert refused.json["errors"][0]["field"] == "signing_key"
    # A key names the units it may sign for: Cẩm Khê's is not Tiên Lương's.
    assert _settings(client, auth, "adm_d1", "C1", signing_key="cam-khe").status_code == 422
    assert _settings(client, auth, "adm_d1", "K1", signer_name="A").status_code == 422  # a cell
    assert _settings(client, auth, "adm_d1", "D2", signer_name="A").status_code == 404
    assert _settings(client, auth, "adm_p", "D1", signer_title="boss").status_code == 422
    assert _settings(client, auth, "adm_p", "D1", password="x").status_code == 422


def _produce(client, auth, db_session, world):
    build_campaign(world)
    db_session.commit()
    response = client.post(
        f"/api/v1/campaigns/{world.campaign.id}/lists",
        json={"unit_code": "D1"},
        headers=auth("rev_d1"),
    )
    assert response.status_code == 202, response.json
    return response.json["id"]


def _validate(content, roots):
    context = ValidationContext(
        trust_roots=[load_cert_from_pemder(str(roots))],
        allow_fetching=False,
        revocation_mode="soft-fail",
    )
    [signature] = PdfFileReader(io.BytesIO(content)).embedded_signatures
    return validate_pdf_signature(signature, context)


def test_a_signed_list_verifies_and_a_changed_byte_does_not(
    app, client, web, world, auth, db_session, signing_keys, tmp_path
):
    unit_settings.update_settings(
        db_session,
        world.users["adm_d1"],
        world.units["D1"],
        signer_title="deputy_secretary",
        signer_name="Trần Thị Lan",
        signing_key="cam-khe",
        keys=["cam-khe"],
    )
    list_id = _produce(client, auth, db_session, world)
    shown = client.get(f"/api/v1/lists/{list_id}", headers=auth("rev_d1")).json
    assert shown["status"] == "done"
    signature = shown["signature"]
    assert signature["signer"] == "Huyện ủy Cẩm Khê"
    assert signature["valid"] is True
    assert signature["signed_at"]

    with client.get(shown["files"]["pdf"], headers=auth("rev_d1")) as download:
        content = download.data
    stored = db_session.get(CommendationList, list_id)
    db_session.refresh(stored)
    # The checksum covers the signed file, as stored and served.
    assert hashlib.sha256(content).hexdigest() == stored.files["pdf"]["sha256"]
    status = _validate(content, signing_keys["roots"])
    assert status.bottom_line
    assert status.intact
    assert status.valid
    assert status.trusted
    assert status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    assert status.signing_cert.subject.native["common_name"] == "Huyện ủy Cẩm Khê"

    # The stamp sits in the signature block: under the title, above the signer's name.
    text = pdf_text(content, tmp_path)
    if text is None:
        service_missing("pdftotext (poppler-utils) is not installed")
    last_page = text.split("\f")[-2] if text.endswith("\f") else text.split("\f")[-1]
    for words in ("T/M BAN THƯỜNG VỤ", "PHÓ BÍ THƯ", "Ký bởi: Huyện ủy Cẩm Khê", "Trần Thị Lan"):
        assert words in last_page, words
    assert (
        last_page.index("PHÓ BÍ THƯ")
        < last_page.index("Ký bởi: Huyện ủy Cẩm Khê")
        < last_page.index("Trần Thị Lan")
    )

    web.login("rev_d1")
    page = web.get(f"/lists/{list_id}").text
    assert "Chữ ký số" in page
    assert 'data-field="signer">Huyện ủy Cẩm Khê<' in page
    assert "Chữ ký hợp lệ" in page

    # One byte changed in the stored file: the signature no longer verifies, anywhere.
    path = stored_files.LocalStore(app.config["LISTS_DIR"]).path(lists.file_key(stored.id, "pdf"))
    changed = bytearray(content)
    changed[len(changed) // 3] ^= 0x01
    path.write_bytes(bytes(changed))
    assert not _validate(bytes(changed), signing_keys["roots"]).bottom_line
    shown = client.get(f"/api/v1/lists/{list_id}", headers=auth("rev_d1")).json
    assert shown["signature"]["valid"] is False
    assert shown["signature"]["signer"] == "Huyện ủy Cẩm Khê"
    assert "Chữ ký không hợp lệ" in web.get(f"/lists/{list_id}").text


def test_a_signed_list_in_the_database_store_verifies_from_there(
    app, client, world, auth, db_session, signing_keys, monkeypatch
):
    """STORAGE_URL=database: the list is signed, stored in blocks, read back through a stream
    that does not seek, and verified; a changed byte in the stored blocks fails the check."""
    monkeypatch.setitem(app.config, "STORAGE_URL", "database")
    unit_settings.update_settings(
        db_session,
        world.users["adm_d1"],
        world.units["D1"],
        signer_title="secretary",
        signer_name="Nguyễn Văn Hùng",
        signing_key="cam-khe",
        keys=["cam-khe"],
    )
    list_id = _produce(client, auth, db_session, world)
    shown = client.get(f"/api/v1/lists/{list_id}", headers=auth("rev_d1")).json
    assert shown["status"] == "done", shown
    assert shown["signature"]["valid"] is True
    key = f"lists/{lists.file_key(list_id, 'pdf')}"
    stored = db_session.scalar(select(StoredFile).where(StoredFile.key == key))
    assert stored is not None  # the PDF is in the database, not in a folder
    block = db_session.scalar(
        select(StoredFileChunk).where(StoredFileChunk.file_id == stored.id).limit(1)
    )
    changed = bytearray(block.data)
    changed[len(changed) // 3] ^= 0x01
    block.data = bytes(changed)
    db_session.commit()
    shown = client.get(f"/api/v1/lists/{list_id}", headers=auth("rev_d1")).json
    assert shown["signature"]["valid"] is False


def test_a_list_of_a_unit_without_a_key_is_not_signed(client, world, auth, db_session, dispatching):
    list_id = _produce(client, auth, db_session, world)
    shown = client.get(f"/api/v1/lists/{list_id}", headers=auth("rev_d1")).json
    assert shown["status"] == "done"
    assert shown["signature"] is None


@pytest.mark.parametrize("fault", ["untrusted", "no password", "wrong password"])
def test_a_list_that_cannot_be_signed_as_configured_fails(
    app, client, world, auth, db_session, signing_keys, monkeypatch, tmp_path, fault
):
    """A unit that signs its lists gets none unsigned or unverifiable: the list fails, saying
    why, and never with the secret."""
    if fault == "untrusted":
        other = TestCA("Another Root").write_root(tmp_path / "other.pem")
        monkeypatch.setitem(app.config, "SIGNING_TRUST_ROOTS", str(other))
    elif fault == "no password":
        monkeypatch.delenv(PASSWORD_VARIABLE)
    else:
        monkeypatch.setenv(PASSWORD_VARIABLE, "sai")
    unit_settings.update_settings(
        db_session,
        world.users["adm_p"],
        world.units["D1"],
        signer_title="secretary",
        signer_name=None,
        signing_key="cam-khe",
        keys=["cam-khe"],
    )
    list_id = _produce(client, auth, db_session, world)
    made = db_session.get(CommendationList, list_id)
    db_session.refresh(made)
    assert made.status == "failed"
    expected = {
        "untrusted": "does not chain to a trusted authority",
        "no password": f"the variable {PASSWORD_VARIABLE} is not set",
        "wrong password": "cannot be opened with its password",
    }[fault]
    assert expected in made.error
    assert PASSWORD not in made.error
    assert made.signature is None


SOFTHSM_MODULE = "/usr/lib/softhsm/libsofthsm2.so"


def _softhsm_token(tmp_path, monkeypatch, authority, *, label, pin):
    """A SoftHSM token of the test's own holding a unit's key and certificate, as a hardware
    token would (Debian's softhsm2)."""
    import shutil
    import subprocess

    from cryptography.hazmat.primitives import serialization

    tool = shutil.which("softhsm2-util")
    if tool is None or not Path(SOFTHSM_MODULE).exists():
        service_missing("SoftHSM is not installed (apt-get install -y softhsm2)")
    tokens = tmp_path / "tokens"
    tokens.mkdir()
    config = tmp_path / "softhsm2.conf"
    config.write_text(f"directories.tokendir = {tokens}\nobjectstore.backend = file\n")
    monkeypatch.setenv("SOFTHSM2_CONF", str(config))
    run = partial(subprocess.run, check=True, capture_output=True)
    run([tool, "--init-token", "--free", "--label", label, "--pin", pin, "--so-pin", "0" + pin])
    key, certificate = authority.issue("Tỉnh ủy Phú Thọ")
    key_file = tmp_path / "key.pem"
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    run([tool, "--import", str(key_file), "--token", label, "--label", "ky-so", "--id", "01",
         "--pin", pin])  # fmt: skip
    key_file.unlink()
    import pkcs11
    from pkcs11 import Attribute, CertificateType, ObjectClass

    token = pkcs11.lib(SOFTHSM_MODULE).get_token(token_label=label)
    with token.open(rw=True, user_pin=pin) as session:
        session.create_object(
            {
                Attribute.CLASS: ObjectClass.CERTIFICATE,
                Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
                Attribute.TOKEN: True,
                Attribute.LABEL: "ky-so",
                Attribute.ID: b"\x01",
                Attribute.SUBJECT: certificate.subject.public_bytes(),
                Attribute.VALUE: certificate.public_bytes(serialization.Encoding.DER),
            }
        )


def test_a_list_is_signed_with_a_pkcs11_token_named_in_the_settings(
    app, client, world, auth, db_session, signing_keys, monkeypatch, tmp_path
):
    _softhsm_token(
        tmp_path, monkeypatch, signing_keys["authority"], label="Tinh uy Phu Tho", pin="246810"
    )
    pin_file = tmp_path / "pt.pin"
    pin_file.write_text("246810\n")
    keys = {
        "tinh-uy": {
            "units": ["P"],
            "pkcs11_module": SOFTHSM_MODULE,
            "token": "Tinh uy Phu Tho",
            "key": "ky-so",
            "pin_file": str(pin_file),
            "raw_mechanism": True,  # SoftHSM signs ECDSA only on a digest made outside it
        }
    }
    monkeypatch.setitem(app.config, "SIGNING_KEYS", keys)
    db_session.commit()
    saved = _settings(
        client, auth, "adm_p", "P", signer_name="Nguyễn Văn Hùng", signing_key="tinh-uy"
    )
    assert saved.status_code == 200, saved.json
    nomination = world.nominate(cell="K1", target="province", nominee_name="Hà Văn Sáu")
    for username, action in (("sec_k1", "submit"), ("rev_c1", "approve"), ("rev_d1", "approve")):
        world.act(nomination, username, action)
    world.act(nomination, "rev_p", "approve")
    assert nomination.recognized_level == "province"
    db_session.commit()
    response = client.post(
        f"/api/v1/campaigns/{world.campaign.id}/lists",
        json={"unit_code": "P"},
        headers=auth("adm_p"),
    )
    assert response.status_code == 202, response.json
    shown = client.get(f"/api/v1/lists/{response.json['id']}", headers=auth("adm_p")).json
    assert shown["status"] == "done"
    assert shown["signature"]["signer"] == "Tỉnh ủy Phú Thọ"
    assert shown["signature"]["valid"] is True
    with client.get(shown["files"]["pdf"], headers=auth("adm_p")) as download:
        content = download.data
    assert _validate(content, signing_keys["roots"]).bottom_line


@pytest.mark.parametrize(
    ("username", "status"),
    [
        ("adm_p", 200),  # an administrator above the unit
        ("adm_d1", 200),  # the unit's own administrator
        ("rev_p", 403),  # sees the unit, keeps nothing
        ("rev_d1", 403),  # the unit's reviewer issues its lists, does not keep its settings
        ("rev_c1", 404),  # below the unit: it lies outside their subtree
        ("sec_k1", 404),
        ("rev_d2", 404),  # another district
    ],
)
def test_who_keeps_a_units_settings(client, world, auth, db_session, username, status):
    db_session.commit()
    answer = _settings(client, auth, username, "D1", signer_name="Trần Thị Lan")
    assert answer.status_code == status, answer.json
    read = _settings(client, auth, username, "D1")
    assert read.status_code == (404 if status == 404 else 200)


def test_unreadable_signing_keys_leave_no_key_to_choose(app, client, world, auth, monkeypatch):
    monkeypatch.setitem(app.config, "SIGNING_KEYS", "{not json")
    read = _settings(client, auth, "adm_p", "D1")
    assert read.status_code == 200
    assert read.json["signing_keys"] == []
    assert _settings(client, auth, "adm_p", "D1", signing_key="x").status_code == 422
