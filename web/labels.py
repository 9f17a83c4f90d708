"""Every domain word the pages show, translated: states, actions, kinds, levels, roles, errors.

States, outcomes, levels and kinds come from `workflow.glossary`, the one place they are named.
"""

import re
from collections.abc import Mapping
from typing import NamedTuple

from flask_babel import LazyString, format_decimal, get_locale, get_translations
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from web.i18n import format_day
from workflow import glossary, reorganisation
from workflow.errors import (
    CommentPeriodOpen,
    DeadlinePassed,
    Forbidden,
    Invalid,
    NotAllowedNow,
    NotFound,
    QuotaExhausted,
    StaleVersion,
    VoteRequired,
)


class Glossary(Mapping):
    """A table of `workflow.glossary` in the reader's language: each value a lazy string, so
    that forms built at import time still speak the language of the request."""

    def __init__(self, table, extra=None):
        self.table = table
        self.extra = extra or {}

    def __getitem__(self, key):
        if key in glossary.TABLES[self.table]:
            return LazyString(lambda: glossary.name(self.table, key, language()))
        return self.extra[key]

    def __iter__(self):
        return iter([*glossary.TABLES[self.table], *self.extra])

    def __len__(self):
        return len(glossary.TABLES[self.table]) + len(self.extra)


def language():
    """The reader's language code."""
    return glossary.language_of(get_locale())


STATES = Glossary("states")
ACTIONS = Glossary("actions")
DONE = Glossary(
    "done",
    {
        "vote": _l("recorded the committee's vote"),
        "published": _l("published the name for public comment"),
        "vote_reopened": _l("reopened the decision"),
        "reorganised": _l("moved it to the new units (reorganisation)"),
    },
)


def done(entry):
    """What the timeline says someone did: "chuyển lên cấp huyện", "công nhận cấp xã"."""
    if entry.action in ("approve", "recognize"):
        return glossary.done(entry.action, entry.to_state, entry.actor_unit_level, language())
    return DONE.get(entry.action, entry.action)


def outcome(action, to_state, actor_level):
    """What an action did, as a sentence's start: "Chuyển lên cấp huyện", "Công nhận cấp xã"."""
    return glossary.outcome(action, to_state, actor_level, language())


def approve_button(step):
    """The approve button of a `choices.Step`: recognise at its level, or forward to its unit."""
    return glossary.approve_button(
        language(),
        recognises=step.recognises,
        level=step.unit.level if step.unit else None,
        unit=step.unit.name if step.unit else None,
    )


def action_button(step):
    """The words on the button of a `choices.Step`."""
    if step.action in ("approve", "recognize"):
        return approve_button(step)
    return ACTIONS[step.action]


