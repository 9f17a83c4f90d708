"""Nomination views: load, check with the policy, call one service, render or redirect."""

from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from werkzeug.exceptions import Gone

from web import labels, metrics
from web.database import db
from web.downloads import send_stored
from web.forms import ConfirmedForm, ask_first, options, posted_version, show_invalid
from web.i18n import format_day
from web.nominations import bp, printing
from web.nominations.forms import (
    ACHIEVEMENTS_MAX,
    LEVEL_EXPLANATIONS,
    SUMMARY_MAX,
    ActionForm,
    DeleteForm,
    EditForm,
    NominationForm,
    ReopenForm,
    SearchForm,
    UploadForm,
)
from web.storage import store
from workflow import (
    attachments,
    choices,
    comments,
    decisions,
    files,
    policy,
    queries,
    routing,
    services,
)
from workflow.errors import Invalid, StaleVersion
from workflow.machine import ACTIONS
from workflow.models import HistoryEntry, Unit

LIMITS = {"summary": SUMMARY_MAX, "achievements": ACHIEVEMENTS_MAX}


@bp.get("")
@login_required
def index():
    actor = current_user
    form = SearchForm(request.args)
    campaigns = queries.visible_campaigns(db.session, actor)
    form.campaign_id.choices = options([("", _("All"))] + [(str(c.id), c.name) for c in campaigns])
    # Cells are found by the text filter; the list of units holds only the reviewing levels.
    units = db.session.scalars(
        select(Unit)
        .where(policy.subtree(actor.unit), Unit.level != "cell", Unit.retired_at.is_(None))
        .order_by(Unit.path)
    ).all()
    form.unit.choices = options(
        [("", _("All"))] + [(u.code, f"{u.name} ({u.code})") for u in units]
    )
    if not form.validate():
        abort(400)
    scope = next((u for u in units if u.code == form.unit.data), None)
    page = form.page.data or 1
    per_page = current_app.config["PER_PAGE"]
    total, capped, items = queries.search_page(
        db.session,
        actor,
        page=page,
        per_page=per_page,
        after=form.after.data,
        scope=scope,
        state=form.state.data or None,
        campaign_id=int(form.campaign_id.data) if form.campaign_id.data else None,
        q=(form.q.data or "").strip() or None,
        kind=form.kind.data or None,
        level=form.level.data or None,
        cell_q=(form.cell.data or "").strip() or None,
    )
    arguments = {
        key: value for key, value in request.args.items() if key not in ("page", "after") and value
    }
    return render_template(
        "nominations/index.html",
        form=form,
        items=items,
        total=total,
        capped=capped,
        # The next page starts after this page's last row: as cheap as the first, however deep.
        next_after=items[-1].id if len(items) == per_page else None,
        arguments=arguments,
    )


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    actor = current_user
    campaigns = [
        c for c in queries.visible_campaigns(db.session, actor) if policy.can_nominate(actor, c)
    ]
    if not campaigns:
        abort(403)
    form = NominationForm()
    form.campaign_id.choices = options([(c.id, f"{c.name} ({c.year})") for c in campaigns])
    if form.validate_on_submit():
        campaign = services.get_campaign(db.session, actor, form.campaign_id.data)
        try:
            nomination = services.create_nomination(db.session, actor, campaign, form.values())
        except Invalid as error:
            db.session.rollback()
            show_invalid(form, error)
        else:
            db.session.commit()
            flash(_("The draft is saved. Attach evidence, then submit it."), "success")
            return redirect(url_for("nominations.show", nomination_id=nomination.id))
    status = 422 if form.errors else 200
    return render_template(
        "nominations/form.html",
        form=form,
        limits=LIMITS,
        nomination=None,
        level_explanations=LEVEL_EXPLANATIONS,
    ), status


@bp.route("/<int:nomination_id>/edit", methods=["GET", "POST"])
@login_required
def edit(nomination_id):
    actor = current_user
    nomination = services.get_nomination(db.session, actor, nomination_id)
    if not policy.can(actor, policy.EDIT, nomination):
        abort(403)
    services.check_editable(nomination)  # under review: the friendly 409 page, not a form
    form = EditForm(obj=nomination if request.method == "GET" else None)
    if request.method == "GET":
        form.version.data = nomination.version
    if form.validate_on_submit():
        try:
            services.update_nomination(
                db.session,
                nomination,
                actor,
                version=posted_version(form.version.data),
                changes=form.values(),
            )
        except Invalid as error:
            db.session.rollback()
            show_invalid(form, error)
        else:
            db.session.commit()
            flash(_("Changes saved."), "success")
            return redirect(url_for("nominations.show", nomination_id=nomination.id))
    status = 422 if form.errors else 200
    return render_template(
        "nominations/form.html",
        form=form,
        limits=LIMITS,
        nomination=nomination,
        level_explanations=LEVEL_EXPLANATIONS,
    ), status


