"""Which workflow actions a person can take on a nomination right now (to offer as buttons)."""

from workflow import policy, routing
from workflow.errors import NotAllowedNow
from workflow.machine import allowed_actions, fire


def available_actions(session, actor, nomination):
    """Actions the state table allows now, the actor holds the right to, and routing permits."""
    actions = [
        action
        for action in allowed_actions(nomination.state)
        if policy.can(actor, action, nomination)
    ]
    if not actions:
        return []
    chain = routing.chain_of(session, nomination)
    possible = []
    for action in actions:
        move, _upcoming = routing.plan(action, nomination, chain)
        try:
            fire(action, move)  # fires on a throw-away Move, never on the nomination
        except NotAllowedNow:
            continue
        possible.append(action)
    return possible
