"""Copying every stored file the database names from one store to another (storage-migrate).

What is copied is what the rows name — evidence, scanned and rendered minutes, the files of done
lists —, each with the size and checksum recorded when it was written: a temporary or orphaned
file is left behind, and a copy is checked against the record, not against its source.
"""

from collections import namedtuple
from dataclasses import dataclass, field

from sqlalchemy import select

from workflow import lists
from workflow.files import EVIDENCE, LISTS, MINUTES, checksum
from workflow.models import Attachment, CommendationList, Meeting

Item = namedtuple("Item", "area key size sha256 what")


@dataclass
class Report:
    copied: int = 0
    present: int = 0
    missing: list = field(default_factory=list)
    failed: list = field(default_factory=list)


def referenced(session):
    """Every file the database names, as Items, read whole before anything is copied."""
    items = [
        Item(EVIDENCE, key, size, sha256, f"evidence {attachment_id}")
        for attachment_id, key, size, sha256 in session.execute(
            select(
                Attachment.id, Attachment.storage_key, Attachment.size, Attachment.sha256
            ).order_by(Attachment.id)
        )
    ]
    meetings = session.execute(
        select(Meeting.id, Meeting.scan, Meeting.minutes)
        .where(Meeting.status == "closed")
        .order_by(Meeting.id)
    )
    for meeting_id, scan, minutes in meetings:
        if scan:
            items.append(
                Item(
                    EVIDENCE,
                    scan["key"],
                    scan["size"],
                    scan["sha256"],
                    f"meeting {meeting_id} scan",
                )
            )
        if minutes:
            items.append(
                Item(
                    MINUTES,
                    minutes["key"],
                    minutes["size"],
                    minutes["sha256"],
                    f"meeting {meeting_id} minutes",
                )
            )
    done = session.execute(
        select(CommendationList.id, CommendationList.files)
        .where(CommendationList.status == "done")
        .order_by(CommendationList.id)
    )
    for list_id, written in done:
        for file_format, recorded in sorted((written or {}).items()):
            items.append(
                Item(
                    LISTS,
                    lists.file_key(list_id, file_format),
                    recorded["size"],
                    recorded["sha256"],
                    f"list {list_id} {file_format}",
                )
            )
    session.rollback()  # nothing read here is held while the files are copied
    return items


def copy_all(session, stores, *, dry_run=False, echo=None):
    """Copy each referenced file from `stores[area][0]` to `stores[area][1]` unless it is there
    already, whole; commits after each (a database target writes in `session`)."""
    report = Report()
    for item in referenced(session):
        source, target = stores[item.area]
        outcome = copy_one(item, source, target, dry_run=dry_run)
        session.commit()
        if outcome == "present":
            report.present += 1
        elif outcome == "copied":
            report.copied += 1
            if echo is not None:
                echo(f"{'would copy' if dry_run else 'copied'} {item.what} ({item.key})")
        elif outcome == "missing":
            report.missing.append(f"{item.what} ({item.key})")
        else:
            report.failed.append(f"{item.what} ({item.key}): {outcome}")
    return report


def copy_one(item, source, target, *, dry_run=False):
    """ "present", "copied", "missing" (not in the source) or what went wrong."""
    try:
        if _whole(target, item):
            return "present"
        if dry_run:
            return "copied" if source.stat(item.key) is not None else "missing"
        try:
            with source.open(item.key) as stream:
                target.put(item.key, stream)
        except FileNotFoundError:
            return "missing"
        if not _whole(target, item):
            return "the copy does not match the recorded checksum"
    except OSError as error:
        return f"{type(error).__name__}: {error}"
    return "copied"


def _whole(store, item):
    """Is `item` in `store` with its recorded size and checksum?"""
    there = store.stat(item.key)
    if there is None or there.size != item.size:
        return False
    if there.sha256 is not None:
        return there.sha256 == item.sha256
    with store.open(item.key) as stream:
        return checksum(stream) == item.sha256
