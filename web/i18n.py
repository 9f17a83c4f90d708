"""Language and time: Vietnamese by default, English on request, dates as dd/mm/yyyy in Vietnam."""

import datetime as dt
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from flask import current_app, has_request_context, request, session
from flask_babel import format_decimal, get_translations
from flask_login import current_user
from jinja2 import pass_context
from markupsafe import Markup

LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "vi"


def requested_language():
    """`?lang=` when it names a language we speak, else None."""
    lang = request.args.get("lang") if request else None
    return lang if lang in LANGUAGES else None


def here_without_lang():
    """This page's path and query, minus `lang` (so that switching language sticks)."""
    args = [(key, value) for key, value in request.args.items(multi=True) if key != "lang"]
    return request.path + (f"?{urlencode(args)}" if args else "")


def select_locale():
    """?lang= (remembered in the session), then the session, then the user's choice, then vi;
    vi outside a request (a task's documents; its e-mails force their recipient's language)."""
    if not has_request_context():
        return DEFAULT_LANGUAGE
    asked = requested_language()
    if asked:
        session["lang"] = asked
        return asked
    if session.get("lang") in LANGUAGES:
        return session["lang"]
    if current_user and current_user.is_authenticated and current_user.language in LANGUAGES:
        return current_user.language
    return DEFAULT_LANGUAGE


def local_zone():
    return ZoneInfo(current_app.config["TIMEZONE"])


def format_day(value):
    """dd/mm/yyyy; a timestamp is first moved to Vietnam's time."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = value.astimezone(local_zone()).date()
    return value.strftime("%d/%m/%Y")


def format_iso_day(text):
    """A date kept as "YYYY-MM-DD" (in JSON details), written dd/mm/yyyy."""
    return format_day(dt.date.fromisoformat(text)) if text else ""


def format_moment(value):
    """dd/mm/yyyy HH:MM in Vietnam's time."""
    if value is None:
        return ""
    return value.astimezone(local_zone()).strftime("%d/%m/%Y %H:%M")


@pass_context
def template_ngettext(context, singular, plural, num, /, **variables):
    """The templates' ngettext (Jinja's newstyle one: the text escaped, then filled), with
    `%(num)s` written as the reader writes numbers: 12.500 in Vietnamese, 12,500 in English
    (Flask-Babel's `format_decimal`, the `decimalformat` filter of the templates)."""
    variables.setdefault("num", format_decimal(num))
    text = get_translations().ungettext(singular, plural, num)
    if context.eval_ctx.autoescape:
        text = Markup(text)  # noqa: S704 (our catalogue's text; the values are escaped by %)
    return text % variables


class FormTranslations:
    """WTForms' own messages, looked up in our catalogue (WTForms ships no Vietnamese)."""

    def gettext(self, string):
        return get_translations().ugettext(string)

    def ngettext(self, singular, plural, n):
        return get_translations().ungettext(singular, plural, n)


FORM_TRANSLATIONS = FormTranslations()


def wtforms_messages():
    """The WTForms messages our forms can show, listed so that extraction finds them."""
    from flask_babel import gettext as _

    return (
        _("This field is required."),
        _("Not a valid integer value."),
        _("Not a valid date value."),
        _("Not a valid choice."),
        _("Invalid email address."),
        _("Not a valid float value."),
        _("Invalid input."),
    )
