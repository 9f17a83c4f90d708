"""workflow.administration and the import preview, below the web pages."""

import datetime as dt

import pytest
from sqlalchemy import select

from web import labels
from workflow import accounts, administration, imports, policy, queries, routing
from workflow.errors import Conflict, Forbidden, Invalid
from workflow.models import Unit, User


def test_moving_a_unit_rewrites_every_path_below_it(app, world, db_session):
    admin = world.users["adm_p"]
    with pytest.raises(Invalid) as refused:
        administration.move_unit(db_session, admin, world.units["D1"], world.units["D2"])
    assert refused.value.message == "a district cannot sit under a district"
    with app.test_request_context("/?lang=vi"):  # the admin pages' words for it
        assert labels.message(refused.value.message) == (
            "Không thể đặt đơn vị cấp huyện trực thuộc đơn vị cấp huyện."
        )
    administration.move_unit(db_session, admin, world.units["C2"], world.units["D2"])
    paths = dict(db_session.execute(select(Unit.code, Unit.path)).all())
    assert paths["C2"] == "/P/D2/C2/"
    assert paths["K3"] == "/P/D2/C2/K3/"
    assert world.units["C2"].parent is world.units["D2"]
    assert world.units["K3"].ancestor_codes == ["P", "D2", "C2"]


def test_moves_are_refused_outside_the_rules(world, db_session):
    with pytest.raises(Invalid):
        administration.move_unit(
            db_session, world.users["adm_p"], world.units["D1"], world.units["K1"]
        )
    with pytest.raises(Forbidden):  # D2 lies outside a D1 administrator's subtree
        administration.move_unit(
            db_session, world.users["adm_d1"], world.units["C1"], world.units["D2"]
        )
    with pytest.raises(Forbidden):
        administration.move_unit(
            db_session, world.users["rev_p"], world.units["C1"], world.units["D2"]
        )


def test_disabling_and_new_passwords_end_sessions(world, db_session):
    user = world.users["sec_k1"]
    before = user.session_version
    administration.set_active(db_session, world.users["adm_p"], user, active=False)
    administration.set_active(db_session, world.users["adm_p"], user, active=True)
    administration.set_password(db_session, user, "long-enough")
    assert user.session_version == before + 3
    with pytest.raises(Invalid):
        administration.set_password(db_session, user, "short")


def test_preview_names_every_bad_line_and_writes_nothing(world, db_session):
    text = (
        "code,name,level,parent_code\n"
        "X1,,commune,D1\n"
        "X2,Xã hai,town,D1\n"
        "X3,Xã ba,commune,D1,extra\n"
    )
    errors, counts = imports.preview(db_session, world.users["adm_p"], "units", text)
    assert counts is None
    assert [(error.line, error.column) for error in errors] == [
        (2, "name"),
        (3, "level"),
        (4, None),
    ]
    assert db_session.scalar(select(Unit).where(Unit.code.like("X%"))) is None


def test_preview_of_a_good_file_counts_and_rolls_back(world, db_session):
    text = (
        "code,name,level,parent_code\n"
        "X1,Xã một,commune,D1\n"
        "C1,Đảng ủy xã Tiên Lương mới,commune,D1\n"
    )
    errors, counts = imports.preview(db_session, world.users["adm_p"], "units", text)
    assert errors == []
    assert counts == (1, 1)
    assert db_session.scalar(select(Unit).where(Unit.code == "X1")) is None
    assert db_session.scalar(select(Unit.name).where(Unit.code == "C1")) == "Đảng ủy xã Tiên Lương"


def _at_district(world):
    """A nomination of cell K1 pending at district D1, above K1's commune C1."""
    return world.act(world.act(world.nominate(), "sec_k1", "submit"), "rev_c1", "approve")


@pytest.mark.parametrize("chunk", [routing.CHUNK, 1])  # 1: one query per moving unit
def test_a_move_that_would_strand_nominations_under_review_is_refused(
    world, db_session, monkeypatch, chunk
):
    monkeypatch.setattr(routing, "CHUNK", chunk)
    admin = world.users["adm_p"]
    pending = _at_district(world)
    assert pending.pending_unit is world.units["D1"]
    with pytest.raises(Conflict) as refused:  # D1 would no longer be above K1
        administration.move_unit(db_session, admin, world.units["C1"], world.units["D2"])
    assert str(refused.value) == (
        "1 nomination below C1 is pending at or was returned by D1, "
        "which would no longer be above it"
    )
    assert world.units["K1"].path == "/P/D1/C1/K1/"
    assert world.units["C1"].parent is world.units["D1"]
    # Inside D1 the district stays above the cell: allowed.
    administration.move_unit(db_session, admin, world.units["K1"], world.units["C2"])
    assert world.units["K1"].path == "/P/D1/C2/K1/"


def test_a_move_keeps_nominations_pending_at_a_unit_that_moves_with_them(world, db_session):
    admin = world.users["adm_p"]
    pending = world.act(world.nominate(), "sec_k1", "submit")
    assert pending.pending_unit is world.units["C1"]
    with pytest.raises(Conflict):  # C1 would no longer be above K1
        administration.move_unit(db_session, admin, world.units["K1"], world.units["C2"])
    administration.move_unit(db_session, admin, world.units["C1"], world.units["D2"])
    assert world.units["K1"].path == "/P/D2/C1/K1/"


