"""Domain errors: services raise these, the web layer turns them into HTTP answers."""

# Said of a unit merged into another or dissolved: it keeps its code for history, and nothing
# new is placed in, moved to or asked of it.
RETIRED_UNIT = "the unit was merged or dissolved"
CAMPAIGN_LEVEL = "a campaign is opened by a commune, a district or the province"


class DomainError(Exception):
    """Base class; `args[0]` is a sentence for the person who asked."""

    # The problem's own name for API clients, the last part of its type URI ("list-changed");
    # None for the plain ones, whose status says it all.
    problem_type = None

    def details(self):
        """Extra members of the problem answer, for a client to act on."""
        return {}


class NotFound(DomainError):
    """No such object, or it lies outside the caller's subtree."""


class Forbidden(DomainError):
    """The caller may see the object but may not do this."""


class Conflict(DomainError):
    """The request collides with the object's current state."""


class StaleVersion(Conflict):
    """The caller's version is not the current one."""


class NotAllowedNow(Conflict):
    """The action is not possible in the nomination's current state."""


class DeadlinePassed(Conflict):
    """A campaign deadline has passed."""


class ListChanged(Conflict):
    """What the unit recognised has changed since its latest list: a new number needs confirming."""

    problem_type = "list-changed"

    def __init__(self, latest, *, number, next_number, added, removed):
        super().__init__(
            f"since list {number} was issued, {len(added)} recognised nomination(s) were added "
            f"and {len(removed)} removed; confirm to issue list {next_number}"
        )
        self.latest = latest
        self.number = number
        self.next_number = next_number
        self.added = added
        self.removed = removed

    def details(self):
        return {
            "list_id": self.latest.id,
            "number": self.number,
            "next_number": self.next_number,
            "added": len(self.added),
            "removed": len(self.removed),
        }


class VoteRequired(Conflict):
    """A committee level decides by vote: no passed vote, no approval or recognition."""

    problem_type = "vote-required"


class QuotaExhausted(Conflict):
    """The unit has recognised as many of this kind as its quota allows."""

    problem_type = "quota-exhausted"

    def __init__(self, message, *, unit_code, kind, quota, used):
        super().__init__(message)
        self.unit_code, self.kind, self.quota, self.used = unit_code, kind, quota, used

    def details(self):
        return {
            "quota": {
                "unit_code": self.unit_code,
                "kind": self.kind,
                "limit": self.quota,
                "used": self.used,
            }
        }


class CommentPeriodOpen(Conflict):
    """The names are out for public comment: recognition waits until the period ends."""

    problem_type = "comment-period-open"

    def __init__(self, message, *, ends_on=None):
        super().__init__(message)
        self.ends_on = ends_on

    def details(self):
        return {"ends_on": self.ends_on.isoformat()} if self.ends_on else {}


class Invalid(DomainError):
    """A field is missing, of the wrong type, or out of range."""

    def __init__(self, field, message, *, problems=None):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
        self.problems = problems or [(field, message)]
