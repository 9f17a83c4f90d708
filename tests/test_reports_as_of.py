"""The summary report as of a day, by the units of then or of today, across a reorganisation.

Cẩm Khê's report (seeds/002): 474 collectives and 320 individuals recognised at grassroots
level, 112 and 124 at district level, 4 and 5 at province level: 1,039 in all (the article's
own total says 1.030, but its parts add up to 1,039). The table must read the same after
Cẩm Khê's communes are merged and the district dissolved, asked of the district as it stood
then or of today's units that carry it on.
"""

import datetime as dt
import itertools

import pytest
from sqlalchemy import insert, select, update

from workflow import accounts, imports, policy
from workflow.models import Campaign, HistoryEntry, Nomination, Unit, UnitVersion, User, utcnow

API = "/api/v1"
CAM_KHE = {
    "commune": {"collective": 474, "individual": 320},
    "district": {"collective": 112, "individual": 124},
    "province": {"collective": 4, "individual": 5},
}
UNITS = """code,name,level,parent_code
PT,Tỉnh ủy Phú Thọ,province,
CK,Huyện ủy Cẩm Khê,district,PT
LT,Huyện ủy Lâm Thao,district,PT
CK-MT,Đảng ủy xã Minh Tân,commune,CK
CK-TT,Đảng ủy thị trấn Cẩm Khê,commune,CK
CK-TK,Đảng ủy xã Tùng Khê,commune,CK
CK-HV,Đảng ủy xã Hùng Việt,commune,CK
LT-TT,Đảng ủy thị trấn Lâm Thao,commune,LT
CK-MT-1,Chi bộ khu 1,cell,CK-MT
CK-MT-2,Chi bộ khu 2,cell,CK-MT
CK-TT-1,Chi bộ khu 3,cell,CK-TT
CK-TT-2,Chi bộ Trường THPT Phương Xá,cell,CK-TT
CK-TK-1,Chi bộ thôn 4,cell,CK-TK
CK-HV-1,Chi bộ thôn 5,cell,CK-HV
LT-TT-1,Chi bộ khu 5,cell,LT-TT
"""
RECOGNISED_ON = dt.datetime(2024, 11, 15, 3, tzinfo=dt.UTC)
CREATED_ON = dt.datetime(2024, 3, 1, 3, tzinfo=dt.UTC)
PENDING = 2  # nominations waiting at the district of Cẩm Khê when it is dissolved
LAM_THAO = 3  # recognised at commune level in Lâm Thao


@pytest.fixture
def cam_khe(db_session):
    """The province of 2024 with Cẩm Khê's recognitions, imported long before records began."""
    imports.import_units(db_session, policy.OPERATOR, UNITS)
    units = {unit.code: unit for unit in db_session.scalars(select(Unit))}
    admin = User(
        username="adm_pt",
        full_name="Nguyễn Văn Quản",
        email="adm@phutho.example",
        role="admin",
        unit=units["PT"],
        password_hash=accounts.hash_password("secret-pass"),
    )
    db_session.add(admin)
    campaign = Campaign(
        name="Điển hình tiên tiến 2024",
        year=2024,
        unit=units["PT"],
        submission_deadline=dt.date(2024, 9, 30),
    )
    db_session.add(campaign)
    db_session.flush()
    db_session.execute(update(UnitVersion).values(valid_from=None))

    cells = itertools.cycle(
        sorted(
            (u for u in units.values() if u.level == "cell" and u.code.startswith("CK-")),
            key=lambda u: u.code,
        )
    )
    rows = []
    for level, kinds in CAM_KHE.items():
        for kind, number in kinds.items():
            rows += [(next(cells), kind, level) for _ in range(number)]
    rows += [(units["LT-TT-1"], "collective", "commune")] * LAM_THAO
    recognised = _nominations(db_session, campaign, admin, rows, state="commended")
    _history(db_session, admin, recognised, [("create", None, "draft", CREATED_ON)])
    _history(
        db_session,
        admin,
        recognised,
        [("approve", "commune_review", "commended", RECOGNISED_ON)],
    )
    waiting = _nominations(
        db_session,
        campaign,
        admin,
        [(units["CK-MT-1"], "individual", None)] * PENDING,
        state="district_review",
        pending_unit_id=units["CK"].id,
    )
    _history(db_session, admin, waiting, [("create", None, "draft", CREATED_ON)])
    _history(
        db_session,
        admin,
        waiting,
        [("approve", "commune_review", "district_review", dt.datetime(2025, 4, 1, tzinfo=dt.UTC))],
    )
    return {"admin": admin, "units": units, "waiting": waiting}


def _nominations(session, campaign, author, rows, *, state, pending_unit_id=None):
    values = [
        {
            "campaign_id": campaign.id,
            "cell_id": cell.id,
            "kind": kind,
            "nominee_name": f"Điển hình {number}",
            "title": "Mô hình học tập và làm theo Bác",
            "field": "Kinh tế",
            "summary": "Tóm tắt",
            "achievements": "Thành tích",
            "target_level": level or "province",
            "state": state,
            "version": 3,
            "recognized_level": level,
            "pending_unit_id": pending_unit_id,
            "pending_since": utcnow() if pending_unit_id else None,
            "created_by_id": author.id,
            "created_at": CREATED_ON,
            "updated_at": CREATED_ON,
        }
        for number, (cell, kind, level) in enumerate(rows)
    ]
    return session.scalars(
        insert(Nomination).returning(Nomination.id, sort_by_parameter_order=True), values
    ).all()


