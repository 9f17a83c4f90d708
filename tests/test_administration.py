"""workflow.administration and the import preview, below the web pages."""

import pytest
from sqlalchemy import select

from workflow import administration, imports
from workflow.errors import Forbidden, Invalid
from workflow.models import Unit


def test_moving_a_unit_rewrites_every_path_below_it(world, db_session):
    admin = world.users["adm_p"]
    with pytest.raises(Invalid):  # a district cannot sit under a district
        administration.move_unit(db_session, admin, world.units["D1"], world.units["D2"])
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
    errors, counts = imports.preview(db_session, "units", text)
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
    errors, counts = imports.preview(db_session, "units", text)
    assert errors == []
    assert counts == (1, 1)
    assert db_session.scalar(select(Unit).where(Unit.code == "X1")) is None
    assert db_session.scalar(select(Unit.name).where(Unit.code == "C1")) == "Đảng ủy xã Tiên Lương"
