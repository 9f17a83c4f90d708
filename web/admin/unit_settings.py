"""A reviewing unit's own settings page: who signs its documents, and the key that signs its
final lists (chosen among those the server's settings allow the unit)."""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import SelectField, StringField

from web.admin import bp
from web.database import db
from web.forms import Form, length, options, show_invalid
from workflow import services, signing, unit_settings
from workflow.errors import Invalid
from workflow.levels import REVIEW_LEVELS

SIGNER_TITLES = {
    "secretary": _l("Secretary (BÍ THƯ)"),
    "deputy_secretary": _l("Deputy secretary (PHÓ BÍ THƯ)"),
}


class UnitSettingsForm(Form):
    signer_title = SelectField(
        _l("Signs as"),
        choices=options(SIGNER_TITLES.items()),
        validate_choice=True,
        default="secretary",
    )
    signer_name = StringField(
        _l("Signer's full name"), validators=[length(unit_settings.SIGNER_NAME_MAX)]
    )
    signing_key = SelectField(_l("Digital signature of the lists"), validate_choice=True)


@bp.route("/units/<code>/settings", methods=["GET", "POST"])
def unit_settings_page(code):
    unit = services.get_unit(db.session, current_user, code)
    if unit.level not in REVIEW_LEVELS or unit.retired:
        abort(404)
    current = unit_settings.settings_of(db.session, unit)
    keys = signing.keys_for(current_app.config, unit)
    form = UnitSettingsForm(
        formdata=request.form if request.method == "POST" else None, obj=current
    )
    form.signing_key.choices = options(
        [("", _("Not signed"))]
        + [(name, _("Signed with the key %(name)s", name=name)) for name in keys]
    )
    if request.method == "GET" and current is not None:
        form.signing_key.data = current.signing_key or ""
    if request.method == "POST" and form.validate():
        try:
            unit_settings.update_settings(
                db.session,
                current_user,
                unit,
                signer_title=form.signer_title.data,
                signer_name=form.signer_name.data or None,
                signing_key=form.signing_key.data or None,
                keys=keys,
            )
        except Invalid as error:
            db.session.rollback()
            show_invalid(form, error)
        else:
            db.session.commit()
            flash(_("The settings of %(unit)s are saved.", unit=unit.name), "success")
            return redirect(url_for("admin.unit_settings_page", code=unit.code))
    status = 422 if form.errors or form.form_errors else 200
    return render_template(
        "admin/unit_settings.html", unit=unit, form=form, settings=current, keys=keys
    ), status
