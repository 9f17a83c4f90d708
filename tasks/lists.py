"""The list tasks: produce a list (snapshot, PDF, XLSX, CSV, verify, notify); audit the files."""

import logging
import time
from contextlib import contextmanager
from functools import partial

from flask import current_app

from tasks import documents
from web import metrics
from web.database import db
from web.storage import store
from workflow import files, lists, outbox, services, signing, unit_settings
from workflow.models import CommendationList, utcnow

log = logging.getLogger(__name__)

GENERATE_LIST = "commend.generate_list"
AUDIT_LISTS = "commend.audit_lists"


def generate_list(task, list_id):
    session = db.session
    if not lists.claim(session, list_id):
        session.rollback()
        return "not pending"
    session.commit()
    commendation_list = session.get(CommendationList, list_id)
    config = current_app.config
    lists_store = store(files.LISTS)
    started = time.perf_counter()
    try:
        lists.snapshot(session, commendation_list, on=services.today())
        unit = commendation_list.unit
        settings = unit_settings.settings_of(session, unit)
        key = settings.signing_key if settings else None
        with _signing(config, key, unit) as sign:
            # With STORAGE_URL=database the files are written in this transaction, with the list.
            written = documents.write_all(
                commendation_list,
                lists_store,
                signatory=unit_settings.signatory(session, unit),
                sign=sign,
            )
        # Read back what was stored: a list is done only with files that match.
        problems = lists.check_files(lists_store, commendation_list, written)
        if problems:
            raise OSError(f"the files written do not read back: {'; '.join(problems)}")
        signature = _checked_signature(config, lists_store, commendation_list, key) if key else None
        lists.finish(session, commendation_list, written, signature=signature)
        outbox.list_ready(
            session, commendation_list, number_label=lists.number_label(commendation_list)
        )
        session.commit()
    except Exception as error:
        log.exception("list %s could not be written", list_id)
        session.rollback()
        lists.fail(session, list_id, f"{type(error).__name__}: {error}")
        session.commit()
        metrics.list_rendered("failed", time.perf_counter() - started)
        return "failed"
    metrics.list_rendered("done", time.perf_counter() - started)
    log.info("list %s written: %d rows", list_id, commendation_list.count)
    return "done"


@contextmanager
def _signing(config, key, unit):
    """The function that signs the rendered PDF with the unit's key, or None without one."""
    if key is None:
        yield None
        return
    with signing.open_signer(config, key) as signer:
        yield partial(
            signing.sign_pdf, signer=signer, unit_name=unit.name, location=documents.place(unit)
        )


def _checked_signature(config, lists_store, commendation_list, key):
    """The stored PDF's signature, checked as anyone will check it; a list whose signature does
    not verify is not done."""
    with lists_store.open(lists.file_key(commendation_list.id, "pdf")) as stream:
        found = signing.verify_pdf(stream, signing.trust_roots(config))
    if not found.valid:
        raise signing.SigningError(f"the signed PDF does not verify: {found.problem}")
    signed_at = found.signed_at or utcnow()  # pyHanko reads the time the signer wrote
    return {"signer": found.signer, "signed_at": signed_at.isoformat(), "key": key}


def audit_lists(task):
    """Daily: read every done list's files back and compare them with their checksums.

    A list whose file is missing or altered is recorded as such (its page says so and its
    downloads are refused); one found whole again is cleared. Returns what was found.
    """
    session = db.session
    lists_store = store(files.LISTS)
    after_id, checked, failed = 0, 0, []
    while after_id is not None:
        after_id, count, failures = lists.audit_batch(session, lists_store, after_id=after_id)
        session.commit()
        checked += count
        failed += failures
    for list_id in failed:
        log.error("list %s: its stored files are missing or altered", list_id)
    return {"checked": checked, "failed": failed}


def register(celery_app, config):
    limit = float(config["LIST_TIME_LIMIT_SECONDS"])
    celery_app.task(name=GENERATE_LIST, bind=True, time_limit=limit, soft_time_limit=limit * 0.9)(
        generate_list
    )
    celery_app.task(name=AUDIT_LISTS, bind=True, time_limit=limit, soft_time_limit=limit * 0.9)(
        audit_lists
    )
