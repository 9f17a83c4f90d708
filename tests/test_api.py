"""The JSON API against API.md: status codes, check order, fields, lists, reports."""

import contextlib
import datetime as dt
import unicodedata

import pytest
from sqlalchemy import event, func, select

from workflow import accounts, queries
from workflow.models import HistoryEntry, Nomination, OutboxMessage

API = "/api/v1"


def nomination_body(world, **overrides):
    body = {
        "campaign_id": world.campaign.id,
        "kind": "collective",
        "nominee_name": "Chi hội Phụ nữ thôn Đồng Hội",
        "title": "Mô hình “Hũ gạo tình thương”",
        "field": "An sinh xã hội",
        "summary": "Quyên góp gạo giúp hộ nghèo.",
        "achievements": "Giúp 45 hộ nghèo vượt khó.",
        "target_level": "district",
    }
    body.update(overrides)
    return body


def act(client, headers, nomination_id, action, version, comment=None):
    return client.post(
        f"{API}/nominations/{nomination_id}/actions/{action}",
        json={"version": version, "comment": comment},
        headers=headers,
    )


def assert_problem(response, status):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    assert {"status", "title", "detail"} <= response.json.keys()
    assert response.json["status"] == status


# Authentication


def test_token_login_and_me(client, world):
    response = client.post(
        f"{API}/auth/token", json={"username": "rev_c1", "password": "secret-pass"}
    )
    assert response.status_code == 200
    expires_at = dt.datetime.fromisoformat(response.json["expires_at"])
    assert expires_at > dt.datetime.now(dt.UTC)
    me = client.get(f"{API}/me", headers={"Authorization": f"Bearer {response.json['token']}"})
    assert me.json == {
        "id": world.users["rev_c1"].id,
        "username": "rev_c1",
        "full_name": "Người dùng rev_c1",
        "role": "reviewer",
        "unit": {
            "id": world.units["C1"].id,
            "code": "C1",
            "name": "Đảng ủy xã Tiên Lương",
            "level": "commune",
        },
    }


@pytest.mark.parametrize(("username", "password"), [("rev_c1", "wrong"), ("nobody", "secret-pass")])
def test_bad_credentials_are_401(client, world, username, password):
    response = client.post(f"{API}/auth/token", json={"username": username, "password": password})
    assert_problem(response, 401)


def test_tokens_are_stored_hashed(client, world, db_session):
    token = client.post(
        f"{API}/auth/token", json={"username": "rev_c1", "password": "secret-pass"}
    ).json["token"]
    stored = db_session.scalars(select(accounts.ApiToken.token_hash)).all()
    assert token not in stored
    assert accounts._digest(token) in stored


def test_missing_expired_revoked_or_disabled_tokens_are_401(client, world, db_session, auth):
    assert_problem(client.get(f"{API}/me"), 401)
    assert_problem(client.get(f"{API}/me", headers={"Authorization": "Bearer nope"}), 401)

    headers = auth("rev_c1")
    assert client.delete(f"{API}/auth/token", headers=headers).status_code == 204
    assert_problem(client.get(f"{API}/me", headers=headers), 401)

    headers = auth("rev_c1")
    token = db_session.scalar(select(accounts.ApiToken).order_by(accounts.ApiToken.id.desc()))
    token.expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    db_session.commit()
    assert_problem(client.get(f"{API}/me", headers=headers), 401)

    headers = auth("rev_d1")
    world.users["rev_d1"].active = False
    db_session.commit()
    assert_problem(client.get(f"{API}/me", headers=headers), 401)


# Check order


def test_body_is_parsed_before_credentials(client, world):
    response = client.post(f"{API}/nominations", data="{not json", content_type="application/json")
    assert_problem(response, 400)
    assert_problem(client.post(f"{API}/nominations", json=[1, 2]), 400)
    assert_problem(client.post(f"{API}/nominations", json={}), 401)


def test_fields_before_existence(client, world, auth):
    headers = auth("rev_c1")
    response = act(client, headers, 999_999, "return", 1, comment="  ")
    assert_problem(response, 422)
    assert response.json["errors"][0]["field"] == "comment"
    assert_problem(act(client, headers, 999_999, "approve", 1), 404)