# What a reorganisation changed for a nomination (its history entry's details).
MOVES = {
    "pending": _l("now under review at %(to)s (before: %(from)s)"),
    "returned_by": _l("resubmits to %(to)s (before: %(from)s)"),
    "cell": _l("now belongs to %(to)s (before: %(from)s)"),
}
# What a reorganisation did to a unit or an account.
UNIT_CHANGES = {
    "created": _l("created"),
    "merged": _l("merged"),
    "dissolved": _l("dissolved"),
    "moved": _l("moved"),
    "renamed": _l("renamed"),
}
ACCOUNT_CHANGES = {"moved": _l("moves with its unit"), "disabled": _l("disabled")}
KINDS = Glossary("kinds")
KINDS_IN_TEXT = Glossary("kinds_in_text")
KINDS_PLURAL = Glossary("kinds_plural")
LEVELS = Glossary("levels")
LEVELS_IN_TEXT = Glossary("levels_in_text")
UNITS_IN_TEXT = Glossary("units_in_text")
GENDERS = {"female": _l("Female"), "male": _l("Male")}
LIST_STATUSES = {
    "pending": _l("Waiting to be produced"),
    "running": _l("Being produced"),
    "done": _l("Ready"),
    "failed": _l("Failed"),
}
MEETING_STATUSES = {"open": _l("Voting open"), "closed": _l("Closed")}
MEETING_MODES = {"app": _l("In the app, secret ballot"), "paper": _l("On paper")}
DECISIONS = {"single": _l("By the reviewer"), "committee": _l("By a committee vote")}
OUTBOX_STATUSES = {
    "pending": _l("Waiting to be sent"),
    "sending": _l("Being sent"),
    "sent": _l("Sent"),
    "failed": _l("Failed"),
}
NOTICES = Glossary(
    "notices",
    {
        "deadline_digest": _l("Deadline digest"),
        "list_ready": _l("List ready"),
        "set_password": _l("Set-password link"),
        "meeting_opened": _l("Meeting opened"),
        "meeting_closing": _l("Meeting closes tomorrow"),
        "reorganised": _l("Moved by a reorganisation"),
    },
)
ROLES = {
    "secretary": _l("Cell secretary"),
    "reviewer": _l("Reviewer"),
    "admin": _l("Administrator"),
}
FIELDS = {
    "campaign_id": _l("Campaign"),
    "kind": _l("Kind"),
    "nominee_name": _l("Nominee"),
    "title": _l("Exemplary deed"),
    "field": _l("Field of work"),
    "summary": _l("Summary"),
    "achievements": _l("Achievements"),
    "target_level": _l("Level asked for"),
    "nominee_birth_year": _l("Year of birth"),
    "nominee_position": _l("Position"),
    "nominee_email": _l("Nominee's e-mail"),
    "comment": _l("Comment"),
    "file": _l("File"),
    "code": _l("Code"),
    "name": _l("Name"),
    "level": _l("Level"),
    "parent_code": _l("Parent unit"),
    "username": _l("Username"),
    "full_name": _l("Full name"),
    "email": _l("E-mail"),
    "role": _l("Role"),
    "unit_code": _l("Unit"),
    "password": _l("Password"),
    "submission_deadline": _l("Submission deadline"),
    "old_code": _l("Old code"),
    "new_code": _l("New code"),
    "held_on": _l("Meeting day"),
    "closes_on": _l("Voting closes on"),
    "place": _l("Place"),
    "mode": _l("How the vote is recorded"),
    "nomination_ids": _l("Nominations on the agenda"),
    "present": _l("Members present"),
    "agree": _l("Members who agree"),
    "votes": _l("Your ballot"),
    "size": _l("Committee size"),
    "members": _l("Members with an account"),
    "reason": _l("Reason for the change"),
    "collective": _l("Collectives"),
    "individual": _l("Individuals"),
    "options": _l("Options"),
}
DEADLINES = {
    "commune": _l("Commune review deadline"),
    "district": _l("District review deadline"),
    "province": _l("Province review deadline"),
}
OPTION_KEYS = {
    "reviews": _l("Reviews"),
    "decision": _l("Decides"),
    "quorum_at_least": _l("Quorum: at least"),
    "pass_more_than": _l("Passes with more than"),
    "comment_days": _l("Public comment (working days)"),
}

