"""The state machine table on its own: which moves exist and where they lead."""

import pytest

from workflow.errors import NotAllowedNow
from workflow.machine import ACTIONS, MACHINE, STATES, Move, allowed_actions, fire, mermaid


def test_no_auto_transitions():
    assert set(MACHINE.events) == set(ACTIONS)


@pytest.mark.parametrize(
    ("state", "actions"),
    [
        ("draft", ["submit", "withdraw"]),
        ("commune_review", ["approve", "recognize", "return", "reject", "withdraw"]),
        ("district_review", ["approve", "recognize", "return", "reject", "withdraw"]),
        ("province_review", ["approve", "recognize", "return", "reject", "withdraw"]),
        ("returned", ["resubmit", "withdraw"]),
        ("commended", []),
        ("rejected", []),
        ("withdrawn", []),
    ],
)
def test_allowed_actions(state, actions):
    assert allowed_actions(state) == actions


@pytest.mark.parametrize(
    ("action", "move", "expected"),
    [
        ("submit", Move("draft", next_level="commune"), "commune_review"),
        ("submit", Move("draft", next_level="district"), "district_review"),
        ("approve", Move("commune_review", next_level="district"), "district_review"),
        ("approve", Move("commune_review", next_level="province"), "province_review"),
        (
            "approve",
            Move("district_review", next_level="province", at_decision_unit=True),
            "commended",
        ),
        ("recognize", Move("commune_review", next_level="district"), "commended"),
        ("return", Move("district_review"), "returned"),
        ("resubmit", Move("returned", next_level="district"), "district_review"),
        ("reject", Move("province_review"), "rejected"),
        ("withdraw", Move("returned"), "withdrawn"),
    ],
)
def test_moves(action, move, expected):
    assert fire(action, move) == expected
    assert move.state == expected


@pytest.mark.parametrize(
    ("action", "move"),
    [
        ("approve", Move("draft")),
        ("submit", Move("commune_review", next_level="district")),
        ("recognize", Move("province_review", at_decision_unit=True)),
        ("approve", Move("district_review", next_level="commune")),  # never down the tree
        ("submit", Move("draft", next_level=None)),  # no reviewing ancestor
        ("withdraw", Move("commended")),
        ("fly", Move("draft")),
    ],
)
def test_refused_moves_leave_the_state(action, move):
    before = move.state
    with pytest.raises(NotAllowedNow):
        fire(action, move)
    assert move.state == before


def test_diagram_is_drawn_from_the_table():
    diagram = mermaid()
    assert diagram.count("-->") >= 20
    assert "commune_review --> district_review: approve" in diagram
    for state in STATES:
        assert state in diagram
