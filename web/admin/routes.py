"""Administration views: load, check, call one service of workflow.administration, redirect."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from web import labels
from web.admin import bp
from web.admin.changes import describe_changes
from web.admin.forms import (
    CampaignForm,
    ChangeUserForm,
    CloseForm,
    CommitteeForm,
    DeadlinesForm,
    ImportForm,
    MoveForm,
    OptionsForm,
    OutboxFilterForm,
    QuotaForm,
    RenameForm,
    UnitForm,
    UserForm,
    fill_options,
    option_values,
)
from web.auth.tokens import password_link
from web.database import db
from web.forms import PlainForm, ask_first, options, posted_version, show_invalid
from web.lists.forms import RequestListForm
from workflow import (
    administration,
    committees,
    imports,
    lists,
    outbox,
    policy,
    queries,
    services,
)
from workflow import campaigns as campaign_rules
from workflow import options as campaign_options
from workflow.errors import Invalid, StaleVersion
from workflow.levels import REVIEW_LEVELS
from workflow.models import Unit, User

PARENT_LEVELS = ("province", "district", "commune")  # units that can hold others or a campaign
OUTBOX_PAGE_LIMIT = 200  # the outbox page shows the newest rows of a status
CAMPAIGN_LISTS = 20  # the campaign page shows the newest lists; the list index holds the rest


def _units():
    """Every unit of the administrator's subtree, in tree order (retired ones are history)."""
    return db.session.scalars(
        select(Unit)
        .where(policy.subtree(current_user.unit), Unit.retired_at.is_(None))
        .order_by(Unit.path)
    ).all()


def _unit_choices(units, levels=None):
    return options(
        (unit.code, f"{unit.name} ({unit.code})")
        for unit in units
        if levels is None or unit.level in levels
    )


@bp.get("")
def home():
    return redirect(url_for("admin.units"))


# The unit tree.


@bp.get("/units")
def units():
    return _render_units()


def _render_units(add_form=None, status=200, rename_form=None, renamed=None):
    units = _units()
    add_form = add_form or UnitForm(formdata=None)
    add_form.parent_code.choices = _unit_choices(units, levels=PARENT_LEVELS)
    return render_template(
        "admin/units.html",
        units=units,
        root_depth=current_user.unit.path.count("/"),
        add_form=add_form,
        rename_form=rename_form or RenameForm(formdata=None),
        renamed=renamed,
        move_form=_move_form(units, formdata=None),
    ), status


def _move_form(units, **kwargs):
    form = MoveForm(**kwargs)
    form.parent_code.choices = _unit_choices(units, levels=PARENT_LEVELS)
    return form


@bp.post("/units")
def add_unit():
    form = UnitForm()
    form.parent_code.choices = _unit_choices(_units(), levels=PARENT_LEVELS)
    if not form.validate():
        return _render_units(form, 422)
    parent = services.get_unit(db.session, current_user, form.parent_code.data)
    try:
        unit = administration.add_unit(
            db.session,
            current_user,
            parent,
            code=form.code.data,
            name=form.name.data,
            level=form.level.data,
        )
    except Invalid as error:
        db.session.rollback()
        show_invalid(form, error)
        return _render_units(form, 422)
    db.session.commit()
    flash(_("Unit %(name)s added.", name=unit.name), "success")
    return redirect(url_for("admin.units"))


@bp.post("/units/<code>/rename")
def rename_unit(code):
    unit = services.get_unit(db.session, current_user, code)
    form = RenameForm()
    if not form.validate():
        return _render_units(status=422, rename_form=form, renamed=unit.code)
    try:
        administration.rename_unit(db.session, current_user, unit, name=form.name.data)
    except Invalid as error:
        db.session.rollback()
        show_invalid(form, error)
        return _render_units(status=422, rename_form=form, renamed=code)
    db.session.commit()
    flash(_("Unit renamed."), "success")
    return redirect(url_for("admin.units"))


