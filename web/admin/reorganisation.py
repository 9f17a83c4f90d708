"""Reorganisation views: the CSV form, its dry run, a confirmed apply, and the records."""

import hashlib
import json

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import defer, joinedload

from web.admin import bp
from web.admin.forms import ReorganiseForm
from web.admin.routes import csv_text
from web.database import db
from web.forms import show_invalid
from workflow import policy, reorganisation
from workflow.errors import Invalid
from workflow.imports import ImportError_
from workflow.models import Reorganisation

RECENT = 20  # the page lists the newest reorganisations


def fingerprint(report):
    """A digest of what a preview showed, so applying can insist on the same outcome."""
    shown = {key: report[key] for key in ("units", "accounts", "campaigns", "nominations")}
    return hashlib.sha256(json.dumps(shown, sort_keys=True).encode()).hexdigest()


@bp.route("/reorganise", methods=["GET", "POST"])
def reorganise():
    form = ReorganiseForm()
    errors, report = [], None
    status = 200
    if form.validate_on_submit():
        text = csv_text(form)
        if text is None:
            form.file.errors = [_("Choose a UTF-8 CSV file or paste its text.")]
        else:
            form.text.data = text  # the confirmation posts what was checked
            try:
                errors, report = reorganisation.preview_csv(
                    db.session, current_user, text, reason=form.reason.data
                )
            except Invalid as error:
                show_invalid(form, error)
            db.session.rollback()
            if report is not None and request.form.get("action") == "apply":
                applied, errors = _apply(form, text, report)
                if applied is not None:
                    return applied
                report = None if errors else report
            if report is not None:
                form.preview.data = fingerprint(report)
                form.confirm.data = False
    if form.errors or errors:
        status = 422
    return render_template(
        "admin/reorganise.html",
        form=form,
        errors=errors,
        report=report,
        recent=_recent(),
    ), status


def _apply(form, text, report):
    """Apply what was previewed, once confirmed and only if the preview still holds:
    (the redirect to the record, or None with the errors to show)."""
    if not form.confirm.data:
        form.confirm.errors = [_("Tick the box to confirm that you checked the changes.")]
        return None, []
    if form.preview.data != fingerprint(report):
        form.form_errors.append(
            _("The units or nominations changed since your check; here is the new preview.")
        )
        return None, []
    try:
        applied = reorganisation.apply_csv(db.session, current_user, text, reason=form.reason.data)
    except ImportError_ as error:  # the tree changed between the two: nothing was written
        db.session.rollback()
        return None, [error]
    db.session.commit()  # the after-commit hand-off sends the notices
    flash(_("The reorganisation is applied."), "success")
    return redirect(url_for("admin.reorganisation", reorganisation_id=applied["id"])), []


def _recent():
    return db.session.scalars(
        select(Reorganisation)
        .where(policy.visible_reorganisations(current_user))
        .options(
            joinedload(Reorganisation.actor),
            defer(Reorganisation.report),
            defer(Reorganisation.operations),
        )
        .order_by(Reorganisation.id.desc())
        .limit(RECENT)
    ).all()


@bp.get("/reorganisations/<int:reorganisation_id>", endpoint="reorganisation")
def reorganisation_record(reorganisation_id):
    found = db.session.get(Reorganisation, reorganisation_id)
    if found is None or not policy.can_see_reorganisation(current_user, found):
        abort(404)
    return render_template("admin/reorganisation.html", record=found, report=found.report)
