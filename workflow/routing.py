"""Routing: which unit reviews a nomination next, following the ancestors of its cell."""

from sqlalchemy import select

from workflow.levels import REVIEW_LEVELS, rank
from workflow.machine import Move
from workflow.models import Unit


def reviewing_chain(session, cell):
    """The cell's reviewing ancestors, nearest first; absent levels are simply not there."""
    units = session.scalars(select(Unit).where(Unit.code.in_(cell.ancestor_codes))).all()
    chain = [unit for unit in units if unit.level in REVIEW_LEVELS]
    return sorted(chain, key=lambda unit: rank(unit.level))


def decision_unit(chain, target_level):
    """The nearest reviewing ancestor at or above the target level: it makes the final call."""
    for unit in chain:
        if rank(unit.level) >= rank(target_level):
            return unit
    return chain[-1] if chain else None


def next_reviewer(action, nomination, chain):
    """The unit that reviews next if `action` moves the nomination up, else None."""
    if action == "submit":
        return chain[0] if chain else None
    if action == "resubmit":
        return _find(chain, nomination.returned_by_unit_id)
    if action == "approve" and nomination.pending_unit_id is not None:
        ids = [unit.id for unit in chain]
        if nomination.pending_unit_id in ids:
            above = chain[ids.index(nomination.pending_unit_id) + 1 :]
            return above[0] if above else None
    return None


def plan(action, nomination, chain):
    """The machine's model for this action, and the unit that would review next."""
    upcoming = next_reviewer(action, nomination, chain)
    decider = decision_unit(chain, nomination.target_level)
    move = Move(
        state=nomination.state,
        next_level=upcoming.level if upcoming else None,
        at_decision_unit=decider is not None and nomination.pending_unit_id == decider.id,
    )
    return move, upcoming


def _find(chain, unit_id):
    return next((unit for unit in chain if unit.id == unit_id), None)
