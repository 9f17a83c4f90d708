"""Counts for the summary report: by state, and commended by level and kind."""

from sqlalchemy import func, select

from workflow import policy
from workflow.levels import REVIEW_LEVELS
from workflow.machine import STATES
from workflow.models import KINDS, Nomination


def summary(session, actor, scope, *, campaign_id=None):
    """Counts inside `scope`'s subtree (which the caller has checked lies in the actor's)."""
    conditions = [policy.visible_nominations(actor, within=scope)]
    if campaign_id is not None:
        conditions.append(Nomination.campaign_id == campaign_id)
    by_state = dict.fromkeys(STATES, 0)
    by_state.update(
        session.execute(
            select(Nomination.state, func.count()).where(*conditions).group_by(Nomination.state)
        ).all()
    )
    commended = {level: dict.fromkeys(KINDS, 0) for level in REVIEW_LEVELS}
    rows = session.execute(
        select(Nomination.recognized_level, Nomination.kind, func.count())
        .where(*conditions, Nomination.state == "commended")
        .group_by(Nomination.recognized_level, Nomination.kind)
    ).all()
    for level, kind, count in rows:
        commended[level][kind] = count
    return {
        "by_state": by_state,
        "commended": commended,
        "total_commended": by_state["commended"],
    }
