"""Counts for the summary report: by state, and commended by level and kind.

Asked `as_of` a day, states are read from history as they stood when that day ended (Vietnam
time). Asked `by="then"`, nominations are placed in the tree as it stood then (a retired unit
answers for what it held); `by="today"` places them in today's tree, where what a merged unit
did counts inside the unit that carries it on.
"""

from functools import lru_cache
from types import SimpleNamespace

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import aliased

from workflow import policy, queries, unit_history
from workflow.errors import RETIRED_UNIT, Invalid
from workflow.levels import REVIEW_LEVELS
from workflow.machine import STATES
from workflow.models import (
    KINDS,
    HistoryEntry,
    Nomination,
    UnitVersion,
    utcnow,
)

BY = ("today", "then")


def summary(session, actor, scope, *, campaign_id=None, as_of=None, by="today"):
    """Counts inside `scope`'s subtree (which the caller has checked lies in the actor's)."""
    moment = unit_history.end_of_day(as_of) if as_of is not None else None
    unit = {"code": scope.code, "name": scope.name, "level": scope.level}
    if by == "today" and scope.retired:
        raise Invalid("unit_code", RETIRED_UNIT)
    if by == "today" and moment is None:
        # Now, in today's tree: the counts the database keeps, not a pass over the nominations.
        groups = session.execute(
            _counted_groups(scope.id, scope.path, campaign_id is not None),
            {"campaign_id": campaign_id},
        ).all()
    else:
        if by == "then":
            version = unit_history.version_before(session, scope, moment or utcnow())
            if version is None:
                raise Invalid("unit_code", "the unit did not exist then")
            unit.update(name=version.name, level=version.level)
            cells = select(UnitVersion.unit_id).where(
                unit_history.valid_before(moment or utcnow()),
                UnitVersion.path.startswith(version.path, autoescape=True),
            )
            conditions = [policy.visible_nominations(actor), Nomination.cell_id.in_(cells)]
        else:
            conditions = [policy.visible_nominations(actor, within=scope)]
        if campaign_id is not None:
            conditions.append(Nomination.campaign_id == campaign_id)
        groups = _groups_from_history(session, conditions, moment)
    # Both tables are sums of one pass by state, level and kind.
    by_state = dict.fromkeys(STATES, 0)
    commended = {level: dict.fromkeys(KINDS, 0) for level in REVIEW_LEVELS}
    for state, level, kind, count in groups:
        by_state[state] += count
        if state == "commended":
            commended[level][kind] += count
    return {
        "unit": unit,
        "as_of": as_of.isoformat() if as_of is not None else None,
        "by": by,
        "by_state": by_state,
        "commended": commended,
        "total_commended": by_state["commended"],
    }


@lru_cache(maxsize=4096)
def _counted_groups(scope_id, path, by_campaign):
    """(state, level, kind, count) of a subtree's counts (`queries.counts_within`), of one
    campaign (the parameter `campaign_id`) or all: built once per unit, as the lists' totals
    are (building it cost a third of a summary request)."""
    counts = queries.counts_within(SimpleNamespace(id=scope_id, path=path))
    where = [counts.campaign_id == bindparam("campaign_id")] if by_campaign else []
    return (
        select(counts.state, counts.recognized_level, counts.kind, func.sum(counts.n))
        .where(*where)
        .group_by(counts.state, counts.recognized_level, counts.kind)
    )


def _groups_from_history(session, conditions, moment):
    """(state, level, kind, count) of the nominations matching, as they stood at `moment`
    (None: now) according to their history."""
    columns = (Nomination.id, Nomination.kind, Nomination.recognized_level)
    rows = select(*columns, Nomination.state).where(*conditions).subquery()
    if moment is not None:
        # Each nomination's state is that of its last history entry written before the moment;
        # a nomination without one did not exist yet.
        last = (
            select(HistoryEntry.nomination_id, func.max(HistoryEntry.id).label("entry_id"))
            .where(HistoryEntry.at < moment, HistoryEntry.nomination_id.in_(select(rows.c.id)))
            .group_by(HistoryEntry.nomination_id)
            .subquery()
        )
        then = aliased(HistoryEntry)
        rows = (
            select(*columns, then.to_state.label("state"))
            .join(last, last.c.nomination_id == Nomination.id)
            .join(then, then.id == last.c.entry_id)
            .subquery()
        )
    return session.execute(
        select(rows.c.state, rows.c.recognized_level, rows.c.kind, func.count()).group_by(
            rows.c.state, rows.c.recognized_level, rows.c.kind
        )
    ).all()
