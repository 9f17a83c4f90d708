"""Who may see and do what: every right in the product is one predicate here."""

from contextlib import suppress

import idna
from sqlalchemy import bindparam, or_, select

from workflow.machine import REVIEWER_ACTIONS, SECRETARY_ACTIONS
from workflow.models import (
    Campaign,
    CommendationList,
    Nomination,
    OutboxMessage,
    Reorganisation,
    Unit,
    User,
)

EDIT = "edit"


class _WholeTree:
    """Stands for the unit of the operator: every unit lies below it (every path starts with "")."""

    id = None
    path = ""
    ancestor_codes = ()

    def contains(self, other):
        return True


class Operator:
    """Whoever runs the CLI on the server (imports, the demo): administers the whole tree.

    The web never acts as the operator; every page and API call acts as a logged-in user.
    """

    id = None
    username = "operator"
    role = "admin"
    active = True
    unit = _WholeTree()
    unit_id = None


OPERATOR = Operator()


def can_see_unit(actor, unit):
    return actor.unit.contains(unit)


def can_see_nomination(actor, nomination):
    return actor.unit.contains(nomination.cell)


def can_see_campaign(actor, campaign):
    """A campaign is visible from inside its subtree and from the units above it."""
    return actor.unit.contains(campaign.unit) or campaign.unit.contains(actor.unit)


def mailbox(address):
    """The mailbox an address reaches: trimmed, case-folded, without a "+tag" in the local part
    (An.Nguyen+khen@X.vn and an.nguyen@x.vn reach the same person), its domain in ASCII (an
    address kept before domains were, an@bưuđiện.vn, reaches an@xn--buin-1ua66gr30m.vn)."""
    local, at, domain = (address or "").strip().casefold().rpartition("@")
    if not domain.isascii():
        with suppress(idna.IDNAError):  # else no domain anyone could reach: compared as written
            domain = idna.encode(domain, uts46=True).decode("ascii")
    return f"{local.partition('+')[0]}@{domain}" if at else domain


def is_own(actor, nomination):
    """Nobody decides on a nomination they wrote or that names them."""
    if nomination.created_by_id == actor.id:
        return True
    email = mailbox(nomination.nominee_email)
    return bool(email) and email == mailbox(actor.email)


def is_cell_secretary(actor, nomination):
    return actor.role == "secretary" and actor.unit_id == nomination.cell_id


def is_pending_reviewer(actor, nomination):
    return (
        actor.role == "reviewer"
        and nomination.pending_unit_id is not None
        and actor.unit_id == nomination.pending_unit_id
        and not is_own(actor, nomination)
    )


def can(actor, action, nomination):
    """May `actor` take `action` (a workflow action or "edit") on `nomination`, state aside?"""
    if not actor.active:
        return False
    if action in (*SECRETARY_ACTIONS, EDIT):
        return is_cell_secretary(actor, nomination)
    if action in REVIEWER_ACTIONS:
        return is_pending_reviewer(actor, nomination)
    return False


def can_nominate(actor, campaign):
    return actor.active and actor.role == "secretary" and campaign.unit.contains(actor.unit)


def can_open_campaign(actor, unit):
    return actor.active and actor.role == "admin" and actor.unit.contains(unit)


# Query filters: the same rules, as SQL, for lists.


def subtree(unit, path=Unit.path):
    """Filter on `Unit` rows (or on rows of another `path` column) inside `unit`'s subtree (a
    prefix match on the path).

    The path is written into the SQL, not sent beside it: a subtree holds one cell or a
    thousand, and PostgreSQL plans a prepared statement once for all its parameters (after its
    fifth run on a connection). With the path in the text, each subtree's statement has a plan
    made for it; with a parameter, one plan served a commune and a province alike, and a
    district's queue took 10 ms instead of 0.2."""
    return path.like(written(escape_like(unit.path) + "%"), escape="\\")


def written(value):
    """`value` written into the SQL at execution rather than sent beside it, for a value a
    statement's best plan depends on (a subtree's path, a unit's id, a page's size):
    PostgreSQL plans a prepared statement for its parameters' values until one plan for all
    values looks as cheap, which for a page of a unit's nominations it never did, so it planned
    the statement again on every request (1 to 2 ms, more than running it). Written in, each
    unit's statement is planned once per connection. SQLAlchemy's cache of compiled statements
    is not affected: the value is put in after compiling. `column == written(None)` is
    `= NULL`, which matches nothing (not `IS NULL`)."""
    return bindparam(None, value, literal_execute=True)


