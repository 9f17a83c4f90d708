"""Meeting views: load, check with the policy, call one service of workflow.committees."""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.datastructures import CombinedMultiDict

from web import labels
from web.database import db
from web.forms import options, posted_version
from web.meeting_files import send_minutes, send_scan, store_scan
from web.meetings import bp
from web.meetings.forms import CHOICES, CloseForm, OpenMeetingForm, ballot_form, paper_form
from workflow import committees, policy, services
from workflow import options as rules
from workflow.errors import Conflict, Invalid, NotAllowedNow, StaleVersion
from workflow.levels import REVIEW_LEVELS


def _reviewing_unit():
    """The unit whose meetings the list shows: the actor's own, when it reviews."""
    if current_user.unit.level not in REVIEW_LEVELS:
        abort(403)
    return current_user.unit


@bp.get("")
@login_required
def index():
    unit = _reviewing_unit()
    return render_template(
        "meetings/index.html",
        unit=unit,
        meetings=committees.meetings_of(db.session, current_user, unit),
        may_open=policy.can_run_meetings(current_user, unit),
    )


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    actor = current_user
    unit = _reviewing_unit()
    if not policy.can_run_meetings(actor, unit):
        abort(403)
    choices = committees.deciding_campaigns(db.session, actor, unit)
    wanted = request.values.get("campaign_id", type=int)
    campaign = next((c for c in choices if c.id == wanted), choices[0] if choices else None)
    if wanted is not None and (campaign is None or campaign.id != wanted):
        abort(400)
    pending = committees.pending_for_agenda(db.session, unit, campaign) if campaign else []
    form = OpenMeetingForm(formdata=request.form if request.method == "POST" else None)
    form.campaign_id.choices = options((c.id, f"{c.name} ({c.year})") for c in choices)
    form.nomination_ids.choices = options((n.id, n.nominee_name) for n in pending)
    if request.method == "GET":
        form.campaign_id.data = campaign.id if campaign else None
        form.held_on.data = services.today()
    if request.method == "POST" and form.validate():
        try:
            nominations = committees.nominations_for_agenda(
                db.session, actor, form.nomination_ids.data
            )
            meeting = committees.open_meeting(
                db.session,
                actor,
                unit,
                campaign,
                held_on=form.held_on.data,
                closes_on=form.closes_on.data,
                place=form.place.data.strip(),
                mode=form.mode.data,
                nominations=nominations,
            )
        except Invalid as error:
            db.session.rollback()
            _field_error(form, error)
        else:
            db.session.commit()  # the after-commit hand-off e-mails the members
            flash(_("The meeting is open."), "success")
            return redirect(url_for("meetings.show", meeting_id=meeting.id))
    status = 422 if form.errors or form.form_errors else 200
    return render_template(
        "meetings/new.html",
        unit=unit,
        campaign=campaign,
        campaigns=choices,
        pending=pending,
        committee=committees.committee_of(db.session, unit),
        form=form,
    ), status


def _field_error(form, error):
    field = getattr(form, error.field, None)
    message = labels.message(error.message)
    if field is not None:
        field.errors = [*field.errors, message]
    else:
        form.form_errors.append(labels.explain(error))


@bp.get("/<int:meeting_id>")
@login_required
def show(meeting_id):
    meeting = committees.get_meeting(db.session, current_user, meeting_id)
    return _render(meeting)


def _render(meeting, *, ballot=None, paper=None, status=200):
    actor = current_user
    agenda = committees.agenda(db.session, meeting)
    committee = committees.committee_of(db.session, meeting.unit)
    is_open = meeting.status == "open"
    member = committees.is_member(db.session, actor, meeting.unit)
    chairs = policy.can_run_meetings(actor, meeting.unit)
    context = {
        "meeting": meeting,
        "agenda": agenda,
        "committee": committee,
        "member": member,
        "chairs": chairs,
        "choices": CHOICES,
        "voted": is_open and member and committees.has_voted(db.session, meeting, actor),
        "ballots_cast": committees.ballots_cast(db.session, meeting)
        if is_open and meeting.mode == "app"
        else None,
        "results": None if is_open else committees.results(db.session, meeting),
        "ballot": None,
        "paper": None,
        "close_form": CloseForm(formdata=None, version=meeting.version),
    }
    size = meeting.size if not is_open else (committee.size if committee else None)
    level = rules.of_level(meeting.campaign, meeting.unit.level)
    quorum = meeting.quorum_at_least or level["quorum_at_least"]
    majority = meeting.pass_more_than or level["pass_more_than"]
    if size:
        context["fewest_present"] = rules.fewest_present(size, quorum)
        context["fewest_agreeing"] = rules.fewest_agreeing(size, majority)
    context.update(size=size, quorum=quorum, majority=majority)
    if is_open and meeting.mode == "app" and member and not context["voted"]:
        context["ballot"] = ballot or ballot_form(agenda)
    if is_open and meeting.mode == "paper" and chairs and committee:
        context["paper"] = paper or paper_form(
            agenda, committee.size, needs_scan=not meeting.scan, formdata=None
        )
        if paper is None:
            context["paper"].version.data = meeting.version
    return render_template("meetings/show.html", **context), status