@bp.post("/units/<code>/move")
def move_unit(code):
    unit = services.get_unit(db.session, current_user, code)
    form = _move_form(_units())
    if not form.validate():
        abort(400)
    parent = services.get_unit(db.session, current_user, form.parent_code.data)
    administration.move_unit(db.session, current_user, unit, parent)
    db.session.commit()
    flash(_("Unit moved with everything below it."), "success")
    return redirect(url_for("admin.units"))


# Accounts.


@bp.get("/users")
def users():
    return _render_users()


def _render_users(form=None, status=200):
    units = _units()
    form = form or UserForm(formdata=None)
    form.unit_code.choices = _unit_choices(units)
    people = db.session.scalars(
        select(User)
        .join(Unit, User.unit_id == Unit.id)
        .where(policy.subtree(current_user.unit))
        .options(joinedload(User.unit))
        .order_by(User.username)
    ).all()
    return render_template(
        "admin/users.html", form=form, people=people, plain=PlainForm(formdata=None)
    ), status


@bp.post("/users")
def create_user():
    form = UserForm()
    form.unit_code.choices = _unit_choices(_units())
    if not form.validate():
        return _render_users(form, 422)
    unit = services.get_unit(db.session, current_user, form.unit_code.data)
    try:
        user = administration.create_user(
            db.session,
            current_user,
            unit,
            username=form.username.data,
            full_name=form.full_name.data,
            email=form.email.data,
            role=form.role.data,
            password=form.password.data or None,
        )
    except Invalid as error:
        db.session.rollback()
        show_invalid(form, error)
        return _render_users(form, 422)
    if user.needs_password:
        administration.queue_password_link(db.session, current_user, user, link=password_link(user))
    db.session.commit()  # the after-commit hand-off (tasks/outbox.py) sends the link
    flash(_("Account %(username)s created.", username=user.username), "success")
    return redirect(url_for("admin.users"))


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def user(user_id):
    person = administration.get_user(db.session, current_user, user_id)
    form = ChangeUserForm(obj=None if request.method == "POST" else person)
    form.unit_code.choices = _unit_choices(_units())
    if request.method == "GET":
        form.unit_code.data = person.unit.code
    if form.validate_on_submit():
        unit = services.get_unit(db.session, current_user, form.unit_code.data)
        try:
            administration.change_user(
                db.session, current_user, person, role=form.role.data, unit=unit
            )
        except Invalid as error:
            db.session.rollback()
            show_invalid(form, error)
        else:
            db.session.commit()
            flash(_("Account changed."), "success")
            return redirect(url_for("admin.user", user_id=person.id))
    status = 422 if form.errors else 200
    return render_template(
        "admin/user.html", person=person, form=form, plain=PlainForm(formdata=None)
    ), status


@bp.post("/users/<int:user_id>/active")
def set_active(user_id):
    person = administration.get_user(db.session, current_user, user_id)
    if not PlainForm().validate() or request.form.get("active") not in ("0", "1"):
        abort(400)
    administration.set_active(
        db.session, current_user, person, active=request.form["active"] == "1"
    )
    db.session.commit()
    flash(_("Account enabled.") if person.active else _("Account disabled."), "success")
    return redirect(url_for("admin.user", user_id=person.id))


@bp.post("/users/<int:user_id>/password-link")
def send_password_link(user_id):
    person = administration.get_user(db.session, current_user, user_id)
    if not PlainForm().validate():
        abort(400)
    administration.queue_password_link(db.session, current_user, person, link=password_link(person))
    db.session.commit()  # the after-commit hand-off (tasks/outbox.py) sends the link
    flash(_("A link to set a password is on its way to %(email)s.", email=person.email), "success")
    return redirect(url_for("admin.user", user_id=person.id))


# Committees.


