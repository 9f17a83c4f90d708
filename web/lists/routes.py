"""List views: load, check, call one service of workflow.lists, render or redirect."""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from web.database import db
from web.forms import ask_first, options
from web.list_downloads import send_list_file, signature_of
from web.lists import bp
from web.lists.forms import ListFilterForm, RequestListForm
from web.ui import came_from
from workflow import lists, policy, queries, services
from workflow.errors import ListChanged

SHOWN_ROWS = 100  # the page shows the first rows; the files hold them all
SHOWN_CHANGES = 50  # the confirmation step names this many added and removed nominations
# What the page says after asking for a list, by what the asking did (workflow.lists).
OUTCOMES = {
    lists.NEW: (_l("List no. %(number)s of %(unit)s is requested."), "success"),
    lists.WAITING: (
        _l("List no. %(number)s of %(unit)s is already requested and is being produced."),
        "info",
    ),
    lists.RETRIED: (
        _l("List no. %(number)s of %(unit)s failed before; it is produced again, same number."),
        "success",
    ),
    lists.UNCHANGED: (
        _l(
            "Nothing recognised by %(unit)s has changed since list no. %(number)s; "
            "it remains the valid list."
        ),
        "info",
    ),
}


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
    try:
        made, outcome = lists.request_list(
            db.session,
            current_user,
            campaign,
            unit,
            on=services.today(),
            confirm=form.confirmed and not form.first.data,
        )
    except ListChanged as changed:
        db.session.rollback()
        # The confirmation step: what changed, and the button that issues the new number.
        return render_template(
            "lists/confirm.html",
            campaign=campaign,
            unit=unit,
            changed=changed,
            shown=SHOWN_CHANGES,
            form=RequestListForm(formdata=None),
        ), 409
    asked = form.confirmed and (not form.first.data or form.number.data == made.number)
    if outcome == lists.NEW and not asked:
        # The unit's first list in the campaign: its number is registered for good. (The
        # numbers run per unit and year: another campaign's list may have taken the one asked
        # about meanwhile, and then this asks again.)
        number = lists.number_label(made)
        count = lists.recognized_count(db.session, campaign, unit)
        return ask_first(
            _("Produce list no. %(number)s of %(unit)s?", number=number, unit=unit.name),
            step="first-list",
            lead=campaign.name,
            consequence=" ".join(
                [
                    _(
                        "Recognised by %(unit)s in this campaign so far: %(count)s.",
                        unit=unit.name,
                        count=format_decimal(count),
                    ),
                    _(
                        "The number is registered for good; what is recognised later goes into "
                        "a new list under the next number."
                    ),
                ]
            ),
            button=_("Confirm: produce list no. %(number)s", number=number),
            back=came_from() or url_for("main.dashboard", campaign_id=campaign.id),
            keep=_("Do not produce it yet"),
            fields=[("unit_code", unit.code), ("first", "1"), ("number", made.number)],
        )
    db.session.commit()  # the after-commit hand-off queues a new or failed list's task
    message, category = OUTCOMES[outcome]
    flash(message % {"number": lists.number_label(made), "unit": unit.name}, category)
    return redirect(url_for("lists.show", list_id=made.id))


@bp.get("/lists/<int:list_id>")
@login_required
def show(list_id):
    found = lists.get_list(db.session, current_user, list_id)
    return render_template(
        "lists/show.html",
        item=found,
        signature=signature_of(found) if found.status == "done" else None,
        rows=(found.rows or [])[:SHOWN_ROWS],
        may_request_again=policy.can_request_list(current_user, found.unit),
        request_form=RequestListForm(formdata=None),
    )


@bp.get("/lists/<int:list_id>/<file_format>")
@login_required
def download(list_id, file_format):
    return send_list_file(lists.get_list(db.session, current_user, list_id), file_format)
