"""The dashboard: what each role needs to see first, with small server-drawn charts."""

from flask import redirect, render_template, request, session
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.exceptions import BadRequest

from web import charts, labels
from web.auth.routes import safe_next
from web.database import db
from web.i18n import LANGUAGES
from web.main import bp
from web.main.forms import LanguageForm
from workflow import campaigns as campaign_rules
from workflow import lists, policy, queries, reports, services
from workflow.levels import REVIEW_LEVELS, REVIEW_STATE, rank
from workflow.machine import STATES


@bp.get("/")
@login_required
def dashboard():
    actor = current_user
    campaigns = queries.visible_campaigns(db.session, actor)
    campaign = _chosen(campaigns)
    campaign_id = campaign.id if campaign else None
    summary = reports.summary(db.session, actor, actor.unit, campaign_id=campaign_id)
    by_state = summary["by_state"]
    context = {
        "campaigns": campaigns,
        "campaign": campaign,
        "summary": summary,
        "state_chart": charts.bar_chart(
            [(labels.STATES[state], by_state[state]) for state in STATES],
            title=_("Nominations by state"),
        ),
    }
    if actor.role == "secretary":
        _total, revisions = queries.queue_page(db.session, actor, per_page=50)
        context["revisions"] = revisions
        context["reasons"] = queries.return_reasons(db.session, revisions)
    elif actor.role == "reviewer":
        context["queue_size"] = queries.queue_total(db.session, actor)
        overdue = queries.overdue_conditions(actor.unit, services.today())
        # The first ten, with how many there are in the same statement.
        context["overdue"], context["overdue_items"] = queries.page_of(
            db.session, overdue, order_by=queries.QUEUE_ORDER, page=1, per_page=10
        )
        quota = campaign and campaign_rules.quota_of(db.session, campaign, actor.unit)
        context["quota"] = (
            campaign_rules.quota_usage(db.session, campaign, actor.unit) if quota else None
        )
        context["may_request_list"] = (
            campaign is not None
            and lists.takes_part(campaign, actor.unit)
            and policy.can_request_list(actor, actor.unit)
        )
    else:
        context["pipeline"] = [
            (level, by_state[REVIEW_STATE[level]], summary["commended"][level])
            for level in REVIEW_LEVELS
            if _reaches(actor, level)
        ]
        context["pipeline_chart"] = charts.bar_chart(
            [(labels.LEVELS[level], waiting) for level, waiting, _commended in context["pipeline"]],
            title=_("Waiting for review, by level"),
        )
    return render_template("main/dashboard.html", **context)


def _chosen(campaigns):
    wanted = request.args.get("campaign_id", "")
    for campaign in campaigns:
        if str(campaign.id) == wanted:
            return campaign
    if wanted:
        raise BadRequest(_("No such campaign."))
    return campaigns[0] if campaigns else None


def _reaches(actor, level):
    """Levels at or below the actor's own unit: what their subtree can review."""
    return rank(level) <= rank(actor.unit.level)


@bp.post("/language")
def language():
    form = LanguageForm()
    if not form.validate_on_submit() or form.lang.data not in LANGUAGES:
        raise BadRequest(_("Unknown language."))
    target = safe_next(form.next.data)
    session["lang"] = form.lang.data
    if current_user.is_authenticated and current_user.language != form.lang.data:
        current_user.language = form.lang.data
        db.session.commit()
    return redirect(target)


@bp.get("/help/workflow")
@login_required
def workflow_help():
    """The whole workflow as one diagram, with what each level does."""
    diagram = charts.workflow_diagram(
        None,
        state_labels=labels.STATES,
        action_labels=labels.ACTIONS,
        title=_("The workflow of a nomination"),
    )
    return render_template("main/workflow_help.html", diagram=diagram)
