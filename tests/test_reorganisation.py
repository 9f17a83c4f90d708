"""Reorganising the unit tree while nominations are in flight: the domain, below the web.

The World (conftest.py): P > D1 (C1: K1, K2; C2: K3; KD) and D2 (C3: K4). The 2025 shape is
C1 and C2 merged into a new commune CX, and D1 dissolved: CX and KD answer to P directly.
"""

import datetime as dt

import pytest
from conftest import read_mail
from sqlalchemy import func, select

from workflow import (
    accounts,
    administration,
    imports,
    lists,
    policy,
    reorganisation,
    services,
    unit_history,
)
from workflow.errors import Conflict, Forbidden, Invalid, NotFound
from workflow.models import (
    Campaign,
    CommendationList,
    HistoryEntry,
    Nomination,
    OutboxMessage,
    Reorganisation,
    Unit,
    UnitVersion,
    User,
)
from workflow.reorganisation import Operation

REASON = "Nghị quyết 60-NQ/TW: sắp xếp đơn vị hành chính"
MERGE_AND_DISSOLVE = [
    Operation("merge", units=("C1", "C2"), into="CX", name="Đảng ủy xã Cẩm Khê"),
    Operation("dissolve", unit="D1"),
]


def reorganise(session, actor, operations=MERGE_AND_DISSOLVE, dry_run=False):
    return reorganisation.reorganise(session, actor, operations, reason=REASON, dry_run=dry_run)


@pytest.fixture
def in_flight(world):
    """Nominations under way at the units that disappear."""
    at_commune = world.nominate(cell="K1", target="district", nominee_name="Nguyễn Thị Hoa")
    world.act(at_commune, "sec_k1", "submit")
    at_district = world.nominate(cell="K3", target="district", nominee_name="Trần Văn Bình")
    world.act(at_district, "sec_k3", "submit")
    world.act(at_district, "rev_c2", "approve")
    returned = world.nominate(cell="K2", target="district", nominee_name="Lê Thị Thu")
    world.act(returned, "sec_k2", "submit")
    world.act(returned, "rev_c1", "return", comment="Bổ sung minh chứng")
    elsewhere = world.nominate(cell="K4", target="district", nominee_name="Phạm Văn Cường")
    world.act(elsewhere, "sec_k4", "submit")
    draft = world.nominate(cell="K1", target="commune", nominee_name="Hoàng Văn Đức")
    return {
        "at_commune": at_commune,
        "at_district": at_district,
        "returned": returned,
        "elsewhere": elsewhere,
        "draft": draft,
    }


def unit(session, code):
    return session.scalar(select(Unit).where(Unit.code == code))


def count(session, model, *conditions):
    return session.scalar(select(func.count()).select_from(model).where(*conditions))


def snapshot(session):
    """Everything a reorganisation may write, to compare before and after."""
    return {
        "units": sorted(
            session.execute(
                select(Unit.code, Unit.name, Unit.path, Unit.retired_at, Unit.successor_id)
            ).all()
        ),
        "users": sorted(session.execute(select(User.username, User.unit_id, User.active)).all()),
        "campaigns": sorted(session.execute(select(Campaign.id, Campaign.unit_id)).all()),
        "nominations": sorted(
            session.execute(
                select(
                    Nomination.id,
                    Nomination.state,
                    Nomination.version,
                    Nomination.cell_id,
                    Nomination.pending_unit_id,
                    Nomination.returned_by_unit_id,
                )
            ).all()
        ),
        "history": count(session, HistoryEntry),
        "outbox": count(session, OutboxMessage),
        "versions": count(session, UnitVersion),
        "reorganisations": count(session, Reorganisation),
    }


