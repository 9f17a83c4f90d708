"""Domain errors: services raise these, the web layer turns them into HTTP answers."""


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


class Invalid(DomainError):
    """A field is missing, of the wrong type, or out of range."""

    def __init__(self, field, message, *, problems=None):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
        self.problems = problems or [(field, message)]