@bp.route("/units/<code>/committee", methods=["GET", "POST"])
def committee(code):
    unit = services.get_unit(db.session, current_user, code)
    if unit.level not in REVIEW_LEVELS:
        abort(404)
    current = committees.committee_of(db.session, unit)
    accounts = committees.eligible_members(db.session, unit)
    form = CommitteeForm(formdata=request.form if request.method == "POST" else None)
    form.members.choices = options((user.username, user.full_name) for user in accounts)
    if request.method == "GET" and current is not None:
        form.size.data = current.size
        form.members.data = [member.user.username for member in current.members]
    if request.method == "POST" and form.validate():
        try:
            committees.set_committee(
                db.session, current_user, unit, size=form.size.data, members=form.members.data
            )
        except Invalid as error:
            db.session.rollback()
            show_invalid(form, error)
        else:
            db.session.commit()
            flash(_("The committee of %(unit)s is saved.", unit=unit.name), "success")
            return redirect(url_for("admin.committee", code=unit.code))
    status = 422 if form.errors or form.form_errors else 200
    return render_template(
        "admin/committee.html", unit=unit, committee=current, accounts=accounts, form=form
    ), status


# CSV imports.


@bp.route("/import/<kind>", methods=["GET", "POST"])
def import_csv(kind):
    if kind not in imports.IMPORTS:
        abort(404)
    form = ImportForm()
    report = None
    if form.validate_on_submit():
        text = csv_text(form)
        if text is None:
            form.file.errors = [_("Choose a UTF-8 CSV file or paste its text.")]
        else:
            errors, counts = imports.preview(db.session, current_user, kind, text)
            report = {"errors": errors, "counts": counts, "applied": False}
            if not errors and request.form.get("action") == "import":
                _schema, import_function = imports.IMPORTS[kind]
                counts = import_function(db.session, current_user, text)
                links = 0
                if kind == "users":
                    links = administration.queue_missing_password_links(
                        db.session, current_user, password_link
                    )
                db.session.commit()  # the after-commit hand-off sends the links
                report = {"errors": [], "counts": counts, "applied": True, "links": links}
    status = 422 if form.errors or (report and report["errors"]) else 200
    return render_template("admin/import.html", kind=kind, form=form, report=report), status


def csv_text(form):
    if form.file.data and getattr(form.file.data, "filename", ""):
        raw = form.file.data.read()
    else:
        raw = (form.text.data or "").encode()
    if not raw.strip():
        return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None


# Campaigns.


@bp.get("/campaigns")
def campaigns():
    return _render_campaigns()


def _render_campaigns(form=None, status=200):
    units = _units()
    if form is None:
        form = CampaignForm(formdata=None)
        # A new campaign starts from the options of the latest one of the administrator's unit.
        fill_options(form, campaign_rules.starting_options(db.session, current_user.unit))
    form.unit_code.choices = _unit_choices(units, levels=PARENT_LEVELS)
    rows = queries.visible_campaigns(db.session, current_user)
    return render_template(
        "admin/campaigns.html", form=form, campaigns=rows, levels=REVIEW_LEVELS
    ), status


def _review_deadlines(form):
    return {level: getattr(form, f"{level}_review_deadline").data for level in REVIEW_LEVELS}


@bp.post("/campaigns")
def create_campaign():
    form = CampaignForm()
    form.unit_code.choices = _unit_choices(_units(), levels=PARENT_LEVELS)
    if not form.validate():
        return _render_campaigns(form, 422)
    unit = services.get_unit(db.session, current_user, form.unit_code.data)
    try:
        campaign = services.create_campaign(
            db.session,
            current_user,
            unit,
            name=form.name.data.strip(),
            year=form.year.data,
            submission_deadline=form.submission_deadline.data,
            review_deadlines=_review_deadlines(form),
            options=option_values(form),
        )
    except Invalid as error:
        db.session.rollback()
        show_invalid(form, error)
        return _render_campaigns(form, 422)
    db.session.commit()
    flash(_("Campaign opened."), "success")
    return redirect(url_for("admin.campaign", campaign_id=campaign.id))