def test_a_dry_run_writes_nothing_and_applying_does_what_it_showed(world, in_flight, db_session):
    admin = world.users["adm_p"]
    before = snapshot(db_session)
    preview = reorganise(db_session, admin, dry_run=True)
    assert snapshot(db_session) == before
    assert preview["id"] is None
    assert preview["dry_run"] is True

    applied = reorganise(db_session, admin)
    assert applied["dry_run"] is False
    assert db_session.get(Reorganisation, applied["id"]).reason == REASON
    for part in ("units", "accounts", "campaigns", "nominations", "names"):
        assert applied[part] == preview[part], part
    changes = {item["code"]: item["changes"] for item in applied["units"]}
    assert changes == {
        "CX": ["created"],
        "C1": ["merged"],
        "C2": ["merged"],
        "D1": ["dissolved"],
        "KD": ["moved"],
        "K1": ["moved"],
        "K2": ["moved"],
        "K3": ["moved"],
    }
    assert {(a["username"], a["unit_to"], a["change"]) for a in applied["accounts"]} == {
        ("rev_c1", "CX", "moved"),
        ("rev_c2", "CX", "moved"),
        ("rev_d1", "D1", "disabled"),
        ("adm_d1", "D1", "disabled"),
    }
    moved = {item["id"]: item for item in applied["nominations"]}
    assert (
        moved[in_flight["at_commune"].id]["pending_from"],
        moved[in_flight["at_commune"].id]["pending_to"],
    ) == ("C1", "CX")
    assert moved[in_flight["at_district"].id]["pending_to"] == "P"
    assert moved[in_flight["returned"].id]["returned_by_to"] == "CX"
    assert in_flight["elsewhere"].id not in moved  # nothing changes in D2
    assert in_flight["draft"].id not in moved  # its cell only moved along


def test_the_tree_after_the_reorganisation(world, in_flight, db_session):
    reorganise(db_session, world.users["adm_p"])
    paths = dict(db_session.execute(select(Unit.code, Unit.path)).all())
    assert paths["CX"] == "/P/CX/"
    assert paths["K1"] == "/P/CX/K1/"
    assert paths["K3"] == "/P/CX/K3/"
    assert paths["KD"] == "/P/KD/"
    # Retired units hang below their successors: what they did counts inside today's units.
    assert paths["C1"] == "/P/CX/C1/"
    assert paths["D1"] == "/P/D1/"
    c1, d1 = unit(db_session, "C1"), unit(db_session, "D1")
    assert c1.retired
    assert c1.successor.code == "CX"
    assert d1.retired
    assert d1.successor.code == "P"
    assert world.units["K1"].ancestor_codes == ["P", "CX"]
    chain = [u.code for u in services.routing.reviewing_chain(world.units["K1"])]
    assert chain == ["CX", "P"]


def test_pending_and_returned_nominations_land_where_they_should(world, in_flight, db_session):
    at_commune, at_district = in_flight["at_commune"], in_flight["at_district"]
    returned = in_flight["returned"]
    waited_since = at_district.pending_since
    versions = {key: nomination.version for key, nomination in in_flight.items()}
    report = reorganise(db_session, world.users["adm_p"])
    db_session.expire_all()

    assert (at_commune.state, at_commune.pending_unit.code) == ("commune_review", "CX")
    assert (at_district.state, at_district.pending_unit.code) == ("province_review", "P")
    assert at_district.pending_since == waited_since  # the wait and the deadlines carry over
    assert (returned.state, returned.returned_by_unit.code) == ("returned", "CX")
    for key in ("at_commune", "at_district", "returned"):
        assert in_flight[key].version == versions[key] + 1  # a concurrent writer gets 409
    assert in_flight["draft"].version == versions["draft"]

    entry = at_district.history[-1]
    assert (entry.action, entry.from_state, entry.to_state) == (
        "reorganised",
        "district_review",
        "province_review",
    )
    assert entry.actor_id == world.users["adm_p"].id
    assert entry.actor_unit_name == "Tỉnh ủy Phú Thọ"
    assert entry.comment == REASON
    assert entry.details["reorganisation_id"] == report["id"]
    assert entry.details["pending_from"] == {
        "code": "D1",
        "name": "Huyện ủy Cẩm Khê",
        "level": "district",
    }
    assert entry.details["pending_to"]["code"] == "P"
    assert returned.history[-1].details["returned_by_to"]["name"] == "Đảng ủy xã Cẩm Khê"

    def recipients(nomination):
        return set(
            db_session.scalars(
                select(OutboxMessage.recipient_email).where(
                    OutboxMessage.nomination_id == nomination.id,
                    OutboxMessage.notice == "reorganised",
                )
            )
        )

    # The new reviewers (the merged communes' reviewers both work at CX now) and the cell.
    assert recipients(at_commune) == {
        "rev_c1@example.org",
        "rev_c2@example.org",
        "sec_k1@example.org",
    }
    assert recipients(at_district) == {"rev_p@example.org", "sec_k3@example.org"}
    assert recipients(returned) == {"sec_k2@example.org"}
    context = db_session.scalar(
        select(OutboxMessage.context).where(
            OutboxMessage.nomination_id == at_district.id, OutboxMessage.notice == "reorganised"
        )
    )
    assert context["details"]["pending_from"]["name"] == "Huyện ủy Cẩm Khê"

    # The work goes on in the new shape.
    world.act(at_commune, "rev_c1", "approve")
    assert (at_commune.state, at_commune.pending_unit.code) == ("province_review", "P")
    world.act(returned, "sec_k2", "resubmit")
    assert (returned.state, returned.pending_unit.code) == ("commune_review", "CX")
    world.act(at_district, "rev_p", "approve")  # the province decides now
    assert (at_district.state, at_district.recognized_level) == ("commended", "province")


