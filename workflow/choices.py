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


def may_publish(actor, nomination, standing):
    """Offer "publish for comment": the level has a comment period, the name is not out yet,
    and at a committee level the vote has passed (comments.publish checks it all again)."""
    return (
        standing is not None
        and policy.is_pending_reviewer(actor, nomination)
        and standing.comment_days > 0
        and standing.publication is None
        and (standing.decision != "committee" or bool(standing.vote and standing.vote["passed"]))
    )


def may_reopen(actor, nomination, standing):
    """Offer "reopen the decision": there is a vote or a publication to reopen."""
    return (
        standing is not None
        and policy.is_pending_reviewer(actor, nomination)
        and (standing.vote is not None or standing.publication is not None)
    )