def test_a_move_that_would_strand_a_returned_nomination_is_refused(world, db_session):
    admin = world.users["adm_p"]
    returned = world.act(_at_district(world), "rev_d1", "return")
    assert (returned.state, returned.returned_by_unit) == ("returned", world.units["D1"])
    with pytest.raises(Conflict):  # resubmitting would go back to D1, no longer above K1
        administration.move_unit(db_session, admin, world.units["C1"], world.units["D2"])
    world.act(returned, "sec_k1", "withdraw")  # settled: nothing waits any more
    administration.move_unit(db_session, admin, world.units["C1"], world.units["D2"])
    assert world.units["K1"].path == "/P/D2/C1/K1/"


def test_an_import_that_would_strand_nominations_names_the_row_and_writes_nothing(
    world, db_session
):
    _at_district(world)
    text = (
        "code,name,level,parent_code\nX1,Xã một,commune,D2\nC1,Đảng ủy xã Tiên Lương,commune,D2\n"
    )
    errors, counts = imports.preview(db_session, world.users["adm_p"], "units", text)
    assert counts is None
    assert [(error.line, error.column) for error in errors] == [(3, "parent_code")]
    assert "pending at or was returned by D1" in errors[0].message
    paths = dict(db_session.execute(select(Unit.code, Unit.path)).all())
    assert paths["K1"] == "/P/D1/C1/K1/"
    assert "X1" not in paths


def test_a_queue_lists_only_what_its_owner_may_open(world, db_session):
    reviewer = world.users["rev_c1"]
    stray = world.act(world.nominate(cell="K3"), "sec_k3", "submit")
    stray.pending_unit = world.units["C1"]  # pending at C1 though K3 lies under C2
    db_session.flush()
    assert not policy.can_see_nomination(reviewer, stray)
    conditions = queries.queue_conditions(reviewer)
    assert queries.count(db_session, conditions) == 0
    late = world.campaign.commune_review_deadline + dt.timedelta(days=1)
    assert queries.count(db_session, queries.overdue_conditions(reviewer.unit, late)) == 0
    mine = world.act(world.nominate(), "sec_k1", "submit")
    assert queries.page_of(
        db_session,
        queries.queue_conditions(reviewer),
        order_by=queries.QUEUE_ORDER,
        page=1,
        per_page=10,
    )[1] == [mine]
    assert queries.count(db_session, queries.overdue_conditions(reviewer.unit, late)) == 1


def _live_token(db_session, user):
    token, _expires = accounts.issue_token(db_session, user, hours=1)
    assert accounts.user_for_token(db_session, token) is user
    return token


def test_a_password_changed_by_import_ends_sessions_and_api_tokens(world, db_session):
    user = world.users["sec_k1"]
    token, before = _live_token(db_session, user), user.session_version
    row = "sec_k1,Người dùng sec_k1,sec_k1@example.org,secretary,K1,{}\n"
    header = "username,full_name,email,role,unit_code,password\n"
    assert imports.import_users(
        db_session, world.users["adm_p"], header + row.format("secret-pass")
    ) == (0, 0)
    assert (accounts.user_for_token(db_session, token), user.session_version) == (user, before)
    assert imports.import_users(
        db_session, world.users["adm_p"], header + row.format("a-new-password")
    ) == (0, 1)
    assert accounts.check_password(user, "a-new-password")
    assert user.session_version == before + 1
    assert accounts.user_for_token(db_session, token) is None


def test_a_role_or_unit_changed_by_import_ends_sessions_and_api_tokens(world, db_session):
    user = world.users["sec_k1"]
    token, before = _live_token(db_session, user), user.session_version
    header = "username,full_name,email,role,unit_code,password\n"
    row = "sec_k1,Người dùng sec_k1,sec_k1@example.org,secretary,{},\n"
    assert imports.import_users(db_session, world.users["adm_p"], header + row.format("K1")) == (
        0,
        0,
    )
    assert accounts.user_for_token(db_session, token) is user
    assert imports.import_users(db_session, world.users["adm_p"], header + row.format("K2")) == (
        0,
        1,
    )
    assert user.session_version == before + 1
    assert accounts.user_for_token(db_session, token) is None


def test_disabling_an_account_revokes_its_api_tokens_for_good(world, db_session):
    admin, user = world.users["adm_p"], world.users["rev_c1"]
    token = _live_token(db_session, user)
    administration.set_active(db_session, admin, user, active=False)
    administration.set_active(db_session, admin, user, active=True)
    assert accounts.user_for_token(db_session, token) is None


def test_two_set_password_links_in_the_same_second_are_two_notices(world, db_session):
    admin, user = world.users["adm_p"], world.users["sec_k1"]
    first = administration.queue_password_link(db_session, admin, user, link="http://x/1")
    second = administration.queue_password_link(db_session, admin, user, link="http://x/2")
    assert first.key != second.key
    db_session.flush()


def test_an_address_is_kept_as_every_mail_server_takes_it(world, db_session):
    # A domain with diacritics in its ASCII form; diacritics before the @, which only a server
    # speaking SMTPUTF8 delivers, are refused by line and column.
    header = "username,full_name,email,role,unit_code,password\n"
    text = (
        header
        + "lan,Hà Thị Lan,lan@bưuđiện.vn,secretary,K1,secret-pass\n"
        + "an,Nguyễn Văn An,nguyễn.văn.an@example.vn,secretary,K1,secret-pass\n"
    )
    errors, _counts = imports.preview(db_session, world.users["adm_p"], "users", text)
    assert [(error.line, error.column) for error in errors] == [(3, "email")]
    assert imports.import_users(db_session, world.users["adm_p"], header + text.split("\n")[1])
    lan = db_session.scalar(select(User).where(User.username == "lan"))
    assert lan.email == "lan@xn--buin-1ua66gr30m.vn"
