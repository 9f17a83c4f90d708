"""A province's extra days off, shown beside Vietnam's public holidays: both are skipped when a
public comment period counts its working days."""

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import format_date, get_locale
from flask_babel import gettext as _
from flask_login import current_user

from web.admin import bp
from web.admin.forms import DayOffForm, RemoveDayOffForm
from web.database import db
from web.forms import show_invalid
from web.i18n import format_day
from workflow import policy, services, workdays
from workflow.errors import Conflict, Invalid


def _province():
    """The administrator's own province: only its administrators keep its days off."""
    province = current_user.unit
    if not policy.can_keep_days_off(current_user, province):
        abort(403)
    return province


@bp.get("/days-off")
def days_off():
    return _render(_province())


@bp.post("/days-off")
def add_day_off():
    province = _province()
    form = DayOffForm()
    if not form.validate():
        return _render(province, form, 422)
    try:
        workdays.add_day_off(
            db.session, current_user, province, day=form.day.data, name=form.name.data
        )
    except Invalid as error:
        db.session.rollback()
        show_invalid(form, error)
        return _render(province, form, 422)
    except Conflict:
        db.session.rollback()
        form.day.errors = [_("%(day)s is already a day off.", day=format_day(form.day.data))]
        return _render(province, form, 409)
    db.session.commit()
    flash(_("Day off %(day)s added.", day=format_day(form.day.data)), "success")
    return redirect(url_for("admin.days_off"))


@bp.post("/days-off/remove")
def remove_day_off():
    """First the confirmation step, then (with `confirm`) the removal."""
    province = _province()
    form = RemoveDayOffForm()
    if not form.validate():
        abort(400)
    row = workdays.get_day_off(db.session, province, form.day.data)
    if not form.confirmed:
        return render_template("admin/day_off_remove.html", row=row, form=form, weekday=_weekday)
    workdays.remove_day_off(db.session, current_user, province, day=row.day)
    db.session.commit()
    flash(_("Day off %(day)s removed.", day=format_day(form.day.data)), "success")
    return redirect(url_for("admin.days_off"))


def _weekday(day):
    return format_date(day, "EEEE")


def _render(province, form=None, status=200):
    year = services.today().year
    language = str(get_locale())
    return render_template(
        "admin/days_off.html",
        province=province,
        days_off=workdays.days_off_of(db.session, province),
        years=[(each, workdays.named_holidays(each, language)) for each in (year, year + 1)],
        form=form or DayOffForm(formdata=None),
        remove_form=RemoveDayOffForm(formdata=None),
        weekday=_weekday,
        counts=workdays.is_working_day,
    ), status
