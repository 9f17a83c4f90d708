"""List views: load, check, call one service of workflow.lists, render or redirect."""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from web.database import db
from web.forms import options
from web.list_downloads import send_list_file
from web.lists import bp
from web.lists.forms import ListFilterForm, RequestListForm
from workflow import lists, policy, queries, services

SHOWN_ROWS = 100  # the page shows the first rows; the files hold them all


@bp.get("/lists")
@login_required
def index():
    actor = current_user
    form = ListFilterForm(request.args)
    campaigns = queries.visible_campaigns(db.session, actor)
    form.campaign_id.choices = options(
        [("", _("All"))] + [(str(c.id), f"{c.name} ({c.year})") for c in campaigns]
    )
    if not form.validate():
        abort(400)
    campaign_id = int(form.campaign_id.data) if form.campaign_id.data else None
    page = form.page.data or 1
    per_page = current_app.config["PER_PAGE"]
    total, items = lists.visible_lists(
        db.session, actor, campaign_id=campaign_id, page=page, per_page=per_page
    )
    arguments = {"campaign_id": form.campaign_id.data} if campaign_id else {}
    return render_template(
        "lists/index.html",
        form=form,
        items=items,
        total=total,
        page=page,
        pages=max(1, -(-total // per_page)),
        arguments=arguments,
    )


@bp.post("/campaigns/<int:campaign_id>/lists")
@login_required
def request_list(campaign_id):
    campaign = services.get_campaign(db.session, current_user, campaign_id)
    form = RequestListForm()
    if not form.validate():
        abort(400)
    unit = services.get_unit(db.session, current_user, form.unit_code.data.strip())
    made = lists.request_list(db.session, current_user, campaign, unit, on=services.today())
    db.session.commit()  # the after-commit hand-off queues the list task
    flash(
        _(
            "List no. %(number)s of %(unit)s is requested.",
            number=lists.number_label(made),
            unit=unit.name,
        ),
        "success",
    )
    return redirect(url_for("lists.show", list_id=made.id))


@bp.get("/lists/<int:list_id>")
@login_required
def show(list_id):
    found = lists.get_list(db.session, current_user, list_id)
    return render_template(
        "lists/show.html",
        item=found,
        rows=(found.rows or [])[:SHOWN_ROWS],
        may_request_again=policy.can_request_list(current_user, found.unit),
        request_form=RequestListForm(formdata=None),
    )


@bp.get("/lists/<int:list_id>/<file_format>")
@login_required
def download(list_id, file_format):
    return send_list_file(lists.get_list(db.session, current_user, list_id), file_format)
