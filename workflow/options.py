"""A campaign's workflow options: how each reviewing level decides, pinned when it opens.

`{level: {"reviews", "decision", "quorum_at_least", "pass_more_than", "comment_days"}}` for each
reviewing level (API.md). A level that does not review is skipped by routing; a `committee`
level decides by a vote of its unit's committee, valid when present ≥ quorum × size and passed
when agree > pass × size (fractions of the committee's whole size, as party rules count them);
`comment_days` working days of public comment come before a recognition at that level.
"""

import math
import re
from fractions import Fraction

from workflow.errors import Invalid
from workflow.levels import REVIEW_LEVELS

DECISIONS = ("single", "committee")
DEFAULT_LEVEL = {
    "reviews": True,
    "decision": "single",
    "quorum_at_least": "2/3",
    "pass_more_than": "1/2",
    "comment_days": 0,
}
KEYS = tuple(DEFAULT_LEVEL)
MAX_COMMENT_DAYS = 60
MAX_DENOMINATOR = 100
FRACTION_TEXT = re.compile(r"\+?(?:[0-9]{1,4}/[0-9]{1,4}|[0-9]{1,4}\.?[0-9]{0,8}|\.[0-9]{1,8})")


def defaults():
    return {level: dict(DEFAULT_LEVEL) for level in REVIEW_LEVELS}


def fraction(text):
    """ "2/3" as an exact Fraction."""
    return Fraction(text)


def normalise(given, base=None):
    """`given` (a partial {level: {key: value}}) laid over `base` (or the defaults), checked.

    Raises Invalid naming `options.<level>.<key>`; returns a complete, canonical mapping.
    """
    base = base or defaults()
    result = {level: {**DEFAULT_LEVEL, **(base.get(level) or {})} for level in REVIEW_LEVELS}
    if given is None:
        return result
    if not isinstance(given, dict):
        raise Invalid("options", "must be an object of levels")
    for level, values in given.items():
        if level not in REVIEW_LEVELS:
            raise Invalid(f"options.{level}", "is not a reviewing level")
        if not isinstance(values, dict):
            raise Invalid(f"options.{level}", "must be an object")
        for key, value in values.items():
            if key not in KEYS:
                raise Invalid(f"options.{level}.{key}", "is not a known field")
            result[level][key] = _checked(f"options.{level}.{key}", key, value)
    for level, values in result.items():
        quorum, majority = fraction(values["quorum_at_least"]), fraction(values["pass_more_than"])
        if majority >= 1:
            raise Invalid(f"options.{level}.pass_more_than", "must be below 1")
        if quorum <= 0:
            raise Invalid(f"options.{level}.quorum_at_least", "must be above 0")
    if not any(values["reviews"] for values in result.values()):
        raise Invalid("options", "at least one level must review")
    return result


def _checked(field, key, value):
    if key == "reviews":
        if not isinstance(value, bool):
            raise Invalid(field, "must be true or false")
        return value
    if key == "decision":
        if value not in DECISIONS:
            raise Invalid(field, f"must be one of: {', '.join(DECISIONS)}")
        return value
    if key == "comment_days":
        if isinstance(value, bool) or not isinstance(value, int):
            raise Invalid(field, "must be a whole number of working days")
        if not 0 <= value <= MAX_COMMENT_DAYS:
            raise Invalid(field, f"must be between 0 and {MAX_COMMENT_DAYS}")
        return value
    # A fraction, written as the party rules write it: "2/3" (or as a decimal, "0.5"). Its
    # digits are bounded, and an exponent refused, before Fraction reads it: "1e99999999" would
    # cost it seconds.
    if not isinstance(value, str) or not FRACTION_TEXT.fullmatch(value.strip()):
        raise Invalid(field, 'must be a fraction written like "2/3"')
    try:
        parsed = Fraction(value.strip())
    except ZeroDivisionError:
        raise Invalid(field, 'must be a fraction written like "2/3"') from None
    if parsed.denominator > MAX_DENOMINATOR or not 0 <= parsed <= 1:
        raise Invalid(field, 'must be a fraction written like "2/3"')
    return f"{parsed.numerator}/{parsed.denominator}"


def of_level(campaign, level):
    """The options of `level` in `campaign` (campaigns opened before options existed: defaults)."""
    return (campaign.options or {}).get(level) or dict(DEFAULT_LEVEL)


def reviewing_levels(campaign):
    return tuple(level for level in REVIEW_LEVELS if of_level(campaign, level)["reviews"])


def quorate(present, size, quorum_at_least):
    """A meeting counts when present ≥ quorum × size (of the whole committee)."""
    return present >= fraction(quorum_at_least) * size


def passes(agree, size, pass_more_than):
    """A nomination passes when agree > pass × size (of all members, not of those present)."""
    return agree > fraction(pass_more_than) * size


def fewest_present(size, quorum_at_least):
    """The fewest members present that make a meeting count: quorum × size, rounded up."""
    return math.ceil(fraction(quorum_at_least) * size)


def fewest_agreeing(size, pass_more_than):
    """The fewest agreeing members that pass a nomination: more than pass × size."""
    return math.floor(fraction(pass_more_than) * size) + 1