def test_merged_cells_bring_their_drafts_and_secretaries(world, in_flight, db_session):
    draft, pending = in_flight["draft"], in_flight["at_commune"]
    operations = [Operation("merge", units=("K1", "K2"), into="K12", name="Chi bộ thôn Đồng Hội")]
    reorganise(db_session, world.users["adm_p"], operations)
    secretary = world.users["sec_k1"]
    assert secretary.unit.code == "K12"
    assert secretary.active
    assert draft.cell.code == "K12"
    assert pending.cell.code == "K12"
    assert pending.pending_unit.code == "C1"  # only its cell changed
    assert pending.history[-1].details["cell_from"]["code"] == "K1"
    world.act(draft, "sec_k1", "submit")
    assert draft.pending_unit.code == "C1"


def test_a_bad_operation_writes_nothing(world, in_flight, db_session):
    before = snapshot(db_session)
    operations = [*MERGE_AND_DISSOLVE, Operation("dissolve", unit="K4")]
    with pytest.raises(Invalid) as raised:
        reorganise(db_session, world.users["adm_p"], operations)
    assert raised.value.field == "operations.2.unit"
    assert snapshot(db_session) == before


@pytest.mark.parametrize(
    ("operations", "error", "field"),
    [
        ([Operation("merge", units=("C1", "D2"), into="CX", name="X")], Invalid, "units.1"),
        ([Operation("merge", units=("C1", "C2"), into="CX")], Invalid, "name"),
        ([Operation("merge", units=("C1", "C2"), into="D2")], Invalid, "into"),
        ([Operation("merge", units=("C1", "C1"), into="C2")], Invalid, "units.1"),
        ([Operation("merge", units=("C1", "C2"), into="x y", name="X")], Invalid, "into"),
        ([Operation("dissolve", unit="P")], Invalid, "unit"),
        ([Operation("dissolve", unit="K1")], Invalid, "unit"),
        ([Operation("move", unit="D1", parent="C3")], Invalid, "parent"),
        ([Operation("move", unit="C1", parent="K1")], Invalid, "parent"),
        ([Operation("rename", unit="C1", name="  ")], Invalid, "name"),
        ([Operation("rename", unit="NOPE", name="X")], NotFound, "unit"),
        (
            [Operation("dissolve", unit="D1"), Operation("rename", unit="D1", name="X")],
            Invalid,
            "unit",
        ),
        ([Operation("split", unit="D1")], Invalid, "op"),
    ],
)
def test_operations_refused_name_the_field(world, db_session, operations, error, field):
    with pytest.raises(error) as raised:
        reorganise(db_session, world.users["adm_p"], operations)
    assert raised.value.key == field
    assert count(db_session, Reorganisation) == 0


