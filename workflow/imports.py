"""CSV imports of units and users: validate every row first, then write all or nothing.

Every import acts for someone: an administrator writes only inside their own subtree (the
unit, its parent, and an existing account's current unit must all lie there), and the
operator at the server's shell (`policy.OPERATOR`) writes anywhere.
"""

import csv
import io
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError, ValidationInfo, field_validator
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from workflow import policy, routing
from workflow.accounts import assign, check_password, password_problem, replace_password
from workflow.errors import RETIRED_UNIT, Forbidden
from workflow.fields import Email, Text, problems_from
from workflow.levels import UNIT_LEVELS, rank
from workflow.models import ROLES, Committee, CommitteeMember, Unit, User

CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
REVIEWING_LEVELS_FOR_ROLE = {
    "secretary": ("cell",),
    "reviewer": ("commune", "district", "province"),
    "admin": UNIT_LEVELS,
}


def wrong_level(role):
    """The message for an account of `role` in a unit of a level it cannot belong to."""
    return f"a {role} must belong to a {', '.join(REVIEWING_LEVELS_FOR_ROLE[role])} unit"


class ImportError_(Exception):
    """A row is bad; nothing was written. `line` is the file's line, `column` a header name."""

    def __init__(self, line, column, message):
        where = f"line {line}" + (f", column {column}" if column else "")
        super().__init__(f"{where}: {message}")
        self.line, self.column, self.message = line, column, message


