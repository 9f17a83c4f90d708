"""Reorganisation through the JSON API and the administration pages, and what people then read."""

import re

import pytest
from sqlalchemy import func, select

from workflow import administration, reorganisation
from workflow.models import HistoryEntry, OutboxMessage, Reorganisation, Unit
from workflow.reorganisation import Operation

API = "/api/v1"
BODY = {
    "reason": "Nghị quyết 60-NQ/TW",
    "dry_run": True,
    "operations": [
        {"op": "merge", "units": ["C1", "C2"], "into": "CX", "name": "Đảng ủy xã Cẩm Khê"},
        {"op": "dissolve", "unit": "D1"},
    ],
}
APPLY = {**BODY, "dry_run": False}
CSV = "old_code,new_code,name\nC1,CX,Đảng ủy xã Cẩm Khê\nC2,CX,\nD1,P,\n"


@pytest.fixture
def waiting(world):
    nomination = world.nominate(cell="K1", target="district", nominee_name="Nguyễn Thị Hoa")
    world.act(nomination, "sec_k1", "submit")
    world.act(nomination, "rev_c1", "approve")
    return nomination


def post(client, headers, body):
    return client.post(f"{API}/reorganisations", json=body, headers=headers)


def retired(db_session, code):
    return db_session.scalar(select(Unit.retired_at).where(Unit.code == code)) is not None


def test_a_dry_run_answers_200_and_applying_201_with_the_same(
    client, world, auth, waiting, db_session
):
    preview = post(client, auth("adm_p"), BODY)
    assert preview.status_code == 200, preview.json
    assert not retired(db_session, "D1")
    assert preview.json["nominations"] == [
        {
            "id": waiting.id,
            "nominee_name": "Nguyễn Thị Hoa",
            "state_from": "district_review",
            "state_to": "province_review",
            "cell_from": "K1",
            "cell_to": "K1",
            "pending_from": "D1",
            "pending_to": "P",
            "returned_by_from": None,
            "returned_by_to": None,
        }
    ]
    applied = post(client, auth("adm_p"), {**BODY, "dry_run": False})
    assert applied.status_code == 201
    for part in ("units", "accounts", "campaigns", "nominations"):
        assert applied.json[part] == preview.json[part]
    assert retired(db_session, "D1")
    record = client.get(f"{API}/reorganisations/{applied.json['id']}", headers=auth("adm_p"))
    assert record.status_code == 200
    assert record.json["actor"] == "adm_p"
    assert client.get(f"{API}/reorganisations/1", headers=auth("adm_d1")).status_code == 401
    world.add_user("adm_d2", "admin", "D2")  # the change reached beyond D2: not theirs to read
    elsewhere = client.get(f"{API}/reorganisations/{applied.json['id']}", headers=auth("adm_d2"))
    assert elsewhere.status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"dry_run": False, "operations": BODY["operations"]}, "reason"),
        ({**APPLY, "dry_run": "yes"}, "dry_run"),
        ({**APPLY, "operations": []}, "operations"),
        ({**APPLY, "operations": [{"op": "split", "unit": "D1"}]}, "operations.0.op"),
        ({**APPLY, "operations": [{"op": ["merge"], "unit": "D1"}]}, "operations.0.op"),
        ({**APPLY, "operations": [{"op": {"a": 1}, "unit": "D1"}]}, "operations.0.op"),
        ({**APPLY, "operations": [{"op": "dissolve"}]}, "operations.0.unit"),
        (
            {**APPLY, "operations": [{"op": "merge", "units": [], "into": "X"}]},
            "operations.0.units",
        ),
        (
            {**APPLY, "operations": [{"op": "rename", "unit": "C1", "name": "X", "to": "Y"}]},
            "operations.0.to",
        ),
        ({**APPLY, "operations": [{"op": "dissolve", "unit": "K1"}]}, "operations.0.unit"),
        (
            {**APPLY, "operations": [APPLY["operations"][0], {"op": "dissolve", "unit": "P"}]},
            "operations.1.unit",
        ),
    ],
)
def test_bad_fields_are_422_naming_them_and_write_nothing(
    client, world, auth, db_session, body, field
):
    response = post(client, auth("adm_p"), body)
    assert response.status_code == 422, response.json
    assert response.mimetype == "application/problem+json"
    assert response.json["errors"][0]["field"] == field
    assert db_session.scalar(select(func.count()).select_from(Reorganisation)) == 0
    assert not retired(db_session, "C1")