def test_administrators_reorganise_only_inside_their_subtree(world, db_session):
    district_admin = world.users["adm_d1"]
    with pytest.raises(NotFound):  # D2 lies outside D1: it reads as absent
        reorganise(db_session, district_admin, [Operation("move", unit="C1", parent="D2")])
    with pytest.raises(Forbidden):  # nor may they dissolve their own unit
        reorganise(db_session, district_admin, [Operation("dissolve", unit="D1")])
    with pytest.raises(Forbidden):
        reorganise(db_session, world.users["rev_p"], [Operation("dissolve", unit="D1")])
    report = reorganise(db_session, district_admin, [MERGE_AND_DISSOLVE[0]])
    assert report["units"][0]["code"] == "CX"
    record = db_session.get(Reorganisation, report["id"])
    assert record.scope_path == "/P/D1/"
    assert policy.can_see_reorganisation(district_admin, record)
    assert policy.can_see_reorganisation(world.users["adm_p"], record)
    wider = reorganise(db_session, world.users["adm_p"], [Operation("dissolve", unit="D2")])
    wider = db_session.get(Reorganisation, wider["id"])
    assert wider.scope_path == "/P/"
    assert not policy.can_see_reorganisation(district_admin, wider)


def test_the_operator_merges_provinces_and_history_names_no_account(world, in_flight, db_session):
    other = Unit(code="Q", name="Tỉnh ủy Vĩnh Phúc", level="province", path="/Q/")
    db_session.add(other)
    db_session.flush()
    operations = [Operation("merge", units=("P", "Q"), into="P")]
    with pytest.raises(NotFound):  # Q lies outside P's administrator
        reorganise(db_session, world.users["adm_p"], operations)
    report = reorganise(db_session, policy.OPERATOR, [*operations, *MERGE_AND_DISSOLVE])
    assert unit(db_session, "Q").successor.code == "P"
    entry = in_flight["at_district"].history[-1]
    assert (entry.actor_id, entry.actor_unit_id, entry.actor_unit_name) == (None, None, None)
    assert db_session.get(Reorganisation, report["id"]).actor_id is None


def test_campaigns_pass_to_the_successor_with_their_deadlines(world, db_session):
    today = services.today()
    deadlines = {"commune": today + dt.timedelta(days=20)}
    campaign = services.create_campaign(
        db_session,
        world.users["adm_p"],
        world.units["C1"],
        name="Đợt của xã",
        year=today.year,
        submission_deadline=today + dt.timedelta(days=10),
        review_deadlines=deadlines,
    )
    report = reorganise(db_session, world.users["adm_p"])
    assert report["campaigns"] == [
        {"id": campaign.id, "name": "Đợt của xã", "unit_from": "C1", "unit_to": "CX"}
    ]
    assert campaign.unit.code == "CX"
    assert campaign.submission_deadline == today + dt.timedelta(days=10)
    assert campaign.commune_review_deadline == deadlines["commune"]
    # The province's campaign stays where it is; nothing new may be opened at a retired unit.
    assert world.campaign.unit.code == "P"
    with pytest.raises(Invalid):
        services.create_campaign(
            db_session,
            world.users["adm_p"],
            unit(db_session, "C1"),
            name="X",
            year=today.year,
            submission_deadline=today,
            review_deadlines={},
        )


def test_issued_lists_never_change_and_keep_the_name_of_their_day(world, db_session):
    nomination = world.nominate(cell="K1", target="commune")
    world.act(nomination, "sec_k1", "submit")
    world.act(nomination, "rev_c1", "approve")
    issued, _outcome = lists.request_list(
        db_session, world.users["adm_p"], world.campaign, world.units["C1"], on=services.today()
    )
    lists.snapshot(db_session, issued, on=services.today())
    before = (issued.rows, issued.summary, issued.unit_name, issued.number, issued.unit_id)
    reorganise(db_session, world.users["adm_p"])
    db_session.expire_all()
    issued = db_session.get(CommendationList, issued.id)
    assert (issued.rows, issued.summary, issued.unit_name, issued.number, issued.unit_id) == before
    assert issued.issuer_name == "Đảng ủy xã Tiên Lương"
    assert issued.rows[0]["unit"] == "Chi bộ thôn Đồng Hội"
    # The successor's reviewers see the lists of the communes it carries on.
    assert policy.can_see_list(world.users["rev_c2"], issued)
    with pytest.raises(Invalid):
        lists.request_list(
            db_session, world.users["adm_p"], world.campaign, issued.unit, on=services.today()
        )


