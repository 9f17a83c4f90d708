"""Shared list queries over nominations: search filters and the review queue, as SQL."""

import re
import time
from collections import Counter, namedtuple
from functools import lru_cache
from types import SimpleNamespace

from sqlalchemy import (
    Enum,
    Integer,
    String,
    bindparam,
    func,
    literal,
    or_,
    select,
    text,
    type_coerce,
    union_all,
)
from sqlalchemy.orm import aliased, joinedload

from workflow import policy
from workflow.fields import fold
from workflow.models import (
    Campaign,
    HistoryEntry,
    Nomination,
    NominationCount,
    Unit,
    UnitCount,
    UnitTotal,
    UTCDateTime,
)

# The queue is served oldest first; ties broken by the last change, then by id.
QUEUE_ORDER = (Nomination.pending_since, Nomination.updated_at, Nomination.id)
# Lists are newest first, by id: a page after a cursor (`after`, the last id seen) costs what
# the first page costs, however deep (keyset pagination).
LIST_ORDER = (Nomination.id.desc(),)
# A text search counts its matches up to this many; the total then says "at least".
SEARCH_COUNT_CAP = 10_000
# A trigram in at least this share of the database's sample of search texts is common (see
# `common_trigrams`); the sample is read again after this many seconds.
COMMON_SHARE = 0.02
COMMON_SECONDS = 600
# What a page's rows carry: its cell and pending unit, and its deadline, from its campaign.
PAGE_ROW = (Nomination.cell, Nomination.pending_unit, Nomination.campaign)

# What the API's lists read of each nomination (API.md's nomination, without its record and its
# history): plain rows of these columns, then its cell's and its pending unit's UNIT_FIELDS
# (None when it waits nowhere), serialised as they come (web.api.serializers.listed_json).
# Building the ORM's objects for a page of 50 cost more than the rest of the request.
LISTED_COLUMNS = (
    Nomination.id,
    Nomination.campaign_id,
    Nomination.kind,
    Nomination.nominee_name,
    Nomination.nominee_birth_year,
    Nomination.nominee_position,
    Nomination.nominee_email,
    Nomination.nominee_gender,
    Nomination.nominee_ethnicity,
    Nomination.nominee_workplace,
    Nomination.title,
    Nomination.field,
    Nomination.summary,
    Nomination.achievements,
    Nomination.target_level,
    Nomination.state,
    Nomination.version,
    Nomination.recognized_level,
    Nomination.created_at,
    Nomination.updated_at,
)
LISTED_FIELDS = tuple(column.key for column in LISTED_COLUMNS)
UNIT_FIELDS = ("id", "code", "name", "level")
_cell, _pending = aliased(Unit), aliased(Unit)


def _as_stored(column):
    """`column` read as stored: an Enum checks each value it reads against its list, which cost
    as much as the rest of a listed row (the database's constraint checked it), and a
    UTCDateTime makes a naive time (SQLite's) UTC one at a time, which `listed_json` does for
    the page at once."""
    if isinstance(column.type, Enum):
        return type_coerce(column, String).label(None)
    if isinstance(column.type, UTCDateTime):
        return type_coerce(column, column.type.impl).label(None)
    return column


LISTED = (
    select(
        *(
            _as_stored(column)
            for column in (
                *LISTED_COLUMNS,
                *(getattr(_cell, name) for name in UNIT_FIELDS),
                *(getattr(_pending, name) for name in UNIT_FIELDS),
            )
        )
    )
    .join(_cell, _cell.id == Nomination.cell_id)
    .outerjoin(_pending, _pending.id == Nomination.pending_unit_id)
)


def _like(text):
    return f"%{policy.escape_like(text)}%"


_common = (None, frozenset())  # (when read, the trigrams)


def trigrams(text):
    """The three-letter pieces of `text`'s words (runs of letters and digits): what the trigram
    index is asked for by `LIKE '%abc%'`, one piece alone."""
    return {run[i : i + 3] for run in re.findall(r"[^\W_]+", text) for i in range(len(run) - 2)}


