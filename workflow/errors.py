"""Domain errors: services raise these, the web layer turns them into HTTP answers."""

# Said of a unit merged into another or dissolved: it keeps its code for history, and nothing
# new is placed in, moved to or asked of it.
RETIRED_UNIT = "the unit was merged or dissolved"


class DomainError(Exception):
    """Base class; `args[0]` is a sentence for the person who asked."""


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


class Invalid(DomainError):
    """A field is missing, of the wrong type, or out of range."""

    def __init__(self, field, message, *, problems=None):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
        self.problems = problems or [(field, message)]
