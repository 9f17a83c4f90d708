"""API views of the register of recognitions and of a unit's own settings (who signs its
documents, which key signs its lists)."""

from typing import Literal

from flask import current_app
from pydantic import Field

from web.api import bp
from web.api.requests import body_of, query_of, require_actor
from web.api.schemas import Body, Page
from web.api.serializers import register_entry_json
from web.database import db
from workflow import register, services, signing, unit_settings
from workflow.fields import Text
from workflow.models import SIGNER_TITLES


class RegisterQuery(Page):
    q: Text(200) | None = None
    unit_code: Text(40) | None = None
    year: int | None = Field(None, ge=1900, le=2100)


class SettingsUpdate(Body):
    signer_title: Literal[SIGNER_TITLES] = "secretary"
    signer_name: Text(unit_settings.SIGNER_NAME_MAX, min_length=0) | None = None
    signing_key: Text(60) | None = None


@bp.get("/register")
def search_register():
    actor, query = query_of(RegisterQuery)
    scope = services.get_unit(db.session, actor, query.unit_code) if query.unit_code else None
    conditions = register.search_conditions(actor, scope=scope, q=query.q, year=query.year)
    total, entries = register.page_of(
        db.session, conditions, page=query.page, per_page=query.per_page
    )
    return {
        "items": [register_entry_json(entry) for entry in entries],
        "total": total,
        "page": query.page,
        "per_page": query.per_page,
    }


def settings_json(unit, settings, keys):
    return {
        "unit_code": unit.code,
        "signer_title": settings.signer_title if settings else "secretary",
        "signer_name": settings.signer_name if settings else None,
        "signing_key": settings.signing_key if settings else None,
        # The keys the server's settings allow this unit to sign with (never where they are).
        "signing_keys": keys,
        "updated_at": settings.updated_at.isoformat() if settings else None,
    }


@bp.get("/units/<code>/settings")
def get_unit_settings(code):
    actor = require_actor()
    unit = services.get_unit(db.session, actor, code)
    keys = signing.keys_for(current_app.config, unit)
    return settings_json(unit, unit_settings.settings_of(db.session, unit), keys)


@bp.put("/units/<code>/settings")
def put_unit_settings(code):
    actor, fields = body_of(SettingsUpdate)
    unit = services.get_unit(db.session, actor, code)
    keys = signing.keys_for(current_app.config, unit)
    settings = unit_settings.update_settings(
        db.session,
        actor,
        unit,
        signer_title=fields.signer_title,
        signer_name=fields.signer_name,
        signing_key=fields.signing_key,
        keys=keys,
    )
    db.session.commit()
    return settings_json(unit, settings, keys)
