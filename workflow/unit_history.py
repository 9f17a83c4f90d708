"""How units stood at a moment: their names and places in the tree, from `unit_versions`."""

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select

from workflow.models import UnitVersion

TIMEZONE = ZoneInfo("Asia/Ho_Chi_Minh")


def end_of_day(day):
    """The first instant after `day` ends in Vietnam: "as of 30/06/2025" is before this. (The
    last day a date can be, 31/12/9999, has no day after it: its last instant stands in.)"""
    if day == dt.date.max:
        return dt.datetime.max.replace(tzinfo=TIMEZONE)
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=TIMEZONE)


def valid_before(moment):
    """Filter on `UnitVersion` rows that held just before `moment`."""
    return or_(UnitVersion.valid_from.is_(None), UnitVersion.valid_from < moment) & or_(
        UnitVersion.valid_to.is_(None), UnitVersion.valid_to >= moment
    )


def version_before(session, unit, moment):
    """How `unit` stood just before `moment` (name, level, path), or None if it did not exist."""
    return session.scalar(
        select(UnitVersion)
        .where(UnitVersion.unit_id == unit.id, valid_before(moment))
        .order_by(UnitVersion.id.desc())
        .limit(1)
    )


def names(session, unit):
    """The names `unit` has had, oldest first, each with the dates it held: [(name, from, to)],
    `from` None for a name held since before records began, `to` None for today's."""
    versions = session.scalars(
        select(UnitVersion).where(UnitVersion.unit_id == unit.id).order_by(UnitVersion.id)
    ).all()
    held = []
    for version in versions:
        if held and held[-1][0] == version.name:
            held[-1] = (version.name, held[-1][1], version.valid_to)
        else:
            held.append((version.name, version.valid_from, version.valid_to))
    return held