# The domain speaks English to developers; people read these.
MESSAGES = {
    "a comment is required to return or reject": _l(
        "A comment is required to return or reject a nomination."
    ),
    "above the level of the campaign's unit": _l(
        "The level asked for is above the level of the campaign's unit."
    ),
    "the file is empty": _l("The file is empty."),
    "only PDF, JPEG and PNG files are accepted": _l("Only PDF, JPEG and PNG files are accepted."),
    "must not be empty": _l("This field must not be empty."),
    "a unit cannot move under itself or its own subtree": _l(
        "A unit cannot move under itself or one of its own units."
    ),
    "every unit but a province needs a parent": _l("Every unit but a province needs a parent."),
    "may hold only letters, digits, '.', '_' and '-'": _l(
        "Only letters, digits, '.', '_' and '-' are allowed."
    ),
    "the tree would become too deep": _l("The tree would become too deep."),
    "only a reviewing unit closes a level": _l("Only a reviewing unit can close a level."),
    "the unit takes no part in this campaign": _l("This unit takes no part in the campaign."),
    "must be a date": _l("Please give a date."),
    "is earlier than the deadline before it": _l(
        "This deadline is earlier than the one before it."
    ),
    "a list is issued by a commune, district or province unit": _l(
        "A commendation list is issued by a commune, district or province unit."
    ),
    "the unit does not take part in this campaign": _l("This unit takes no part in the campaign."),
    "not a role": _l("Unknown role."),
    "one of the commonest passwords": _l(
        "This password is among the most common ones and easy to guess; choose another."
    ),
    "the same as the username": _l("The password must not be the same as the username."),
    "only the operator adds a province": _l("Only the server's operator adds a province."),
    "an import cannot change the importer's role": _l("An import cannot change your own role."),
    "an import cannot move the importer": _l(
        "An import cannot move your own account to another unit."
    ),
    # Committees and meetings.
    "only a reviewing unit has a committee": _l("Only a reviewing unit has a committee."),
    "more members with accounts than the committee's size": _l(
        "More members are ticked than the committee's size."
    ),
    "a committee seat is in the account's own unit": _l(
        "An account can sit only on its own unit's committee."
    ),
    "a disabled account has no committee seat": _l("A disabled account cannot sit on a committee."),
    "must be app or paper": _l("Choose in the app or on paper."),
    "is before the meeting's day": _l("This day is before the meeting's day."),
    "must name at least one nomination": _l("Tick at least one nomination."),
    "must give a choice for at least one nomination": _l(
        "Choose agree or disagree for the nominations."
    ),
    "is not on this meeting's agenda": _l("This nomination is not on the meeting's agenda."),
    "must be agree or disagree": _l("Choose agree or disagree."),
    "an app meeting counts its ballots itself": _l("A meeting in the app counts its ballots."),
    "must give the agree count of every nomination": _l(
        "Give the number of members who agree for every nomination."
    ),
    "must be a count from 0 to those present": _l(
        "A number from 0 to the number of members present, please."
    ),
    "the scanned minutes must be a PDF file": _l("The scanned minutes must be a PDF file."),
    "no committee member has an account to vote in the app": _l(
        "No member of the committee has an account to vote in the app: record the vote on "
        "paper, or ask an administrator to add the members' accounts."
    ),
    "this meeting is recorded on paper": _l("This meeting's vote is recorded on paper."),
    "the meeting is closed": _l("The meeting is closed."),
    "the meeting is already closed": _l("The meeting is already closed."),
    "you have already voted in this meeting": _l(
        "You have already voted in this meeting; a ballot cannot be changed."
    ),
    "only a paper meeting has scanned minutes": _l("Only a paper meeting has scanned minutes."),
    "attach the scanned minutes (PDF) before closing": _l(
        "Attach the scanned minutes (PDF) before closing."
    ),
    "the counts are secret until the meeting closes": _l(
        "The counts stay secret until the meeting closes."
    ),
    "the minutes are written when the meeting closes": _l(
        "The minutes are written when the meeting closes."
    ),
    "the minutes are being written; try again in a moment": _l(
        "The minutes are being written; try again in a moment."
    ),
    # Public comments and reopening.
    "the committee's vote must pass before the name is published": _l(
        "The committee's vote must pass before the name is published."
    ),
    "the name is already published for comment": _l(
        "The name is already published for public comment."
    ),
    "there is no vote or publication to reopen": _l("There is no vote or publication to reopen."),
    # Campaign options and quotas.
    "must be below 1": _l("Must be below 1."),
    "must be above 0": _l("Must be above 0."),
    'must be a fraction written like "2/3"': _l('A fraction written like "2/3", please.'),
    "must be written without diacritics before the @": _l(
        "Write the part before @ without diacritics, please: a mail server may refuse them."
    ),
    "at least one level must review": _l("At least one level must review."),
    "must be a whole number of working days": _l("A whole number of working days, please."),
    "is not a reviewing level": _l("This is not a reviewing level."),
    "must be one of: single, committee": _l("Choose the reviewer or a committee vote."),
    # Reorganisation.
    "the unit was merged or dissolved": _l("This unit was merged into another or dissolved."),
    "a campaign is opened by a commune, a district or the province": _l(
        "A campaign is opened by a commune, a district or the province."
    ),
    "the unit did not exist then": _l("This unit did not exist on that day."),
    "name at least one operation": _l("Name at least one change."),
    "name at least one unit": _l("Name at least one unit."),
    "the unit is named twice": _l("This unit is named twice."),
    "only an administrator of this unit may change it": _l(
        "Only an administrator of this unit may change it."
    ),
    "an administrator cannot merge, dissolve or move their own unit": _l(
        "You cannot merge, dissolve or move your own unit."
    ),
    "a province cannot be dissolved; merge it into another": _l(
        "A province cannot be dissolved; merge it into another province."
    ),
    "a cell cannot be dissolved; merge it into another cell": _l(
        "A party cell cannot be dissolved; merge it into another cell."
    ),
    "only a new unit takes a parent here; move the unit instead": _l(
        "Only a new unit takes a parent here; move the existing unit in a row of its own."
    ),
    "is required for a new unit": _l("A new unit needs a name."),
    "the new unit would sit outside your subtree; name its parent": _l(
        "The new unit would sit outside your units; give its parent unit."
    ),
    "a nomination would have no unit to review it": _l(
        "A nomination would be left without a unit to review it."
    ),
    "must be empty when a unit is dissolved": _l("Leave this empty for a unit that is dissolved."),
    "a nomination changed meanwhile; preview the reorganisation again": _l(
        "A nomination changed meanwhile; check the reorganisation again."
    ),
}


