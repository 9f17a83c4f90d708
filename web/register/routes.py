"""Register views: load, check, search with workflow.register, render or send the workbook."""

import tempfile

from flask import abort, current_app, render_template, request, send_file
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from web.database import db
from web.downloads import file_name
from web.forms import options
from web.register import bp
from web.register.forms import RegisterSearchForm
from workflow import paperwork, policy, register
from workflow.models import Unit


def _search():
    """The form and the register's filters it gives; 400 for a bad query."""
    actor = current_user
    form = RegisterSearchForm(request.args)
    units = db.session.scalars(
        select(Unit)
        .where(policy.subtree(actor.unit), Unit.level != "cell", Unit.retired_at.is_(None))
        .order_by(Unit.path)
    ).all()
    form.unit.choices = options([("", _("All"))] + [(u.code, u.name) for u in units])
    if not form.validate():
        abort(400)
    scope = next((u for u in units if u.code == form.unit.data), None)
    conditions = register.search_conditions(
        actor, scope=scope, q=(form.q.data or "").strip() or None, year=form.year.data
    )
    return form, conditions


@bp.get("")
@login_required
def index():
    form, conditions = _search()
    page = form.page.data or 1
    per_page = current_app.config["PER_PAGE"]
    total, entries = register.page_of(db.session, conditions, page=page, per_page=per_page)
    arguments = {key: value for key, value in request.args.items() if key != "page" and value}
    return render_template(
        "register/index.html",
        form=form,
        entries=entries,
        total=total,
        page=page,
        pages=max(1, -(-total // per_page)),
        arguments=arguments,
        export_max=register.EXPORT_MAX,
    )


@bp.get("/export.xlsx")
@login_required
def export():
    """The matching entries as a workbook, written to a temporary file and streamed from it."""
    _form, conditions = _search()
    stream = tempfile.TemporaryFile()  # noqa: SIM115 (send_file closes it once the answer is sent)
    paperwork.render_register_xlsx(register.every_entry(db.session, conditions), stream)
    stream.seek(0)
    return send_file(
        stream,
        mimetype=paperwork.XLSX_MEDIA_TYPE,
        as_attachment=True,
        download_name=file_name(f"Sổ vàng điển hình tiên tiến - {current_user.unit.name}.xlsx"),
        max_age=0,
    )