def test_units_keep_their_past_names_with_dates(world, db_session):
    administration.rename_unit(
        db_session, world.users["adm_p"], world.units["C3"], name="Xã Lâm Thao"
    )
    db_session.flush()
    names = unit_history.names(db_session, world.units["C3"])
    assert [name for name, _since, _until in names] == ["Đảng ủy thị trấn Lâm Thao", "Xã Lâm Thao"]
    (_, _, renamed_on), (_, since, until) = names
    assert renamed_on == since
    assert until is None


def test_retired_units_take_no_new_work(world, db_session):
    reorganise(db_session, world.users["adm_p"])
    admin, c1 = world.users["adm_p"], unit(db_session, "C1")
    for attempt in (
        lambda: administration.add_unit(db_session, admin, c1, code="K9", name="X", level="cell"),
        lambda: administration.rename_unit(db_session, admin, c1, name="X"),
        lambda: administration.create_user(
            db_session, admin, c1, username="x", full_name="X", email="x@x.vn", role="reviewer"
        ),
        lambda: administration.change_user(
            db_session, admin, world.users["rev_c3"], role="reviewer", unit=c1
        ),
    ):
        with pytest.raises(Invalid):
            attempt()
    errors, _counts = imports.preview(
        db_session, admin, "units", "code,name,level,parent_code\nC1,Xã,commune,P\n"
    )
    assert [(error.line, error.column) for error in errors] == [(2, "code")]
    issuing = [u.code for u in lists.issuing_units(db_session, admin, world.campaign)]
    assert "C1" not in issuing
    assert "D1" not in issuing
    assert "CX" in issuing


def test_sessions_and_tokens_see_the_new_subtree_at_once(world, in_flight, db_session):
    reviewer = world.users["rev_c2"]
    token, _ = accounts.issue_token(db_session, reviewer, hours=1)
    session_key = accounts.open_browser_session(db_session, reviewer, hours=1)
    hidden = in_flight["at_commune"]
    assert not policy.can_see_nomination(reviewer, hidden)
    reorganise(db_session, world.users["adm_p"])
    db_session.expire_all()
    for user in (
        accounts.user_for_token(db_session, token),
        accounts.user_for_browser_session(db_session, session_key, reviewer.id),
    ):
        assert user is not None
        assert user.unit.code == "CX"
        assert policy.can_see_nomination(user, hidden)
        assert policy.can(user, "approve", hidden)
    disabled = world.users["rev_d1"]
    assert not disabled.active
    assert (
        accounts.user_for_token(db_session, accounts.issue_token(db_session, disabled, hours=1)[0])
        is None
    )


def test_a_concurrent_action_on_a_moved_nomination_is_a_conflict(world, in_flight, db_session):
    nomination = in_flight["at_commune"]
    seen = nomination.version
    reorganise(db_session, world.users["adm_p"])
    with pytest.raises(Conflict):
        services.perform(
            db_session, nomination, world.users["rev_c1"], action="approve", version=seen
        )


# The CSV form of 2025: old_code,new_code[,name][,parent_code].

CSV_2025 = """old_code,new_code,name,parent_code
C1,CX,Đảng ủy xã Cẩm Khê,
C2,CX,,
D1,P,,
C3,C3,Đảng ủy xã Lâm Thao,
"""


def test_the_csv_form_is_the_same_operations(world, in_flight, db_session):
    plan = reorganisation.operations_from_csv(db_session, world.users["adm_p"], CSV_2025)
    assert plan.operations == [
        *MERGE_AND_DISSOLVE,
        Operation("rename", unit="C3", name="Đảng ủy xã Lâm Thao"),
    ]
    errors, preview = reorganisation.preview_csv(
        db_session, world.users["adm_p"], CSV_2025, reason=REASON
    )
    assert errors == []
    assert preview["id"] is None
    applied = reorganisation.apply_csv(db_session, world.users["adm_p"], CSV_2025, reason=REASON)
    assert applied["nominations"] == preview["nominations"]
    assert unit(db_session, "C3").name == "Đảng ủy xã Lâm Thao"