class _plural(NamedTuple):  # lower case: `make translations` reads it as a gettext function
    """A pattern's translation that counts: its group `count` chooses the plural form, and is
    `%(num)s` in it, written as the reader writes numbers."""

    singular: str
    plural: str


# Messages that carry a value, as (pattern, translation); the groups fill the placeholders.
PATTERNS = (
    (r"duplicate of line (?P<line>\d+)", _l("Duplicate of line %(line)s.")),
    (r"no unit with code '(?P<code>.*)'", _l("There is no unit with code %(code)s.")),
    (
        r"a (?P<unit>\w+) cannot sit under a (?P<other_unit>\w+)",
        _l("A %(unit)s cannot sit under a %(other_unit)s."),
    ),
    (
        r"a (?P<role>\w+) must belong to a (?P<levels>.*) unit",
        _l("The %(role)s role belongs only to units at: %(levels)s."),
    ),
    (r"at most (?P<limit>\d+) characters", _l("At most %(limit)s characters.")),
    (
        r"a (?P<unit>\w+) cannot merge (?:with|into) a (?P<other_unit>\w+)",
        _l("A %(unit)s cannot be merged with a %(other_unit)s."),
    ),
    (
        r"units merge into it on line (?P<line>\d+)",
        _l(
            "Other units merge into this one (line %(line)s); it cannot be merged or dissolved too."
        ),
    ),
    (r"differs from line (?P<line>\d+)", _l("This differs from line %(line)s.")),
    (r"at least (?P<limit>\d+) characters", _l("At least %(limit)s characters.")),
    (r"the file is larger than (?P<limit>\d+) bytes", _l("The file is too large.")),
    (r"(?:not a CSV file|malformed CSV).*", _l("This is not a well-formed CSV file.")),
    (
        r"(?:Input should be|must be one of:?) (?P<values>.*)",
        _l("The value must be one of: %(values)s."),
    ),
    (r"value is not a valid email address.*", _l("Not a valid e-mail address.")),
    (r"a unit with code (?P<code>.*) already exists", _l("A unit with code %(code)s exists.")),
    (r"the username (?P<username>.*) is taken", _l("The username %(username)s is taken.")),
    (
        r"the code (?P<code>.*) is taken by another unit",
        _l("The code %(code)s is taken by a unit outside yours."),
    ),
    (
        r"must be a whole number from (?P<low>\d+) to (?P<high>\d+)",
        _l("A whole number from %(low)s to %(high)s, please."),
    ),
    (
        r"must be a whole number from 0 to the committee's size \((?P<size>\d+)\)",
        _l("A whole number from 0 to the committee's size (%(size)s), please."),
    ),
    (
        r"must be empty or a whole number from 0 to (?P<high>\d+)",
        _l("Empty, or a whole number from 0 to %(high)s."),
    ),
    (r"must be between (?P<low>\d+) and (?P<high>\d+)", _l("From %(low)s to %(high)s.")),
    (r"at most (?P<limit>\d+) nominations", _l("At most %(limit)s nominations.")),
    (
        r"more members with accounts than the committee's size \((?P<size>\d+)\)",
        _l("More accounts are named for this committee than its size (%(size)s)."),
    ),
    (
        r"(?P<name>\S+) is not an active account of (?P<code>\S+)",
        _l("%(name)s is not an active account of the unit %(code)s."),
    ),
    (
        r"nomination (?P<id>\d+) is not pending at (?P<code>\S+) in this campaign",
        _l("Nomination %(id)s is not waiting at %(code)s in this campaign."),
    ),
    (
        r"in this campaign the (?P<at_level>\w+) level does not decide by vote",
        _l("In this campaign the %(at_level)s does not decide by a committee vote."),
    ),
    (
        r"(?P<code>\S+) has no committee yet: an administrator sets it up",
        _l("%(code)s has no committee yet: an administrator sets its size and members first."),
    ),
    (
        r"the (?P<at_level>\w+) level of this campaign has no comment period",
        _l("At the %(at_level)s this campaign has no public comment period."),
    ),
    (
        r"(?P<count>\d+) (?:nomination waits|nominations wait) at the (?P<at_level>\w+) level; "
        r"settle (?:it|them) first",
        _plural(
            "%(num)s nomination waits at the %(at_level)s; settle it before the level stops "
            "reviewing.",
            "%(num)s nominations wait at the %(at_level)s; settle them before the level stops "
            "reviewing.",
        ),
    ),
    (
        r"(?P<count>\d+) nominations? below (?P<code>\S+) (?:is|are) pending at or (?:was|were) "
        r"returned by (?P<reviewer>\S+), which would no longer be above (?:it|them)",
        _plural(
            "%(num)s nomination below %(code)s is under review at, or was returned by, "
            "%(reviewer)s, which would no longer be above it. Settle it first, then move the "
            "unit.",
            "%(num)s nominations below %(code)s are under review at, or were returned by, "
            "%(reviewer)s, which would no longer be above them. Settle them first, then move "
            "the unit.",
        ),
    ),
)
PLAIN = {
    "column missing from the header row": _l("This column is missing from the header row."),
    "unknown column in the header row": _l("This column is not known."),
    "wrong number of fields": _l("The line has the wrong number of fields."),
    "must be empty for a province and only for a province": _l(
        "Empty for a province, and only for a province."
    ),
    "the tree has a cycle": _l("The units would form a cycle."),
    "is required": _l("This field is required."),
    "must not contain NUL characters": _l("Invalid input."),
    "must not contain control characters": _l("Contains a character that is not allowed."),
    "the account is disabled": _l("The account is disabled."),
    "this level is already closed": _l("This level is already closed."),
    "not a unit level": _l("Not a level a unit can have."),
    "must be a date written YYYY-MM-DD": _l("A date written YYYY-MM-DD, please."),
    "must be an object": _l("Must be a set of named values."),
    "must be an object of levels": _l("Must be a set of values for each level."),
    "must be true or false": _l("Must be yes or no."),
    "is not a known field": _l("This field is not known."),
    "cannot be changed": _l("This cannot be changed."),
    "only an individual has this field": _l("Only an individual's nomination has this field."),
    "no signing key of that name is configured for this unit": _l(
        "No signing key of that name is set up for this unit."
    ),
}


