"""Final commendation lists: who may ask, which rows, the numbering and the immutable snapshot.

Rendering the snapshot into PDF, XLSX and CSV is presentation and lives in tasks/documents.py;
where those files are stored and what they are called is here, for the task that writes them
and the pages that serve them.
"""

import datetime as dt
from pathlib import Path

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import defer, joinedload

from workflow import policy
from workflow.errors import RETIRED_UNIT, Conflict, Forbidden, Invalid, NotFound
from workflow.levels import COMMUNE, DISTRICT, PROVINCE, REVIEW_LEVELS
from workflow.models import KINDS, CommendationList, Nomination, Unit, utcnow

# The office suffix of a party document number by issuing level: "Số 05-DS/HU".
OFFICE_SUFFIX = {PROVINCE: "TU", DISTRICT: "HU", COMMUNE: "ĐU"}
KIND_ORDER = ("collective", "individual")  # collectives first, as the reports list them
FORMATS = ("pdf", "xlsx", "csv")
MEDIA_TYPES = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


def get_list(session, actor, list_id):
    commendation_list = session.get(CommendationList, list_id)
    if commendation_list is None or not policy.can_see_list(actor, commendation_list):
        raise NotFound(f"list {list_id} not found")
    return commendation_list


def takes_part(campaign, unit):
    """Does `unit` issue lists in `campaign`: a reviewing unit inside the campaign's subtree?

    A unit above the campaign's unit recognises nothing in it: no nomination may ask for a
    level above the campaign's (see services.create_nomination).
    """
    return unit.level in REVIEW_LEVELS and campaign.unit.contains(unit)


def issuing_units(session, actor, campaign):
    """The units whose list of `campaign` the actor may request, in tree order."""
    units = session.scalars(
        select(Unit)
        .where(
            policy.subtree(actor.unit),
            policy.subtree(campaign.unit),
            Unit.level.in_(REVIEW_LEVELS),
            Unit.retired_at.is_(None),
        )
        .order_by(Unit.path)
    ).all()
    return [unit for unit in units if policy.can_request_list(actor, unit)]


