"""What an amendment changed, as lines a person reads: (what, before, after)."""

import datetime as dt

from flask_babel import gettext as _

from web import labels
from web.i18n import format_day
from workflow.levels import REVIEW_LEVELS

DEADLINES = {
    "submission": labels.FIELDS["submission_deadline"],
    **{level: labels.DEADLINES[level] for level in REVIEW_LEVELS},
}


def _option_value(key, value):
    if key == "reviews":
        return _("Yes") if value else _("No")
    if key == "decision":
        return str(labels.DECISIONS.get(value, value))
    return "" if value is None else str(value)


def _day(text):
    return format_day(dt.date.fromisoformat(text)) if text else "–"


def _quota(values):
    parts = []
    for kind in ("collective", "individual"):
        limit = (values or {}).get(kind)
        parts.append(f"{labels.KINDS_PLURAL[kind]}: {'–' if limit is None else limit}")
    return ", ".join(parts)


def describe_changes(changes):
    """[(what, before, after)] for an amendment's `changes` (workflow.campaigns._record)."""
    lines = []
    for section, change in (changes or {}).items():
        before, after = change.get("before") or {}, change.get("after") or {}
        if section == "options":
            for level in REVIEW_LEVELS:
                old, new = before.get(level) or {}, after.get(level) or {}
                for key, label in labels.OPTION_KEYS.items():
                    if old.get(key) != new.get(key):
                        lines.append(
                            (
                                f"{labels.LEVELS[level]}: {label}",
                                _option_value(key, old.get(key)),
                                _option_value(key, new.get(key)),
                            )
                        )
        elif section == "deadlines":
            for key, label in DEADLINES.items():
                if before.get(key) != after.get(key):
                    lines.append((str(label), _day(before.get(key)), _day(after.get(key))))
        elif section.startswith("quota "):
            code = section.removeprefix("quota ")
            lines.append((_("Quota of %(unit)s", unit=code), _quota(before), _quota(after)))
        else:
            lines.append((section, str(before), str(after)))
    return lines
