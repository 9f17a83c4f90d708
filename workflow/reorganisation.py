"""Reorganising the unit tree while nominations are in flight: merge, dissolve, move, rename.

A reorganisation is a list of operations applied in order, all or nothing, in one transaction.
A merged or dissolved unit is retired, never deleted: history, lists, closures still name it.
It hangs below its successor from then on (so what it did counts inside today's units) and
nothing new is placed in, moved to or routed to it. Pending work moves with the tree: a
nomination pending at (or returned by) a unit that disappears, or that is no longer above its
cell, now waits at (or resubmits to) the successor, else the nearest reviewing unit at or above
the old one's level on the cell's new path. Each such nomination gets a `reorganised` history
entry and notices. Accounts of a merged unit move to the successor and keep their sessions;
accounts of a dissolved unit are disabled. Campaigns of a vanished unit pass to the successor;
issued lists and deadlines are left as they are.

A dry run applies everything inside a savepoint and rolls it back: the preview is what
applying does. `operations_from_csv` reads the `old_code,new_code` form of 2025.
"""

import re
from collections import defaultdict
from dataclasses import dataclass, field

from pydantic import field_validator
from sqlalchemy import or_, select
from sqlalchemy.orm.exc import StaleDataError

from workflow import accounts, policy, routing
from workflow.errors import RETIRED_UNIT, Conflict, DomainError, Forbidden, Invalid, NotFound
from workflow.fields import Text, clean_text
from workflow.imports import CODE_PATTERN, ImportError_, Row, read_rows, recompute_paths
from workflow.levels import REVIEW_LEVELS, REVIEW_STATE, rank
from workflow.machine import TERMINAL_STATES
from workflow.models import (
    Campaign,
    HistoryEntry,
    Nomination,
    Reorganisation,
    Unit,
    User,
    utcnow,
)
from workflow.notices import reorganised_rows

OPERATIONS = ("merge", "dissolve", "move", "rename")
MAX_PATH = 400  # Unit.path's length
CHUNK = routing.CHUNK  # ids per IN list
ACTION = "reorganised"  # the history entry of a nomination moved by a reorganisation


@dataclass(frozen=True)
class Operation:
    """One step: {"op": "merge", "units": [...], "into", "name"?, "parent"?},
    {"op": "dissolve", "unit"}, {"op": "move", "unit", "parent"}, {"op": "rename", "unit", "name"}.
    """

    op: str
    units: tuple[str, ...] = ()
    into: str | None = None
    unit: str | None = None
    parent: str | None = None
    name: str | None = None

    def as_json(self):
        fields = {"op": self.op, "units": list(self.units), "into": self.into}
        fields.update(unit=self.unit, parent=self.parent, name=self.name)
        return {key: value for key, value in fields.items() if value not in (None, [])}


def _error(kind, index, key, message):
    """A domain error about operation `index`'s field `key` (the CSV reader maps it to a line
    and a column, the API names it operations.<index>.<key>)."""
    where = f"operations.{index}.{key}"
    error = Invalid(where, message) if kind is Invalid else kind(f"{where}: {message}")
    error.index, error.key, error.message = index, key, message
    return error


def reorganise(session, actor, operations, *, reason, dry_run):
    """Apply `operations` as `actor`; with `dry_run`, only say what applying would do.

    Returns the report (plain data, see `_Run.report`); raises a domain error, having written
    nothing, when any operation cannot be applied.
    """
    try:
        reason = clean_text(reason or "", min_length=1, max_length=1000)
    except ValueError as error:
        raise Invalid("reason", str(error)) from None
    if not operations:
        raise Invalid("operations", "name at least one operation")
    savepoint = session.begin_nested()
    try:
        with session.no_autoflush:
            report = _Run(session, actor, reason).apply(operations)
    except StaleDataError:
        savepoint.rollback()
        raise Conflict("a nomination changed meanwhile; preview the reorganisation again") from None
    except BaseException:
        savepoint.rollback()
        raise
    if dry_run:
        savepoint.rollback()
        report["id"] = None
    else:
        savepoint.commit()
    report["dry_run"] = dry_run
    return report


MOVES = ("pending", "returned_by", "cell")  # what a nomination's `reorganised` entry records