def test_the_order_of_the_checks(client, world, auth):
    bad_json = client.post(
        f"{API}/reorganisations",
        data="{",
        headers={**auth("adm_p"), "Content-Type": "application/json"},
    )
    assert bad_json.status_code == 400
    assert post(client, {}, BODY).status_code == 401
    assert post(client, {"Authorization": "Bearer nope"}, BODY).status_code == 401
    assert (
        post(client, auth("rev_p"), BODY).status_code == 403
    )  # may see the units, not change them
    outside = {**BODY, "operations": [{"op": "move", "unit": "C1", "parent": "D2"}]}
    response = post(client, auth("adm_d1"), outside)
    assert response.status_code == 404  # D2 lies outside D1's administrator
    assert "operations.0.parent" in response.json["detail"]
    own = {**BODY, "operations": [{"op": "dissolve", "unit": "D1"}]}
    assert post(client, auth("adm_d1"), own).status_code == 403
    assert (
        post(
            client, auth("rev_p"), {**BODY, "operations": [{"op": "dissolve", "unit": "ZZ"}]}
        ).status_code
        == 404
    )


def test_history_reads_the_actors_unit_as_it_was_called(client, world, auth, waiting, db_session):
    post(client, auth("adm_p"), {**BODY, "dry_run": False})
    history = client.get(f"{API}/nominations/{waiting.id}", headers=auth("adm_p")).json["history"]
    approved, moved = history[2], history[3]
    assert approved["actor"] == {
        "username": "rev_c1",
        "unit_code": "C1",
        "unit_name": "Đảng ủy xã Tiên Lương",
        "unit_level": "commune",
    }
    assert moved["action"] == "reorganised"
    assert (moved["from_state"], moved["to_state"]) == ("district_review", "province_review")
    assert moved["details"]["pending_from"]["name"] == "Huyện ủy Cẩm Khê"
    assert moved["actor"]["unit_name"] == "Tỉnh ủy Phú Thọ"


def test_the_timeline_shows_the_old_name_for_an_old_decision(web, world, waiting, db_session):
    reorganisation.reorganise(
        db_session,
        world.users["adm_p"],
        [Operation("merge", units=("C1", "C2"), into="C1", name="Đảng ủy xã Cẩm Khê")],
        reason="Nghị quyết 60-NQ/TW",
        dry_run=False,
    )
    administration.rename_unit(
        db_session, world.users["adm_p"], world.units["D1"], name="Huyện ủy X"
    )
    web.login("sec_k1")
    page = web.get(f"/nominations/{waiting.id}")
    timeline = page.text[page.text.index('class="timeline"') :]
    items = re.findall(r"<li>(.*?)</li>", timeline, re.S)
    assert "(Đảng ủy xã Tiên Lương)" in items[2]  # the commune's approval, under its old name
    assert "Đảng ủy xã Cẩm Khê" not in items[2]
    # The outbox keeps the name of the time too.
    context = db_session.scalar(
        select(OutboxMessage.context).where(
            OutboxMessage.nomination_id == waiting.id, OutboxMessage.notice == "forwarded"
        )
    )
    assert context["acting_unit"] == "Đảng ủy xã Tiên Lương"


def test_the_timeline_explains_a_move(web, world, waiting, db_session):
    reorganisation.reorganise(
        db_session,
        world.users["adm_p"],
        [Operation("dissolve", unit="D1")],
        reason="Nghị quyết 60-NQ/TW",
        dry_run=False,
    )
    web.login("sec_k1")
    page = web.get(f"/nominations/{waiting.id}?lang=en")
    assert "now under review at Tỉnh ủy Phú Thọ (before: Huyện ủy Cẩm Khê)" in page.text
    assert "Nghị quyết 60-NQ/TW" in page.text