def _named(group, value):
    """A pattern's `group` in the reader's language: a level or role word (`at_level`: a level
    as a sentence names it, "cấp xã"; `unit`, `other_unit`: a unit by its level, "đơn vị cấp
    xã"), a list of levels ("commune, district" → "cấp xã, cấp huyện"), a list of values with
    its English "or" ("'a', 'b' or 'c'" → "'a', 'b', 'c'"); else the value as it is."""
    if group == "at_level":
        return str(LEVELS_IN_TEXT.get(value, value))
    if group in ("unit", "other_unit"):
        return str(UNITS_IN_TEXT.get(value, value))
    if group == "levels":
        return ", ".join(str(LEVELS_IN_TEXT.get(level, level)) for level in value.split(", "))
    if group == "values":
        return re.sub(r" or (?=')", ", ", value)
    found = LEVELS.get(value) or ROLES.get(value)
    return str(found) if found is not None else value


def message(text):
    """A domain message in the reader's language."""
    return known_message(text) or _("Not valid: %(detail)s", detail=text)


def known_message(text):
    """The translation of a domain message we know, else None."""
    if text in MESSAGES:
        return str(MESSAGES[text])
    if text in PLAIN:
        return str(PLAIN[text])
    for pattern, translation in PATTERNS:
        found = re.fullmatch(pattern, text)
        if found:
            values = {key: _named(key, value) for key, value in found.groupdict().items()}
            if isinstance(translation, _plural):
                count = int(values["count"])
                text = get_translations().ungettext(*translation, count)
                return text % {**values, "num": format_decimal(count)}
            return str(translation) % values if values else str(translation)
    return None