def visible_lists(session, actor, *, campaign_id=None, page=1, per_page=50):
    """(total, lists) the actor may see, newest first; the snapshot rows are not loaded."""
    conditions = [policy.visible_lists(actor)]
    if campaign_id is not None:
        conditions.append(CommendationList.campaign_id == campaign_id)
    total = session.scalar(select(func.count()).select_from(CommendationList).where(*conditions))
    items = session.scalars(
        select(CommendationList)
        .where(*conditions)
        .options(
            defer(CommendationList.rows),
            joinedload(CommendationList.unit),
            joinedload(CommendationList.campaign),
        )
        .order_by(CommendationList.created_at.desc(), CommendationList.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return total, items


def request_list(session, actor, campaign, unit, *, on):
    """A new pending list for `unit` in `campaign`, with the unit's next number for the year."""
    if unit.level not in REVIEW_LEVELS:
        raise Invalid("unit_code", "a list is issued by a commune, district or province unit")
    if not campaign.unit.contains(unit):
        raise Invalid("unit_code", "the unit does not take part in this campaign")
    if unit.retired:  # its successor issues the lists from now on
        raise Invalid("unit_code", RETIRED_UNIT)
    if not policy.can_request_list(actor, unit):
        raise Forbidden("only administrators and the unit's reviewers may produce its lists")
    for _ in range(5):  # two requests racing for one number: the loser takes the next
        number = 1 + (
            session.scalar(
                select(func.max(CommendationList.number)).where(
                    CommendationList.unit_id == unit.id, CommendationList.year == on.year
                )
            )
            or 0
        )
        commendation_list = CommendationList(
            campaign=campaign,
            unit=unit,
            level=unit.level,
            year=on.year,
            number=number,
            status="pending",
            requested_by_id=actor.id,
        )
        try:
            with session.begin_nested():
                session.add(commendation_list)
        except IntegrityError:
            continue
        return commendation_list
    raise Conflict("could not number the list; try again")


def number_label(commendation_list):
    """ "05-DS/HU": the number, the kind of document (danh sách) and the issuing office."""
    suffix = OFFICE_SUFFIX[commendation_list.level]
    return f"{commendation_list.number:02d}-DS/{suffix}"


def lists_dir(config, instance_path):
    """The folder of the list files: LISTS_DIR, else lists/ in the instance folder."""
    return Path(config.get("LISTS_DIR") or Path(instance_path) / "lists")


def file_path(directory, commendation_list, file_format):
    return (
        Path(directory) / str(commendation_list.id) / f"list-{commendation_list.id}.{file_format}"
    )


def download_name(commendation_list, file_format):
    """ "Danh sách 01-DS-HU Huyện ủy Cẩm Khê.pdf": readable, no path separators."""
    number = number_label(commendation_list).replace("/", "-")
    return f"Danh sách {number} {commendation_list.issuer_name}.{file_format}"


def claim(session, list_id, *, now=None):
    """Take a pending list for writing; False when another worker has it or it is done."""
    changed = session.execute(
        update(CommendationList)
        .where(CommendationList.id == list_id, CommendationList.status == "pending")
        .values(status="running", started_at=now or utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    return changed == 1


def release_stale(session, *, stale_after, now=None):
    """Lists left "running" by a worker that died go back to pending."""
    now = now or utcnow()
    return session.execute(
        update(CommendationList)
        .where(
            CommendationList.status == "running",
            CommendationList.started_at < now - dt.timedelta(seconds=stale_after),
        )
        .values(status="pending", started_at=None)
        .execution_options(synchronize_session=False)
    ).rowcount


def due_ids(session, *, grace, now=None):
    now = now or utcnow()
    return session.scalars(
        select(CommendationList.id)
        .where(
            CommendationList.status == "pending",
            CommendationList.created_at <= now - dt.timedelta(seconds=grace),
        )
        .order_by(CommendationList.id)
    ).all()


def recognized_nominations(session, commendation_list):
    """Every nomination of the campaign recognised at the unit's level inside its subtree."""
    unit = commendation_list.unit
    cells = select(Unit.id).where(policy.subtree(unit))
    return session.execute(
        select(Nomination, Unit)
        .join(Unit, Nomination.cell_id == Unit.id)
        .where(
            Nomination.campaign_id == commendation_list.campaign_id,
            Nomination.state == "commended",
            Nomination.recognized_level == unit.level,
            Nomination.cell_id.in_(cells),
        )
        .order_by(Nomination.kind, Unit.path, Nomination.nominee_name, Nomination.id)
    ).all()


def summary_counts(session, commendation_list):
    """Commended counts by level and kind inside the unit's subtree, for the summary table."""
    cells = select(Unit.id).where(policy.subtree(commendation_list.unit))
    counts = {level: dict.fromkeys(KINDS, 0) for level in REVIEW_LEVELS}
    rows = session.execute(
        select(Nomination.recognized_level, Nomination.kind, func.count())
        .where(
            Nomination.campaign_id == commendation_list.campaign_id,
            Nomination.state == "commended",
            Nomination.cell_id.in_(cells),
        )
        .group_by(Nomination.recognized_level, Nomination.kind)
    ).all()
    for level, kind, count in rows:
        counts[level][kind] = count
    return counts


def snapshot(session, commendation_list, *, on):
    """Freeze the rows and the summary into the list; the files are made from this alone."""
    rows = []
    for nomination, cell in recognized_nominations(session, commendation_list):
        rows.append(
            {
                "nomination_id": nomination.id,
                "kind": nomination.kind,
                "nominee_name": nomination.nominee_name,
                "nominee_birth_year": nomination.nominee_birth_year,
                "nominee_position": nomination.nominee_position,
                "unit": cell.name,
                "title": nomination.title,
                "field": nomination.field,
                "achievements": nomination.achievements,
            }
        )
    rows.sort(key=lambda row: KIND_ORDER.index(row["kind"]))  # stable: keeps the unit order
    commendation_list.rows = rows
    commendation_list.summary = summary_counts(session, commendation_list)
    commendation_list.count = len(rows)
    commendation_list.unit_name = commendation_list.unit.name
    commendation_list.issued_on = on
    session.flush()
    return rows


def finish(session, commendation_list, files, *, now=None):
    if commendation_list.status != "running":
        raise Conflict(f"list {commendation_list.id} is {commendation_list.status}, not running")
    commendation_list.files = files
    commendation_list.status = "done"
    commendation_list.finished_at = now or utcnow()
    session.flush()


def fail(session, list_id, error, *, now=None):
    session.execute(
        update(CommendationList)
        .where(CommendationList.id == list_id, CommendationList.status == "running")
        .values(status="failed", error=error[:2000], finished_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )
