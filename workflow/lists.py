"""Final commendation lists: who may ask, which rows, the numbering and the immutable snapshot.

Rendering the snapshot into PDF, XLSX and CSV is presentation and lives in tasks/documents.py;
what those files are called in the lists' store and how they are checked is here, for the task
that writes them and the pages that serve them.
"""

import datetime as dt

from sqlalchemy import func, select, update
from sqlalchemy.orm import defer, joinedload

from workflow import files as stored_files
from workflow import policy
from workflow.errors import RETIRED_UNIT, Conflict, Forbidden, Invalid, ListChanged, NotFound
from workflow.levels import COMMUNE, DISTRICT, PROVINCE, REVIEW_LEVELS
from workflow.models import KINDS, CommendationList, Nomination, Recognition, Unit, utcnow
from workflow.routing import CHUNK

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


# What asking for a list did: issued a new number, found one still being produced, produced a
# failed one again under its own number, or found the latest list still holding what is recognised.
NEW, WAITING, RETRIED, UNCHANGED = "new", "waiting", "retried", "unchanged"


def request_list(session, actor, campaign, unit, *, on, confirm=False):
    """The list of `unit` in `campaign`, as (list, outcome); a number only when one is needed.

    Party document numbers are registered, so none is wasted: while the latest list is pending
    or running it is the answer (WAITING); a failed one is queued again under its own number
    (RETRIED); a done one whose rows are still exactly what is recognised is the answer too
    (UNCHANGED). Only when that set has changed is a new number issued (NEW), and then only
    with `confirm`; without it, ListChanged says what changed.
    """
    if unit.level not in REVIEW_LEVELS:
        raise Invalid("unit_code", "a list is issued by a commune, district or province unit")
    if not campaign.unit.contains(unit):
        raise Invalid("unit_code", "the unit does not take part in this campaign")
    if unit.retired:  # its successor issues the lists from now on
        raise Invalid("unit_code", RETIRED_UNIT)
    if not policy.can_request_list(actor, unit):
        raise Forbidden("only administrators and the unit's reviewers may produce its lists")
    # Requests for one unit's lists queue here, so the second finds the first's list rather than
    # numbering another (SQLite serialises writers already: every transaction begins IMMEDIATE).
    # FOR NO KEY UPDATE: the actions whose rows name the unit (foreign keys) need not wait.
    session.execute(select(Unit.id).where(Unit.id == unit.id).with_for_update(key_share=True))
    latest = latest_list(session, campaign, unit)
    if latest is not None and latest.status in ("pending", "running"):
        return latest, WAITING
    if latest is not None and latest.status == "failed":
        _queue_again(latest, actor)
        session.flush()
        return latest, RETRIED
    if latest is not None:
        added, removed = changes_since(session, latest)
        if not (added or removed):
            return latest, UNCHANGED
        if not confirm:
            raise ListChanged(
                latest,
                number=number_label(latest),
                next_number=label(next_number(session, unit, on.year), unit.level),
                added=added,
                removed=removed,
            )
    commendation_list = CommendationList(
        campaign=campaign,
        unit=unit,
        level=unit.level,
        year=on.year,
        number=next_number(session, unit, on.year),
        status="pending",
        requested_by_id=actor.id,
    )
    session.add(commendation_list)
    session.flush()
    return commendation_list, NEW


def latest_list(session, campaign, unit):
    """The newest list of `unit` in `campaign`, read afresh (another request may have made it)."""
    return session.scalar(
        select(CommendationList)
        .where(CommendationList.campaign_id == campaign.id, CommendationList.unit_id == unit.id)
        .order_by(CommendationList.id.desc())
        .limit(1)
        .execution_options(populate_existing=True)
    )


def next_number(session, unit, year):
    return 1 + (
        session.scalar(
            select(func.max(CommendationList.number)).where(
                CommendationList.unit_id == unit.id, CommendationList.year == year
            )
        )
        or 0
    )


def _queue_again(commendation_list, actor):
    """A failed list waits for the task again, under the number it was given; whoever asked
    this time is told when it is ready."""
    commendation_list.status = "pending"
    commendation_list.error = None
    commendation_list.started_at = None
    commendation_list.finished_at = None
    commendation_list.requested_by_id = actor.id


def changes_since(session, commendation_list):
    """(added, removed) since a done list: the nominations recognised now and not in its rows,
    and the rows no longer recognised; each as {"nomination_id", "nominee_name"}."""
    listed = {row["nomination_id"]: row["nominee_name"] for row in commendation_list.rows or ()}
    now = {
        nomination.id: nomination.nominee_name
        for nomination, _cell in _recognized(
            session, commendation_list.campaign_id, commendation_list.unit
        )
    }
    added = [{"nomination_id": id_, "nominee_name": now[id_]} for id_ in now if id_ not in listed]
    removed = [
        {"nomination_id": id_, "nominee_name": listed[id_]} for id_ in listed if id_ not in now
    ]
    return added, removed


def number_label(commendation_list):
    """ "05-DS/HU": the number, the kind of document (danh sách) and the issuing office."""
    return label(commendation_list.number, commendation_list.level)