def field_name(field):
    """ "options.district.decision" → "Options: District: Decides"; "agree.12" → its label."""
    head, _dot, rest = field.partition(".")
    if head == "options" and rest:
        level, _dot, key = rest.partition(".")
        parts = [FIELDS["options"], LEVELS.get(level, level)]
        if key:
            parts.append(OPTION_KEYS.get(key, key))
        return ": ".join(str(part) for part in parts)
    return str(FIELDS.get(field, FIELDS.get(head, field)))


def explain(error):
    """One sentence for the person who met `error`."""
    if isinstance(error, Invalid):
        return f"{field_name(error.field)}: {message(error.message)}"
    if isinstance(error, VoteRequired):
        if "did not pass" in str(error):
            return _(
                "The committee's vote did not pass: this nomination can only be returned or "
                "rejected at this level."
            )
        return _(
            "This level decides by a committee vote, and none has passed on this nomination: "
            "put it on a meeting's agenda first (returning or rejecting needs no vote)."
        )
    if isinstance(error, CommentPeriodOpen):
        if error.ends_on is None:
            return _(
                "The name must first be published for public comment; recognition comes after "
                "the comment period."
            )
        return _(
            "The name is out for public comment until %(day)s; it can be recognised from the "
            "next working day.",
            day=format_day(error.ends_on),
        )
    if isinstance(error, QuotaExhausted):
        return _(
            "%(unit)s has used all %(limit)s of its places for %(kind)s in this campaign "
            "(%(used)s recognised).",
            unit=error.unit_code,
            limit=error.quota,
            kind=str(KINDS_PLURAL.get(error.kind, error.kind)).lower(),
            used=error.used,
        )
    if isinstance(error, StaleVersion):
        text = str(error)
        if text.startswith("campaign") or "amended" in text:
            return _("Someone amended this campaign meanwhile. Reload the page and try again.")
        if "meeting" in text:
            return _("Someone changed this meeting meanwhile. Reload the page and try again.")
        return _("Someone changed this nomination meanwhile. Reload the page and try again.")
    if isinstance(error, DeadlinePassed):
        return _("The campaign's deadline has passed.")
    if isinstance(error, NotAllowedNow):
        return known_message(str(error)) or _("This is not possible in the current state.")
    if isinstance(error, Forbidden):
        return _("You are not allowed to do this.")
    if isinstance(error, NotFound):
        return _("Not found, or outside your unit.")
    return known_message(str(error)) or _(
        "This conflicts with the current state; nothing was changed."
    )


def reorganised_moves(details):
    """One sentence for each thing a reorganisation changed for a nomination, naming the
    units as they were called then."""
    return [
        str(MOVES[what]) % {"from": before, "to": after}
        for what, before, after in reorganisation.moves_of(details)
    ]
