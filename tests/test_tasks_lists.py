"""Final commendation lists in-process: rights, numbering, the snapshot and its three files."""

import hashlib
import io

import pytest
from conftest import service_missing
from list_files import build_campaign, check_csv, check_pdf, check_xlsx, pdf_text, recognise
from openpyxl import load_workbook

from workflow import policy
from workflow.models import CommendationList, OutboxMessage


@pytest.fixture
def lists_here(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "OUTBOX_DISPATCH_ON_COMMIT", True)
    monkeypatch.setitem(app.config, "MAIL_DIR", str(tmp_path / "mail"))
    monkeypatch.setitem(app.config, "LISTS_DIR", str(tmp_path / "lists"))
    monkeypatch.setitem(app.config, "SMTP_URL", None)
    return tmp_path


def _request(client, auth, username, unit_code, campaign_id):
    return client.post(
        f"/api/v1/campaigns/{campaign_id}/lists",
        json={"unit_code": unit_code},
        headers=auth(username),
    )


def test_list_holds_exactly_the_recognised_rows(client, world, auth, lists_here, db_session):
    expected = build_campaign(world)
    db_session.commit()
    response = _request(client, auth, "rev_d1", "D1", world.campaign.id)
    assert response.status_code == 202, response.json
    assert response.json["status"] == "pending"
    list_id = response.json["id"]

    shown = client.get(f"/api/v1/lists/{list_id}", headers=auth("rev_d1"))
    assert shown.status_code == 200
    assert shown.json["status"] == "done"
    assert shown.json["count"] == 3
    assert shown.json["number"] == "01-DS/HU"
    files = shown.json["files"]
    assert set(files) == {"pdf", "xlsx", "csv"}

    downloads = {}
    for file_format, url in files.items():
        with client.get(url, headers=auth("adm_p")) as download:
            assert download.status_code == 200
            disposition = download.headers["Content-Disposition"]
            assert "filename*=UTF-8''Danh%20s%C3%A1ch%2001-DS-HU%20Huy%E1%BB%87n" in disposition
            downloads[file_format] = download.data

    stored = db_session.get(CommendationList, list_id)
    db_session.refresh(stored)
    for file_format, content in downloads.items():
        assert stored.files[file_format]["sha256"] == hashlib.sha256(content).hexdigest()
    assert stored.rows[0]["nominee_name"] == "Tổ hòa giải thôn Đồng Hội"
    check_xlsx(downloads["xlsx"], expected)
    check_csv(downloads["csv"], expected)
    text = pdf_text(downloads["pdf"], lists_here)
    if text is None:
        service_missing("pdftotext (poppler-utils) is not installed")
    check_pdf(text, "01-DS/HU")

    # The requester's notice (the secretaries of the cells on the list have theirs).
    ready = (
        db_session.query(OutboxMessage)
        .filter_by(notice="list_ready", recipient_user_id=world.users["rev_d1"].id)
        .one()
    )
    assert ready.recipient_email == "rev_d1@example.org"
    assert ready.status == "sent"

    again = _request(client, auth, "adm_p", "D1", world.campaign.id)
    assert again.status_code == 200  # nothing changed: the same list, no new number
    assert again.json == {"id": list_id, "status": "done"}
    db_session.refresh(stored)
    assert stored.number == 1  # the first list is untouched


def test_list_rights_follow_the_tree(client, world, auth, lists_here, db_session):
    campaign = world.campaign.id
    assert _request(client, auth, "rev_c1", "D1", campaign).status_code == 404  # above C1
    assert _request(client, auth, "rev_d2", "D1", campaign).status_code == 404  # elsewhere
    assert _request(client, auth, "sec_k1", "D1", campaign).status_code == 404
    assert _request(client, auth, "rev_d1", "C1", campaign).status_code == 403  # not its unit
    assert _request(client, auth, "adm_d1", "K1", campaign).status_code == 422  # a cell
    assert _request(client, auth, "adm_d1", "D1", 999_999).status_code == 404
    bad = client.post(f"/api/v1/campaigns/{campaign}/lists", data="{", headers=auth("adm_d1"))
    assert bad.status_code == 400
    missing = client.post(f"/api/v1/campaigns/{campaign}/lists", json={}, headers=auth("adm_d1"))
    assert missing.status_code == 422
    assert client.post(f"/api/v1/campaigns/{campaign}/lists", json={}).status_code == 401

    made = _request(client, auth, "adm_d1", "C1", campaign)
    assert made.status_code == 202
    list_id = made.json["id"]
    assert client.get(f"/api/v1/lists/{list_id}", headers=auth("rev_c1")).status_code == 200
    assert client.get(f"/api/v1/lists/{list_id}", headers=auth("rev_c2")).status_code == 404
    assert client.get(f"/api/v1/lists/{list_id}/pdf", headers=auth("rev_c2")).status_code == 404
    assert client.get(f"/api/v1/lists/{list_id}/pdf", headers=auth("sec_k1")).status_code == 404
    assert client.get(f"/api/v1/lists/{list_id}/doc", headers=auth("rev_c1")).status_code == 404
    empty = client.get(f"/api/v1/lists/{list_id}", headers=auth("rev_c1")).json
    assert (empty["status"], empty["count"], empty["number"]) == ("done", 0, "01-DS/ĐU")


REVIEWING_UNITS = ("P", "D1", "D2", "C1", "C2", "C3")
MAY_REQUEST = {
    "adm_p": set(REVIEWING_UNITS),
    "adm_d1": {"D1", "C1", "C2"},
    "rev_p": {"P"},
    "rev_d1": {"D1"},
    "rev_d2": {"D2"},
    "rev_c1": {"C1"},
    "rev_c2": {"C2"},
    "rev_c3": {"C3"},
    "sec_k1": set(),
    "sec_kd": set(),
}


def test_list_rights_matrix(world):
    for username, allowed in MAY_REQUEST.items():
        actor = world.users[username]
        for code in REVIEWING_UNITS:
            unit = world.units[code]
            assert policy.can_request_list(actor, unit) == (code in allowed), (username, code)
            listed = CommendationList(unit=unit)
            assert policy.can_see_list(actor, listed) == actor.unit.contains(unit)
    world.users["rev_d1"].active = False
    assert not policy.can_request_list(world.users["rev_d1"], world.units["D1"])


def test_text_pasted_from_a_word_processor_reaches_the_files(
    client, world, auth, lists_here, db_session
):
    # Word's line and page breaks (\v, \f) and an escape, which a worksheet cannot hold, in a
    # recognised row; a line break and a bidi override in the issuer's name, which a file name
    # cannot hold.
    pasted = recognise(world, "KD", "district", nominee_name="Lê Văn Dán")
    pasted.achievements = "Dòng 1\vDòng 2\fDòng 3\x1b."
    world.units["D1"].name = "Huyện ủy\r\nCẩm Khê\u202e"
    db_session.commit()
    response = _request(client, auth, "rev_d1", "D1", world.campaign.id)
    shown = client.get(f"/api/v1/lists/{response.json['id']}", headers=auth("rev_d1")).json
    assert shown["status"] == "done", shown
    for url in shown["files"].values():
        with client.get(url, headers=auth("rev_d1")) as download:
            assert download.status_code == 200
            disposition = download.headers["Content-Disposition"]
            assert "Danh%20s%C3%A1ch%2001-DS-HU%20Huy%E1%BB%87n%20%E1%BB%A7y%20C%E1%BA%A9m" in (
                disposition
            )
            assert "%E2%80%AE" not in disposition
            assert "%0A" not in disposition
            if url.endswith("xlsx"):
                sheet = load_workbook(io.BytesIO(download.data))["Danh sách"]
                texts = {cell.value for row in sheet.iter_rows(min_row=2) for cell in row}
                assert "Dòng 1\nDòng 2\nDòng 3." in texts
