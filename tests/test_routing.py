"""Routing follows the cell's ancestors, skipping absent levels."""

import pytest

from workflow.errors import NotAllowedNow


def test_climbs_commune_district_province(world):
    nomination = world.nominate(cell="K1", target="province")
    world.act(nomination, "sec_k1", "submit")
    assert (nomination.state, nomination.pending_unit.code) == ("commune_review", "C1")
    world.act(nomination, "rev_c1", "approve")
    assert (nomination.state, nomination.pending_unit.code) == ("district_review", "D1")
    world.act(nomination, "rev_d1", "approve")
    assert (nomination.state, nomination.pending_unit.code) == ("province_review", "P")
    world.act(nomination, "rev_p", "approve")
    assert (nomination.state, nomination.pending_unit, nomination.recognized_level) == (
        "commended",
        None,
        "province",
    )


def test_cell_directly_under_a_district_skips_the_commune(world):
    nomination = world.nominate(cell="KD", target="province")
    world.act(nomination, "sec_kd", "submit")
    assert (nomination.state, nomination.pending_unit.code) == ("district_review", "D1")


def test_target_level_absent_on_the_path_is_decided_by_the_next_level_up(world):
    nomination = world.nominate(cell="KD", target="commune")
    world.act(nomination, "sec_kd", "submit")
    world.act(nomination, "rev_d1", "approve")
    assert (nomination.state, nomination.recognized_level) == ("commended", "district")


def test_approve_at_target_commends_at_that_level(world):
    nomination = world.nominate(cell="K1", target="commune")
    world.act(nomination, "sec_k1", "submit")
    world.act(nomination, "rev_c1", "approve")
    assert (nomination.state, nomination.recognized_level) == ("commended", "commune")


def test_recognize_finishes_below_the_target(world):
    nomination = world.nominate(cell="K1", target="province")
    world.act(nomination, "sec_k1", "submit")
    world.act(nomination, "rev_c1", "approve")
    world.act(nomination, "rev_d1", "recognize")
    assert (nomination.state, nomination.recognized_level) == ("commended", "district")


def test_recognize_is_not_for_the_decision_unit(world):
    nomination = world.nominate(cell="K1", target="commune")
    world.act(nomination, "sec_k1", "submit")
    with pytest.raises(NotAllowedNow):
        world.act(nomination, "rev_c1", "recognize")
    assert nomination.state == "commune_review"


def test_resubmit_goes_back_to_the_unit_that_returned_it(world):
    nomination = world.nominate(cell="K1", target="province")
    world.act(nomination, "sec_k1", "submit")
    world.act(nomination, "rev_c1", "approve")
    world.act(nomination, "rev_d1", "return", comment="Bổ sung minh chứng")
    assert (nomination.state, nomination.pending_unit, nomination.returned_by_unit.code) == (
        "returned",
        None,
        "D1",
    )
    world.act(nomination, "sec_k1", "resubmit")
    assert (nomination.state, nomination.pending_unit.code) == ("district_review", "D1")


def test_every_action_appends_one_history_entry(world, db_session):
    nomination = world.nominate(cell="K1", target="district")
    world.act(nomination, "sec_k1", "submit")
    world.act(nomination, "rev_c1", "return", comment="Thiếu hồ sơ")
    world.act(nomination, "sec_k1", "resubmit")
    db_session.expire(nomination, ["history"])
    steps = [(e.action, e.from_state, e.to_state, e.actor_unit.code) for e in nomination.history]
    assert steps == [
        ("create", None, "draft", "K1"),
        ("submit", "draft", "commune_review", "K1"),
        ("return", "commune_review", "returned", "C1"),
        ("resubmit", "returned", "commune_review", "K1"),
    ]
    assert nomination.history[2].comment == "Thiếu hồ sơ"


def test_chains_of_a_page_take_one_query_whatever_its_size(app, world, db_session):
    from sqlalchemy import select
    from test_api import sql_log

    from workflow import routing
    from workflow.models import Nomination

    for cell in ("K1", "K2", "K3", "KD", "K4"):
        world.act(world.nominate(cell=cell, target="province"), f"sec_{cell.lower()}", "submit")
    db_session.commit()
    db_session.expunge_all()  # a fresh page: no unit is in the session yet
    nominations = db_session.scalars(select(Nomination)).all()
    for nomination in nominations:
        nomination.cell, nomination.campaign  # noqa: B018 (loaded with the page)
    with sql_log(app) as statements:
        chains = routing.chains_of(db_session, nominations)
    assert len(statements) == 1, statements  # the cells' ancestors; climbing costs nothing
    assert [unit.code for unit in chains[nominations[0].id]] == ["C1", "D1", "P"]