def common_trigrams(session):
    """The `trigrams` of many nominations' search texts ("ngu", "guy", "van"), from the sample
    PostgreSQL's ANALYZE keeps of the column (pg_stats), read again every COMMON_SECONDS.

    The index answers "which rows hold this trigram" by reading its whole list of rows: for
    "ngu" 4 in 10 of a million rows, for "424" a handful. A search asks it only for the rare
    ones (`text_conditions`). Empty on SQLite, which has no such index.
    """
    global _common
    checked, common = _common
    if session.get_bind().dialect.name != "postgresql":
        return frozenset()
    if checked is not None and time.monotonic() - checked < COMMON_SECONDS:
        return common
    sample = session.scalar(
        text(
            "SELECT coalesce(most_common_vals::text::text[], '{}')"
            " || coalesce(histogram_bounds::text::text[], '{}') FROM pg_stats"
            " WHERE schemaname = current_schema() AND tablename = 'nominations'"
            " AND attname = 'search_text'"
        )
    )
    sample = sample or []
    found = Counter(piece for value in sample for piece in trigrams(value))
    least = max(2, COMMON_SHARE * len(sample))
    common = frozenset(piece for piece, n in found.items() if n >= least)
    _common = (time.monotonic(), common)
    return common


def text_conditions(q, common=frozenset()):
    """Conditions matching `q` in the nominee's name or the title, whatever the diacritics and
    case ("nguyen thi hang" finds "Nguyễn Thị Hằng"), that the trigram index answers cheaply.

    When some of the text's `trigrams` are `common`, the index is asked for the others only,
    each as `LIKE '%abc%'`; the whole text is then checked on the rows it found, as an
    expression the index does not cover (search_text || ''). Otherwise the text is asked as it
    is (also when none is rare: a text that common finds many rows).

    The rare pieces, and the whole text checked after them, are `_unread`: one plan serves every
    such text (with a million rows, planning each search anew cost 0.35 ms of its 0.85 ms). A
    text asked as it is keeps its value visible: how many rows it finds decides the plan.
    """
    folded = fold(q)
    whole = Nomination.search_text.like(_like(folded), escape="\\")
    pieces = trigrams(folded)
    rare = sorted(pieces - common)
    if not rare or len(rare) == len(pieces):
        return [whole]
    return [
        *(Nomination.search_text.like(_unread(_like(piece)), escape="\\") for piece in rare),
        Nomination.search_text.concat("").like(_unread(_like(folded)), escape="\\"),
    ]


def _unread(value):
    """`value` as `(SELECT value)`, which PostgreSQL's planner does not look into: it plans the
    statement as it would for any value, so that a statement prepared once is planned once
    (given a value it can read, the planner plans anew each time a plan for that value looks
    cheaper, which for a pattern of the trigram index it always does)."""
    return select(literal(value)).scalar_subquery()


def search_conditions(
    actor,
    *,
    scope=None,
    state=None,
    campaign_id=None,
    q=None,
    kind=None,
    level=None,
    cell_q=None,
    common_trigrams=frozenset(),
):
    """Filters on `Nomination` rows the actor may see, narrowed by the given criteria.

    `q` matches the nominee's name or the title (`text_conditions`, told the `common_trigrams`),
    `cell_q` the cell's name or code, `level` the recognised level of commended nominations or,
    failing that, the target level.
    """
    conditions = [policy.visible_nominations(actor, within=scope)]
    if state:
        conditions.append(Nomination.state == state)
    if campaign_id is not None:
        conditions.append(Nomination.campaign_id == campaign_id)
    if kind:
        conditions.append(Nomination.kind == kind)
    if level:
        conditions.append(
            or_(
                Nomination.recognized_level == level,
                (Nomination.recognized_level.is_(None)) & (Nomination.target_level == level),
            )
        )
    if q:
        conditions.extend(text_conditions(q, common_trigrams))
    if cell_q:
        pattern = _like(cell_q)
        cells = select(Unit.id).where(
            Unit.name.ilike(pattern, escape="\\") | Unit.code.ilike(pattern, escape="\\")
        )
        conditions.append(Nomination.cell_id.in_(cells))
    return conditions


def queue_conditions(actor, rows=Nomination):
    """What waits for the actor: pending at a reviewer's unit, or returned to a secretary;
    never anything the actor could not open. On the nominations, or on their counts
    (`NominationCount`, whose rows have the same columns)."""
    unit = policy.written(actor.unit_id)
    if actor.role == "reviewer":
        waiting = [rows.pending_unit_id == unit]
    elif actor.role == "secretary":
        waiting = [rows.cell_id == unit, rows.state == "returned"]
    else:
        return [False]
    return [policy.visible_nominations(actor, rows=rows), *waiting]


def queue_count(actor):
    """The statement of how many `queue_conditions` finds, summed from the counts the database
    keeps by cell and pending unit: a row per cell, however many wait."""
    counts = NominationCount
    conditions = queue_conditions(actor, rows=counts)
    return select(func.coalesce(func.sum(counts.n), 0)).where(*conditions)