class Row(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class UnitRow(Row):
    code: Text(40)
    name: Text(200)
    level: Literal[UNIT_LEVELS]
    parent_code: Text(40, min_length=0)

    @field_validator("code", "parent_code")
    @classmethod
    def _code(cls, value):
        if value and not re.match(CODE_PATTERN, value):
            raise ValueError("may hold only letters, digits, '.', '_' and '-'")
        return value


class UserRow(Row):
    username: Text(60)
    full_name: Text(200)
    email: Email
    role: Literal[ROLES]
    unit_code: Text(40)
    password: Text(200, min_length=0, secret=True)
    # The units whose committee the account sits on, ";"-separated (in practice its own unit).
    committee: Text(1000, min_length=0) = ""

    @field_validator("password")
    @classmethod
    def _password(cls, value, info: ValidationInfo):
        problem = value and password_problem(value, username=info.data.get("username"))
        if problem:
            raise ValueError(problem)
        return value


def read_rows(text, schema, errors=None):
    """(line, validated row) for each data row; ImportError_ on the first bad one.

    With an `errors` list, a bad row is appended there and skipped instead, so that a preview
    can name every bad line; a bad header row still raises.
    """
    if text.startswith("\ufeff"):
        text = text[1:]
    reader = csv.DictReader(io.StringIO(text, newline=""), strict=True)
    expected = list(schema.model_fields)
    try:
        header = reader.fieldnames or []
    except csv.Error as error:
        raise ImportError_(1, None, f"not a CSV file ({error})") from None
    # A column with a default may be left out: files written before it existed keep working.
    required = [name for name, field in schema.model_fields.items() if field.is_required()]
    missing = [name for name in required if name not in header]
    if missing:
        raise ImportError_(1, missing[0], "column missing from the header row")
    unknown = [name for name in header if name not in expected]
    if unknown:
        raise ImportError_(1, unknown[0], "unknown column in the header row")
    line = 1
    try:
        for record in reader:
            line_of_row = line + 1
            line = reader.line_num
            if None in record or any(value is None for value in record.values()):
                _fail(errors, ImportError_(line_of_row, None, "wrong number of fields"))
                continue
            try:
                yield line_of_row, schema.model_validate(record)
            except ValidationError as error:
                for column, message in problems_from(error):
                    _fail(errors, ImportError_(line_of_row, column, message))
    except csv.Error as error:
        raise ImportError_(reader.line_num, None, f"malformed CSV ({error})") from None


def _fail(errors, error):
    if errors is None:
        raise error
    errors.append(error)


def preview(session, actor, kind, text):
    """A dry run: (every error found, (created, updated) or None); nothing is written.

    Every row is checked on its own first; when all pass, the whole import runs inside a
    savepoint that is rolled back, which finds the errors that involve several rows.
    """
    _require_importer(actor)
    schema, function = IMPORTS[kind]
    errors = []
    try:
        list(read_rows(text, schema, errors))
    except ImportError_ as error:
        errors.append(error)
    if errors:
        return errors, None
    savepoint = session.begin_nested()
    try:
        counts = function(session, actor, text, dry_run=True)
    except ImportError_ as error:
        errors.append(error)
        counts = None
    finally:
        savepoint.rollback()
    return errors, counts


def _require_importer(actor):
    if not policy.can_administer(actor, actor.unit):
        raise Forbidden("only an administrator may import")


def _outside(actor, unit):
    """Does `unit`, stored before this import, lie outside what the actor administers?"""
    return unit.id is not None and not policy.can_administer(actor, unit)


def import_units(session, actor, text, *, dry_run=False):
    """Create or update units from units.csv text as `actor`; returns (created, updated)."""
    _require_importer(actor)
    rows = list(read_rows(text, UnitRow))
    units = {unit.code: unit for unit in session.scalars(select(Unit))}
    stored_paths = {unit.id: unit.path for unit in units.values()}
    seen, moved = {}, set()
    created = updated = 0
    for line, row in rows:
        if row.code in seen:
            raise ImportError_(line, "code", f"duplicate of line {seen[row.code]}")
        seen[row.code] = line
        if (row.level == "province") != (not row.parent_code):
            message = "must be empty for a province and only for a province"
            raise ImportError_(line, "parent_code", message)
        unit = units.get(row.code)
        if unit is not None and _outside(actor, unit):
            raise ImportError_(line, "code", f"the code {row.code} is taken by another unit")
        if unit is not None and unit.retired:
            raise ImportError_(line, "code", RETIRED_UNIT)
        if unit is None:
            unit = Unit(code=row.code, path="")
            units[row.code] = unit
            created += 1
        elif _parent_code(unit) != (row.parent_code or None):
            moved.add(row.code)
            updated += 1
        elif (unit.name, unit.level) != (row.name, row.level):
            updated += 1
        unit.name, unit.level = row.name, row.level
    for line, row in rows:
        unit = units[row.code]
        parent = units.get(row.parent_code) if row.parent_code else None
        if row.parent_code and (parent is None or _outside(actor, parent)):
            # Outside the importer's subtree reads as absent, as everywhere else.
            raise ImportError_(line, "parent_code", f"no unit with code {row.parent_code!r}")
        if parent is not None and parent.retired:
            raise ImportError_(line, "parent_code", RETIRED_UNIT)
        becomes_root = parent is None and (unit.id is None or unit.parent is not None)
        if becomes_root and not policy.can_add_province(actor):
            raise ImportError_(line, "parent_code", "only the operator adds a province")
        unit.parent = parent
    recompute_paths(units.values(), seen)
    for unit in units.values():
        if unit.parent is not None and rank(unit.level) >= rank(unit.parent.level):
            line = seen.get(unit.code) or seen.get(unit.parent.code)
            column = "level" if unit.code in seen else "parent_code"
            raise ImportError_(
                line, column, f"a {unit.level} cannot sit under a {unit.parent.level}"
            )
        if unit.id is None:
            session.add(unit)
    _refuse_stranding(session, units, stored_paths, moved, seen)
    session.flush()
    return created, updated


def _refuse_stranding(session, units, stored_paths, moved, lines):
    """A new parent must not take cells away from the unit their nominations wait at."""
    new_paths = {
        unit.id: unit.path
        for unit in units.values()
        if unit.id is not None and unit.path != stored_paths[unit.id]
    }
    stranded = routing.stranded_reviews(session, new_paths)
    if not stranded:
        return
    # The row to blame: the highest unit above the cell whose parent this file changes.
    codes = stranded[0].cell_path.strip("/").split("/")
    code = next((code for code in codes if code in moved), codes[-1])
    message = routing.stranded_message(stranded, code)
    raise ImportError_(lines.get(code, 1), "parent_code", message)


def _parent_code(unit):
    return unit.parent.code if unit.parent is not None else None


def recompute_paths(units, lines):
    """Set every unit's materialised path from its parents, refusing cycles: the one way a
    change of the tree rewrites paths (imports, reorganisations); `lines` names a unit's line."""
    for unit in units:
        codes, cursor = [], unit
        while cursor is not None:
            if cursor.code in codes:
                raise ImportError_(lines.get(unit.code, 0), "parent_code", "the tree has a cycle")
            codes.append(cursor.code)
            cursor = cursor.parent
        path = "/" + "/".join(reversed(codes)) + "/"
        if unit.path != path:
            unit.path = path


def _committee_codes(row):
    return list(dict.fromkeys(code.strip() for code in row.committee.split(";") if code.strip()))


def import_users(session, actor, text, *, dry_run=False):
    """Create or update users from users.csv text as `actor`; returns (created, updated).

    With a `committee` column, each account's committee seats become exactly the units it
    names (empty: none); without it, seats are left as they are.

    A dry run (inside a savepoint the caller rolls back) hashes no password: argon2 is slow on
    purpose, and the import proper will hash each one once. A password given for an existing
    account then counts as a change.
    """
    _require_importer(actor)
    rows = list(read_rows(text, UserRow))
    seats = _header_has(text, "committee")
    codes = {row.unit_code for _, row in rows}
    codes |= {code for _, row in rows for code in _committee_codes(row)}
    units = {unit.code: unit for unit in session.scalars(select(Unit).where(Unit.code.in_(codes)))}
    names = {row.username for _, row in rows}
    users = {
        user.username: user
        for user in session.scalars(
            select(User).where(User.username.in_(names)).options(joinedload(User.unit))
        )
    }
    seen = {}
    for line, row in rows:
        if row.username in seen:
            raise ImportError_(line, "username", f"duplicate of line {seen[row.username]}")
        seen[row.username] = line
        unit = units.get(row.unit_code)
        if unit is None or _outside(actor, unit):
            raise ImportError_(line, "unit_code", f"no unit with code {row.unit_code!r}")
        if unit.retired:
            raise ImportError_(line, "unit_code", RETIRED_UNIT)
        user = users.get(row.username)
        if user is not None and _outside(actor, user.unit):
            raise ImportError_(line, "username", f"the username {row.username} is taken")
        if user is not None and user.id == actor.id:
            if user.role != row.role:
                raise ImportError_(line, "role", "an import cannot change the importer's role")
            if user.unit_id != unit.id:
                raise ImportError_(line, "unit_code", "an import cannot move the importer")
        if unit.level not in REVIEWING_LEVELS_FOR_ROLE[row.role]:
            raise ImportError_(line, "unit_code", wrong_level(row.role))
        for code in _committee_codes(row):
            seat = units.get(code)
            if seat is None or _outside(actor, seat):
                raise ImportError_(line, "committee", f"no unit with code {code!r}")
            if code != row.unit_code:
                message = "a committee seat is in the account's own unit"
                raise ImportError_(line, "committee", message)
            if user is not None and not user.active:
                raise ImportError_(line, "committee", "a disabled account has no committee seat")
    committees = _committees(session, rows, units, users) if seats else {}
    created, updated = 0, set()
    for _, row in rows:
        unit = units[row.unit_code]
        user = users.get(row.username)
        new_password = bool(row.password) and (dry_run or not check_password(user, row.password))
        if user is None:
            user = User(username=row.username, language="vi", active=True, needs_password=True)
            session.add(user)
            users[row.username] = user
            created += 1
        elif new_password or (user.role, user.unit_id, user.full_name, user.email) != (
            row.role,
            unit.id,
            row.full_name,
            row.email,
        ):
            updated.add(row.username)
        user.full_name, user.email = row.full_name, row.email
        assign(session, user, role=row.role, unit=unit)
        if new_password and not dry_run:
            replace_password(session, user, row.password)
    if seats:
        updated |= _seat_members(rows, units, users, committees)
    session.flush()
    return created, len(updated)


def _header_has(text, column):
    first = text.removeprefix("\ufeff").splitlines()[0] if text.strip() else ""
    return column in next(csv.reader([first]), [])


def _committees(session, rows, units, users):
    """The committees a users.csv with a committee column touches: those it names and those
    its accounts sit on now, with their members; each named one must exist (it has a size)."""
    known = [user.id for user in users.values()]
    sitting = set(
        session.scalars(select(CommitteeMember.unit_id).where(CommitteeMember.user_id.in_(known)))
    )
    named = {units[code].id: (line, code) for line, row in rows for code in _committee_codes(row)}
    found = {
        committee.unit_id: committee
        for committee in session.scalars(
            select(Committee)
            .where(Committee.unit_id.in_(sitting | set(named)))
            .options(joinedload(Committee.members))
        ).unique()
    }
    for unit_id, (line, code) in named.items():
        if unit_id not in found:
            raise ImportError_(
                line, "committee", f"{code} has no committee yet: an administrator sets it up"
            )
    return found


def _seat_members(rows, units, users, committees):
    """Make each account's seats those its row names; the usernames of existing accounts whose
    seats changed. Refuses a committee left with more accounts than its size."""
    changed = set()
    last_line = {}
    for line, row in rows:
        user = users.get(row.username)
        wanted = {units[code].id for code in _committee_codes(row)}
        moved = False
        for unit_id, committee in committees.items():
            seated = [member for member in committee.members if member.user is user]
            if unit_id in wanted and not seated:
                committee.members.append(CommitteeMember(user=user))
                last_line[unit_id] = line
                moved = True
            elif unit_id not in wanted and seated:
                for member in seated:
                    committee.members.remove(member)
                moved = True
        if moved and user.id is not None:
            changed.add(row.username)
    for unit_id, line in last_line.items():
        committee = committees[unit_id]
        if len(committee.members) > committee.size:
            raise ImportError_(
                line,
                "committee",
                f"more members with accounts than the committee's size ({committee.size})",
            )
    return changed


IMPORTS = {"units": (UnitRow, import_units), "users": (UserRow, import_users)}