def _history(session, actor, nomination_ids, entries):
    session.execute(
        insert(HistoryEntry),
        [
            {
                "nomination_id": nomination_id,
                "action": action,
                "from_state": from_state,
                "to_state": to_state,
                "actor_id": actor.id,
                "actor_unit_id": actor.unit_id,
                "actor_unit_name": "Tỉnh ủy Phú Thọ",
                "actor_unit_level": "province",
                "at": at,
            }
            for nomination_id in nomination_ids
            for action, from_state, to_state, at in entries
        ],
    )


def _summary(client, headers, **query):
    response = client.get(f"{API}/reports/summary", query_string=query, headers=headers)
    assert response.status_code == 200, response.json
    return response.json


def test_the_cam_khe_table_reads_the_same_then_and_by_todays_units(client, cam_khe, db_session):
    token, _ = accounts.issue_token(db_session, cam_khe["admin"], hours=1)
    headers = {"Authorization": f"Bearer {token}"}
    before = _summary(client, headers, unit_code="CK")
    assert before["commended"] == CAM_KHE
    assert before["total_commended"] == 1039

    reorganised = client.post(
        f"{API}/reorganisations",
        json={
            "reason": "Nghị quyết 60-NQ/TW",
            "dry_run": False,
            "operations": [
                {"op": "merge", "units": ["CK-MT", "CK-TT"], "into": "CK-A", "name": "Xã Cẩm Khê"},
                {
                    "op": "merge",
                    "units": ["CK-TK", "CK-HV"],
                    "into": "CK-B",
                    "name": "Xã Hùng Việt",
                },
                {"op": "dissolve", "unit": "CK"},
                {"op": "dissolve", "unit": "LT"},
            ],
        },
        headers=headers,
    )
    assert reorganised.status_code == 201, reorganised.json
    assert len(reorganised.json["nominations"]) == PENDING  # now waiting at the province

    # The district as it stood on 30 June 2025, the eve of the change: the same table.
    then = _summary(client, headers, unit_code="CK", as_of="2025-06-30", by="then")
    assert then["unit"] == {"code": "CK", "name": "Huyện ủy Cẩm Khê", "level": "district"}
    assert then["commended"] == CAM_KHE
    assert then["total_commended"] == 1039
    assert then["by_state"]["district_review"] == PENDING

    # Today's units that carry Cẩm Khê on: the same table, added up.
    today = [_summary(client, headers, unit_code=code) for code in ("CK-A", "CK-B")]
    for level, kinds in CAM_KHE.items():
        for kind, number in kinds.items():
            assert sum(part["commended"][level][kind] for part in today) == number
    assert sum(part["total_commended"] for part in today) == 1039
    assert sum(part["by_state"]["province_review"] for part in today) == PENDING

    # The province either way: Cẩm Khê and Lâm Thao.
    province_then = _summary(client, headers, unit_code="PT", as_of="2025-06-30", by="then")
    province_today = _summary(client, headers, unit_code="PT", as_of="2025-06-30")
    assert province_then["commended"] == province_today["commended"]
    assert province_today["total_commended"] == 1039 + LAM_THAO


def test_as_of_reads_the_states_of_that_day(client, cam_khe, db_session):
    token, _ = accounts.issue_token(db_session, cam_khe["admin"], hours=1)
    headers = {"Authorization": f"Bearer {token}"}
    early = _summary(client, headers, unit_code="CK", as_of="2024-06-30", by="then")
    assert early["total_commended"] == 0
    assert early["by_state"]["draft"] == 1039 + PENDING
    before_records = _summary(client, headers, unit_code="CK", as_of="2023-12-31")
    assert sum(before_records["by_state"].values()) == 0


def test_summary_parameters_are_checked(client, cam_khe, db_session):
    token, _ = accounts.issue_token(db_session, cam_khe["admin"], hours=1)
    headers = {"Authorization": f"Bearer {token}"}
    for query in ({"as_of": "30/06/2025"}, {"by": "yesterday"}):
        response = client.get(f"{API}/reports/summary", query_string=query, headers=headers)
        assert response.status_code == 422
        assert response.json["errors"][0]["field"] in query
    client.post(
        f"{API}/reorganisations",
        json={"reason": "x", "dry_run": False, "operations": [{"op": "dissolve", "unit": "CK"}]},
        headers=headers,
    )
    retired = client.get(
        f"{API}/reports/summary", query_string={"unit_code": "CK"}, headers=headers
    )
    assert retired.status_code == 422  # not one of today's units: ask by=then
    assert retired.json["errors"][0]["field"] == "unit_code"
    unborn = client.get(
        f"{API}/reports/summary",
        query_string={"unit_code": "PT", "as_of": "2020-01-01", "by": "then"},
        headers=headers,
    )
    assert unborn.status_code == 200  # imported before records began: it stood then too
