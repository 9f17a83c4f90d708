"""Working days in Vietnam: weekends, public holidays (Tết included) and a province's extra days
off do not count. The public holidays come from the `holidays` package's Vietnam calendar."""

import datetime as dt
from functools import lru_cache

import holidays
from sqlalchemy import select

from workflow import policy
from workflow.errors import Conflict, Forbidden, Invalid, NotFound
from workflow.fields import clean_text
from workflow.models import DayOff, Unit

LONGEST_BREAK = 30  # calendar days to look ahead per working day: Tết is never that long


@lru_cache(maxsize=64)
def public_holidays(year):
    return frozenset(holidays.Vietnam(years=year))


def named_holidays(year, language="vi"):
    """[(day, name)] of Vietnam's public holidays in `year`, named in `language` ("vi", "en")."""
    calendar = holidays.Vietnam(years=year, language="en_US" if language == "en" else "vi")
    return sorted(calendar.items())


def is_working_day(day, days_off=frozenset()):
    return day.weekday() < 5 and day not in public_holidays(day.year) and day not in days_off


def period_end(published_on, working_days, days_off=frozenset()):
    """The last day of a period of `working_days` working days that starts the day after
    `published_on` (the day of publication does not count). Zero days: `published_on`."""
    day, counted = published_on, 0
    while counted < working_days:
        day += dt.timedelta(days=1)
        counted += is_working_day(day, days_off)
    return day


def province_of(session, unit):
    """The root of `unit`'s tree: its province (the first code of its path)."""
    code = unit.path.strip("/").split("/")[0]
    return unit if unit.code == code else session.scalar(select(Unit).where(Unit.code == code))


def days_off(session, unit, start, working_days):
    """The extra days off of `unit`'s province that a period from `start` could meet."""
    province = province_of(session, unit)
    end = start + dt.timedelta(days=LONGEST_BREAK + 2 * working_days)
    return frozenset(
        session.scalars(
            select(DayOff.day).where(
                DayOff.unit_id == province.id, DayOff.day > start, DayOff.day <= end
            )
        )
    )


def add_day_off(session, actor, province, *, day, name):
    """Declare an extra day off in `province` (its comment periods skip it)."""
    if not policy.can_keep_days_off(actor, province):
        raise Forbidden("only an administrator of the province keeps its days off")
    try:
        name = clean_text(name or "", min_length=1, max_length=200)
    except ValueError as error:
        raise Invalid("name", str(error)) from None
    exists = session.scalar(
        select(DayOff.id).where(DayOff.unit_id == province.id, DayOff.day == day)
    )
    if exists is not None:
        raise Conflict(f"{day.isoformat()} is already a day off")
    row = DayOff(unit_id=province.id, day=day, name=name, added_by_id=actor.id)
    session.add(row)
    session.flush()
    return row


def remove_day_off(session, actor, province, *, day):
    if not policy.can_keep_days_off(actor, province):
        raise Forbidden("only an administrator of the province keeps its days off")
    session.delete(get_day_off(session, province, day))
    session.flush()


def get_day_off(session, province, day):
    """`province`'s extra day off on `day`, else NotFound."""
    row = session.scalar(select(DayOff).where(DayOff.unit_id == province.id, DayOff.day == day))
    if row is None:
        raise NotFound(f"{day.isoformat()} is not a day off of {province.code}")
    return row


def days_off_of(session, province):
    return session.scalars(
        select(DayOff).where(DayOff.unit_id == province.id).order_by(DayOff.day)
    ).all()
