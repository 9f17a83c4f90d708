"""Routing: which unit reviews a nomination next, following the ancestors of its cell."""

from typing import NamedTuple

from sqlalchemy import case, func, select
from sqlalchemy.orm import aliased

from workflow import options
from workflow.levels import REVIEW_LEVELS, rank
from workflow.machine import Move
from workflow.models import Nomination, Unit


def reviewing_chain(cell, levels=REVIEW_LEVELS):
    """The cell's reviewing ancestors at `levels`, nearest first; absent levels and retired
    units are simply not there. It climbs the parents: loaded with the nomination (see
    `services.get_nomination`) they cost no query, else each is fetched by its id."""
    chain, unit = [], cell.parent
    while unit is not None:
        if unit.level in levels and unit.retired_at is None:
            chain.append(unit)
        unit = unit.parent
    return sorted(chain, key=lambda unit: rank(unit.level))


def chain_of(nomination):
    """The units that review `nomination`: its cell's reviewing ancestors at the levels its
    campaign has review (a campaign may leave a level out)."""
    return reviewing_chain(nomination.cell, options.reviewing_levels(nomination.campaign))


def chains_of(session, nominations):
    """{nomination id: its `chain_of`} for many nominations: every ancestor of their cells
    loaded in one query (chunked), so that climbing the parents costs no more."""
    codes = sorted({code for n in nominations for code in n.cell.ancestor_codes})
    ancestors = []  # held here: the session keeps only weak references to what it loaded
    for start in range(0, len(codes), CHUNK):
        chunk = codes[start : start + CHUNK]
        ancestors += session.scalars(select(Unit).where(Unit.code.in_(chunk))).all()
    return {nomination.id: chain_of(nomination) for nomination in nominations}


def decision_unit(chain, target_level):
    """The nearest reviewing ancestor at or above the target level: it makes the final call."""
    for unit in chain:
        if rank(unit.level) >= rank(target_level):
            return unit
    return chain[-1] if chain else None


class PathStop(NamedTuple):
    """One unit on a nomination's own path: "done" (it passed there), "current" (it is there,
    or stopped there) or "ahead"."""

    unit: object
    status: str


def path_of(nomination, chain, stopped_at=None):
    """The nomination's own path, from its cell up to the unit that makes the final call
    (`decision_unit`), each stop marked. `stopped_at` is the unit id where a rejected
    nomination was stopped (from its history)."""
    decider = decision_unit(chain, nomination.target_level)
    units = [nomination.cell]
    for unit in chain:
        units.append(unit)
        if decider is not None and unit.id == decider.id:
            break
    if nomination.state == "commended":
        here = nomination.recognized_unit_id
        units = units[: 1 + next((i for i, u in enumerate(units) if u.id == here), len(units))]
    elif nomination.pending_unit_id is not None:
        here = nomination.pending_unit_id
    elif nomination.state == "rejected" and stopped_at is not None:
        here = stopped_at
    else:  # a draft, or returned to (or withdrawn by) its cell
        here = nomination.cell_id
    ids = [unit.id for unit in units]
    position = ids.index(here) if here in ids else 0
    return [
        PathStop(unit, "done" if i < position else "current" if i == position else "ahead")
        for i, unit in enumerate(units)
    ]


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


CHUNK = 5000  # unit ids per query: well below any driver's limit of bound parameters


class Stranded(NamedTuple):
    """Nominations of `cell_path`'s cell whose reviewing unit would no longer be above it."""

    cell_path: str
    reviewer_code: str
    reviewer_path: str
    count: int


def stranded_reviews(session, new_paths):
    """What a change of the tree would strand: `new_paths` maps the id of every unit whose path
    changes to its new path. A nomination pending at a unit, or returned by one, is stranded
    when that unit would no longer be an ancestor of its cell: nobody could act on it then.

    A reviewing unit lies above its cells, so it moves only when they do: the nominations to
    check are those of the cells that move. Reads the paths stored now, so it runs before the
    new paths are flushed.
    """
    cell, reviewer = aliased(Unit), aliased(Unit)
    reviewer_id = case(
        (Nomination.pending_unit_id.is_not(None), Nomination.pending_unit_id),
        (Nomination.state == "returned", Nomination.returned_by_unit_id),
    )
    ids = list(new_paths)
    rows = []
    for start in range(0, len(ids), CHUNK):
        query = (
            select(cell.id, cell.path, reviewer.id, reviewer.code, reviewer.path, func.count())
            .select_from(Nomination)
            .join(cell, cell.id == Nomination.cell_id)
            .join(reviewer, reviewer.id == reviewer_id)
            .where(Nomination.cell_id.in_(ids[start : start + CHUNK]))
            .group_by(cell.id, cell.path, reviewer.id, reviewer.code, reviewer.path)
        )
        with session.no_autoflush:
            rows.extend(session.execute(query).all())
    stranded = []
    for cell_id, cell_path, unit_id, code, unit_path, count in sorted(rows, key=lambda r: r[1]):
        cell_path = new_paths.get(cell_id, cell_path)
        unit_path = new_paths.get(unit_id, unit_path)
        if not cell_path.startswith(unit_path):
            stranded.append(Stranded(cell_path, code, unit_path, count))
    return stranded


def stranded_message(stranded, moved_code):
    """The sentence that refuses a change of the tree that would strand nominations."""
    first = stranded[0]
    count = sum(item.count for item in stranded if item.reviewer_code == first.reviewer_code)
    one = count == 1
    nominations, are, were, them = (
        ("nomination", "is", "was", "it") if one else ("nominations", "are", "were", "them")
    )
    return (
        f"{count} {nominations} below {moved_code} {are} pending at or {were} returned by "
        f"{first.reviewer_code}, which would no longer be above {them}"
    )
