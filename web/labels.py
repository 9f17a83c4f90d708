"""Every domain word the pages show, translated: states, actions, kinds, levels, roles, errors."""

import re

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from workflow import reorganisation
from workflow.errors import (
    DeadlinePassed,
    Forbidden,
    Invalid,
    NotAllowedNow,
    NotFound,
    StaleVersion,
)

STATES = {
    "draft": _l("Draft"),
    "commune_review": _l("Commune review"),
    "district_review": _l("District review"),
    "province_review": _l("Province review"),
    "returned": _l("Returned for revision"),
    "commended": _l("Commended"),
    "rejected": _l("Rejected"),
    "withdrawn": _l("Withdrawn"),
}
ACTIONS = {
    "create": _l("Created"),
    "submit": _l("Submit"),
    "approve": _l("Approve"),
    "recognize": _l("Recognise at this level"),
    "return": _l("Return for revision"),
    "resubmit": _l("Resubmit"),
    "reject": _l("Reject"),
    "withdraw": _l("Withdraw"),
}
DONE = {
    "create": _l("created the draft"),
    "submit": _l("submitted"),
    "approve": _l("approved"),
    "recognize": _l("recognised"),
    "return": _l("returned for revision"),
    "resubmit": _l("resubmitted"),
    "reject": _l("rejected"),
    "withdraw": _l("withdrew"),
    "reorganised": _l("moved it to the new units (reorganisation)"),
}
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
KINDS = {"individual": _l("Individual"), "collective": _l("Collective")}
KINDS_PLURAL = {"individual": _l("Individuals"), "collective": _l("Collectives")}
LEVELS = {
    "province": _l("Province"),
    "district": _l("District"),
    "commune": _l("Commune"),
    "cell": _l("Party cell"),
}
LIST_STATUSES = {
    "pending": _l("Waiting to be produced"),
    "running": _l("Being produced"),
    "done": _l("Ready"),
    "failed": _l("Failed"),
}
OUTBOX_STATUSES = {
    "pending": _l("Waiting to be sent"),
    "sending": _l("Being sent"),
    "sent": _l("Sent"),
    "failed": _l("Failed"),
}
NOTICES = {
    "submitted": _l("Submitted"),
    "resubmitted": _l("Resubmitted"),
    "forwarded": _l("Approved and forwarded"),
    "returned": _l("Returned for revision"),
    "rejected": _l("Rejected"),
    "commended": _l("Commended"),
    "withdrawn": _l("Withdrawn"),
    "deadline_digest": _l("Deadline digest"),
    "list_ready": _l("List ready"),
    "set_password": _l("Set-password link"),
    "reorganised": _l("Moved by a reorganisation"),
}
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
    "reason": _l("Reason"),
    "old_code": _l("Old code"),
    "new_code": _l("New code"),
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
    "the unit was merged or dissolved": _l("This unit was merged into another or dissolved."),
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


# Messages that carry a value, as (pattern, translation); the groups fill the placeholders.
PATTERNS = (
    (r"duplicate of line (?P<line>\d+)", _l("Duplicate of line %(line)s.")),
    (r"no unit with code '(?P<code>.*)'", _l("There is no unit with code %(code)s.")),
    (
        r"(?P<level>\w+) cannot sit under a (?P<parent>\w+)",
        _l("A %(level)s cannot sit under a %(parent)s."),
    ),
    (
        r"a (?P<role>\w+) (?:must belong to a|cannot belong to a) (?P<levels>.*?)(?: unit)?$",
        _l("This role (%(role)s) does not fit a unit of this level (%(levels)s)."),
    ),
    (r"at most (?P<limit>\d+) characters", _l("At most %(limit)s characters.")),
    (
        r"a (?P<level>\w+) cannot merge (?:with|into) a (?P<other>\w+)",
        _l("A %(level)s cannot be merged with a %(other)s."),
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
    (r"Input should be (?P<values>.*)", _l("The value must be one of: %(values)s.")),
    (r"value is not a valid email address.*", _l("Not a valid e-mail address.")),
    (r"a unit with code (?P<code>.*) already exists", _l("A unit with code %(code)s exists.")),
    (r"the username (?P<username>.*) is taken", _l("The username %(username)s is taken.")),
    (
        r"the code (?P<code>.*) is taken by another unit",
        _l("The code %(code)s is taken by a unit outside yours."),
    ),
    (
        r"(?P<count>\d+) nominations below (?P<code>\S+) are pending at or were returned by "
        r"(?P<reviewer>\S+), which would no longer be above them",
        _l(
            "%(count)s nominations below %(code)s are under review at, or were returned by, "
            "%(reviewer)s, which would no longer be above them. Settle them first, then move "
            "the unit."
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
    "the account is disabled": _l("The account is disabled."),
    "this level is already closed": _l("This level is already closed."),
}


def _named(value):
    """A level or role word in the reader's language, else the value as it is."""
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
            values = {key: _named(value) for key, value in found.groupdict().items()}
            return str(translation) % values if values else str(translation)
    return None


def explain(error):
    """One sentence for the person who met `error`."""
    if isinstance(error, Invalid):
        field = FIELDS.get(error.field, error.field)
        return f"{field}: {message(error.message)}"
    if isinstance(error, StaleVersion):
        return _("Someone changed this nomination meanwhile. Reload the page and try again.")
    if isinstance(error, DeadlinePassed):
        return _("The campaign's deadline has passed.")
    if isinstance(error, NotAllowedNow):
        return _("This is not possible in the current state.")
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