def queue_total(session, actor):
    return session.scalar(queue_count(actor))


def visible_campaigns(session, actor):
    """The campaigns the actor may see (their subtree's and those of the units above),
    newest year first, with their units loaded."""
    return session.scalars(
        select(Campaign)
        .where(policy.visible_campaigns(actor))
        .options(joinedload(Campaign.unit))
        .order_by(Campaign.year.desc(), Campaign.id.desc())
    ).all()


def search_page(
    session, actor, *, page=1, per_page, after=None, load=PAGE_ROW, scope=None, q=None, **filters
):
    """(total, whether it is a lower bound, items) of one page of a search (`search_conditions`'
    filters), newest first: keyset from `after`, else by page; each item with `load` loaded.
    The total is summed from the counts along with the page; a text's matches are counted along
    with it too when the text has a rare trigram, else apart (`search_total`) when the page does
    not tell how many."""
    counted = {"capped": False}
    count = None
    if q:
        filters.update(q=q, common_trigrams=common_trigrams(session))

        def count():
            found, counted["capped"] = search_total(session, actor, scope=scope, **filters)
            return found

    within = scope or actor.unit
    built = _search_statement(
        _Unit(within.id, within.path),
        tuple(sorted(filters.items())),
        **_page_shape(page, per_page, after),
        load=load,
    )
    found, items = _read(session, built, page=page, per_page=per_page, after=after, count=count)
    if q and built.total is not None:
        found, counted["capped"] = _capped(found)
    return found, counted["capped"], items


def queue_page(session, actor, *, page=1, per_page, load=PAGE_ROW):
    """(total, items) of one page of what waits for the actor (`queue_conditions`), oldest
    first, with its total summed from the counts (`queue_count`)."""
    unit = _Unit(actor.unit_id, actor.unit.path)
    built = _queue_statement(actor.role, unit, **_page_shape(page, per_page, None), load=load)
    return _read(session, built, page=page, per_page=per_page)


# A page's statement is built once for each unit, filters and page size, and kept: building it,
# and the key SQLAlchemy finds its compiled form by, cost a millisecond a request. What they are
# built from stands in for the actor and the scope: the policy's filters read only these.
_Unit = namedtuple("_Unit", "id path")
_Actor = namedtuple("_Actor", "role unit_id unit")


@lru_cache(maxsize=512)
def _search_statement(scope, filters, *, page, per_page, keyset, load):
    actor, filters = _Actor(None, scope.id, scope), dict(filters)
    conditions = search_conditions(actor, **filters)
    shape = {"page": page, "per_page": per_page, "keyset": keyset, "load": load}
    q = filters.get("q")
    if q and trigrams(fold(q)) - filters["common_trigrams"]:
        # A text with a rare trigram has few matches, which the index finds at once: they are
        # read once, then counted and paged.
        return _page_of_matches(conditions, **shape)
    # A text of common trigrams alone, or of none (words shorter than three letters), is
    # counted apart, and only when the page does not tell (its page stops at its last row; its
    # count does not).
    total = None if q else search_count(actor, **filters)
    return _page_statement(conditions, order_by=LIST_ORDER, total=total, **shape)


def _page_of_matches(conditions, *, page, per_page, keyset, load):
    """A page of the nominations meeting `conditions`, newest first, with their count (up to
    one more than SEARCH_COUNT_CAP: `_capped` tells the total and whether it is a lower bound),
    from one reading of their ids; the page's rows are then read by id. Read once for the page
    and again for the count, a rare text's matches among a million took 4.5 ms instead of 2.7."""
    matches = select(Nomination.id.label("id")).where(*conditions).cte("matches")
    newest = select(matches.c.id)
    if keyset:
        newest = newest.where(matches.c.id < _AFTER)
    newest = newest.order_by(matches.c.id.desc()).limit(policy.written(per_page))
    if page > 1:
        newest = newest.offset(policy.written((page - 1) * per_page))
    counted = select(literal(1)).select_from(matches).limit(SEARCH_COUNT_CAP + 1).subquery()
    return _page_statement(
        [Nomination.id.in_(newest)],
        order_by=LIST_ORDER,
        page=1,
        per_page=per_page,
        keyset=False,
        total=select(func.count()).select_from(counted),
        load=load,
    )


@lru_cache(maxsize=512)
def _queue_statement(role, unit, *, page, per_page, keyset, load):
    actor = _Actor(role, unit.id, unit)
    return _page_statement(
        queue_conditions(actor),
        order_by=QUEUE_ORDER,
        page=page,
        per_page=per_page,
        keyset=keyset,
        total=queue_count(actor),
        load=load,
    )


