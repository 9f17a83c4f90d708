"""The list task: claim a pending list, snapshot its rows, write PDF, XLSX and CSV, notify."""

import logging

from flask import current_app

from tasks import documents
from web.database import db
from workflow import lists, outbox, services
from workflow.models import CommendationList

log = logging.getLogger(__name__)

GENERATE_LIST = "commend.generate_list"


def generate_list(task, list_id):
    session = db.session
    if not lists.claim(session, list_id):
        session.rollback()
        return "not pending"
    session.commit()
    commendation_list = session.get(CommendationList, list_id)
    try:
        lists.snapshot(session, commendation_list, on=services.today())
        files = documents.write_all(
            commendation_list, lists.lists_dir(current_app.config, current_app.instance_path)
        )
        lists.finish(session, commendation_list, files)
        outbox.list_ready(
            session, commendation_list, number_label=lists.number_label(commendation_list)
        )
        session.commit()
    except Exception as error:
        log.exception("list %s could not be written", list_id)
        session.rollback()
        lists.fail(session, list_id, f"{type(error).__name__}: {error}")
        session.commit()
        return "failed"
    return "done"


def register(celery_app, config):
    limit = float(config["LIST_TIME_LIMIT_SECONDS"])
    celery_app.task(name=GENERATE_LIST, bind=True, time_limit=limit, soft_time_limit=limit * 0.9)(
        generate_list
    )
