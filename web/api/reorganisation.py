"""API views of reorganisations: preview or apply one, and read those applied."""

from typing import Literal

from pydantic import Field, StrictBool, ValidationError

from web.api import bp
from web.api.requests import body_of, require_actor
from web.api.schemas import Body
from web.database import db
from workflow import reorganisation
from workflow.errors import Invalid, NotFound
from workflow.fields import Text, problems_from
from workflow.models import Reorganisation
from workflow.policy import can_see_reorganisation

MAX_OPERATIONS = 10_000  # a province's whole 2025 table is a few thousand rows
Code = Text(40)


class MergeOperation(Body):
    op: Literal["merge"]
    units: list[Code] = Field(min_length=1, max_length=MAX_OPERATIONS)
    into: Code
    name: Text(200) | None = None
    parent: Code | None = None


class DissolveOperation(Body):
    op: Literal["dissolve"]
    unit: Code


class MoveOperation(Body):
    op: Literal["move"]
    unit: Code
    parent: Code


class RenameOperation(Body):
    op: Literal["rename"]
    unit: Code
    name: Text(200)


SCHEMAS = {
    "merge": MergeOperation,
    "dissolve": DissolveOperation,
    "move": MoveOperation,
    "rename": RenameOperation,
}


class ReorganisationRequest(Body):
    reason: Text(1000)
    dry_run: StrictBool
    # Each is checked against the schema its "op" names, so errors read operations.<n>.<field>.
    operations: list[dict] = Field(min_length=1, max_length=MAX_OPERATIONS)


def _operations(items):
    """The operations of the body, or Invalid naming every bad field."""
    operations, problems = [], []
    for index, item in enumerate(items):
        op = item.get("op")
        schema = SCHEMAS.get(op) if isinstance(op, str) else None
        if schema is None:
            problems.append(
                (f"operations.{index}.op", "must be one of merge, dissolve, move, rename")
            )
            continue
        try:
            fields = schema.model_validate(item)
        except ValidationError as error:
            problems += [(f"operations.{index}.{f}", m) for f, m in problems_from(error)]
            continue
        values = fields.model_dump(exclude_none=True)
        values["units"] = tuple(values.get("units", ()))
        operations.append(reorganisation.Operation(**values))
    if problems:
        raise Invalid(*problems[0], problems=problems)
    return operations


@bp.post("/reorganisations")
def reorganise():
    actor, fields = body_of(ReorganisationRequest)
    operations = _operations(fields.operations)
    report = reorganisation.reorganise(
        db.session, actor, operations, reason=fields.reason, dry_run=fields.dry_run
    )
    if fields.dry_run:
        db.session.rollback()
        return report, 200
    db.session.commit()  # the after-commit hand-off sends the notices
    return report, 201


@bp.get("/reorganisations/<int:reorganisation_id>")
def get_reorganisation(reorganisation_id):
    actor = require_actor()
    found = db.session.get(Reorganisation, reorganisation_id)
    if found is None or not can_see_reorganisation(actor, found):
        raise NotFound(f"reorganisation {reorganisation_id} not found")
    return {
        **found.report,
        "dry_run": False,
        "applied_at": found.applied_at.isoformat(),
        "actor": found.actor.username if found.actor else None,
    }
