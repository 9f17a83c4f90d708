"""E-mailed notices: mail is a name plus a context.

One function per notice turns an outbox row into its template context; the templates live at
`web/templates/email/<notice>/<language>/{subject.txt,body.txt,body.html}`.
"""

import datetime as dt

from flask import current_app, render_template
from flask_babel import force_locale

from tasks import mail
from workflow import glossary, paperwork, reorganisation
from workflow.levels import REVIEW_LEVELS

# The glossary's words for states, levels and kinds, and the few words only notices use.
LABELS = {
    language: {
        "states": glossary.names("states", language),
        "levels": {
            level: glossary.name("levels_in_text", level, language) for level in REVIEW_LEVELS
        },
        "kinds": glossary.names("kinds_in_text", language),
        **words,
    }
    for language, words in {
        "vi": {
            "operator": "Người vận hành máy chủ",
            "moves": {
                "pending": "Đang chờ xem xét tại",
                "returned_by": "Khi gửi lại, hồ sơ chuyển đến",
                "cell": "Chi bộ",
            },
        },
        "en": {
            "operator": "The server's operator",
            "moves": {
                "pending": "Now under review at",
                "returned_by": "Once resubmitted, it goes to",
                "cell": "Party cell",
            },
        },
    }.items()
}

CONTEXTS = {}


def notice(name):
    def register(function):
        CONTEXTS[name] = function
        return function

    return register


def format_date(value, language):
    """dd/mm/yyyy in Vietnamese, ISO-like day month year in English."""
    day = dt.date.fromisoformat(value) if isinstance(value, str) else value
    return day.strftime("%d/%m/%Y") if language == "vi" else day.strftime("%d %b %Y")


def _base_url():
    return current_app.config["BASE_URL"].rstrip("/")


def nomination_url(nomination_id):
    return f"{_base_url()}/nominations/{nomination_id}"


def _nomination(message, labels):
    context = message.context
    return {
        "nomination_id": context["nomination_id"],
        "nominee_name": context["nominee_name"],
        "title": context["title"],
        "kind": labels["kinds"].get(context["kind"], context["kind"]),
        "state": labels["states"].get(context["to_state"], context["to_state"]),
        "acting_unit": context["acting_unit"] or labels["operator"],
        "comment": context.get("comment"),
        "level": labels["levels"].get(context.get("recognized_level") or "", ""),
        # What the action did, in the glossary's words: "Chuyển lên cấp huyện", "Công nhận
        # cấp xã" (the acting unit's level is the recognised one).
        "outcome": glossary.outcome(
            context.get("action") or "",
            context["to_state"],
            context.get("recognized_level"),
            message.language,
        ),
        "url": nomination_url(context["nomination_id"]),
    }


# The workflow's notices all tell the same story: which nomination, its new state, who acted.
NOMINATION_NOTICES = (
    "submitted",
    "resubmitted",
    "forwarded",
    "returned",
    "rejected",
    "commended",
    "withdrawn",
)
CONTEXTS.update(dict.fromkeys(NOMINATION_NOTICES, _nomination))


@notice("reorganised")
def reorganised(message, labels):
    """A nomination that follows the new units: what it waits at, resubmits to, belongs to."""
    moves = [
        {"label": labels["moves"][what], "from": before, "to": after}
        for what, before, after in reorganisation.moves_of(message.context.get("details") or {})
    ]
    return {**_nomination(message, labels), "moves": moves}


@notice("deadline_digest")
def deadline_digest(message, labels):
    context = message.context
    language = message.language
    items = [
        {
            **item,
            "deadline": format_date(item["deadline"], language),
            "level": labels["levels"].get(item["level"], item["level"]),
            "url": nomination_url(item["nomination_id"]),
        }
        for item in context["items"]
    ]
    return {
        "date": format_date(context["date"], language),
        "unit": context["unit"],
        "total": context["total"],
        "overdue": context["overdue"],
        "items": items,
        "more": context["total"] - len(items),
        "queue_url": f"{_base_url()}/queue",
    }


@notice("list_ready")
def list_ready(message, labels):
    """A list is written: its counts by kind and, to a cell's secretary, the cell's nominations
    on it (`own`); the list's page to whoever asked for it."""
    context = message.context
    own = context.get("own")
    return {
        "number": context["number"],
        "unit": context["unit"],
        "campaign": paperwork.campaign_phrase(context["campaign"])
        if message.language == "vi"
        else context["campaign"],
        "level": labels["levels"].get(context["level"], context["level"]),
        "count": context["count"],
        # None in the rows written before the counts by kind were: the template says the total.
        "collectives": context.get("collectives"),
        "individuals": context.get("individuals"),
        "own": [{**item, "url": nomination_url(item["nomination_id"])} for item in own or ()],
        "url": f"{_base_url()}/lists/{context['list_id']}",
    }


def meeting(message, labels):
    context = message.context
    language = message.language
    return {
        "unit": context["unit"],
        "campaign": context["campaign"],
        "held_on": format_date(context["held_on"], language),
        "closes_on": format_date(context["closes_on"], language),
        "place": context["place"],
        "app": context["mode"] == "app",
        "items": context["items"],
        "url": f"{_base_url()}/meetings/{context['meeting_id']}",
    }


CONTEXTS.update(dict.fromkeys(("meeting_opened", "meeting_closing"), meeting))


@notice("set_password")
def set_password(message, labels):
    context = message.context
    return {
        "username": context["username"],
        "full_name": context["full_name"],
        "link": context["link"],
        "hours": current_app.config["SET_PASSWORD_LINK_HOURS"],
    }


def greeting(message, language):
    """ "Kính gửi đồng chí Nguyễn Văn A," — the recipient by name: the account's holder (or the
    account a set-password link is for), else the nominee the notice is about (a collective is
    greeted without "đồng chí")."""
    name = message.recipient_name or message.context.get("full_name")
    if name:
        person = True
    else:
        name = message.context.get("nominee_name")
        person = message.context.get("kind") != "collective"
    if language == "en":
        return f"Dear {name}," if name else "Dear colleague,"
    if not name:
        return "Kính gửi đồng chí,"
    return f"Kính gửi đồng chí {name}," if person else f"Kính gửi {name},"


def render(message):
    """(subject, text, html) of an outbox row, in the recipient's language."""
    language = message.language if message.language in LABELS else "vi"
    context = CONTEXTS[message.notice](message, LABELS[language])
    context["greeting"] = greeting(message, language)
    folder = f"email/{message.notice}/{language}"
    with force_locale(language):  # numbers as the recipient writes them (`decimalformat`)
        subject = render_template(f"{folder}/subject.txt", **context)
        text = render_template(f"{folder}/body.txt", **context)
        html = render_template(f"{folder}/body.html", **context)
    return " ".join(subject.split()), text, html


def build_message(message):
    config = current_app.config
    subject, text, html = render(message)
    return mail.build(
        key=message.key,
        mail_from=config["MAIL_FROM"],
        to=message.recipient_email,
        subject=subject,
        text=text,
        html=html,
        language=message.language,
        date=message.created_at,
    )