def search_total(session, actor, *, scope=None, q=None, **filters):
    """(how many nominations match, whether that is only a lower bound), without counting a
    province's million rows: from the counts the database keeps (`search_count`) unless a text
    is searched, whose matches are counted up to SEARCH_COUNT_CAP."""
    if q:
        if "common_trigrams" not in filters:
            filters["common_trigrams"] = common_trigrams(session)
        conditions = search_conditions(actor, scope=scope, q=q, **filters)
        return _capped(session.scalar(matches_count(conditions)))
    return session.scalar(search_count(actor, scope=scope, **filters)), False


def matches_count(conditions):
    """The statement of how many nominations meet `conditions`, counted up to one more than
    SEARCH_COUNT_CAP (`_capped` makes it the total and whether it is a lower bound)."""
    matches = select(literal(1)).where(*conditions).limit(SEARCH_COUNT_CAP + 1).subquery()
    return select(func.count()).select_from(matches)


def _capped(found):
    return min(found, SEARCH_COUNT_CAP), found > SEARCH_COUNT_CAP


def search_count(actor, *, scope=None, **filters):
    """The statement of how many nominations match filters without a text, summed from the
    counts the database keeps (`NominationCount`), not counted from a province's million rows."""
    counts, conditions = _counted(scope or actor.unit, **filters)
    return select(func.coalesce(func.sum(counts.n), 0)).where(*conditions)


def counts_within(scope):
    """The counts of `scope`'s subtree, as columns to sum (campaign_id, state, kind,
    target_level, recognized_level, n). A `UnitCount` row of a unit holds the nominations of
    its child cells, so the rows of the units inside the subtree hold every nomination there
    but those whose cell is `scope` itself: its own `NominationCount` rows are added."""
    return _counts_within(scope.id, scope.path)


@lru_cache(maxsize=4096)
def _counts_within(scope_id, path):
    # Built once per unit (and path, which a move changes): building the union's columns cost
    # a third of a summary request.
    scope = SimpleNamespace(id=scope_id, path=path)
    names = ("campaign_id", "state", "kind", "target_level", "recognized_level", "n")
    rolled_up = select(*(getattr(UnitCount, name) for name in names)).where(
        policy.subtree(scope, path=UnitCount.path)
    )
    own = select(*(getattr(NominationCount, name) for name in names)).where(
        NominationCount.cell_id == policy.written(scope.id)
    )
    return union_all(rolled_up, own).subquery("counts").c


def _counted(scope, *, state=None, campaign_id=None, kind=None, level=None, cell_q=None):
    """`search_conditions` on the counts: the same filters, per state, kind and level, as (the
    counts, their conditions): the scope's subtree (`counts_within`), or the rows of the cells
    inside it whose name or code matches `cell_q`; without those filters, the scope's totals
    (`UnitTotal`)."""
    if not (state or kind or level or cell_q):
        # The whole subtree, of one campaign or all: a row per campaign.
        conditions = [UnitTotal.unit_id == scope.id]
        if campaign_id is not None:
            conditions.append(UnitTotal.campaign_id == campaign_id)
        return UnitTotal, conditions
    if cell_q:
        pattern = _like(cell_q)
        cells = select(Unit.id).where(
            policy.subtree(scope),
            Unit.name.ilike(pattern, escape="\\") | Unit.code.ilike(pattern, escape="\\"),
        )
        counts = NominationCount
        conditions = [counts.cell_id.in_(cells)]
    else:
        counts, conditions = counts_within(scope), []
    if state:
        conditions.append(counts.state == state)
    if campaign_id is not None:
        conditions.append(counts.campaign_id == campaign_id)
    if kind:
        conditions.append(counts.kind == kind)
    if level:
        conditions.append(
            or_(
                counts.recognized_level == level,
                (counts.recognized_level == "") & (counts.target_level == level),
            )
        )
    return counts, conditions


def page_of(
    session, conditions, *, order_by, page=1, per_page, after=None, total=None, load=PAGE_ROW
):
    """(total, items) for one page of nominations, in one query whatever the page size, each
    item with the relationships in `load` loaded in the same query, or as plain rows when
    `load` is LISTED.

    `after` (lists only, in LIST_ORDER) is the last id of the page before: the page is then
    read from the index where that one ended. `total` is how they are counted: a statement of
    one number, read in the page's own statement (by default the rows are counted;
    `search_count` and `queue_count` sum the counts the database keeps), or a function that
    counts (a text search's, dearer), called only when the page does not tell: a first page
    shorter than asked holds them all.
    """
    if total is None:
        total = counting(conditions)
    count = total if callable(total) else None
    built = _page_statement(
        conditions,
        order_by=order_by,
        **_page_shape(page, per_page, after),
        total=None if count else total,
        load=load,
    )
    return _read(session, built, page=page, per_page=per_page, after=after, count=count)