def moves_of(details):
    """What a `reorganised` history entry changed, as (what, name before, name after), with
    the names of the time; `what` is one of MOVES."""
    changed = []
    for what in MOVES:
        before, after = details.get(f"{what}_from"), details.get(f"{what}_to")
        if before and after and before["code"] != after["code"]:
            changed.append((what, before["name"], after["name"]))
    return changed


def _unit_json(unit, name=None):
    return {"code": unit.code, "name": name or unit.name, "level": unit.level}


@dataclass
class _Before:
    """A unit as it stood before this reorganisation."""

    name: str
    parent_code: str | None
    path: str


@dataclass
class _Run:
    session: object
    actor: object
    reason: str
    now: object = field(default_factory=utcnow)
    units: dict = field(default_factory=dict)  # code → Unit: every unit of the trees involved
    children: dict = field(default_factory=lambda: defaultdict(set))  # code → live child codes
    before: dict = field(default_factory=dict)  # code → _Before
    created: list = field(default_factory=list)  # codes of new units, in order
    retired: dict = field(default_factory=dict)  # code → "merged" | "dissolved"
    chains: dict = field(default_factory=dict)  # cell code → its reviewing units, nearest first

    def apply(self, operations):
        for index, operation in enumerate(operations):
            if operation.op not in OPERATIONS:
                raise _error(Invalid, index, "op", f"must be one of {', '.join(OPERATIONS)}")
        self._load(operations)
        # In the API's order: every unit named exists in the actor's subtree, then the right.
        # (A merge's `into` may be a new code, which later operations may name too.)
        new = {operation.into for operation in operations if operation.op == "merge"}
        new -= set(self.units)
        for index, operation in enumerate(operations):
            named = [(f"units.{n}", code) for n, code in enumerate(operation.units)]
            named += [(key, getattr(operation, key)) for key in ("unit", "parent")]
            for key, code in named:
                if code is not None and code not in new:
                    self._find(index, key, code)
        if not policy.can_reorganise(self.actor):
            raise Forbidden("only an administrator may reorganise units")
        for index, operation in enumerate(operations):
            getattr(self, f"_{operation.op}")(index, operation)
        self._repath()
        record = Reorganisation(
            reason=self.reason,
            actor_id=self.actor.id,
            scope_path=self._scope_path(operations),
            operations=[operation.as_json() for operation in operations],
            report={},
            applied_at=self.now,
        )
        self.session.add(record)
        self.session.flush()  # the units, their new versions (models.py), the record's id
        report = {
            "id": record.id,
            "reason": self.reason,
            "operations": record.operations,
            "units": self._unit_changes(),
            "accounts": self._move_accounts(),
            "campaigns": self._move_campaigns(),
            "nominations": self._move_nominations(record),
        }
        report["names"] = self._names(report)
        record.report = report
        self.session.flush()
        return report

    # Loading and the tree in memory ------------------------------------------------------

    def _load(self, operations):
        """Lock and load every unit of the trees the operations name (whole provinces: paths
        below any of them may change)."""
        codes = set()
        for operation in operations:
            codes.update(operation.units)
            codes.update(c for c in (operation.into, operation.unit, operation.parent) if c)
        named = []
        codes = sorted(codes)
        for start in range(0, len(codes), CHUNK):
            chunk = codes[start : start + CHUNK]
            named += self.session.scalars(select(Unit.path).where(Unit.code.in_(chunk))).all()
        roots = sorted({path.split("/")[1] for path in named})
        if roots:
            query = (
                select(Unit)
                .where(or_(*(Unit.path.startswith(f"/{root}/", autoescape=True) for root in roots)))
                .order_by(Unit.path)
                # PostgreSQL: a concurrent change of these units waits. FOR NO KEY UPDATE, not FOR
                # UPDATE: an action in flight that names one of them (a foreign key: its history
                # row, its counts) goes on and commits instead of waiting for us while we wait
                # for it (`_roll_up_after_moves` waits for the actions in flight): a deadlock.
                .with_for_update(key_share=True)
            )
            for unit in self.session.scalars(query):
                self.units[unit.code] = unit
        for unit in self.units.values():
            parent = unit.parent
            self.before[unit.code] = _Before(unit.name, parent.code if parent else None, unit.path)
            if parent is not None and not unit.retired:
                self.children[parent.code].add(unit.code)

    def _find(self, index, key, code):
        """The unit named `code`: NotFound when absent or outside the actor's subtree."""
        unit = self.units.get(code)
        if unit is None or not policy.can_see_unit(self.actor, unit):
            raise _error(NotFound, index, key, f"no unit with code {code!r}")
        return unit

    def _live(self, index, key, code):
        """The unit named `code`, which the actor administers and which is not retired."""
        unit = self._find(index, key, code)
        if unit.retired:
            raise _error(Invalid, index, key, RETIRED_UNIT)
        if not policy.can_administer(self.actor, unit):
            raise _error(Forbidden, index, key, "only an administrator of this unit may change it")
        return unit

    def _not_own(self, index, key, unit):
        if unit.id == self.actor.unit_id:
            message = "an administrator cannot merge, dissolve or move their own unit"
            raise _error(Forbidden, index, key, message)

    def _reparent(self, unit, parent):
        if unit.parent is not None:
            self.children[unit.parent.code].discard(unit.code)
        unit.parent = parent
        if parent is not None and not unit.retired:
            self.children[parent.code].add(unit.code)

    def _live_children(self, unit):
        return [self.units[code] for code in sorted(self.children[unit.code])]

    def _retire(self, unit, successor, how):
        """Retire `unit`: it hangs below its successor from now on."""
        for child in self._live_children(unit):
            self._reparent(child, successor)
        self._reparent(unit, None)
        unit.retired_at = self.now
        unit.successor = successor
        unit.parent = successor
        self.retired[unit.code] = how

    @staticmethod
    def _ancestors(unit):
        found, cursor = [], unit.parent
        while cursor is not None:
            found.append(cursor)
            cursor = cursor.parent
        return found

    @staticmethod
    def _heir(unit):
        """The live unit that carries on `unit` (itself while it is live)."""
        while unit.retired:
            unit = unit.successor
        return unit

    # The operations ------------------------------------------------------------------------

    def _rename(self, index, operation):
        unit = self._live(index, "unit", operation.unit)
        unit.name = self._name(index, operation.name)

    def _name(self, index, name):
        try:
            return clean_text(name or "", min_length=1, max_length=200)
        except ValueError as error:
            raise _error(Invalid, index, "name", str(error)) from None

    def _move(self, index, operation):
        unit = self._live(index, "unit", operation.unit)
        parent = self._live(index, "parent", operation.parent)
        self._not_own(index, "unit", unit)
        if parent is unit or unit in self._ancestors(parent):
            message = "a unit cannot move under itself or its own subtree"
            raise _error(Invalid, index, "parent", message)
        self._check_under(index, "parent", unit.level, parent)
        self._reparent(unit, parent)

    def _check_under(self, index, key, level, parent):
        if rank(level) >= rank(parent.level):
            raise _error(Invalid, index, key, f"a {level} cannot sit under a {parent.level}")

    def _dissolve(self, index, operation):
        unit = self._live(index, "unit", operation.unit)
        if unit.parent is None:
            message = "a province cannot be dissolved; merge it into another"
            raise _error(Invalid, index, "unit", message)
        if unit.level not in REVIEW_LEVELS:
            message = "a cell cannot be dissolved; merge it into another cell"
            raise _error(Invalid, index, "unit", message)
        self._not_own(index, "unit", unit)
        self._retire(unit, unit.parent, "dissolved")

    def _merge(self, index, operation):
        if not operation.units:
            raise _error(Invalid, index, "units", "name at least one unit")
        merged = []
        for position, code in enumerate(operation.units):
            key = f"units.{position}"
            if code in operation.units[:position]:
                raise _error(Invalid, index, key, "the unit is named twice")
            unit = self._live(index, key, code)
            if merged and unit.level != merged[0].level:
                message = f"a {unit.level} cannot merge with a {merged[0].level}"
                raise _error(Invalid, index, key, message)
            merged.append(unit)
        level = merged[0].level
        if operation.into in self.units:
            if not policy.can_see_unit(self.actor, self.units[operation.into]):
                message = f"the code {operation.into} is taken by another unit"
                raise _error(Invalid, index, "into", message)
            into = self._live(index, "into", operation.into)
            if into.level != level:
                message = f"a {level} cannot merge into a {into.level}"
                raise _error(Invalid, index, "into", message)
            if operation.parent:
                message = "only a new unit takes a parent here; move the unit instead"
                raise _error(Invalid, index, "parent", message)
            if operation.name:
                into.name = self._name(index, operation.name)
        else:
            into = self._create(index, operation, merged, level)
        for position, unit in enumerate(merged):
            if unit is not into:
                self._not_own(index, f"units.{position}", unit)
                self._retire(unit, into, "merged")

    def _create(self, index, operation, merged, level):
        code = operation.into or ""
        if not re.match(CODE_PATTERN, code) or len(code) > 40:
            message = "may hold only letters, digits, '.', '_' and '-'"
            raise _error(
                Invalid, index, "into", message if len(code) <= 40 else "at most 40 characters"
            )
        if not operation.name:
            raise _error(Invalid, index, "name", "is required for a new unit")
        name = self._name(index, operation.name)
        if operation.parent:
            parent = self._live(index, "parent", operation.parent)
        else:
            parent = self._common_parent(merged)
            if parent is None and not policy.can_add_province(self.actor):
                message = "only the operator adds a province"
                raise _error(Forbidden, index, "into", message)
            if parent is not None and not policy.can_administer(self.actor, parent):
                message = "the new unit would sit outside your subtree; name its parent"
                raise _error(Forbidden, index, "into", message)
        if parent is not None:
            self._check_under(index, "parent" if operation.parent else "into", level, parent)
        elif level != "province":
            raise _error(Invalid, index, "parent", "every unit but a province needs a parent")
        # Its path for now, so that rights can be checked on it; _repath sets the final ones.
        path = f"{parent.path if parent else '/'}{code}/"
        unit = Unit(code=code, name=name, level=level, path=path)
        self.session.add(unit)
        self.units[code] = unit
        self.before[code] = None
        self.created.append(code)
        self._reparent(unit, parent)
        return unit

    def _common_parent(self, merged):
        """The nearest unit above every one of `merged` (their parent, when they share one)."""
        lines = [self._ancestors(unit) for unit in merged]
        return next((unit for unit in lines[0] if all(unit in line for line in lines)), None)

    def _repath(self):
        recompute_paths(self.units.values(), {})
        too_deep = next((u for u in self.units.values() if len(u.path) > MAX_PATH), None)
        if too_deep is not None:
            raise Invalid("operations", "the tree would become too deep")

    def _scope_path(self, operations):
        """The path of the nearest unit above everything the operations touched."""
        touched = [self.units[code] for code in self.created]
        touched += [self.units[code].successor for code in self.retired]  # what took them in
        for operation in operations:
            codes = (*operation.units, operation.into, operation.unit, operation.parent)
            touched += [self.units[code] for code in codes if code in self.units]
        paths = [self.before[unit.code].path for unit in touched if self.before.get(unit.code)]
        paths += [unit.path for unit in touched]
        parts = [path.strip("/").split("/") for path in paths]
        common = []
        for column in zip(*parts, strict=False):
            if len(set(column)) != 1:
                break
            common.append(column[0])
        return "/" + "".join(f"{code}/" for code in common)

    # What moves with the tree --------------------------------------------------------------

    def _unit_changes(self):
        changes = []
        for unit in sorted(self.units.values(), key=lambda unit: unit.path):
            before = self.before.get(unit.code)
            parent_code = unit.parent.code if unit.parent else None
            if before is None:
                kinds = ["created"]
            elif unit.code in self.retired:
                kinds = [self.retired[unit.code]]
            else:
                kinds = []
                if before.parent_code != parent_code:
                    kinds.append("moved")
                if before.name != unit.name:
                    kinds.append("renamed")
            if kinds:
                changes.append(
                    {
                        "code": unit.code,
                        "level": unit.level,
                        "changes": kinds,
                        "name_from": before.name if before else None,
                        "name_to": unit.name,
                        "parent_from": before.parent_code if before else None,
                        "parent_to": parent_code,
                        "successor": unit.successor.code if unit.retired else None,
                    }
                )
        return changes

    def _retired_ids(self):
        return [self.units[code].id for code in self.retired]

    def _move_accounts(self):
        """Accounts of a merged unit move to the unit that carries it on, sessions and tokens
        included (they read the user's unit on every request); those of a dissolved unit are
        disabled where they are, for an administrator to place again."""
        users = self._chunked(
            lambda ids: select(User).where(User.unit_id.in_(ids)).with_for_update(key_share=True),
            self._retired_ids(),
        )
        moves = []
        for user in sorted(users, key=lambda user: user.username):
            unit = user.unit
            while unit.retired and self.retired.get(unit.code) == "merged":
                unit = unit.successor
            disabled = unit.retired  # dissolved (perhaps after a merge)
            if disabled and user.active:
                user.active = False
                accounts.end_sessions(self.session, user)
            moves.append(
                {
                    "username": user.username,
                    "full_name": user.full_name,
                    "role": user.role,
                    "unit_from": user.unit.code,
                    "unit_to": unit.code,
                    "change": "disabled" if disabled else "moved",
                }
            )
            user.unit = unit
        return moves

    def _move_campaigns(self):
        campaigns = self._chunked(
            lambda ids: (
                select(Campaign).where(Campaign.unit_id.in_(ids)).with_for_update(key_share=True)
            ),
            self._retired_ids(),
        )
        moves = []
        for campaign in sorted(campaigns, key=lambda campaign: campaign.id):
            heir = self._heir(campaign.unit)
            moves.append(
                {
                    "id": campaign.id,
                    "name": campaign.name,
                    "unit_from": campaign.unit.code,
                    "unit_to": heir.code,
                }
            )
            campaign.unit = heir  # its deadlines stay as they are
        return moves

    def _move_nominations(self, record):
        """Move what is in flight in the cells whose place changed; history and notices for
        each nomination that now waits elsewhere, resubmits elsewhere or changed cell."""
        moved_cells = [
            unit.id
            for code, unit in self.units.items()
            if self.before.get(code) is not None and unit.path != self.before[code].path
        ]
        retired_cells = {self.units[code].id for code in self.retired}
        # A draft waits nowhere: it moves only with a cell that was merged.
        nominations = self._chunked(
            lambda ids: (
                select(Nomination)
                .where(
                    Nomination.cell_id.in_(ids),
                    Nomination.state.not_in(TERMINAL_STATES),
                    (Nomination.state != "draft") | Nomination.cell_id.in_(retired_cells),
                )
                .with_for_update(key_share=True)
            ),
            moved_cells,
        )
        moved = []
        for nomination in sorted(nominations, key=lambda nomination: nomination.id):
            entry = self._move_nomination(nomination, record)
            if entry is not None:
                moved.append((nomination, entry))
        self.session.flush()  # the entries' ids name the notices
        self.session.add_all(reorganised_rows(self.session, moved))
        report = []
        for nomination, entry in moved:
            codes = {
                key: value["code"] if isinstance(value, dict) else value
                for key, value in entry.details.items()
                if key != "reorganisation_id"
            }
            report.append({"id": nomination.id, "nominee_name": nomination.nominee_name, **codes})
        return report

    def _chain(self, cell):
        """The cell's reviewing units on its new path, nearest first (as routing reads them)."""
        if cell.code not in self.chains:
            self.chains[cell.code] = sorted(
                (unit for unit in self._ancestors(cell) if unit.level in REVIEW_LEVELS),
                key=lambda unit: rank(unit.level),
            )
        return self.chains[cell.code]

    def _move_nomination(self, nomination, record):
        cell = self._heir(nomination.cell)
        chain = self._chain(cell)
        # (before, after) of the cell, and of the unit it waits at or resubmits to.
        moves = {"cell": (nomination.cell, cell), "pending": (None, None)}
        moves["returned_by"] = (None, None)
        nomination.cell = cell
        from_state = nomination.state
        if nomination.pending_unit is not None:
            waits = self._place(nomination.pending_unit, chain)
            moves["pending"] = (nomination.pending_unit, waits)
            if waits is not nomination.pending_unit:
                nomination.pending_unit = waits  # pending_since stays: the wait goes on
                nomination.state = REVIEW_STATE[waits.level]
        elif nomination.state == "returned" and nomination.returned_by_unit is not None:
            returns = self._place(nomination.returned_by_unit, chain)
            moves["returned_by"] = (nomination.returned_by_unit, returns)
            nomination.returned_by_unit = returns
        if all(old is new for old, new in moves.values()):
            return None
        details = {"reorganisation_id": record.id, "state_from": from_state}
        details["state_to"] = nomination.state
        for name, (old, new) in moves.items():
            details[f"{name}_from"] = self._as_was(old) if old else None
            details[f"{name}_to"] = _unit_json(new) if new else None
        entry = HistoryEntry(
            nomination=nomination,
            action=ACTION,
            from_state=from_state,
            to_state=nomination.state,
            actor_id=self.actor.id,
            actor_unit=self.actor.unit if self.actor.id is not None else None,
            comment=self.reason,
            details=details,
        )
        self.session.add(entry)
        return entry

    def _as_was(self, unit):
        before = self.before.get(unit.code)
        return _unit_json(unit, name=before.name if before else None)

    def _place(self, unit, chain):
        """Where work waiting at (or returned by) `unit` goes: the unit that carries it on if
        that lies on the cell's path, else the nearest reviewing unit at or above its level."""
        heir = self._heir(unit)
        if heir in chain:
            return heir
        above = [candidate for candidate in chain if rank(candidate.level) >= rank(unit.level)]
        if above:
            return above[0]
        if chain:
            return chain[-1]
        raise Invalid("operations", "a nomination would have no unit to review it")

    def _chunked(self, query_for, ids):
        found = []
        for start in range(0, len(ids), CHUNK):
            found += self.session.scalars(query_for(ids[start : start + CHUNK])).all()
        return found

    def _names(self, report):
        """The name of every unit the report names by code, for people reading it."""
        codes = set()
        for change in report["units"]:
            codes.update(filter(None, (change["code"], change["parent_from"], change["parent_to"])))
            codes.update(filter(None, (change["successor"],)))
        for item in (*report["accounts"], *report["campaigns"]):
            codes.update((item["unit_from"], item["unit_to"]))
        for item in report["nominations"]:
            codes.update(code for key, code in item.items() if key.endswith(("_from", "_to")))
        codes.discard(None)
        return {code: self.units[code].name for code in sorted(codes) if code in self.units}