@bp.get("/<int:nomination_id>")
@login_required
def show(nomination_id):
    nomination = services.get_nomination(db.session, current_user, nomination_id)
    return _render_page(nomination, _fresh_action_form(nomination))


def _fresh_action_form(nomination):
    return ActionForm(formdata=None, version=nomination.version)


def _render_page(nomination, action_form, status=200, upload_form=None, reopen_form=None):
    actor = current_user
    standing = decisions.standing(db.session, nomination)
    history = db.session.scalars(
        select(HistoryEntry)
        .where(HistoryEntry.nomination_id == nomination.id)
        .options(joinedload(HistoryEntry.actor))  # units are named on the entry, as they were
        .order_by(HistoryEntry.id)
    ).all()
    may_edit = policy.can(actor, policy.EDIT, nomination) and services.is_editable(nomination)
    chain = routing.chain_of(nomination)
    steps = choices.next_steps(db.session, actor, nomination, chain=chain)
    last = history[-1] if history else None
    # Why it stopped: the reviewer's words when it was returned or not accepted, shown on top.
    reason = last if last and last.action in ("return", "reject") else None
    return render_template(
        "nominations/show.html",
        nomination=nomination,
        history=history,
        files=attachments.attachments_of(db.session, nomination),
        primary_steps=[step for step in steps if step.action not in DESTRUCTIVE],
        destructive_steps=[step for step in steps if step.action in DESTRUCTIVE],
        action_form=action_form,
        upload_form=upload_form or UploadForm(formdata=None),
        delete_form=DeleteForm(formdata=None),
        may_edit=may_edit,
        path=routing.path_of(nomination, chain, stopped_at=last.actor_unit_id if reason else None),
        next_up=_next_up(nomination, chain),
        reason=reason,
        decided=last if nomination.state == "commended" else None,
        max_bytes=current_app.config["ATTACHMENT_MAX_BYTES"],
        standing=standing,
        sees_meetings=standing is not None and policy.can_see_unit(actor, standing.unit),
        may_publish=choices.may_publish(actor, nomination, standing),
        may_reopen=choices.may_reopen(actor, nomination, standing),
        reopen_form=reopen_form or ReopenForm(formdata=None),
        public_comments=comments.comments_of(db.session, actor, nomination)
        if policy.can_read_comments(actor, nomination)
        else None,
        record=printing.nominee_record(actor, nomination),
    ), status


# Buttons that end or undo a nomination's way: asked again, and kept apart from the others.
DESTRUCTIVE = ("reject", "withdraw")


def _next_up(nomination, chain):
    """The sentence that leads the page: who acts next, and on what."""
    decider = routing.decision_unit(chain, nomination.target_level)
    if nomination.state == "draft":
        first = chain[0].name if chain else "–"
        return _(
            "Next step: %(cell)s attaches the evidence and submits it to %(unit)s",
            cell=nomination.cell.name,
            unit=first,
        )
    if nomination.state == "returned":
        unit = nomination.returned_by_unit.name if nomination.returned_by_unit else "–"
        return _(
            "Next step: %(cell)s revises it and sends it back to %(unit)s",
            cell=nomination.cell.name,
            unit=unit,
        )
    pending = nomination.pending_unit
    if pending is None:
        return None
    if decider is not None and pending.id == decider.id:
        return _(
            "Next step: %(unit)s reviews it and decides on recognition at %(level)s",
            unit=pending.name,
            level=labels.LEVELS_IN_TEXT[pending.level],
        )
    return _("Next step: %(unit)s reviews it", unit=pending.name)


@bp.post("/<int:nomination_id>")
@db.one_action
@login_required
def act(nomination_id):
    actor = current_user
    nomination = services.get_nomination(db.session, actor, nomination_id)
    form = ActionForm()
    action = request.form.get("action", "")
    if action not in ACTIONS or not form.validate():
        abort(400)
    try:
        if action in DESTRUCTIVE and not form.confirmed:
            return _confirm(nomination, form, action)
        with metrics.workflow_action(action):
            entry = services.perform(
                db.session,
                nomination,
                actor,
                action=action,
                version=posted_version(form.version.data),
                comment=form.comment.data,
            )
            db.session.commit()
    except Invalid as error:
        db.session.rollback()
        form.comment.errors = [labels.message(error.message)]
        return _render_page(nomination, form, status=422)
    flash(
        _(
            "Done: %(action)s. New state: %(state)s.",
            action=labels.outcome(action, entry["to_state"], actor.unit.level),
            state=labels.STATES[nomination.state],
        ),
        "success",
    )
    return redirect(url_for("nominations.show", nomination_id=nomination.id))