def test_csv_rows_that_keep_move_or_merge_into_an_existing_unit(world, db_session):
    text = (
        "old_code,new_code,name,parent_code\n"
        "C2,C1,,\n"  # into an existing commune
        "C1,C1,Đảng ủy xã Tiên Lương mới,\n"  # the unit others merge into: renamed
        "KD,KD,,C3\n"  # moved
        "K4,K4,,\n"  # listed, unchanged
    )
    plan = reorganisation.operations_from_csv(db_session, world.users["adm_p"], text)
    assert plan.operations == [
        Operation("merge", units=("C2", "C1"), into="C1", name="Đảng ủy xã Tiên Lương mới"),
        Operation("move", unit="KD", parent="C3"),
    ]


def test_csv_errors_name_every_bad_line_and_column_and_write_nothing(world, db_session):
    text = (
        "old_code,new_code,name,parent_code\n"
        "C1,CX,Xã một,\n"
        "C2,CX,Xã hai,\n"  # line 3: another name for the same new unit
        "C1,CY,,\n"  # line 4: C1 twice
        "NOPE,CX,,\n"  # line 5: no such unit
        "D1,P,Tên,\n"  # line 6: a dissolved unit takes no name
        "C3,C 3,,\n"  # line 7: not a code
    )
    before = snapshot(db_session)
    errors, report = reorganisation.preview_csv(
        db_session, world.users["adm_p"], text, reason=REASON
    )
    assert report is None
    assert [(error.line, error.column) for error in errors] == [(7, "new_code")]
    errors, report = reorganisation.preview_csv(
        db_session, world.users["adm_p"], text.replace("C 3", "C3"), reason=REASON
    )
    assert [(error.line, error.column, error.message) for error in errors] == [
        (4, "old_code", "duplicate of line 2"),
        (5, "old_code", "no unit with code 'NOPE'"),
        (6, "name", "must be empty when a unit is dissolved"),
        (3, "name", "differs from line 2"),
    ]
    assert snapshot(db_session) == before


@pytest.mark.parametrize(
    ("row", "line", "column"),
    [
        ("K1,CX,,", 3, "old_code"),  # a cell cannot merge with communes
        ("C3,K4,,", 3, "new_code"),  # a commune cannot merge into a cell
        ("K4,K4,,C3X", 3, "parent_code"),  # no such parent
    ],
)
def test_a_row_the_reorganisation_refuses_is_named_and_nothing_is_written(
    world, db_session, row, line, column
):
    text = f"old_code,new_code,name,parent_code\nC1,CX,Xã mới,\n{row}\nD1,P,,\n"
    before = snapshot(db_session)
    errors, report = reorganisation.preview_csv(
        db_session, world.users["adm_p"], text, reason=REASON
    )
    assert report is None
    assert [(e.line, e.column) for e in errors] == [(line, column)]
    with pytest.raises(imports.ImportError_) as raised:
        reorganisation.apply_csv(db_session, world.users["adm_p"], text, reason=REASON)
    assert (raised.value.line, raised.value.column) == (line, column)
    assert snapshot(db_session) == before


def test_the_notice_says_where_the_nomination_waits_now(
    app, world, in_flight, db_session, dispatching
):
    db_session.commit()
    reorganise(db_session, world.users["adm_p"])
    with app.app_context():
        db_session.commit()  # the after-commit hand-off sends the notices
    messages = {
        message["To"]: message
        for message in read_mail(dispatching)
        if "Trần Văn Bình" in message["Subject"]
    }
    assert set(messages) == {"rev_p@example.org", "sec_k3@example.org"}
    body = messages["sec_k3@example.org"].get_body(("plain",)).get_content()
    assert "Đang chờ xem xét tại: Tỉnh ủy Phú Thọ (trước đây: Huyện ủy Cẩm Khê)" in body
    assert "Ý kiến: " + REASON in body
    assert "sắp xếp tổ chức" in messages["sec_k3@example.org"]["Subject"]