# The CSV form ------------------------------------------------------------------------------


class ReorganisationRow(Row):
    """A row of reorganisation.csv: what becomes of the unit `old_code`."""

    old_code: Text(40)
    new_code: Text(40)
    name: Text(200, min_length=0) = ""
    parent_code: Text(40, min_length=0) = ""

    @field_validator("new_code", "parent_code")
    @classmethod
    def _code(cls, value):
        if value and not re.match(CODE_PATTERN, value):
            raise ValueError("may hold only letters, digits, '.', '_' and '-'")
        return value


@dataclass
class CsvPlan:
    """The operations a CSV file asks for, and for each the line and column of its fields."""

    operations: list = field(default_factory=list)
    sources: list = field(default_factory=list)  # per operation: key → (line, column)

    def add(self, operation, sources):
        self.operations.append(operation)
        self.sources.append(sources)

    def locate(self, error):
        """The ImportError_ for a domain error of `reorganise`, at the line that caused it."""
        index = getattr(error, "index", None)
        if index is None:
            first = self.sources[0]["*"][0] if self.sources else 1
            return ImportError_(first, None, getattr(error, "message", str(error)))
        sources = self.sources[index]
        line, column = sources.get(error.key) or sources["*"]
        return ImportError_(line, column, error.message)


def operations_from_csv(session, actor, text, errors=None):
    """The operations of a reorganisation.csv text (`old_code,new_code[,name][,parent_code]`).

    Each row says what becomes of the unit `old_code`:
    - several rows with one `new_code` merge their units into it (an existing unit of the same
      level, or a new one, named by `name`, placed under `parent_code` or else under the
      nearest unit above them all);
    - `new_code` the unit's parent dissolves it (its units move to the parent);
    - `new_code` the same code keeps the unit: a `name` renames it, a `parent_code` moves it.
    Merges come first, then dissolutions, moves and renames. ImportError_ on the first bad
    row, or with an `errors` list, every bad row found there (and None).
    """
    rows = list(read_rows(text, ReorganisationRow, errors))
    problems = [] if errors is None else errors
    if errors:
        return None
    units = _units_named(session, rows)
    seen, dissolved, merges, keeps = {}, [], defaultdict(list), []
    for line, row in rows:
        unit = units.get(row.old_code)
        if row.old_code in seen:
            _problem(problems, line, "old_code", f"duplicate of line {seen[row.old_code]}")
            continue
        seen[row.old_code] = line
        if unit is None or not policy.can_see_unit(actor, unit):
            _problem(problems, line, "old_code", f"no unit with code {row.old_code!r}")
        elif unit.retired:
            _problem(problems, line, "old_code", RETIRED_UNIT)
        elif row.new_code == _parent_code(unit):
            for column in ("name", "parent_code"):
                if getattr(row, column):
                    _problem(problems, line, column, "must be empty when a unit is dissolved")
            dissolved.append((line, row))
        elif row.new_code != row.old_code:
            merges[row.new_code].append((line, row))
        else:
            keeps.append((line, row))
    plan = CsvPlan()
    for line, row in keeps:
        if row.old_code in merges:  # the unit others merge into: its name and parent count
            merges[row.old_code].append((line, row))
    for line, row in (*dissolved, *(item for group in merges.values() for item in group)):
        if row.old_code in merges and row.new_code != row.old_code:
            message = f"units merge into it on line {merges[row.old_code][0][0]}"
            _problem(problems, line, "old_code", message)
    for new_code, group in merges.items():
        _plan_merge(plan, problems, new_code, group)
    for line, row in dissolved:
        plan.add(
            Operation("dissolve", unit=row.old_code),
            {"unit": (line, "old_code"), "*": (line, None)},
        )
    for line, row in keeps:
        if row.old_code in merges:
            continue
        where = {"unit": (line, "old_code"), "*": (line, None)}
        if row.parent_code and row.parent_code != _parent_code(units[row.old_code]):
            plan.add(
                Operation("move", unit=row.old_code, parent=row.parent_code),
                {**where, "parent": (line, "parent_code")},
            )
        if row.name:
            plan.add(
                Operation("rename", unit=row.old_code, name=row.name),
                {**where, "name": (line, "name")},
            )
    if problems and errors is None:
        raise problems[0]
    return None if problems else plan


