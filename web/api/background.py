"""API views for background work: final commendation lists and the outbox of notices."""

from typing import Literal

from flask import url_for
from pydantic import StrictBool

from web.api import bp
from web.api.requests import body_of, query_of, require_actor
from web.api.schemas import Body
from web.database import db
from web.list_downloads import send_list_file, signature_of
from workflow import lists, outbox, services
from workflow.fields import Text
from workflow.models import OUTBOX_STATUSES


class ListRequest(Body):
    unit_code: Text(40)
    # A new number when what is recognised changed since the latest list: asked for on purpose.
    confirm: StrictBool = False


class OutboxQuery(Body):
    status: Literal[OUTBOX_STATUSES] = "failed"


def _iso(value):
    return value.isoformat() if value is not None else None


def list_json(commendation_list):
    done = commendation_list.status == "done"
    signature = signature_of(commendation_list) if done else None
    return {
        "id": commendation_list.id,
        "status": commendation_list.status,
        "count": commendation_list.count,
        "number": lists.number_label(commendation_list),
        "campaign_id": commendation_list.campaign_id,
        "unit_code": commendation_list.unit.code,
        "level": commendation_list.level,
        "issued_on": _iso(commendation_list.issued_on),
        "created_at": _iso(commendation_list.created_at),
        # When the stored files last read back with their checksums; an audit that found one
        # missing or altered is named here, and the downloads answer 410 meanwhile.
        "verified_at": _iso(commendation_list.verified_at),
        "audit_error": commendation_list.audit_error,
        "audit_failed_at": _iso(commendation_list.audit_failed_at),
        # The PDF's digital signature, checked on the stored file at each read; null unsigned.
        "signature": {
            "signer": signature["signer"],
            "signed_at": _iso(signature["signed_at"]),
            "valid": signature["valid"],
        }
        if signature
        else None,
        "files": {
            file_format: url_for(
                "api.download_list",
                list_id=commendation_list.id,
                file_format=file_format,
                _external=False,
            )
            for file_format in lists.FORMATS
        }
        if done
        else None,
    }


def outbox_json(message):
    return {
        "id": message.id,
        "key": message.key,
        "notice": message.notice,
        "nomination_id": message.nomination_id,
        "recipient_email": message.recipient_email,
        "language": message.language,
        "status": message.status,
        "attempts": message.attempts,
        "last_error": message.last_error,
        "created_at": _iso(message.created_at),
        "sent_at": _iso(message.sent_at),
    }


@bp.post("/campaigns/<int:campaign_id>/lists")
def request_list(campaign_id):
    actor, fields = body_of(ListRequest)
    campaign = services.get_campaign(db.session, actor, campaign_id)
    unit = services.get_unit(db.session, actor, fields.unit_code)
    commendation_list, outcome = lists.request_list(
        db.session, actor, campaign, unit, on=services.today(), confirm=fields.confirm
    )
    db.session.commit()  # the after-commit hook queues a new or failed list's task
    # 202 while the list is (again) on its way; 200 when the done list stands unchanged.
    status = 200 if outcome == lists.UNCHANGED else 202
    return {"id": commendation_list.id, "status": commendation_list.status}, status


@bp.get("/lists/<int:list_id>")
def get_list(list_id):
    actor = require_actor()
    return list_json(lists.get_list(db.session, actor, list_id))


@bp.get("/lists/<int:list_id>/<file_format>")
def download_list(list_id, file_format):
    actor = require_actor()
    return send_list_file(lists.get_list(db.session, actor, list_id), file_format)


@bp.get("/outbox")
def list_outbox():
    actor, query = query_of(OutboxQuery)
    messages = outbox.failed_messages(db.session, actor, status=query.status)
    return {"items": [outbox_json(message) for message in messages]}


@bp.post("/outbox/<int:message_id>/resend")
def resend_outbox_message(message_id):
    actor = require_actor()
    message = outbox.get_message(db.session, actor, message_id)
    outbox.resend(db.session, actor, message)
    db.session.commit()  # the after-commit hook queues the send again
    return outbox_json(message)