def label(number, level):
    return f"{number:02d}-DS/{OFFICE_SUFFIX[level]}"


def file_name(list_id, file_format):
    return f"list-{list_id}.{file_format}"


def file_key(list_id, file_format):
    """The key of a list's file in the lists' store: "12/list-12.pdf"."""
    return f"{list_id}/{file_name(list_id, file_format)}"


def download_name(commendation_list, file_format):
    """ "Danh sách 01-DS/HU Huyện ủy Cẩm Khê.pdf", which `downloads.file_name` makes a file's
    name ("01-DS-HU")."""
    number, issuer = number_label(commendation_list), commendation_list.issuer_name
    return f"Danh sách {number} {issuer}.{file_format}"


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
    return _recognized(session, commendation_list.campaign_id, commendation_list.unit)


def recognized_count(session, campaign, unit):
    """How many nominations `unit`'s list of `campaign` would hold now."""
    return session.scalar(
        select(func.count()).select_from(Nomination).where(*_recognized_at(campaign.id, unit))
    )


def _recognized(session, campaign_id, unit):
    return session.execute(
        select(Nomination, Unit)
        .join(Unit, Nomination.cell_id == Unit.id)
        .where(*_recognized_at(campaign_id, unit))
        .order_by(Nomination.kind, Unit.path, Nomination.nominee_name, Nomination.id)
    ).all()


def _recognized_at(campaign_id, unit):
    cells = select(Unit.id).where(policy.subtree(unit))
    return (
        Nomination.campaign_id == campaign_id,
        Nomination.state == "commended",
        Nomination.recognized_level == unit.level,
        Nomination.cell_id.in_(cells),
    )


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
    _carry_in_register(session, commendation_list, [row["nomination_id"] for row in rows])
    commendation_list.summary = summary_counts(session, commendation_list)
    commendation_list.count = len(rows)
    commendation_list.unit_name = commendation_list.unit.name
    commendation_list.issued_on = on
    session.flush()
    return rows


def _carry_in_register(session, commendation_list, nomination_ids):
    """The register's entries of these nominations name this list, their latest."""
    table = Recognition.__table__
    for start in range(0, len(nomination_ids), CHUNK):
        session.execute(
            table.update()
            .where(table.c.nomination_id.in_(nomination_ids[start : start + CHUNK]))
            .values(list_id=commendation_list.id)
        )


def finish(session, commendation_list, files, *, signature=None, now=None):
    """The list is done; its `files` were read back from the store and matched (check_files),
    and its PDF's `signature`, if it is signed, verified."""
    if commendation_list.status != "running":
        raise Conflict(f"list {commendation_list.id} is {commendation_list.status}, not running")
    now = now or utcnow()
    commendation_list.files = files
    commendation_list.signature = signature
    commendation_list.status = "done"
    commendation_list.finished_at = now
    commendation_list.verified_at = now
    session.flush()


def check_files(store, commendation_list, files=None):
    """What is wrong with the stored files of a list, one sentence each; [] when every file
    is in `store` and reads back with the checksum recorded (`files`, else the list's own)."""
    files = files if files is not None else commendation_list.files or {}
    problems = []
    for file_format in FORMATS:
        recorded = files.get(file_format)
        if recorded is None:
            problems.append(f"{file_format}: no checksum recorded")
            continue
        try:
            with store.open(file_key(commendation_list.id, file_format)) as stream:
                digest = stored_files.checksum(stream)
        except FileNotFoundError:
            problems.append(f"{file_format}: missing")
            continue
        except OSError as error:
            problems.append(f"{file_format}: unreadable ({error.strerror or error})")
            continue
        if digest != recorded["sha256"]:
            problems.append(f"{file_format}: does not match its checksum")
    return problems


def record_check(commendation_list, problems, *, now=None):
    """Keep what a check of the files found: when they last matched, or what is wrong."""
    now = now or utcnow()
    if problems:
        commendation_list.audit_error = "; ".join(problems)[:2000]
        commendation_list.audit_failed_at = now
    else:
        commendation_list.verified_at = now
        commendation_list.audit_error = None
        commendation_list.audit_failed_at = None


def audit_batch(session, store, *, after_id=0, limit=100, now=None):
    """Check the files of the next `limit` done lists after `after_id` and record each outcome.

    Returns (last id, checked, failed ids); last id is None when no list is left. The caller
    commits after each batch, so a long audit keeps what it found so far.
    """
    batch = session.scalars(
        select(CommendationList)
        .where(CommendationList.status == "done", CommendationList.id > after_id)
        .options(defer(CommendationList.rows), defer(CommendationList.summary))
        .order_by(CommendationList.id)
        .limit(limit)
    ).all()
    failed = []
    for commendation_list in batch:
        problems = check_files(store, commendation_list)
        record_check(commendation_list, problems, now=now)
        if problems:
            failed.append(commendation_list.id)
    session.flush()
    return (batch[-1].id if batch else None), len(batch), failed


def fail(session, list_id, error, *, now=None):
    session.execute(
        update(CommendationList)
        .where(CommendationList.id == list_id, CommendationList.status == "running")
        .values(status="failed", error=error[:2000], finished_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )
