"""The full matrix: role × position in the tree × state × action, through the JSON API.

The expected answer is written out here from API.md's rules, independently of workflow/policy.py:
outside the caller's subtree → 404; without the action's right → 403; not possible in the state
→ 409; otherwise 200. Each call runs in a savepoint rolled back afterwards, so every cell of
the matrix starts from the same nomination.
"""

import pytest

from workflow import accounts
from workflow.machine import ACTIONS

# Positions relative to a nomination from cell K1 (commune C1, district D1, province P).
POSITIONS = {
    "own cell": "K1",
    "sibling cell": "K2",
    "other commune": "C2",
    "other commune's cell": "K3",
    "own commune": "C1",
    "district": "D1",
    "province": "P",
    "other district": "D2",
    "other district's cell": "K4",
}
ROLES_AT = {
    "cell": ("secretary", "admin"),
    "commune": ("reviewer", "admin"),
    "district": ("reviewer", "admin"),
    "province": ("reviewer", "admin"),
}

# The path a target-province nomination from K1 takes to reach each state.
PATHS = {
    "draft": [],
    "commune_review": [("sec_k1", "submit")],
    "district_review": [("sec_k1", "submit"), ("rev_c1", "approve")],
    "province_review": [("sec_k1", "submit"), ("rev_c1", "approve"), ("rev_d1", "approve")],
    "returned": [("sec_k1", "submit"), ("rev_c1", "return")],
    "commended": [("sec_k1", "submit"), ("rev_c1", "recognize")],
    "rejected": [("sec_k1", "submit"), ("rev_c1", "reject")],
    "withdrawn": [("sec_k1", "withdraw")],
}
PENDING_AT = {"commune_review": "C1", "district_review": "D1", "province_review": "P"}
REVIEWING = ("approve", "recognize", "return", "reject")
POSSIBLE = {
    "draft": {"submit", "withdraw"},
    "commune_review": {"approve", "recognize", "return", "reject", "withdraw"},
    "district_review": {"approve", "recognize", "return", "reject", "withdraw"},
    # The province is the target: it approves; there is nothing to recognise below it.
    "province_review": {"approve", "return", "reject", "withdraw"},
    "returned": {"resubmit", "withdraw"},
    "commended": set(),
    "rejected": set(),
    "withdrawn": set(),
}
SUBTREE = {  # which positions see K1
    "K1": True,
    "K2": False,
    "C2": False,
    "K3": False,
    "C1": True,
    "D1": True,
    "P": True,
    "D2": False,
    "K4": False,
}


def expected(role, code, state, action):
    if not SUBTREE[code]:
        return 404
    if action in REVIEWING:
        allowed = role == "reviewer" and PENDING_AT.get(state) == code
    else:
        allowed = role == "secretary" and code == "K1"
    if not allowed:
        return 403
    return 200 if action in POSSIBLE[state] else 409


@pytest.mark.parametrize("state", list(PATHS))
def test_matrix(state, world, client, db_session):
    actors = {}
    for position, code in POSITIONS.items():
        for role in ROLES_AT[world.units[code].level]:
            user = world.add_user(f"m_{role}_{code}".lower(), role, code)
            actors[(position, role)] = user
    nomination = world.nominate(cell="K1", target="province")
    for username, action in PATHS[state]:
        world.act(nomination, username, action)
    assert nomination.state == state
    tokens = {
        key: accounts.issue_token(db_session, user, hours=1)[0] for key, user in actors.items()
    }
    db_session.commit()
    connection = db_session.connection()

    mismatches = []
    for (position, role), user in actors.items():
        for action in ACTIONS:
            # Raw SQL so that the request's own savepoints nest inside it undisturbed.
            connection.exec_driver_sql("SAVEPOINT matrix_cell")
            response = client.post(
                f"/api/v1/nominations/{nomination.id}/actions/{action}",
                json={"version": nomination.version, "comment": "Ý kiến"},
                headers={"Authorization": f"Bearer {tokens[(position, role)]}"},
            )
            connection.exec_driver_sql("ROLLBACK TO SAVEPOINT matrix_cell")
            want = expected(role, user.unit.code, state, action)
            if response.status_code != want:
                mismatches.append((position, role, action, response.status_code, want))
    assert mismatches == []


def test_nobody_decides_on_a_nomination_that_names_them(world, client, auth):
    nomination = world.nominate(cell="K1", target="commune", nominee_email="REV_C1@example.org")
    world.act(nomination, "sec_k1", "submit")
    for action in REVIEWING:
        response = client.post(
            f"/api/v1/nominations/{nomination.id}/actions/{action}",
            json={"version": nomination.version, "comment": "Ý kiến"},
            headers=auth("rev_c1"),
        )
        assert response.status_code == 403, action
    assert nomination.state == "commune_review"