# The administration page.


def form(web, **fields):
    return web.post("/admin/reorganise", fields, token_from="/admin/reorganise")


def test_an_administrator_checks_then_confirms_a_reorganisation(web, world, waiting, db_session):
    web.login("adm_p")
    page = web.get("/admin/reorganise")
    assert page.status_code == 200
    assert 'name="text"' in page.text
    preview = form(web, reason="Nghị quyết 60-NQ/TW", text=CSV, action="preview")
    assert preview.status_code == 200, preview.text
    assert 'data-table="nominations"' in preview.text
    assert "Nguyễn Thị Hoa" in preview.text
    fingerprint = re.search(r'name="preview" type="hidden" value="([0-9a-f]+)"', preview.text)
    assert fingerprint, preview.text
    assert not retired(db_session, "D1")

    unconfirmed = form(
        web, reason="Nghị quyết 60-NQ/TW", text=CSV, action="apply", preview=fingerprint.group(1)
    )
    assert unconfirmed.status_code == 422
    assert not retired(db_session, "D1")
    stale = form(
        web,
        reason="Nghị quyết 60-NQ/TW",
        text=CSV,
        action="apply",
        preview="0" * 64,
        confirm="y",
    )
    assert stale.status_code == 422
    assert not retired(db_session, "D1")

    applied = form(
        web,
        reason="Nghị quyết 60-NQ/TW",
        text=CSV,
        action="apply",
        preview=fingerprint.group(1),
        confirm="y",
    )
    assert applied.status_code == 302, applied.text
    db_session.expire_all()
    assert retired(db_session, "D1")
    record = web.get(applied.headers["Location"])
    assert record.status_code == 200
    assert "Nghị quyết 60-NQ/TW" in record.text
    assert (
        db_session.scalar(
            select(func.count())
            .select_from(HistoryEntry)
            .where(HistoryEntry.action == "reorganised")
        )
        == 1
    )
    # Retired units are gone from the tree and the pickers.
    units = web.get("/admin/units").text
    assert "<code>C1</code>" not in units
    assert "<code>CX</code>" in units


def test_csv_errors_are_shown_by_line_and_column(web, world, db_session):
    web.login("adm_p")
    page = form(web, reason="x", text="old_code,new_code\nC1,CX\nNOPE,CX\n", action="preview")
    assert page.status_code == 422
    rows = re.findall(r"<tr><td class=\"num\">(\d+)</td><td>([^<]*)</td>", page.text)
    assert rows == [("3", "old_code")]
    missing_reason = form(web, reason="", text=CSV, action="preview")
    assert missing_reason.status_code == 422
    assert not retired(db_session, "C1")


def test_only_administrators_reach_the_page(web, world):
    web.login("rev_p")
    assert web.get("/admin/reorganise").status_code == 403


def test_units_read_with_their_successor_and_past_names(client, world, auth):
    post(client, auth("adm_p"), APPLY)
    client.post(
        f"{API}/reorganisations",
        json={**APPLY, "operations": [{"op": "rename", "unit": "CX", "name": "Xã Cẩm Khê"}]},
        headers=auth("adm_p"),
    )
    province = client.get(f"{API}/units/P", headers=auth("adm_p")).json
    assert province["children"] == ["CX", "D2", "KD"]  # D1 is history now
    merged = client.get(f"{API}/units/C1", headers=auth("adm_p")).json
    assert merged["successor_code"] == "CX"
    assert merged["retired_at"] is not None
    assert merged["parent_code"] == "CX"
    renamed = client.get(f"{API}/units/CX", headers=auth("adm_p")).json
    assert [name["name"] for name in renamed["names"]] == ["Đảng ủy xã Cẩm Khê", "Xã Cẩm Khê"]
    assert renamed["names"][0]["until"] == renamed["names"][1]["from"]
    assert renamed["names"][1]["until"] is None
