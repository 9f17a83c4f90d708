"""The base of every HTML form: CSRF from Flask-WTF, messages from our own catalogue."""

import re
import unicodedata

from flask import abort, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, SelectChoice, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

from web import labels
from web.database import db
from web.i18n import FORM_TRANSLATIONS
from workflow.fields import CONTROL, NOT_ASCII_ADDRESS, plain, sendable_address


class CsvTextField(TextAreaField):
    """A CSV file's text, pasted: only NFC-normalised, since its cells are checked one by one
    when it is read (a page break inside a cell is a line break there, not a new row here)."""


# Fields whose text is kept as it was sent (NFC aside): a password is hashed as typed.
AS_SENT = (CsvTextField, PasswordField)
NUL = re.compile("\x00")


def _plain(value):
    return plain(value) if isinstance(value, str) else value


def _nfc(value):
    return unicodedata.normalize("NFC", value) if isinstance(value, str) else value


class Form(FlaskForm):
    """Text arrives `fields.plain` (NFC, a word processor's breaks as line breaks); a control
    character left in it is a field error (as in the API). A field `AS_SENT` is only
    NFC-normalised, and refused only for a NUL."""

    class Meta:
        def get_translations(self, form):
            return FORM_TRANSLATIONS

        def bind_field(self, form, unbound_field, options):
            filters = unbound_field.kwargs.get("filters", ())
            as_sent = issubclass(unbound_field.field_class, AS_SENT)
            unbound_field.kwargs["filters"] = (*filters, _nfc if as_sent else _plain)
            return super().bind_field(form, unbound_field, options)

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        for field in self:
            refused = NUL if isinstance(field, AS_SENT) else CONTROL
            if isinstance(field.data, str) and refused.search(field.data):
                field.errors = [*field.errors, _l("Contains a character that is not allowed.")]
                valid = False
        return valid


class PlainForm(Form):
    """A button that only needs its CSRF token."""


class ConfirmedForm(Form):
    """A button whose action cannot be undone: its first press shows what will happen
    (`ask_first`), the second, from that page, carries `confirm`."""

    confirm = HiddenField()

    @property
    def confirmed(self):
        return self.confirm.data == "1"


def ask_first(question, *, step, consequence, button, back, keep=None, lead=None, fields=()):
    """The confirmation step of a `ConfirmedForm` whose checks are the action itself: the route
    takes the action and calls this with what it would do; the action is rolled back here,
    once its words are read, and the page asks. So the same checks refuse it before anyone is
    asked, and nothing is kept until confirmed. (Pages that show more than a sentence, or whose
    checks stand apart, keep their own confirmation template.)

    `question` is the page's title; `consequence` what will happen; `button` what it does
    ("Xác nhận: …"), re-posting to the same address with `fields` and `confirm`; `keep` the
    way `back`; `step` names the page (`data-step="confirm-<step>"`)."""
    db.session.rollback()
    return render_template(
        "confirm.html",
        question=question,
        step=step,
        consequence=consequence,
        button=button,
        back=back,
        keep=keep,
        lead=lead,
        fields=fields,
        action=request.path,
    )


def required(message=None):
    return DataRequired(message=message or _l("Please fill in this field."))


def length(maximum, minimum=0):
    if minimum:
        return Length(
            min=minimum,
            max=maximum,
            message=_l("Between %(min)d and %(max)d characters, please."),
        )
    return Length(max=maximum, message=_l("At most %(max)d characters, please."))


optional = Optional


def email_address():
    """An e-mail address, kept as every mail server takes it (`fields.sendable_address`)."""
    checks_form = Email(message=_l("Not a valid e-mail address."))

    def check(form, field):
        checks_form(form, field)
        try:
            field.data = sendable_address(field.data.strip())
        except ValueError:
            raise ValidationError(labels.message(NOT_ASCII_ADDRESS)) from None

    return check


def optional_choice():
    """A choice that may be left out: only an empty value is absent, anything else must be one
    of the choices. (Optional strips the value first, so " " would pass as absent unchecked.)"""
    return Optional(strip_whitespace=False)


def posted_version(text):
    """The version a form carried back (a hidden field); a forged one is a bad request."""
    try:
        return int(text)
    except (TypeError, ValueError):
        abort(400)


def options(pairs):
    """Choices for a SelectField from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


def show_invalid(form, error):
    """Put a domain `Invalid` beside the field it names, or above the form if none matches."""
    # The domain names deadlines and options as the API does ("review_deadlines.commune",
    # "options.district.decision"); the forms call them commune_review_deadline and
    # district_decision.
    section, _dot, rest = error.field.partition(".")
    name = error.field
    if section == "review_deadlines":
        name = f"{rest}_review_deadline"
    elif section == "options":
        name = rest.replace(".", "_")
    field = getattr(form, name, None) if name else None
    message = labels.message(error.message)
    if field is not None:
        field.errors = [*field.errors, message]
    else:
        form.form_errors.append(labels.explain(error))
