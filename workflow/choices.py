"""Which workflow actions a person can take on a nomination right now (to offer as buttons),
and what each would do: forward to which unit, or recognise at which level."""

from typing import NamedTuple

from workflow import policy, routing
from workflow.errors import NotAllowedNow
from workflow.machine import allowed_actions, fire


class Step(NamedTuple):
    """An action and where it leads: `to_state`, and `unit` — the unit that reviews next, or,
    when the action recognises the nomination, the unit that recognises it."""

    action: str
    to_state: str
    unit: object = None

    @property
    def recognises(self):
        return self.to_state == "commended"


def available_actions(session, actor, nomination):
    """Actions the state table allows now, the actor holds the right to, and routing permits."""
    return [step.action for step in next_steps(session, actor, nomination)]


def next_steps(session, actor, nomination, chain=None):
    """The `Step` of each action the actor may take now, in the table's order."""
    actions = [
        action
        for action in allowed_actions(nomination.state)
        if policy.can(actor, action, nomination)
    ]
    if not actions:
        return []
    if chain is None:
        chain = routing.chain_of(nomination)
    return [step for step in (step_of(action, nomination, chain) for action in actions) if step]


def step_of(action, nomination, chain):
    """Where `action` would take `nomination`, or None when the table and routing refuse it."""
    move, upcoming = routing.plan(action, nomination, chain)
    try:
        to_state = fire(action, move)  # fires on a throw-away Move, never on the nomination
    except NotAllowedNow:
        return None
    if to_state == "commended":
        upcoming = next((unit for unit in chain if unit.id == nomination.pending_unit_id), None)
    return Step(action, to_state, upcoming)


def approve_steps(session, nominations):
    """{nomination id: the `Step` approving it would take} for a page of nominations pending
    somewhere, in one query whatever their number (the queue's column and bulk button)."""
    chains = routing.chains_of(session, nominations)
    steps = {}
    for nomination in nominations:
        step = step_of("approve", nomination, chains[nomination.id])
        if step is not None:
            steps[nomination.id] = step
    return steps


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
