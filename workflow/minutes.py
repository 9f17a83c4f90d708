"""A closed meeting's minutes (biên bản kiểm phiếu): their number, where they are stored, and
the record that they exist.

The PDF is rendered by a task after the close commits (tasks/minutes.py), like a final list.
Minutes are party documents and numbered as such, per issuing unit and year ("Số 03-BB/HU"):
the number is given when the minutes are written, with the unit's row locked, so two meetings
closed at once never share one. It is kept with the file in `Meeting.minutes`:
`{"key", "sha256", "size", "number", "year"}`.
"""

import datetime as dt

from sqlalchemy import func, select, update

from workflow.errors import NotAllowedNow
from workflow.lists import OFFICE_SUFFIX
from workflow.models import Meeting, Unit, utcnow
from workflow.services import TIMEZONE

MEDIA_TYPE = "application/pdf"


def issued_on(meeting):
    """The minutes' date: the day the meeting closed, in Vietnam."""
    return meeting.closed_at.astimezone(TIMEZONE).date()


def next_number(session, meeting):
    """The number of `meeting`'s minutes: one more than the unit's minutes of that year so far.

    Locks the unit's row first (SQLite serialises writers already), so that two renderings at
    once are numbered one after the other (FOR NO KEY UPDATE: the actions whose rows name the
    unit need not wait).
    """
    session.execute(
        select(Unit.id).where(Unit.id == meeting.unit_id).with_for_update(key_share=True)
    )
    year = issued_on(meeting).year
    start = dt.datetime(year, 1, 1, tzinfo=TIMEZONE)
    end = dt.datetime(year + 1, 1, 1, tzinfo=TIMEZONE)
    written = session.scalar(
        select(func.count())
        .select_from(Meeting)
        .where(
            Meeting.unit_id == meeting.unit_id,
            Meeting.minutes.is_not(None),
            Meeting.closed_at >= start,
            Meeting.closed_at < end,
        )
    )
    return written + 1


def number_label(meeting, number=None):
    """ "03-BB/HU": the number, the kind of document (biên bản) and the issuing office."""
    number = number if number is not None else (meeting.minutes or {}).get("number")
    if number is None:
        return None
    return f"{number:02d}-BB/{OFFICE_SUFFIX[meeting.unit.level]}"


def storage_key(meeting, sha256):
    # The checksum in the name: a second rendering never overwrites the file of the first.
    return f"minutes-{meeting.id}-{sha256[:16]}.pdf"


def record(session, meeting, *, key, sha256, size, number):
    """Keep the written minutes on the meeting, unless another rendering got there first
    (then False, and the caller drops its file)."""
    minutes = {
        "key": key,
        "sha256": sha256,
        "size": size,
        "number": number,
        "year": issued_on(meeting).year,
    }
    changed = session.execute(
        update(Meeting)
        .where(Meeting.id == meeting.id, Meeting.minutes.is_(None))
        .values(minutes=minutes)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed:
        meeting.minutes = minutes
        session.flush()
    return changed == 1


def due_ids(session, *, grace, now=None):
    """Closed meetings still without minutes, closed more than `grace` seconds ago: their
    after-commit hand-off was lost or their rendering failed, and the sweep asks again."""
    now = now or utcnow()
    return session.scalars(
        select(Meeting.id)
        .where(
            Meeting.status == "closed",
            Meeting.minutes.is_(None),
            Meeting.closed_at <= now - dt.timedelta(seconds=grace),
        )
        .order_by(Meeting.id)
    ).all()


def require_minutes(meeting):
    """The stored minutes of `meeting`; NotAllowedNow (409) while they are not written yet."""
    if meeting.status != "closed":
        raise NotAllowedNow("the minutes are written when the meeting closes")
    if not meeting.minutes:
        raise NotAllowedNow("the minutes are being written; try again in a moment")
    return meeting.minutes


def download_name(meeting):
    """ "Biên bản kiểm phiếu 03-BB/HU Huyện ủy Cẩm Khê.pdf", which `downloads.file_name` makes a
    file's name ("03-BB-HU")."""
    return f"Biên bản kiểm phiếu {number_label(meeting) or meeting.id} {meeting.unit.name}.pdf"