# A page's statement: `total`, the statement of its count when it is read along with the page.
_Page = namedtuple("_Page", "statement total listed")
_AFTER = bindparam("after", type_=Integer)


def _page_shape(page, per_page, after):
    """What a page's statement depends on: a page after a cursor is always the first."""
    keyset = after is not None
    return {"page": 1 if keyset else page, "per_page": per_page, "keyset": keyset}


def _page_statement(conditions, *, order_by, page, per_page, keyset, total, load):
    if load is LISTED:
        query = LISTED
    else:
        query = select(Nomination).options(*(joinedload(relationship) for relationship in load))
    if total is not None:
        # Not correlated with the page's rows: one number, computed once.
        query = query.add_columns(total.correlate(None).scalar_subquery())
    query = query.where(*conditions)
    if keyset:
        query = query.where(Nomination.id < _AFTER)
    query = query.order_by(*order_by).limit(policy.written(per_page))
    if page > 1:
        query = query.offset(policy.written((page - 1) * per_page))
    return _Page(query, total, load is LISTED)


def _read(session, built, *, page, per_page, after=None, count=None):
    """(total, items) of a built page; `count`: how to count them when they are not counted
    along with the page and the page does not tell."""
    parameters = {} if after is None else {"after": after}
    # Plain rows are read by the connection: the session's result wrapping, for objects it
    # would keep track of, cost an eighth of a list request. (The connection does not flush
    # first: these pages are read by GET requests, which have nothing to flush.)
    run = session.connection().execute if built.listed else session.execute
    rows = run(built.statement, parameters).all()
    items = rows if built.listed else [row[0] for row in rows]
    if built.total is not None and rows:
        return rows[0][-1], items
    if after is None and page == 1 and len(items) < per_page:
        return len(items), items
    return (session.scalar(built.total) if built.total is not None else count()), items


def by_ids(session, actor, ids):
    """The nominations of `ids` the actor may see, in one query, in the order of `ids`."""
    found = session.scalars(
        select(Nomination)
        .where(policy.visible_nominations(actor), Nomination.id.in_(ids))
        .options(
            joinedload(Nomination.cell),
            joinedload(Nomination.pending_unit),
            joinedload(Nomination.campaign),
        )
    ).all()
    order = {nomination_id: index for index, nomination_id in enumerate(ids)}
    return sorted(found, key=lambda nomination: order[nomination.id])


def return_reasons(session, nominations):
    """{nomination id: the history entry that returned it} for returned nominations, in one
    query: the dashboard shows the reviewer's reason beside each."""
    ids = [n.id for n in nominations if n.state == "returned"]
    if not ids:
        return {}
    entries = session.scalars(
        select(HistoryEntry)
        .where(HistoryEntry.nomination_id.in_(ids), HistoryEntry.action == "return")
        .order_by(HistoryEntry.id)
    ).all()
    return {entry.nomination_id: entry for entry in entries}  # the latest of each wins


def overdue_conditions(unit, today):
    """Pending at `unit` past the campaign's review deadline for the unit's level."""
    deadline = getattr(Campaign, f"{unit.level}_review_deadline", None)
    if deadline is None:
        return [False]
    late = select(Campaign.id).where(deadline.is_not(None), deadline < today)
    inside = select(Unit.id).where(policy.subtree(unit))  # as in the queue: only what it sees
    return [
        Nomination.pending_unit_id == unit.id,
        Nomination.campaign_id.in_(late),
        Nomination.cell_id.in_(inside),
    ]


def review_deadline(nomination):
    """The deadline the nomination is working against now: its pending unit's level's review
    deadline, or the submission deadline while nothing is pending."""
    if nomination.pending_unit is None:
        return nomination.campaign.submission_deadline
    return nomination.campaign.review_deadlines.get(nomination.pending_unit.level)


def days_waiting(nomination, today, zone):
    """Whole calendar days (in `zone`) since the nomination reached its pending unit."""
    since = nomination.pending_since or nomination.updated_at
    return (today - since.astimezone(zone).date()).days


def counting(conditions):
    """The statement counting the nominations that meet `conditions`."""
    return select(func.count()).select_from(Nomination).where(*conditions)


def count(session, conditions):
    return session.scalar(counting(conditions))
