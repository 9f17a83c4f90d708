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
    if form.validate_on_submit():
        text = csv_text(form)
        if text is None:
            form.file.errors = [_("Choose a UTF-8 CSV file or paste its text.")]
        else:
            form.text.data = text  # the confirmation posts what was checked
            try:
                if request.form.get("action") == "apply" and form.confirm.data:
                    applied, errors, report = _apply(form, text)
                    if applied is not None:
                        return applied
                else:
                    errors, report = reorganisation.preview_csv(
                        db.session, current_user, text, reason=form.reason.data
                    )
                    if request.form.get("action") == "apply":
                        form.confirm.errors = [
                            _("Tick the box to confirm that you checked the changes.")
                        ]
            except Invalid as error:
                show_invalid(form, error)
            db.session.rollback()  # a dry run, or an apply that did not match its preview
            if report is not None:
                form.preview.data = fingerprint(report)
                form.confirm.data = False
    status = 422 if form.errors or errors or form.form_errors else 200
    return render_template(
        "admin/reorganise.html",
        form=form,
        errors=errors,
        report=report,
        recent=_recent(),
    ), status


def _apply(form, text):
    """Apply the reorganisation, and commit it only if it does what its preview showed:
    (the redirect to its record, or None with the errors or the new preview to show)."""
    try:
        applied = reorganisation.apply_csv(db.session, current_user, text, reason=form.reason.data)
    except ImportError_ as error:  # the tree changed since the preview: nothing was written
        return None, [error], None
    if form.preview.data != fingerprint(applied):
        form.form_errors.append(
            _("The units or nominations changed since your check; here is the new preview.")
        )
        return None, [], applied
    db.session.commit()  # the after-commit hand-off sends the notices
    flash(_("The reorganisation is applied."), "success")
    return redirect(url_for("admin.reorganisation", reorganisation_id=applied["id"])), [], None


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