def test_existence_before_version_before_right_before_state(client, world, auth):
    nomination = world.nominate(cell="K1")
    world.session.commit()
    # Another district's reviewer: not found, whatever the version.
    assert_problem(act(client, auth("rev_d2"), nomination.id, "approve", 99), 404)
    # Inside the subtree with a stale version: conflict before rights.
    assert_problem(act(client, auth("rev_d1"), nomination.id, "approve", 99), 409)
    # Current version, but nothing is pending: nobody holds the reviewing right.
    assert_problem(act(client, auth("rev_c1"), nomination.id, "approve", 1), 403)
    # The secretary holds the right to resubmit, but a draft cannot be resubmitted.
    assert_problem(act(client, auth("sec_k1"), nomination.id, "resubmit", 1), 409)
    response = act(client, auth("sec_k1"), nomination.id, "submit", 1)
    assert response.status_code == 200
    assert response.json["version"] == 2


def test_unknown_action_and_route_are_404_problems(client, world, auth):
    assert_problem(act(client, auth("sec_k1"), 1, "fly", 1), 404)
    assert_problem(client.get(f"{API}/nope", headers=auth("sec_k1")), 404)


def test_body_over_the_limit_is_413(client, world, auth):
    big = nomination_body(world, achievements="x" * (2 * 1024 * 1024 + 10))
    assert_problem(client.post(f"{API}/nominations", json=big, headers=auth("sec_k1")), 413)


# Fields


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"kind": "family"}, "kind"),
        ({"target_level": "cell"}, "target_level"),
        ({"nominee_name": ""}, "nominee_name"),
        ({"nominee_name": "   "}, "nominee_name"),
        ({"nominee_name": "a" * 201}, "nominee_name"),
        ({"nominee_name": 12}, "nominee_name"),
        ({"title": "bad\x00byte"}, "title"),
        ({"nominee_email": "not-an-email"}, "nominee_email"),
        ({"nominee_birth_year": 1850}, "nominee_birth_year"),
        ({"nominee_birth_year": "1980"}, "nominee_birth_year"),
        ({"campaign_id": "1"}, "campaign_id"),
        ({"colour": "red"}, "colour"),
        ({"summary": None}, "summary"),
    ],
)
def test_invalid_fields_are_422_naming_the_field(client, world, auth, db_session, override, field):
    body = nomination_body(world, **override)
    response = client.post(f"{API}/nominations", json=body, headers=auth("sec_k1"))
    assert_problem(response, 422)
    assert field in [error["field"] for error in response.json["errors"]]
    assert db_session.scalar(select(func.count()).select_from(Nomination)) == 0


def test_missing_field_is_422(client, world, auth):
    body = nomination_body(world)
    del body["title"]
    response = client.post(f"{API}/nominations", json=body, headers=auth("sec_k1"))
    assert_problem(response, 422)
    assert response.json["errors"] == [{"field": "title", "message": "is required"}]


def test_text_is_stored_as_nfc(client, world, auth, db_session):
    decomposed = unicodedata.normalize("NFD", "Nguyễn Thị Hoà")
    body = nomination_body(world, nominee_name=decomposed)
    response = client.post(f"{API}/nominations", json=body, headers=auth("sec_k1"))
    assert response.status_code == 201
    stored = db_session.scalar(select(Nomination.nominee_name))
    assert stored == unicodedata.normalize("NFC", decomposed) != decomposed


# Nominations