def escape_like(text):
    """`text` as itself inside a LIKE pattern whose escape character is a backslash."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def visible_nominations(actor, within=None, rows=Nomination):
    """Filter on `Nomination` rows (or on their counts, by cell) whose cell lies in the actor's
    (or `within`'s) subtree."""
    scope = within or actor.unit
    cells = select(Unit.id).where(subtree(scope))
    return rows.cell_id.in_(cells)


def visible_campaigns(actor):
    ancestors = actor.unit.ancestor_codes
    return Campaign.unit_id.in_(
        select(Unit.id).where(or_(subtree(actor.unit), Unit.code.in_(ancestors)))
    )


def can_administer(actor, unit):
    """Administrators keep the units, users and campaigns of their own subtree."""
    return actor.active and actor.role == "admin" and actor.unit.contains(unit)


def can_reorganise(actor):
    """Administrators merge, dissolve, move and rename the units of their own subtree."""
    return can_administer(actor, actor.unit)


def can_see_reorganisation(actor, reorganisation):
    """An administrator reads a reorganisation whose every unit lies in their subtree."""
    return can_reorganise(actor) and reorganisation.scope_path.startswith(actor.unit.path)


def visible_reorganisations(actor):
    """Filter on `Reorganisation` rows: the same rule as `can_see_reorganisation`, as SQL."""
    return Reorganisation.scope_path.startswith(actor.unit.path, autoescape=True)


def can_add_province(actor):
    """A new root lies in no administrator's subtree: only the operator adds one."""
    return isinstance(actor, Operator)


def can_download(actor, attachment):
    """Evidence is readable by whoever may see its nomination."""
    return can_see_nomination(actor, attachment.nomination)


# Committees, meetings, amendments and public comments.


def can_run_meetings(actor, unit):
    """The unit's reviewers (its advisory office) open, chair and close its committee's
    meetings; the members vote (a member's right is checked against the committee itself)."""
    return actor.active and actor.role == "reviewer" and actor.unit_id == unit.id


def can_amend_campaign(actor, campaign):
    """Administrators of the campaign's unit (or above) amend its pinned options and quotas."""
    return can_administer(actor, campaign.unit)


def can_read_comments(actor, nomination):
    """The public's comments reach reviewers and administrators who see the nomination."""
    return (
        actor.active
        and actor.role in ("reviewer", "admin")
        and can_see_nomination(actor, nomination)
    )


def can_keep_days_off(actor, province):
    """A province's extra days off are kept by its administrators."""
    return can_administer(actor, province) and province.parent_id is None


# Background work: the outbox and the final commendation lists.


def can_manage_outbox(actor):
    """Administrators see failed notices and send them again."""
    return actor.active and actor.role == "admin"


def can_request_list(actor, unit):
    """Administrators of the unit or above, and the unit's own reviewers, produce its lists;
    a unit merged or dissolved issues none (its successor does)."""
    if not actor.active or not actor.unit.contains(unit) or unit.retired:
        return False
    return actor.role == "admin" or (actor.role == "reviewer" and actor.unit_id == unit.id)


def can_keep_unit_settings(actor, unit):
    """Who signs a unit's documents, and with which key, is kept by its administrators (or
    those above)."""
    return can_administer(actor, unit)


def can_see_list(actor, commendation_list):
    """A list shows nominations from the unit's whole subtree: only those who see it all."""
    return actor.unit.contains(commendation_list.unit)


def visible_lists(actor):
    """Filter on `CommendationList` rows: the same rule as `can_see_list`, as SQL."""
    return CommendationList.unit_id.in_(select(Unit.id).where(subtree(actor.unit)))


def visible_outbox(actor):
    """Filter on `OutboxMessage` rows about the actor's subtree: its nominations or its people."""
    units = select(Unit.id).where(subtree(actor.unit))
    return or_(
        OutboxMessage.nomination_id.in_(select(Nomination.id).where(Nomination.cell_id.in_(units))),
        OutboxMessage.recipient_user_id.in_(select(User.id).where(User.unit_id.in_(units))),
    )