def _confirm(nomination, form, action):
    """The step that asks again before a nomination is withdrawn or not accepted: the same
    checks as the action (a comment where one is needed, the right, a current version), then
    the page that repeats what will happen."""
    services.check_comment(action, form.comment.data)
    if posted_version(form.version.data) != nomination.version:
        raise StaleVersion(f"nomination {nomination.id} changed meanwhile")
    if not policy.can(current_user, action, nomination):
        abort(403)
    return render_template(
        "nominations/confirm_action.html", nomination=nomination, form=form, action=action
    )


@bp.post("/<int:nomination_id>/attachments")
@login_required
def upload(nomination_id):
    actor = current_user
    nomination = services.get_nomination(db.session, actor, nomination_id)
    form = UploadForm()
    if not form.validate():
        return _render_page(nomination, _fresh_action_form(nomination), 422, upload_form=form)
    limit = current_app.config["ATTACHMENT_MAX_BYTES"]
    data = form.file.data.stream.read(limit + 1)
    try:
        attachments.add_attachment(
            db.session,
            nomination,
            actor,
            filename=form.file.data.filename,
            data=data,
            store=_evidence_store(),
            max_bytes=limit,
        )
    except Invalid as error:
        db.session.rollback()
        form.file.errors = [labels.message(error.message)]
        return _render_page(nomination, _fresh_action_form(nomination), 422, upload_form=form)
    db.session.commit()  # the staged file takes its name after this commit
    flash(_("The file is attached."), "success")
    return redirect(url_for("nominations.show", nomination_id=nomination.id))


def _evidence_store():
    return store(files.EVIDENCE)


@bp.get("/<int:nomination_id>/attachments/<int:attachment_id>")
@login_required
def download(nomination_id, attachment_id):
    found = attachments.get_attachment(db.session, current_user, nomination_id, attachment_id)
    try:
        return send_stored(  # streamed in blocks, with the checksum recorded at the upload
            _evidence_store(),
            found.storage_key,
            size=found.size,
            sha256=found.sha256,
            mimetype=found.content_type,
            download_name=attachments.download_name(found),
            what=f"evidence file {found.id}",
        )
    except Gone:
        abort(404)


@bp.post("/<int:nomination_id>/attachments/<int:attachment_id>/delete")
@login_required
def delete_attachment(nomination_id, attachment_id):
    actor = current_user
    found = attachments.get_attachment(db.session, actor, nomination_id, attachment_id)
    form = DeleteForm()
    if not form.validate():
        abort(400)
    attachments.remove_attachment(db.session, found, actor, store=_evidence_store())
    if not form.confirmed:
        return ask_first(
            _("Remove %(file)s?", file=found.filename),
            step="remove-file",
            lead=found.nomination.nominee_name,
            consequence=_(
                "The file is deleted for good and cannot be recovered; upload it again if it is "
                "needed."
            ),
            button=_("Confirm: remove the file"),
            back=url_for("nominations.show", nomination_id=nomination_id),
            keep=_("Keep the file"),
        )
    db.session.commit()  # the file is deleted after this commit, not before
    flash(_("The file is removed."), "success")
    return redirect(url_for("nominations.show", nomination_id=nomination_id))


@bp.post("/<int:nomination_id>/publication")
@login_required
def publish(nomination_id):
    """Put the name out for public comment at the level where it waits."""
    nomination = services.get_nomination(db.session, current_user, nomination_id)
    form = ConfirmedForm()
    if not form.validate():
        abort(400)
    publication = comments.publish(db.session, current_user, nomination, on=services.today())
    if not form.confirmed:
        return ask_first(
            _("Publish %(name)s for public comment?", name=nomination.nominee_name),
            step="publish",
            lead=nomination.title,
            consequence=_(
                "The name, the title and the achievements go on the public page, where anyone "
                "can read them and comment, and stay there until %(day)s; publishing cannot be "
                "undone.",
                day=format_day(publication.ends_on),
            ),
            button=_("Confirm: publish for public comment"),
            back=url_for("nominations.show", nomination_id=nomination.id),
            keep=_("Not now"),
        )
    db.session.commit()
    flash(
        _(
            "The name is published for public comment until %(day)s.",
            day=format_day(publication.ends_on),
        ),
        "success",
    )
    return redirect(url_for("nominations.show", nomination_id=nomination.id))


@bp.post("/<int:nomination_id>/reopen")
@login_required
def reopen(nomination_id):
    """Two steps: the reason is shown back for confirmation, then the decision is reopened."""
    actor = current_user
    nomination = services.get_nomination(db.session, actor, nomination_id)
    form = ReopenForm()
    if not form.validate():
        return _render_page(nomination, _fresh_action_form(nomination), 422, reopen_form=form)
    if not form.confirmed:
        return render_template("nominations/confirm_reopen.html", nomination=nomination, form=form)
    comments.reopen(db.session, actor, nomination, reason=form.comment.data)
    db.session.commit()
    flash(_("The decision is reopened: the committee votes again."), "success")
    return redirect(url_for("nominations.show", nomination_id=nomination.id))