def test_create_read_and_history(client, world, auth):
    body = nomination_body(
        world,
        kind="individual",
        nominee_name="Nguyễn Thị Hoa",
        nominee_email="hoa@example.org",
        nominee_birth_year=1978,
        nominee_gender="female",
        nominee_ethnicity="Mường",
        nominee_position="Chi hội trưởng",
        nominee_workplace="Thôn Đồng Hội",
    )
    created = client.post(f"{API}/nominations", json=body, headers=auth("sec_k1"))
    assert created.status_code == 201
    item = created.json
    assert (item["nominee_gender"], item["nominee_ethnicity"], item["nominee_workplace"]) == (
        "female",
        "Mường",
        "Thôn Đồng Hội",
    )
    assert item["labels"] == {
        "state": "Bản nháp",
        "kind": "Cá nhân",
        "target_level": "Cấp huyện",
        "recognized_level": None,
    }
    assert item["state"] == "draft"
    assert item["version"] == 1
    assert item["cell"]["code"] == "K1"
    assert item["pending_unit"] is None
    assert item["recognized_level"] is None
    for key in (
        "id",
        "campaign_id",
        "kind",
        "nominee_name",
        "title",
        "field",
        "summary",
        "achievements",
        "target_level",
        "created_at",
        "updated_at",
    ):
        assert key in item
    submitted = act(client, auth("sec_k1"), item["id"], "submit", 1)
    assert submitted.json["pending_unit"]["code"] == "C1"
    detail = client.get(f"{API}/nominations/{item['id']}", headers=auth("rev_d1")).json
    assert [(h["action"], h["from_state"], h["to_state"]) for h in detail["history"]] == [
        ("create", None, "draft"),
        ("submit", "draft", "commune_review"),
    ]
    assert detail["history"][1]["actor"] == {
        "username": "sec_k1",
        "unit_code": "K1",
        "unit_name": "Chi bộ thôn Đồng Hội",
        "unit_level": "cell",
    }


def test_only_secretaries_inside_the_campaign_nominate(client, world, auth, db_session):
    body = nomination_body(world)
    assert_problem(client.post(f"{API}/nominations", json=body, headers=auth("rev_c1")), 403)
    assert_problem(client.post(f"{API}/nominations", json=body, headers=auth("adm_p")), 403)
    body = nomination_body(world, campaign_id=999_999)
    assert_problem(client.post(f"{API}/nominations", json=body, headers=auth("sec_k1")), 404)


def test_submission_deadline_passed_is_409(client, world, auth, db_session):
    nomination = world.nominate()
    world.campaign.submission_deadline = dt.date(2000, 1, 1)
    db_session.commit()
    assert_problem(act(client, auth("sec_k1"), nomination.id, "submit", 1), 409)
    response = client.post(
        f"{API}/nominations", json=nomination_body(world), headers=auth("sec_k1")
    )
    assert_problem(response, 409)


def test_patch_in_draft_and_returned_only(client, world, auth, db_session):
    nomination = world.nominate()
    db_session.commit()
    url = f"{API}/nominations/{nomination.id}"
    response = client.patch(url, json={"version": 1, "title": "Mới"}, headers=auth("sec_k1"))
    assert response.status_code == 200
    assert (response.json["title"], response.json["version"]) == ("Mới", 2)
    assert_problem(
        client.patch(url, json={"version": 1, "title": "Cũ"}, headers=auth("sec_k1")), 409
    )
    assert_problem(
        client.patch(url, json={"version": 2, "title": "X"}, headers=auth("rev_c1")), 403
    )
    assert_problem(
        client.patch(url, json={"version": 2, "state": "commended"}, headers=auth("sec_k1")), 422
    )
    assert act(client, auth("sec_k1"), nomination.id, "submit", 2).status_code == 200
    assert_problem(
        client.patch(url, json={"version": 3, "title": "X"}, headers=auth("sec_k1")), 409
    )


def test_refused_action_writes_nothing(client, world, auth, db_session):
    nomination = world.nominate()
    db_session.commit()
    before = db_session.scalar(select(func.count()).select_from(HistoryEntry))
    assert_problem(act(client, auth("rev_c1"), nomination.id, "approve", 1), 403)
    assert_problem(act(client, auth("sec_k1"), nomination.id, "submit", 5), 409)
    db_session.expire_all()
    assert db_session.scalar(select(func.count()).select_from(HistoryEntry)) == before
    assert db_session.get(Nomination, nomination.id).version == 1