@bp.post("/<int:meeting_id>/ballot")
@login_required
def ballot(meeting_id):
    """Two steps: the choices are shown back for confirmation, then cast (once, for good)."""
    actor = current_user
    meeting = committees.get_meeting(db.session, actor, meeting_id)
    agenda = committees.agenda(db.session, meeting)
    if not committees.is_member(db.session, actor, meeting.unit):
        abort(403)  # before any step: only the committee's members vote
    if meeting.status != "open" or meeting.mode != "app":
        raise NotAllowedNow("the meeting is closed")
    if committees.has_voted(db.session, meeting, actor):
        raise Conflict("you have already voted in this meeting")
    form = ballot_form(agenda, formdata=request.form)
    if not form.validate():
        return _render(meeting, ballot=form, status=422)
    if not form.confirmed:
        return render_template(
            "meetings/confirm_ballot.html",
            meeting=meeting,
            agenda=agenda,
            form=form,
            votes=form.choices(),
            choices=CHOICES,
        )
    committees.cast_ballot(db.session, actor, meeting, form.choices())
    db.session.commit()
    flash(_("Your ballot is cast. Nobody can see how you voted."), "success")
    return redirect(url_for("meetings.show", meeting_id=meeting.id))


@bp.post("/<int:meeting_id>/close")
@login_required
def close(meeting_id):
    """An app meeting: a confirmation step (ballots cast so far), then the close."""
    actor = current_user
    meeting = committees.get_meeting(db.session, actor, meeting_id)
    form = CloseForm()
    if not form.validate():
        abort(400)
    if not policy.can_run_meetings(actor, meeting.unit):
        abort(403)
    if meeting.mode != "app":
        abort(400)  # a paper meeting closes with its counts (close_paper)
    if not form.confirmed:
        committee = committees.committee_of(db.session, meeting.unit)
        return render_template(
            "meetings/confirm_close.html",
            meeting=meeting,
            form=CloseForm(formdata=None, version=meeting.version),
            ballots_cast=committees.ballots_cast(db.session, meeting),
            size=committee.size if committee else None,
        )
    committees.close_meeting(
        db.session,
        actor,
        meeting,
        version=posted_version(form.version.data),
        on=services.today(),
    )
    db.session.commit()  # the after-commit hand-off writes the minutes
    flash(_("The meeting is closed and its results are recorded."), "success")
    return redirect(url_for("meetings.show", meeting_id=meeting.id))


@bp.post("/<int:meeting_id>/paper")
@login_required
def close_paper(meeting_id):
    """A paper meeting: the counts, the scanned minutes and the close, in one transaction."""
    actor = current_user
    meeting = committees.get_meeting(db.session, actor, meeting_id)
    committee = committees.committee_of(db.session, meeting.unit)
    if committee is None or meeting.mode != "paper":
        abort(400)
    agenda = committees.agenda(db.session, meeting)
    posted = CombinedMultiDict((request.files, request.form))  # the scan comes with the counts
    form = paper_form(agenda, committee.size, needs_scan=not meeting.scan, formdata=posted)
    if not form.validate():
        return _render(meeting, paper=form, status=422)
    version = posted_version(form.version.data)
    if version != meeting.version:  # checked before the scan, which moves the version itself
        raise StaleVersion(f"meeting {meeting.id} is at version {meeting.version}, not {version}")
    try:
        if form.scan.data:
            limit = current_app.config["ATTACHMENT_MAX_BYTES"]
            store_scan(db.session, actor, meeting, form.scan.data.stream.read(limit + 1))
        committees.close_meeting(
            db.session,
            actor,
            meeting,
            present=form.present.data,
            agree=form.agree(),
            on=services.today(),
        )
    except Invalid as error:
        db.session.rollback()
        _paper_error(form, error)
        return _render(meeting, paper=form, status=422)
    db.session.commit()  # the scan takes its name and the minutes are written after this
    flash(_("The meeting is closed and its results are recorded."), "success")
    return redirect(url_for("meetings.show", meeting_id=meeting.id))


def _paper_error(form, error):
    """A domain Invalid beside its field: "agree.12" is the field agree_12, "file" the scan."""
    name = {"file": "scan"}.get(error.field, error.field.replace(".", "_"))
    field = getattr(form, name, None)
    message = labels.message(error.message)
    if field is not None:
        field.errors = [*field.errors, message]
    else:
        form.form_errors.append(labels.explain(error))


@bp.get("/<int:meeting_id>/minutes.pdf")
@login_required
def minutes(meeting_id):
    return send_minutes(committees.get_meeting(db.session, current_user, meeting_id))


@bp.get("/<int:meeting_id>/scan.pdf")
@login_required
def scan(meeting_id):
    return send_scan(committees.get_meeting(db.session, current_user, meeting_id))