@bp.route("/campaigns/<int:campaign_id>", methods=["GET", "POST"])
def campaign(campaign_id):
    found = services.get_campaign(db.session, current_user, campaign_id)
    form = DeadlinesForm(obj=None if request.method == "POST" else found)
    if request.method == "GET":
        form.version.data = found.version
    if form.validate_on_submit():
        try:
            campaign_rules.amend(
                db.session,
                current_user,
                found,
                version=posted_version(form.version.data),
                reason=form.reason.data,
                submission_deadline=form.submission_deadline.data,
                review_deadlines=_review_deadlines(form),
            )
        except Invalid as error:
            db.session.rollback()
            show_invalid(form, error)
        except StaleVersion as error:
            return _stale(found, error, deadlines_form=form)
        else:
            db.session.commit()
            flash(_("Deadlines saved."), "success")
            return redirect(url_for("admin.campaign", campaign_id=found.id))
    status = 422 if form.errors else 200
    return _render_campaign(found, deadlines_form=form, status=status)


def _render_campaign(found, *, deadlines_form=None, options_form=None, quota_form=None, status=200):
    if deadlines_form is None:
        deadlines_form = DeadlinesForm(formdata=None, obj=found)
        deadlines_form.version.data = found.version
    if options_form is None:
        options_form = OptionsForm(formdata=None)
        fill_options(options_form, found.options)
        options_form.version.data = found.version
    quota_form = quota_form or QuotaForm(formdata=None)
    quota_form.unit_code.choices = _quota_units(found)
    close_form = CloseForm(formdata=None)
    close_form.unit_code.choices = _closable(found)
    _total, campaign_lists = lists.visible_lists(
        db.session, current_user, campaign_id=found.id, per_page=CAMPAIGN_LISTS
    )
    return render_template(
        "admin/campaign.html",
        campaign=found,
        pinned=campaign_options.normalise(None, base=found.options),
        levels=REVIEW_LEVELS,
        may_amend=policy.can_amend_campaign(current_user, found),
        form=deadlines_form,
        options_form=options_form,
        quota_form=quota_form,
        quotas=campaign_rules.quotas(db.session, current_user, found),
        amendments=[
            (amendment, describe_changes(amendment.changes))
            for amendment in campaign_rules.amendments_of(db.session, found)
        ],
        close_form=close_form,
        closures=administration.closures(db.session, found),
        list_units=lists.issuing_units(db.session, current_user, found),
        list_form=RequestListForm(formdata=None),
        campaign_lists=campaign_lists,
    ), status


def _stale(found, error, **forms):
    """Someone amended the campaign since the page was loaded: say so beside the form."""
    db.session.rollback()
    db.session.refresh(found)
    form = next(iter(forms.values()))
    form.form_errors.append(labels.explain(error))
    return _render_campaign(found, **forms, status=409)


@bp.post("/campaigns/<int:campaign_id>/options")
def amend_options(campaign_id):
    found = services.get_campaign(db.session, current_user, campaign_id)
    form = OptionsForm()
    if not form.validate():
        return _render_campaign(found, options_form=form, status=422)
    try:
        amendment = campaign_rules.amend(
            db.session,
            current_user,
            found,
            version=posted_version(form.version.data),
            reason=form.reason.data,
            new_options=option_values(form),
        )
    except Invalid as error:
        db.session.rollback()
        show_invalid(form, error)
        return _render_campaign(found, options_form=form, status=422)
    except StaleVersion as error:
        return _stale(found, error, options_form=form)
    db.session.commit()
    if amendment is None:
        flash(_("Nothing changed: the options are as they were."), "info")
    else:
        flash(_("The options are amended; the amendment is recorded with its reason."), "success")
    return redirect(url_for("admin.campaign", campaign_id=found.id, _anchor="options"))


def _quota_units(found):
    """The reviewing units of the campaign inside the administrator's subtree."""
    return _unit_choices(
        [unit for unit in _units() if found.unit.contains(unit)], levels=REVIEW_LEVELS
    )