def _units_named(session, rows):
    codes = sorted({row.old_code for _, row in rows})
    found = {}
    for start in range(0, len(codes), CHUNK):
        chunk = codes[start : start + CHUNK]
        found.update(
            (unit.code, unit) for unit in session.scalars(select(Unit).where(Unit.code.in_(chunk)))
        )
    return found


def _parent_code(unit):
    codes = unit.path.strip("/").split("/")
    return codes[-2] if len(codes) > 1 else None


def _problem(problems, line, column, message):
    problems.append(ImportError_(line, column, message))


def _plan_merge(plan, problems, new_code, group):
    group = sorted(group)
    first = group[0][0]
    sources = {"into": (first, "new_code"), "*": (first, None)}
    sources.update(name=(first, "name"), parent=(first, "parent_code"))  # unless a row gives them
    chosen = {}
    for column, key in (("name", "name"), ("parent_code", "parent")):
        for line, row in group:
            value = getattr(row, column)
            if not value:
                continue
            if key in chosen and chosen[key][1] != value:
                _problem(problems, line, column, f"differs from line {chosen[key][0]}")
            elif key not in chosen:
                chosen[key] = (line, value)
                sources[key] = (line, column)
    for position, (line, _row) in enumerate(group):
        sources[f"units.{position}"] = (line, "old_code")
    operation = Operation(
        "merge",
        units=tuple(row.old_code for _, row in group),
        into=new_code,
        name=chosen.get("name", (None, None))[1],
        parent=chosen.get("parent", (None, None))[1],
    )
    plan.add(operation, sources)


def preview_csv(session, actor, text, *, reason):
    """A dry run of a reorganisation.csv: (every error found, the report or None)."""
    errors = []
    try:
        plan = operations_from_csv(session, actor, text, errors)
    except ImportError_ as error:
        errors.append(error)
    if errors:
        return errors, None
    try:
        return [], reorganise(session, actor, plan.operations, reason=reason, dry_run=True)
    except DomainError as error:
        return [_at_line(plan, error)], None


def apply_csv(session, actor, text, *, reason):
    """Apply a reorganisation.csv as `actor`: the report, or ImportError_ having written
    nothing."""
    plan = operations_from_csv(session, actor, text)
    try:
        return reorganise(session, actor, plan.operations, reason=reason, dry_run=False)
    except DomainError as error:
        raise _at_line(plan, error) from None


def _at_line(plan, error):
    """An error of the operations as the line that caused it; any other (the reason, the
    right to reorganise at all, a conflict) is raised as it is."""
    if getattr(error, "index", None) is None and getattr(error, "field", None) != "operations":
        raise error
    return plan.locate(error)
