"""Queue views: what waits at the reviewer's unit, oldest first; bulk approval item by item."""

from flask import abort, current_app, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from web import labels
from web.database import db
from web.review import bp
from web.review.forms import BulkApproveForm
from workflow import queries, services
from workflow.errors import DomainError

MAX_BULK = 200


@bp.get("/queue")
@login_required
def queue():
    return _render_queue(BulkApproveForm(formdata=None), results=None)


def _render_queue(form, results, status=200):
    actor = current_user
    page = request.args.get("page", "1")
    page = int(page) if page.isdigit() and 0 < int(page) < 100000 else 1
    per_page = current_app.config["PER_PAGE"] * 5
    total, items = queries.page_of(
        db.session,
        queries.queue_conditions(actor),
        order_by=queries.QUEUE_ORDER,
        page=page,
        per_page=per_page,
    )
    today = services.today()
    rows = [
        {
            "nomination": item,
            "deadline": queries.review_deadline(item),
            "days_waiting": queries.days_waiting(item, today, services.TIMEZONE),
        }
        for item in items
    ]
    return render_template(
        "review/queue.html",
        rows=rows,
        total=total,
        page=page,
        pages=max(1, -(-total // per_page)),
        form=form,
        results=results,
        today=today,
    ), status


@bp.post("/queue")
@login_required
def bulk_approve():
    actor = current_user
    if actor.role != "reviewer":
        abort(403)
    form = BulkApproveForm()
    if not form.validate() or not form.selected.data or len(form.selected.data) > MAX_BULK:
        abort(400)
    results = [_approve_one(actor, value) for value in form.selected.data]
    return _render_queue(BulkApproveForm(formdata=None), results=results)


def _approve_one(actor, value):
    """Approve one item in its own transaction; a failure touches no other item."""
    nomination_id, _sep, version = value.partition(":")
    if not (nomination_id.isdigit() and version.isdigit()):
        abort(400)
    try:
        nomination = services.get_nomination(db.session, actor, int(nomination_id))
        name = nomination.nominee_name
        services.perform(db.session, nomination, actor, action="approve", version=int(version))
    except DomainError as error:
        db.session.rollback()
        return {"id": int(nomination_id), "ok": False, "message": labels.explain(error)}
    db.session.commit()
    return {
        "id": nomination.id,
        "ok": True,
        "name": name,
        "message": _("Approved. New state: %(state)s.", state=labels.STATES[nomination.state]),
    }
