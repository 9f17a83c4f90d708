"""The nomination state machine, declared once as a table for the `transitions` library."""

from dataclasses import dataclass

from transitions import Machine, MachineError

from workflow.errors import NotAllowedNow
from workflow.levels import REVIEW_LEVELS, REVIEW_STATE

REVIEW_STATES = [REVIEW_STATE[level] for level in REVIEW_LEVELS]
STATES = ["draft", *REVIEW_STATES, "returned", "commended", "rejected", "withdrawn"]
TERMINAL_STATES = ("commended", "rejected", "withdrawn")
ACTIONS = ("submit", "approve", "recognize", "return", "resubmit", "reject", "withdraw")
SECRETARY_ACTIONS = ("submit", "resubmit", "withdraw")
REVIEWER_ACTIONS = ("approve", "recognize", "return", "reject")

# Where a nomination goes next depends on the cell's ancestors, so the moves that climb the tree
# have one row per destination, each guarded by the level of the unit that reviews next.
TRANSITIONS = [
    *(
        {
            "trigger": trigger,
            "source": source,
            "dest": REVIEW_STATE[level],
            "conditions": f"heads_to_{level}",
        }
        for trigger, source in (("submit", "draft"), ("resubmit", "returned"))
        for level in REVIEW_LEVELS
    ),
    {
        "trigger": "approve",
        "source": REVIEW_STATES,
        "dest": "commended",
        "conditions": "at_decision_unit",
    },
    *(
        {
            "trigger": "approve",
            "source": REVIEW_STATE[lower],
            "dest": REVIEW_STATE[higher],
            "conditions": f"heads_to_{higher}",
            "unless": "at_decision_unit",
        }
        for index, lower in enumerate(REVIEW_LEVELS)
        for higher in REVIEW_LEVELS[index + 1 :]
    ),
    {
        "trigger": "recognize",
        "source": REVIEW_STATES,
        "dest": "commended",
        "unless": "at_decision_unit",
    },
    {"trigger": "return", "source": REVIEW_STATES, "dest": "returned"},
    {"trigger": "reject", "source": REVIEW_STATES, "dest": "rejected"},
    {"trigger": "withdraw", "source": ["draft", "returned", *REVIEW_STATES], "dest": "withdrawn"},
]


@dataclass
class Move:
    """The model the machine fires on: a state plus what routing knows about the next step.

    `next_level` is the level of the unit that would review next (the first reviewing ancestor
    for submit, the one above the pending unit for approve, the unit that returned it for
    resubmit); `at_decision_unit` tells whether the pending unit makes the final decision.
    """

    state: str
    next_level: str | None = None
    at_decision_unit: bool = False

    @property
    def heads_to_commune(self):
        return self.next_level == "commune"

    @property
    def heads_to_district(self):
        return self.next_level == "district"

    @property
    def heads_to_province(self):
        return self.next_level == "province"


TABLE = {
    "states": STATES,
    "transitions": TRANSITIONS,
    "initial": "draft",
    "auto_transitions": False,
}
MACHINE = Machine(model=None, **TABLE)


def fire(action, move):
    """Fire `action` on `move` and return the new state, or raise NotAllowedNow.

    Events are fired on the shared machine without registering the model, so one machine
    serves every thread and every nomination.
    """
    event = MACHINE.events.get(action)
    if event is None:
        raise NotAllowedNow(f"unknown action {action!r}")
    try:
        moved = event.trigger(move)
    except MachineError as error:
        raise NotAllowedNow(error.value) from None
    if not moved:
        raise NotAllowedNow(f"{action} has nowhere to go from {move.state}")
    return move.state


def allowed_actions(state):
    """Actions the table allows from `state`, whatever the routing."""
    return [action for action in ACTIONS if MACHINE.events[action].transitions.get(state)]


def mermaid():
    """The same table drawn as a Mermaid state diagram."""
    from transitions.extensions import GraphMachine

    graph = GraphMachine(
        model=Move("draft"),
        **TABLE,
        graph_engine="mermaid",
        title="Nomination workflow",
        show_conditions=True,
    )
    return graph.get_combined_graph().draw(None)
