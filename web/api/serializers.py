"""Domain objects as the JSON shapes API.md promises."""

from functools import cache

from flask import g, request
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from web.encoding import encoded
from workflow import glossary, register
from workflow.models import HistoryEntry, User
from workflow.queries import LISTED_FIELDS, UNIT_FIELDS


def _iso(value):
    return value.isoformat() if value is not None else None


def unit_json(unit):
    if unit is None:
        return None
    return {"id": unit.id, "code": unit.code, "name": unit.name, "level": unit.level}


def unit_detail_json(unit, children, names):
    """A unit with its place in the tree and its past names; a retired unit (merged into
    another or dissolved) names the unit that carries it on."""
    return {
        **unit_json(unit),
        "parent_code": unit.parent.code if unit.parent else None,
        "children": children,
        "retired_at": _iso(unit.retired_at),
        "successor_code": unit.successor.code if unit.retired else None,
        "names": [
            {"name": name, "from": _iso(since), "until": _iso(until)}
            for name, since, until in names
        ],
    }


def user_json(user):
    return {
        "id": user.id,
        "username": user.username,
        "full_name": user.full_name,
        "role": user.role,
        "unit": unit_json(user.unit),
    }


def campaign_json(campaign):
    return {
        "id": campaign.id,
        "name": campaign.name,
        "year": campaign.year,
        "unit_code": campaign.unit.code,
        "unit": unit_json(campaign.unit),
        "submission_deadline": _iso(campaign.submission_deadline),
        "review_deadlines": {level: _iso(day) for level, day in campaign.review_deadlines.items()},
        "options": campaign.options,
        "version": campaign.version,
        "created_at": _iso(campaign.created_at),
    }


def nomination_json(nomination):
    """The nomination, its labels in the caller's language (a page's: `listed_json`)."""
    return {
        "id": nomination.id,
        "campaign_id": nomination.campaign_id,
        "kind": nomination.kind,
        "nominee_name": nomination.nominee_name,
        "nominee_birth_year": nomination.nominee_birth_year,
        "nominee_position": nomination.nominee_position,
        "nominee_email": nomination.nominee_email,
        "nominee_gender": nomination.nominee_gender,
        "nominee_ethnicity": nomination.nominee_ethnicity,
        "nominee_workplace": nomination.nominee_workplace,
        "title": nomination.title,
        "field": nomination.field,
        "summary": nomination.summary,
        "achievements": nomination.achievements,
        "target_level": nomination.target_level,
        "state": nomination.state,
        "version": nomination.version,
        "cell": unit_json(nomination.cell),
        "pending_unit": unit_json(nomination.pending_unit),
        "recognized_level": nomination.recognized_level,
        "created_at": _iso(nomination.created_at),
        "updated_at": _iso(nomination.updated_at),
        "labels": nomination_labels(nomination, caller_language()),
    }


def nomination_labels(nomination, language):
    """The nomination's `_labels` in `language`."""
    return _labels(
        language,
        nomination.state,
        nomination.kind,
        nomination.target_level,
        nomination.recognized_level,
    )


@cache
def _labels(language, state, kind, target_level, recognized_level):
    """The glossary's words for a nomination's codes, in the caller's language (`?lang=`, else
    the account's): what a client shows people, spelled as the pages and e-mails spell it. One
    dict per combination, shared by every answer that carries it (none changes it)."""
    states, kinds, levels = _words(language)
    return {
        "state": states.get(state, state),
        "kind": kinds.get(kind, kind),
        "target_level": levels.get(target_level, target_level),
        "recognized_level": levels.get(recognized_level, recognized_level)
        if recognized_level
        else None,
    }


def listed_json(rows, language):
    """A page of `queries.LISTED` rows, each as `nomination_json` gives the nomination, encoded
    at once: the row's values zipped with their names, not read one by one from an object, and
    their dates encoded with them (together a fifth of a list request for a page of 50)."""
    shown, unit = len(LISTED_FIELDS), len(UNIT_FIELDS)
    cell, pending = slice(shown, shown + unit), slice(shown + unit, shown + 2 * unit)
    items = []
    for row in rows:
        item = dict(zip(LISTED_FIELDS, row, strict=False))  # the nomination's own columns
        item["cell"] = dict(zip(UNIT_FIELDS, row[cell], strict=True))
        waits_at = row[pending]
        item["pending_unit"] = (
            dict(zip(UNIT_FIELDS, waits_at, strict=True)) if waits_at[0] is not None else None
        )
        item["labels"] = _labels(
            language, item["state"], item["kind"], item["target_level"], item["recognized_level"]
        )
        items.append(item)
    return encoded(items)


@cache
def _words(language):
    """The glossary's states, kinds and levels in `language`, looked up once per process."""
    return tuple(glossary.names(table, language) for table in ("states", "kinds", "levels"))


def caller_language():
    asked = request.args.get("lang")
    if asked in glossary.LANGUAGES:
        return asked
    actor = g.get("actor")
    return glossary.language_of(actor.language if actor is not None else None)


def actor_json(entry):
    """Who acted, from which unit, named as the unit was called then; all None for the
    server's operator."""
    return {
        "username": entry.actor.username if entry.actor else None,
        "unit_code": entry.actor_unit.code if entry.actor_unit else None,
        "unit_name": entry.actor_unit_name,
        "unit_level": entry.actor_unit_level,
    }


def history_json(session, nomination):
    entries = session.scalars(
        select(HistoryEntry)
        .where(HistoryEntry.nomination_id == nomination.id)
        .options(
            joinedload(HistoryEntry.actor).load_only(User.username),
            joinedload(HistoryEntry.actor_unit),
        )
        .order_by(HistoryEntry.id)
    ).all()
    language = caller_language()
    return [
        {
            "action": entry.action,
            # What the entry says happened, in the glossary's words ("chuyển lên cấp huyện").
            "label": glossary.done(entry.action, entry.to_state, entry.actor_unit_level, language),
            "from_state": entry.from_state,
            "to_state": entry.to_state,
            "actor": actor_json(entry),
            "comment": entry.comment,
            "details": entry.details,
            "at": _iso(entry.at),
        }
        for entry in entries
    ]


def quota_json(unit, usage):
    """A unit's quota in a campaign: {"unit_code", "unit_name", "level", kind: {"limit",
    "used", "remaining"}} (campaigns.quota_usage)."""
    return {"unit_code": unit.code, "unit_name": unit.name, "level": unit.level, **usage}


def register_entry_json(entry):
    """An entry of the register: a recognition, with its units named as they were then."""
    return {
        "nomination_id": entry.nomination_id,
        "nominee_name": entry.nominee_name,
        "kind": entry.kind,
        "birth_year": entry.birth_year,
        "level": entry.level,
        "campaign_id": entry.campaign_id,
        "year": entry.year,
        "list_number": register.list_number(entry),
        "recognized_on": _iso(entry.recognized_on),
        "unit_names": entry.unit_names,
    }


def nominee_record_json(session, actor, nomination):
    """What a single nomination reads with: the same nominee's earlier recognitions and the
    other nominations of the same nominee in its campaign (likely duplicates), as far as the
    caller sees. Warnings, never a block."""
    earlier, duplicates = register.nominee_record(session, actor, nomination)
    return {
        "earlier_recognitions": [register_entry_json(entry) for entry in earlier],
        "possible_duplicates": duplicates,
    }
