"""The register of recognitions (sổ vàng): its entries, its search, and a nominee's past.

Every recognition writes one entry (services.perform, in the action's transaction). A nominee is
"the same" as an entry or another nomination when the names fold alike (fields.fold: no
diacritics, no case), the kinds agree, the birth years agree where both are known, and the unit
lineage agrees: both cells sit, in today's tree, under the same nearest unit that is not a cell
(their commune, or the district for a cell directly under it). A merged cell hangs below the cell
that carries it on, so a recognition from before a merger still matches. Matches are warnings,
never a block, and only what the person may see is shown.
"""

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from workflow import policy
from workflow.fields import fold
from workflow.lists import number_label
from workflow.models import CommendationList, Nomination, Recognition, Unit
from workflow.queries import _like  # the nominations' search pattern: LIKE '%…%', escaped

EXPORT_MAX = 100_000  # rows in one XLSX export; narrow the search for more


def entry_for(nomination, chain, *, on):
    """The register row of `nomination`, just recognised (its recognised level and unit are
    set): the cell and its reviewing units `chain` (nearest first) named as they are today."""
    return {
        "nomination_id": nomination.id,
        "campaign_id": nomination.campaign_id,
        "year": nomination.campaign.year,
        "kind": nomination.kind,
        "nominee_name": nomination.nominee_name,
        "name_folded": fold(nomination.nominee_name),
        "birth_year": nomination.nominee_birth_year,
        "cell_id": nomination.cell_id,
        "unit_names": [nomination.cell.name, *(unit.name for unit in chain)],
        "level": nomination.recognized_level,
        "recognized_unit_id": nomination.recognized_unit_id,
        "recognized_on": on,
        "list_id": None,
    }


def search_conditions(actor, *, scope=None, q=None, year=None):
    """Filters on `Recognition` rows in the actor's subtree (or `scope`'s, already checked to be
    inside it): `q` a part of the name, matched without diacritics or case; `year` the
    campaign's year."""
    cells = select(Unit.id).where(policy.subtree(scope or actor.unit))
    conditions = [Recognition.cell_id.in_(cells)]
    if q and fold(q):
        conditions.append(Recognition.name_folded.like(_like(fold(q)), escape="\\"))
    if year is not None:
        conditions.append(Recognition.year == year)
    return conditions


ORDER = (Recognition.recognized_on.desc(), Recognition.id.desc())


def page_of(session, conditions, *, page, per_page):
    """(total, entries) of one page of the register, newest first, with their lists."""
    total = session.scalar(select(func.count()).select_from(Recognition).where(*conditions))
    entries = session.scalars(
        select(Recognition)
        .where(*conditions)
        .options(_with_list())
        .order_by(*ORDER)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return total, entries


def every_entry(session, conditions, *, limit=EXPORT_MAX):
    """The matching entries, newest first, read in batches (for the export)."""
    return session.scalars(
        select(Recognition)
        .where(*conditions)
        .options(_with_list())
        .order_by(*ORDER)
        .limit(limit)
        .execution_options(yield_per=1000)
    )


def _with_list():
    return joinedload(Recognition.commendation_list).load_only(
        CommendationList.number, CommendationList.level
    )


def list_number(entry):
    """ "01-DS/HU", the number of the latest list that carries the entry; None before one."""
    return number_label(entry.commendation_list) if entry.commendation_list else None


# A nominee's past: earlier recognitions and other nominations in the same campaign.


def _ancestor_codes(path):
    return path.strip("/").split("/")[:-1]


def _anchors(session, paths):
    """{cell path: the code of the nearest live unit above it that is not a cell}."""
    codes = {code for path in paths for code in _ancestor_codes(path)}
    units = {
        unit.code: unit
        for unit in session.execute(
            select(Unit.code, Unit.level, Unit.retired_at).where(Unit.code.in_(codes))
        )
    }
    anchors = {}
    for path in paths:
        anchors[path] = next(
            (
                code
                for code in reversed(_ancestor_codes(path))
                if code in units and units[code].level != "cell" and units[code].retired_at is None
            ),
            None,
        )
    return anchors


def _same_years(first, second):
    return first is None or second is None or first == second


def nominee_record(session, actor, nomination):
    """(earlier recognitions, other nominations of the same campaign) of the same nominee as
    `nomination`, among what `actor` may see: register entries newest first, and ids."""
    key = fold(nomination.nominee_name)
    cell_path = nomination.cell.path
    anchor = _anchors(session, [cell_path])[cell_path]
    # The anchor's subtree: its path is the cell's, cut after the anchor's code.
    around = cell_path[: cell_path.index(f"/{anchor}/") + len(anchor) + 2] if anchor else cell_path
    visible = select(Unit.id).where(
        Unit.path.startswith(around, autoescape=True), policy.subtree(actor.unit)
    )
    recognitions = session.execute(
        select(Recognition, Unit.path)
        .join(Unit, Unit.id == Recognition.cell_id)
        .where(
            Recognition.name_folded == key,
            Recognition.kind == nomination.kind,
            Recognition.nomination_id != nomination.id,
            Recognition.cell_id.in_(visible),
        )
        .options(_with_list())
        .order_by(*ORDER)
    ).all()
    others = session.execute(
        select(Nomination.id, Nomination.nominee_name, Nomination.nominee_birth_year, Unit.path)
        .join(Unit, Unit.id == Nomination.cell_id)
        .where(
            Nomination.campaign_id == nomination.campaign_id,
            Nomination.kind == nomination.kind,
            Nomination.id != nomination.id,
            Nomination.state != "withdrawn",
            Nomination.cell_id.in_(visible),
        )
        .order_by(Nomination.id)
    ).all()
    others = [row for row in others if fold(row.nominee_name) == key]
    paths = {path for _, path in recognitions} | {row.path for row in others}
    anchors = _anchors(session, paths)
    birth_year = nomination.nominee_birth_year

    def same_lineage(path):
        return anchors.get(path) == anchor if anchor else path.startswith(cell_path)

    earlier = [
        entry
        for entry, path in recognitions
        if same_lineage(path) and _same_years(entry.birth_year, birth_year)
    ]
    duplicates = [
        row.id
        for row in others
        if same_lineage(row.path) and _same_years(row.nominee_birth_year, birth_year)
    ]
    return earlier, duplicates
