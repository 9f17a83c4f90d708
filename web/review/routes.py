"""Queue views: what waits at the reviewer's unit, oldest first; bulk approval item by item."""

from collections import Counter

from flask import abort, current_app, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.exc import OperationalError

from web import labels, metrics
from web.database import db
from web.problems import given_up
from web.review import bp
from web.review.forms import BulkApproveForm, QueueForm
from workflow import campaigns, choices, comments, decisions, options, queries, services
from workflow.errors import DomainError


@bp.get("/queue")
@login_required
def queue():
    return _render_queue(_page(), BulkApproveForm(formdata=None), results=None)


def _page():
    pager = QueueForm(request.args)
    if not pager.validate():
        abort(400)
    return pager.page.data or 1


def _render_queue(page, form, results, status=200):
    actor = current_user
    per_page = current_app.config["PER_PAGE"] * 5
    total, items = queries.queue_page(db.session, actor, page=page, per_page=per_page)
    today = services.today()
    votes = decisions.votes_of(db.session, items)  # one query for the page
    comment_counts = comments.comment_counts(db.session, [item.id for item in items])
    steps = choices.approve_steps(db.session, items) if actor.role == "reviewer" else {}
    rows = [
        {
            "nomination": item,
            "step": steps.get(item.id),
            "deadline": queries.review_deadline(item),
            "days_waiting": queries.days_waiting(item, today, services.TIMEZONE),
            "by_committee": item.pending_unit is not None
            and options.of_level(item.campaign, item.pending_unit.level)["decision"] == "committee",
            "vote": votes.get(item.id),
            "comments": comment_counts.get(item.id, 0),
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
        quotas=_quotas(actor, items),
        outcomes=_outcomes(steps.values()),
    ), status


def _outcomes(steps):
    """[(what approving does, how many)]: "Chuyển lên Huyện ủy Cẩm Khê" 3, "Công nhận cấp xã" 2."""
    counts = Counter(str(labels.approve_button(step)) for step in steps)
    return sorted(counts.items())


def _quotas(actor, items):
    """(campaign, usage) of the reviewer's unit in the campaigns of the page's items that cap
    it, so the queue shows what is left before approving."""
    if actor.role != "reviewer":
        return []
    found = {item.campaign.id: item.campaign for item in items}
    return [
        (campaign, campaigns.quota_usage(db.session, campaign, actor.unit))
        for campaign in found.values()
        if campaigns.quota_of(db.session, campaign, actor.unit) is not None
    ]


@bp.post("/queue")
@login_required
def bulk_approve():
    actor = current_user
    if actor.role != "reviewer":
        abort(403)
    page = _page()
    form = BulkApproveForm()
    if not form.validate():
        return _render_queue(page, form, results=None, status=400)  # nothing was approved
    if not form.confirmed:
        return _confirm(form)
    results = [_approve_one(actor, *item) for item in form.items]
    return _render_queue(page, BulkApproveForm(formdata=None), results=results)


def _confirm(form):
    """The step before a bulk approval: each selected item with what approving it will do, and
    the counts; nothing is written until it is confirmed."""
    versions = dict(form.items)
    items = queries.by_ids(db.session, current_user, list(versions))
    steps = choices.approve_steps(db.session, items)
    rows = [{"nomination": item, "step": steps.get(item.id)} for item in items]
    return render_template(
        "review/confirm.html",
        rows=rows,
        form=form,
        selected=[f"{item.id}:{versions[item.id]}" for item in items],
        outcomes=_outcomes(steps.values()),
        unchanged=sum(1 for row in rows if row["step"] is None),
    )


def _approve_one(actor, nomination_id, version):
    """Approve one item in its own transaction; a failure touches no other item."""
    try:
        with metrics.workflow_action("approve"):
            nomination = services.get_nomination(db.session, actor, nomination_id)
            name = nomination.nominee_name
            services.perform(db.session, nomination, actor, action="approve", version=version)
            db.session.commit()
    except DomainError as error:
        db.session.rollback()
        return {"id": nomination_id, "ok": False, "message": labels.explain(error)}
    except OperationalError as error:
        if not given_up(error):
            raise
        db.session.rollback()  # this item only: the ones before it are saved
        message = _("Another change was saved at the same time; this one was not. Try again.")
        return {"id": nomination_id, "ok": False, "message": message}
    return {
        "id": nomination.id,
        "ok": True,
        "name": name,
        "message": _(
            "Done: %(action)s. New state: %(state)s.",
            action=labels.outcome("approve", nomination.state, actor.unit.level),
            state=labels.STATES[nomination.state],
        ),
    }
