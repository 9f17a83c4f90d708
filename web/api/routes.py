"""API views: load, check, call one service, answer."""

from flask import current_app
from sqlalchemy import select
from werkzeug.exceptions import NotFound as HTTPNotFound
from werkzeug.exceptions import Unauthorized

from web import metrics
from web.api import bp
from web.api.requests import (
    bearer_token,
    body_of,
    query_of,
    read_json,
    require_actor,
    validate,
)
from web.api.schemas import (
    ActionRequest,
    CampaignCreate,
    NominationCreate,
    NominationPatch,
    NominationQuery,
    SummaryQuery,
    TokenRequest,
)
from web.api.serializers import (
    caller_language,
    campaign_json,
    history_json,
    listed_json,
    nomination_json,
    nominee_record_json,
    quota_json,
    unit_detail_json,
    user_json,
)
from web.database import db
from web.throttle import login_throttle
from workflow import accounts, campaigns, queries, reports, services, unit_history
from workflow.machine import ACTIONS
from workflow.models import Unit


@bp.post("/auth/token")
def issue_token():
    """The API's door of the login throttle the login page has (web/throttle.py)."""
    fields = validate(TokenRequest, read_json())
    login_throttle.check(fields.username)
    user = accounts.authenticate(db.session, fields.username, fields.password)
    if user is None:
        login_throttle.failed(fields.username)
        raise Unauthorized("unknown user or wrong password")
    login_throttle.succeeded(fields.username)
    token, expires_at = accounts.issue_token(
        db.session, user, hours=current_app.config["API_TOKEN_HOURS"]
    )
    db.session.commit()
    return {"token": token, "expires_at": expires_at.isoformat()}


@bp.delete("/auth/token")
def revoke_token():
    require_actor()
    accounts.revoke_token(db.session, bearer_token())
    db.session.commit()
    return "", 204


@bp.get("/me")
def me():
    return user_json(require_actor())


@bp.get("/units/<code>")
def unit(code):
    actor = require_actor()
    found = services.get_unit(db.session, actor, code)
    children = db.session.scalars(
        select(Unit.code)
        .where(Unit.parent_id == found.id, Unit.retired_at.is_(None))
        .order_by(Unit.code)
    ).all()
    return unit_detail_json(found, children, unit_history.names(db.session, found))


@bp.post("/campaigns")
def create_campaign():
    actor, fields = body_of(CampaignCreate)
    unit = services.get_unit(db.session, actor, fields.unit_code)
    campaign = services.create_campaign(
        db.session,
        actor,
        unit,
        name=fields.name,
        year=fields.year,
        submission_deadline=fields.submission_deadline,
        review_deadlines=fields.review_deadlines.model_dump(),
        options=fields.options,
    )
    db.session.commit()
    return campaign_json(campaign), 201


@bp.get("/campaigns")
def list_campaigns():
    actor = require_actor()
    campaigns = queries.visible_campaigns(db.session, actor)
    return {"items": [campaign_json(campaign) for campaign in campaigns]}


@bp.get("/campaigns/<int:campaign_id>")
def get_campaign(campaign_id):
    actor = require_actor()
    return campaign_json(services.get_campaign(db.session, actor, campaign_id))


@bp.post("/nominations")
def create_nomination():
    actor, fields = body_of(NominationCreate)
    campaign = services.get_campaign(db.session, actor, fields.campaign_id)
    nomination = services.create_nomination(
        db.session, actor, campaign, fields.model_dump(exclude={"campaign_id"})
    )
    db.session.commit()
    return {
        **nomination_json(nomination),
        **nominee_record_json(db.session, actor, nomination),
    }, 201


@bp.get("/nominations")
def list_nominations():
    actor, query = query_of(NominationQuery)
    scope = services.get_unit(db.session, actor, query.unit_code) if query.unit_code else None
    total, capped, items = queries.search_page(
        db.session,
        actor,
        page=query.page,
        per_page=query.per_page,
        after=query.after,
        scope=scope,
        state=query.state,
        campaign_id=query.campaign_id,
        q=query.q,
        load=queries.LISTED,
    )
    return {
        **_page_json(items, total, query),
        "total_capped": capped,  # a text search counts up to 10,000 matches
        # The cursor of the next page (`?after=`), as cheap as the first however deep.
        "next": items[-1].id if len(items) == query.per_page else None,
    }


@bp.get("/queue")
def queue():
    actor, query = query_of(NominationQuery)
    total, items = queries.queue_page(
        db.session, actor, page=query.page, per_page=query.per_page, load=queries.LISTED
    )
    return _page_json(items, total, query)


def _page_json(items, total, query):
    return {
        "items": listed_json(items, caller_language()),
        "total": total,
        "page": query.page,
        "per_page": query.per_page,
    }


@bp.get("/nominations/<int:nomination_id>")
def get_nomination(nomination_id):
    actor = require_actor()
    nomination = services.get_nomination(db.session, actor, nomination_id)
    return {
        **nomination_json(nomination),
        **nominee_record_json(db.session, actor, nomination),
        "history": history_json(db.session, nomination),
    }


@bp.patch("/nominations/<int:nomination_id>")
def update_nomination(nomination_id):
    actor, fields = body_of(NominationPatch)
    nomination = services.get_nomination(db.session, actor, nomination_id)
    changes = fields.model_dump(exclude_unset=True, exclude={"version"})
    services.update_nomination(
        db.session, nomination, actor, version=fields.version, changes=changes
    )
    db.session.commit()
    return {**nomination_json(nomination), **nominee_record_json(db.session, actor, nomination)}


@bp.post("/nominations/<int:nomination_id>/actions/<action>")
@db.one_action
def act(nomination_id, action):
    actor, fields = body_of(ActionRequest)
    if action not in ACTIONS:
        raise HTTPNotFound(f"there is no action {action!r}")
    with metrics.workflow_action(action):
        services.check_comment(action, fields.comment)
        nomination = services.get_nomination(db.session, actor, nomination_id)
        services.perform(
            db.session,
            nomination,
            actor,
            action=action,
            version=fields.version,
            comment=fields.comment,
        )
        db.session.commit()
    return nomination_json(nomination)


@bp.get("/reports/summary")
def summary():
    actor, query = query_of(SummaryQuery)
    scope = services.get_unit(db.session, actor, query.unit_code) if query.unit_code else actor.unit
    campaign = None
    if query.campaign_id is not None:
        campaign = services.get_campaign(db.session, actor, query.campaign_id)
    body = reports.summary(
        db.session, actor, scope, campaign_id=query.campaign_id, as_of=query.as_of, by=query.by
    )
    if campaign is not None and campaigns.quota_of(db.session, campaign, scope) is not None:
        # The scope unit's places at its own level: {"unit_code", …, kind: {limit, used, remaining}}
        body["quota"] = quota_json(scope, campaigns.quota_usage(db.session, campaign, scope))
    return body