def test_actions_write_outbox_rows_for_the_right_people(client, world, auth, db_session):
    world.add_user("rev_c1_b", "reviewer", "C1")
    nomination = world.nominate(cell="K1", target="commune", nominee_email="an@example.org")
    db_session.commit()
    act(client, auth("sec_k1"), nomination.id, "submit", 1)
    act(client, auth("rev_c1"), nomination.id, "approve", 2)
    rows = db_session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [(row.notice, row.recipient_email) for row in rows] == [
        ("submitted", "rev_c1@example.org"),
        ("submitted", "rev_c1_b@example.org"),
        ("commended", "sec_k1@example.org"),
        ("commended", "an@example.org"),
    ]
    assert len({row.key for row in rows}) == 4
    assert all(row.status == "pending" for row in rows)
    # Each row names the history entry of its action (written in the same statement).
    entries = dict(
        db_session.execute(
            select(HistoryEntry.action, HistoryEntry.id).where(
                HistoryEntry.nomination_id == nomination.id
            )
        ).all()
    )
    assert [row.history_id for row in rows] == [entries["submit"]] * 2 + [entries["approve"]] * 2


def test_a_notice_with_no_one_to_hear_it_still_records_its_action(client, world, auth, db_session):
    world.users["rev_c1"].active = False  # the commune has no reviewer left
    nomination = world.nominate(cell="K1", target="commune")
    db_session.commit()
    response = act(client, auth("sec_k1"), nomination.id, "submit", 1)
    assert response.status_code == 200
    entry = db_session.scalars(
        select(HistoryEntry)
        .where(HistoryEntry.nomination_id == nomination.id)
        .order_by(HistoryEntry.id.desc())
    ).first()
    assert (entry.action, entry.from_state, entry.to_state) == (
        "submit",
        "draft",
        "commune_review",
    )
    assert (entry.actor_unit_name, entry.details) == (world.units["K1"].name, None)
    assert db_session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


# Lists, queue, reports