@bp.post("/campaigns/<int:campaign_id>/quotas")
def set_quota(campaign_id):
    found = services.get_campaign(db.session, current_user, campaign_id)
    form = QuotaForm()
    form.unit_code.choices = _quota_units(found)
    if not form.validate():
        return _render_campaign(found, quota_form=form, status=422)
    unit = services.get_unit(db.session, current_user, form.unit_code.data)
    try:
        campaign_rules.set_quota(
            db.session,
            current_user,
            found,
            unit,
            collective=form.collective.data,
            individual=form.individual.data,
            reason=(form.reason.data or "").strip() or None,
        )
    except Invalid as error:
        db.session.rollback()
        show_invalid(form, error)
        return _render_campaign(found, quota_form=form, status=422)
    db.session.commit()
    flash(_("The quota of %(unit)s is saved.", unit=unit.name), "success")
    return redirect(url_for("admin.campaign", campaign_id=found.id, _anchor="quotas"))


def _closable(campaign):
    return _unit_choices(
        [unit for unit in _units() if campaign.unit.contains(unit) or unit.contains(campaign.unit)],
        levels=REVIEW_LEVELS,
    )


@bp.post("/campaigns/<int:campaign_id>/close")
def close_level(campaign_id):
    found = services.get_campaign(db.session, current_user, campaign_id)
    form = CloseForm()
    form.unit_code.choices = _closable(found)
    if not form.validate():
        abort(400)
    unit = services.get_unit(db.session, current_user, form.unit_code.data)
    _closure, final_list = administration.close_level(
        db.session, current_user, found, unit, on=services.today()
    )
    # What it does to the unit's final list: none above the campaign's unit; else the latest
    # stays valid (nothing changed since), or a new one is requested.
    done = [] if final_list is None else [_closing_list(final_list, unit)]
    if not form.confirmed:
        return ask_first(
            _("Close the review of %(unit)s?", unit=unit.name),
            step="close-review",
            lead=found.name,
            consequence=" ".join([_("Closing is recorded for good; it cannot be undone."), *done]),
            button=_("Confirm: close the review of %(unit)s", unit=unit.name),
            back=url_for("admin.campaign", campaign_id=found.id),
            keep=_("Keep it open"),
            fields=[("unit_code", unit.code)],
        )
    db.session.commit()  # the after-commit hand-off queues the list task
    flash(" ".join([_("Review closed for %(unit)s.", unit=unit.name), *done]), "success")
    if final_list is None:
        return redirect(url_for("admin.campaign", campaign_id=found.id))
    return redirect(url_for("lists.show", list_id=final_list.id))


def _closing_list(final_list, unit):
    number = lists.number_label(final_list)
    if final_list.status == "done":
        return _(
            "List no. %(number)s holds what %(unit)s recognised and remains the valid list.",
            number=number,
            unit=unit.name,
        )
    return _(
        "List no. %(number)s, the final list of what %(unit)s recognised, is requested.",
        number=number,
        unit=unit.name,
    )


# Notices that could not be sent.


@bp.get("/outbox", endpoint="outbox")
def outbox_page():
    form = OutboxFilterForm(request.args)
    if not form.validate():
        abort(400)
    messages = outbox.failed_messages(db.session, current_user, status=form.status.data)
    return render_template(
        "admin/outbox.html",
        form=form,
        messages=messages,
        limit=OUTBOX_PAGE_LIMIT,
        plain=PlainForm(formdata=None),
    )


@bp.post("/outbox/<int:message_id>/resend")
def resend(message_id):
    message = outbox.get_message(db.session, current_user, message_id)
    if not PlainForm().validate():
        abort(400)
    outbox.resend(db.session, current_user, message)
    db.session.commit()  # the after-commit hand-off queues the send again
    flash(_("The notice to %(email)s is queued again.", email=message.recipient_email), "success")
    return redirect(url_for("admin.outbox"))