@contextlib.contextmanager
def sql_log(app):
    """The SQL statements the app's engine runs inside the block."""
    engine = app.extensions["database"].engine
    statements = []

    def record(connection, cursor, statement, *args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def reading(statements):
    """The statements that read, in a request that writes nothing (a search's page begins
    WITH its matches; on PostgreSQL an action's history and outbox rows do too)."""
    return [s for s in statements if s.lstrip().upper().startswith(("SELECT", "WITH"))]


@pytest.mark.parametrize("per_page", [2, 20])
def test_listing_runs_a_constant_number_of_queries(app, client, world, auth, db_session, per_page):
    for index in range(25):
        world.nominate(cell=("K1", "K2", "K3")[index % 3], nominee_name=f"Người {index}")
    db_session.commit()
    headers = auth("rev_d1")
    with sql_log(app) as statements:
        response = client.get(f"{API}/nominations?per_page={per_page}", headers=headers)
    assert response.json["total"] == 25
    assert len(response.json["items"]) == per_page
    selects = reading(statements)
    assert len(selects) == 2  # the token, the page with its total


@pytest.mark.parametrize(
    ("route", "common"),
    [
        ("nominations", False),
        ("queue", False),
        ("nominations?q=Người", False),
        ("nominations?q=Người", True),
    ],
)
def test_a_page_brings_its_total(app, client, world, auth, db_session, monkeypatch, route, common):
    if common:  # every trigram of the text is in many nominations
        monkeypatch.setattr(
            queries, "common_trigrams", lambda session: frozenset({"ngu", "guo", "uoi"})
        )
    for index in range(3):
        world.act(world.nominate(nominee_name=f"Người {index}"), "sec_k1", "submit")
    world.nominate(cell="K3", nominee_name="Người khác")  # outside the commune
    db_session.commit()
    separator = "&" if "?" in route else "?"
    # (A search first reads which trigrams are common, then every ten minutes.)
    client.get(f"{API}/{route}", headers=auth("rev_c1"))
    for per_page in (5, 3, 2):
        url = f"{API}/{route}{separator}per_page={per_page}"
        with sql_log(app) as statements:
            page = client.get(url, headers=auth("rev_c1")).json
        selects = reading(statements)
        assert page["total"] == 3
        assert len(page["items"]) == min(per_page, 3)
        # The token, then the page with its total summed from the counts, or its text's matches
        # counted; a text of common trigrams alone is counted apart, and only when the first
        # page is full (more may follow).
        assert len(selects) == (3 if common and per_page <= 3 else 2), per_page
    beyond = client.get(f"{API}/{route}{separator}per_page=2&page=3", headers=auth("rev_c1")).json
    assert (beyond["total"], beyond["items"]) == (3, [])


def test_a_listed_nomination_reads_as_the_nomination_itself(client, world, auth, db_session):
    world.nominate(cell="K1", kind="collective", target="district")
    walked = world.nominate(cell="K1", nominee_name="Đỗ Thị Ánh", nominee_birth_year=1980)
    world.act(walked, "sec_k1", "submit")
    world.act(walked, "rev_c1", "approve")
    recognised = world.nominate(cell="K1", target="commune")
    world.act(recognised, "sec_k1", "submit")
    world.act(recognised, "rev_c1", "approve")
    db_session.commit()
    for route, user, language in (("nominations", "rev_p", "en"), ("queue", "rev_d1", "vi")):
        items = client.get(f"{API}/{route}?lang={language}", headers=auth(user)).json["items"]
        assert items
        for item in items:
            url = f"{API}/nominations/{item['id']}?lang={language}"
            whole = client.get(url, headers=auth(user)).json
            assert item == {key: whole[key] for key in item}
            assert set(whole) - set(item) == {
                "history",
                "earlier_recognitions",
                "possible_duplicates",
            }


def test_list_filters_scope_and_pagination(client, world, auth, db_session):
    world.nominate(cell="K1", nominee_name="Trần Văn Bình")
    world.nominate(cell="K3", nominee_name="Lê Thị Thu")
    world.nominate(cell="K4", nominee_name="Phạm Văn Cường")
    submitted = world.nominate(cell="K1", nominee_name="Hoàng Văn Đức")
    world.act(submitted, "sec_k1", "submit")
    db_session.commit()

    def names(query, user):
        response = client.get(f"{API}/nominations?{query}", headers=auth(user))
        assert response.status_code == 200, response.json
        return sorted(item["nominee_name"] for item in response.json["items"])

    assert names("", "rev_c1") == ["Hoàng Văn Đức", "Trần Văn Bình"]
    assert names("", "rev_d1") == ["Hoàng Văn Đức", "Lê Thị Thu", "Trần Văn Bình"]
    assert len(names("", "rev_p")) == 4
    assert names("state=commune_review", "rev_p") == ["Hoàng Văn Đức"]
    assert names("unit_code=C2", "rev_d1") == ["Lê Thị Thu"]
    assert names("q=Cường", "adm_p") == ["Phạm Văn Cường"]
    assert names(f"campaign_id={world.campaign.id}&q=Văn", "rev_p") == [
        "Hoàng Văn Đức",
        "Phạm Văn Cường",
        "Trần Văn Bình",
    ]
    page = client.get(f"{API}/nominations?per_page=3&page=2", headers=auth("rev_p")).json
    assert (page["total"], page["page"], page["per_page"], len(page["items"])) == (4, 2, 3, 1)
    assert_problem(client.get(f"{API}/nominations?unit_code=D2", headers=auth("rev_d1")), 404)
    assert_problem(client.get(f"{API}/nominations?per_page=500", headers=auth("rev_d1")), 422)
    assert_problem(client.get(f"{API}/nominations?state=lost", headers=auth("rev_d1")), 422)


def test_queue_oldest_first(client, world, auth, db_session):
    first, second = world.nominate(nominee_name="Một"), world.nominate(nominee_name="Hai")
    world.act(second, "sec_k1", "submit")
    world.act(first, "sec_k1", "submit")
    returned = world.nominate(nominee_name="Ba")
    world.act(returned, "sec_k1", "submit")
    world.act(returned, "rev_c1", "return", comment="Bổ sung")
    db_session.commit()
    queue = client.get(f"{API}/queue", headers=auth("rev_c1")).json
    assert [item["nominee_name"] for item in queue["items"]] == ["Hai", "Một"]
    secretary = client.get(f"{API}/queue", headers=auth("sec_k1")).json
    assert [item["nominee_name"] for item in secretary["items"]] == ["Ba"]
    assert client.get(f"{API}/queue", headers=auth("rev_d1")).json["items"] == []


def test_summary_counts_inside_the_subtree(client, world, auth, db_session):
    for cell, kind, target, steps in (
        ("K1", "individual", "commune", [("sec_k1", "submit"), ("rev_c1", "approve")]),
        (
            "K1",
            "collective",
            "district",
            [("sec_k1", "submit"), ("rev_c1", "approve"), ("rev_d1", "approve")],
        ),
        ("K3", "collective", "district", [("sec_k3", "submit")]),
        ("K4", "individual", "commune", [("sec_k4", "submit"), ("rev_c3", "approve")]),
    ):
        nomination = world.nominate(cell=cell, kind=kind, target=target)
        for username, action in steps:
            world.act(nomination, username, action)
    db_session.commit()
    report = client.get(f"{API}/reports/summary", headers=auth("rev_d1")).json
    assert report["total_commended"] == 2
    assert report["by_state"]["commended"] == 2
    assert report["by_state"]["commune_review"] == 1
    assert report["commended"]["commune"] == {"collective": 0, "individual": 1}
    assert report["commended"]["district"] == {"collective": 1, "individual": 0}
    province = client.get(
        f"{API}/reports/summary?campaign_id={world.campaign.id}", headers=auth("rev_p")
    ).json
    assert province["total_commended"] == 3
    scoped = client.get(f"{API}/reports/summary?unit_code=C2", headers=auth("rev_p")).json
    assert scoped["by_state"]["commune_review"] == 1
    assert scoped["total_commended"] == 0
    assert_problem(client.get(f"{API}/reports/summary?unit_code=D2", headers=auth("rev_d1")), 404)
    # The last day a date can be has no day after it: the counts as they stand.
    for by in ("today", "then"):
        last = client.get(f"{API}/reports/summary?as_of=9999-12-31&by={by}", headers=auth("rev_p"))
        assert last.status_code == 200, last.json
        assert last.json["total_commended"] == 3


# Units and campaigns


def test_units_are_subtree_scoped(client, world, auth):
    response = client.get(f"{API}/units/D1", headers=auth("rev_d1"))
    assert response.json["parent_code"] == "P"
    assert response.json["children"] == ["C1", "C2", "KD"]
    assert client.get(f"{API}/units/K1", headers=auth("rev_d1")).status_code == 200
    assert_problem(client.get(f"{API}/units/D2", headers=auth("rev_d1")), 404)
    assert_problem(client.get(f"{API}/units/P", headers=auth("rev_d1")), 404)
    assert_problem(client.get(f"{API}/units/NOPE", headers=auth("rev_p")), 404)


def test_campaign_creation_and_visibility(client, world, auth):
    body = {
        "name": "Đợt 2 năm 2026",
        "year": 2026,
        "unit_code": "D1",
        "submission_deadline": "2026-12-31",
        "review_deadlines": {"commune": "2027-01-10", "district": "2027-01-20"},
    }
    created = client.post(f"{API}/campaigns", json=body, headers=auth("adm_d1"))
    assert created.status_code == 201
    assert created.json["unit_code"] == "D1"
    assert created.json["options"]["district"]["decision"] == "single"
    assert created.json["review_deadlines"] == {
        "commune": "2027-01-10",
        "district": "2027-01-20",
        "province": None,
    }
    assert_problem(client.post(f"{API}/campaigns", json=body, headers=auth("rev_d1")), 403)
    assert_problem(
        client.post(f"{API}/campaigns", json={**body, "unit_code": "D2"}, headers=auth("adm_d1")),
        404,
    )
    for field, value in (
        ("year", 1800),
        ("year", "2026"),
        ("submission_deadline", "31/12/2026"),
        ("name", ""),
    ):
        response = client.post(
            f"{API}/campaigns", json={**body, field: value}, headers=auth("adm_d1")
        )
        assert_problem(response, 422)
        assert response.json["errors"][0]["field"] == field

    def visible(user):
        items = client.get(f"{API}/campaigns", headers=auth(user)).json["items"]
        return sorted(item["name"] for item in items)

    assert visible("sec_k1") == ["Đợt 2 năm 2026", "Đợt điển hình 2026"]
    assert visible("sec_k4") == ["Đợt điển hình 2026"]
    assert visible("rev_d2") == ["Đợt điển hình 2026"]
    assert visible("adm_p") == ["Đợt 2 năm 2026", "Đợt điển hình 2026"]
    # The options given are the campaign's; a cell opens none (it has no level to review at).
    committee = {"district": {"decision": "committee", "quorum_at_least": "3/4"}}
    voted = client.post(
        f"{API}/campaigns",
        json={**body, "name": "Đợt bỏ phiếu", "options": committee},
        headers=auth("adm_d1"),
    )
    assert voted.status_code == 201, voted.json
    assert voted.json["options"]["district"]["decision"] == "committee"
    assert voted.json["options"]["district"]["quorum_at_least"] == "3/4"
    in_a_cell = client.post(
        f"{API}/campaigns", json={**body, "unit_code": "K1"}, headers=auth("adm_d1")
    )
    assert_problem(in_a_cell, 422)
    assert in_a_cell.json["errors"][0]["field"] == "unit_code"


def test_campaign_deadlines_must_be_in_order(client, world, auth):
    body = {
        "name": "Đợt 3",
        "year": 2026,
        "unit_code": "D1",
        "submission_deadline": "2026-12-31",
        "review_deadlines": {"commune": "2027-01-10", "district": "2027-01-05"},
    }
    response = client.post(f"{API}/campaigns", json=body, headers=auth("adm_d1"))
    assert_problem(response, 422)
    assert response.json["errors"][0]["field"] == "review_deadlines.district"


def test_an_action_is_a_handful_of_statements(app, client, world, auth, db_session, is_postgres):
    nomination = world.nominate(cell="K1", target="district")
    world.act(nomination, "sec_k1", "submit")
    db_session.commit()
    headers = auth("rev_c1")
    with sql_log(app) as statements:
        response = act(client, headers, nomination.id, "approve", nomination.version)
    assert response.status_code == 200
    verbs = [statement.split(None, 1)[0].upper() for statement in statements]
    work = [verb for verb in verbs if verb not in ("SAVEPOINT", "RELEASE", "BEGIN", "COMMIT")]
    # Reads: the token with its user, the nomination with its cell's ancestors and campaign.
    # Writes: the nomination on its version, its history entry and its outbox rows with their
    # recipients (INSERT … SELECT): one statement on PostgreSQL (WITH moved AS (UPDATE …),
    # entry AS (INSERT …), sent AS (INSERT …)), three on SQLite, which writes nothing in a WITH.
    if is_postgres:
        assert work == ["SELECT", "SELECT", "WITH"], statements
    else:
        assert work == ["SELECT", "SELECT", "UPDATE", "INSERT", "INSERT"], statements


@pytest.mark.parametrize(
    "url", [f"{API}/units/A%00B", f"{API}/nominations?unit_code=%00", f"{API}/queue?q=a%00"]
)
def test_nul_in_the_url_is_400(client, world, auth, url):
    assert_problem(client.get(url, headers=auth("adm_p")), 400)


BEYOND_INTEGER = 10**22


@pytest.mark.parametrize(
    ("url", "status"),
    [
        (f"{API}/nominations/{BEYOND_INTEGER}", 404),
        (f"{API}/campaigns/{BEYOND_INTEGER}", 404),
        (f"{API}/nominations?campaign_id={BEYOND_INTEGER}", 422),
        (f"{API}/reports/summary?campaign_id={BEYOND_INTEGER}", 422),
    ],
)
def test_ids_beyond_the_integer_range_are_client_errors(client, world, auth, url, status):
    assert_problem(client.get(url, headers=auth("adm_p")), status)


def test_a_body_id_beyond_the_integer_range_is_422(client, world, auth):
    body = nomination_body(world, campaign_id=BEYOND_INTEGER)
    response = client.post(f"{API}/nominations", json=body, headers=auth("sec_k1"))
    assert_problem(response, 422)
    assert response.json["errors"][0]["field"] == "campaign_id"


def test_the_longest_addresses_still_get_their_notices(client, world, auth, db_session):
    longest = "a" * 64 + "@" + ".".join(["b" * 60] * 3) + ".org"
    assert len(longest) > 200
    body = nomination_body(world, target_level="commune", nominee_email=longest)
    created = client.post(f"{API}/nominations", json=body, headers=auth("sec_k1"))
    assert created.status_code == 201, created.json
    act(client, auth("sec_k1"), created.json["id"], "submit", 1)
    response = act(client, auth("rev_c1"), created.json["id"], "approve", 2)
    assert response.status_code == 200
    assert response.json["state"] == "commended"
    recipients = db_session.scalars(
        select(OutboxMessage.recipient_email).where(OutboxMessage.notice == "commended")
    ).all()
    assert longest in recipients


def test_empty_query_parameters_are_absent_ones(client, world, auth):
    world.nominate()
    world.session.commit()
    query = "state=&campaign_id=&unit_code=&q=&page=&per_page="
    listed = client.get(f"{API}/nominations?{query}", headers=auth("rev_c1"))
    assert listed.status_code == 200
    assert (listed.json["total"], listed.json["page"], listed.json["per_page"]) == (1, 1, 20)
    summary = client.get(f"{API}/reports/summary?campaign_id=&unit_code=", headers=auth("rev_c1"))
    assert summary.status_code == 200


def test_an_unknown_action_is_checked_after_credentials(client, world, auth):
    assert_problem(client.post(f"{API}/nominations/1/actions/fly", json={"version": 1}), 401)


@pytest.mark.parametrize(
    "raw",
    [
        "[" * 100_000 + "]" * 100_000,
        '{"a":' * 50_000 + "1" + "}" * 50_000,
        '{"username": "\\ud800", "password": "x"}',
        '{"username": "admin", "password": "\\udfff"}',
    ],
)
def test_bodies_that_are_not_json_text_are_400(client, world, raw):
    response = client.post(f"{API}/auth/token", data=raw, content_type="application/json")
    assert_problem(response, 400)


def test_a_transaction_the_database_gave_up_is_a_503_to_try_again(
    client, world, auth, db_session, web, monkeypatch
):
    """A deadlock victim (or a serialization failure) wrote nothing: the caller is told to try
    again, as a problem or as the page, never a 500."""
    from psycopg.errors import DeadlockDetected
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError, OperationalError

    from workflow import services

    nomination = world.nominate(cell="K1")
    world.act(nomination, "sec_k1", "submit")
    db_session.commit()

    def deadlocked(session, *args, **kwargs):
        # As a victim's: on PostgreSQL the transaction is aborted, and the error page's menu
        # must not read through it.
        with contextlib.suppress(DBAPIError):
            session.execute(text("SELECT * FROM no_such_table"))
        raise OperationalError("UPDATE nominations …", {}, DeadlockDetected("deadlock detected"))

    monkeypatch.setattr(services, "perform", deadlocked)
    answer = act(client, auth("rev_c1"), nomination.id, "approve", nomination.version)
    assert_problem(answer, 503)
    assert answer.headers["Retry-After"] == "1"
    assert "try again" in answer.json["detail"]
    web.login("rev_c1")
    page = web.post(
        f"/nominations/{nomination.id}",
        data={"action": "approve", "version": nomination.version},
        token_from=f"/nominations/{nomination.id}",
    )
    assert page.status_code == 503
    assert "thử lại" in page.get_data(as_text=True)
    # Any other error of the database is still an error.
    monkeypatch.setattr(
        services,
        "perform",
        lambda *a, **k: (_ for _ in ()).throw(OperationalError("SELECT", {}, OSError("gone"))),
    )
    with pytest.raises(OperationalError):
        act(client, auth("rev_c1"), nomination.id, "approve", nomination.version)
