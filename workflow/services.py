"""Domain operations: one verb per action, each taking a session, the objects and an actor.

Each checks, in the order the API promises, the version, the right and the state, fires the
machine, and writes the change with its history entry and outbox rows. The caller commits.
"""

import datetime as dt
import unicodedata
from functools import cache, partial
from zoneinfo import ZoneInfo

from psycopg.pq import TransactionStatus
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from workflow import decisions, policy, register, routing
from workflow import options as campaign_options
from workflow.campaigns import check_deadlines, starting_options
from workflow.errors import (
    CAMPAIGN_LEVEL,
    RETIRED_UNIT,
    DeadlinePassed,
    Forbidden,
    Invalid,
    NotAllowedNow,
    NotFound,
    StaleVersion,
)
from workflow.levels import LEVEL_OF_REVIEW_STATE, REVIEW_LEVELS, rank
from workflow.machine import fire
from workflow.models import (
    INDIVIDUAL_FIELDS,
    Campaign,
    HistoryEntry,
    Nomination,
    Recognition,
    Unit,
    utcnow,
)
from workflow.notices import notice_for, write_entry
from workflow.outbox import remember_for_hand_off

TIMEZONE = ZoneInfo("Asia/Ho_Chi_Minh")
COMMENT_REQUIRED = ("return", "reject")
EDITABLE_STATES = ("draft", "returned")
NOMINATION_FIELDS = (
    "kind",
    "nominee_name",
    "nominee_gender",
    "nominee_birth_year",
    "nominee_ethnicity",
    "nominee_position",
    "nominee_workplace",
    "nominee_email",
    "title",
    "field",
    "summary",
    "achievements",
    "target_level",
)


def today():
    """The calendar date in Vietnam, which is what deadlines are written in."""
    return dt.datetime.now(TIMEZONE).date()


# Built once: every action and every nomination page runs it.
_NOMINATION = (
    select(Nomination)
    .where(Nomination.id == bindparam("nomination_id"))
    .options(
        # The cell with its parents up to the province: the reviewing chain without a query.
        joinedload(Nomination.cell)
        .joinedload(Unit.parent)
        .joinedload(Unit.parent)
        .joinedload(Unit.parent),
        joinedload(Nomination.campaign),
    )
)


def get_nomination(session, actor, nomination_id):
    """The nomination if it exists and lies in the actor's subtree, else NotFound."""
    nomination = session.scalar(_NOMINATION, {"nomination_id": nomination_id})
    if nomination is None or not policy.can_see_nomination(actor, nomination):
        raise NotFound(f"nomination {nomination_id} not found")
    return nomination


def get_unit(session, actor, code):
    unit = session.scalar(select(Unit).where(Unit.code == code))
    if unit is None or not policy.can_see_unit(actor, unit):
        raise NotFound(f"unit {code} not found")
    return unit


def get_campaign(session, actor, campaign_id):
    campaign = session.get(Campaign, campaign_id, options=[joinedload(Campaign.unit)])
    if campaign is None or not policy.can_see_campaign(actor, campaign):
        raise NotFound(f"campaign {campaign_id} not found")
    return campaign


def perform(session, nomination, actor, *, action, version, comment=None, on=None):
    """Take a workflow action on `nomination` as `actor`; return its history entry."""
    comment = check_comment(action, comment)
    _check_version(nomination, version)
    if not policy.can(actor, action, nomination):
        raise Forbidden(f"you may not {action} this nomination")
    if action == "submit" and (on or today()) > nomination.campaign.submission_deadline:
        raise DeadlinePassed("the campaign's submission deadline has passed")

    chain = routing.chain_of(nomination)
    move, upcoming = routing.plan(action, nomination, chain)
    from_state, previous_pending = nomination.state, nomination.pending_unit_id
    to_state = fire(action, move)
    if to_state == "commended":
        # The quota's row is locked until the recognition is written: one transaction.
        hold_transaction(session)
    if action in decisions.DECIDING_ACTIONS:
        decisions.check(
            session,
            nomination,
            _pending(nomination, chain),
            recognises=to_state == "commended",
            on=on or today(),
        )
    now = utcnow()
    entry = {
        "nomination_id": nomination.id,
        "action": action,
        "from_state": from_state,
        "to_state": to_state,
        "actor_id": actor.id,
        "actor_unit_id": actor.unit_id,
        # The acting unit as it is named now: the record stays true after a reorganisation.
        "actor_unit_name": actor.unit.name,
        "actor_unit_level": actor.unit.level,
        "comment": comment,
        "details": None,
        "at": now,
    }
    notice = notice_for(action, to_state, from_pending=previous_pending is not None)
    columns, relationships = _changes(nomination, to_state, upcoming, chain)
    ids = _write(
        session,
        nomination,
        columns,
        relationships,
        entry=entry,
        notice=notice,
        previous=previous_pending,
    )
    if ids:
        remember_for_hand_off(session, "notice", ids)
    if to_state == "commended":
        session.execute(
            _INSERT_RECOGNITION, register.entry_for(nomination, chain, on=on or today())
        )
    return entry


def hold_transaction(session):
    """Make what the session does next one transaction, until its commit or rollback. Needed
    only by a session that runs without one (an action's on PostgreSQL, web/database.py), where
    each statement commits on its own: before a lock that must last until the write, or a write
    of more than one statement. Elsewhere the session's own transaction already does it."""
    if outside_transaction(session):
        session.connection().exec_driver_sql("BEGIN")


def outside_transaction(session):
    """The session runs each statement on its own (PostgreSQL's autocommit) and no BEGIN holds
    it now: a statement it runs commits when it ends."""
    connection = session.connection()
    return (
        connection.get_execution_options().get("isolation_level") == "AUTOCOMMIT"
        and connection.connection.driver_connection.info.transaction_status
        == TransactionStatus.IDLE
    )


# The hot path writes with Core statements built once (no unit of work): the versioned update
# of the nomination, its history row and the outbox rows (`notices.write_entry`), in one
# statement on PostgreSQL.
_NOMINATIONS = Nomination.__table__
_UPDATE_ON_VERSION = (
    _NOMINATIONS.update()
    .where(
        _NOMINATIONS.c.id == bindparam("nomination_id"),
        _NOMINATIONS.c.version == bindparam("read_version"),
    )
    .returning(_NOMINATIONS.c.id)
)


@cache
def _update_on_version(names):
    """The versioned update of these columns: one statement per set of columns (a handful),
    so SQLAlchemy compiles each once."""
    return _UPDATE_ON_VERSION.values({name: bindparam(f"new_{name}") for name in names})


_INSERT_RECOGNITION = Recognition.__table__.insert()


def _pending(nomination, chain):
    return next((unit for unit in chain if unit.id == nomination.pending_unit_id), None)


def _changes(nomination, to_state, upcoming, chain):
    """What the new state implies, as (columns, relationships): the pending unit, who
    returned it, the level and unit that recognised it."""
    pending = _pending(nomination, chain)
    if to_state in LEVEL_OF_REVIEW_STATE:
        columns = {"pending_unit_id": upcoming.id, "pending_since": utcnow()}
        return {"state": to_state, **columns}, {"pending_unit": upcoming}
    columns = {"state": to_state, "pending_unit_id": None, "pending_since": None}
    relationships = {"pending_unit": None}
    if to_state == "returned":
        columns["returned_by_unit_id"] = pending.id
        relationships["returned_by_unit"] = pending
    if to_state == "commended":
        columns.update(recognized_level=pending.level, recognized_unit_id=pending.id)
        relationships["recognized_unit"] = pending
    return columns, relationships


def _write(session, nomination, columns, relationships, *, entry, notice, previous):
    """UPDATE … WHERE version = the version read, with the action's history `entry` and the
    outbox rows of its `notice` (`notices.write_entry`: one statement on PostgreSQL); the outbox
    rows' ids. A writer that lost the race writes nothing and gets a conflict. The loaded object
    holds what is written, as committed (the notice tells of it); if nothing was, it is expired
    and read again on its next use. `previous`: the unit it waited at before the action."""
    read = nomination.version
    columns = {**columns, "version": read + 1, "updated_at": entry["at"]}
    update = (
        _update_on_version(tuple(columns)),
        {"nomination_id": nomination.id, "read_version": read}
        | {f"new_{name}": value for name, value in columns.items()},
    )
    for name, value in {**columns, **relationships}.items():
        set_committed_value(nomination, name, value)
    try:
        ids = write_entry(
            session, entry, notice=notice, nomination=nomination, previous=previous, after=update
        )
        if ids is None:
            raise StaleVersion("the nomination was changed by someone else meanwhile")
    except BaseException:
        session.expire(nomination)
        raise
    return ids


submit = partial(perform, action="submit")
approve = partial(perform, action="approve")
recognize = partial(perform, action="recognize")
return_ = partial(perform, action="return")
resubmit = partial(perform, action="resubmit")
reject = partial(perform, action="reject")
withdraw = partial(perform, action="withdraw")


def create_nomination(session, actor, campaign, fields, *, on=None):
    """A new draft in the actor's cell; `fields` are already validated."""
    if not policy.can_nominate(actor, campaign):
        raise Forbidden("only a secretary of a cell inside the campaign may nominate")
    if rank(fields["target_level"]) > rank(campaign.unit.level):
        raise Invalid("target_level", "above the level of the campaign's unit")
    if (on or today()) > campaign.submission_deadline:
        raise DeadlinePassed("the campaign's submission deadline has passed")
    check_individual_fields(fields["kind"], fields)
    nomination = Nomination(
        campaign=campaign,
        cell=actor.unit,
        state="draft",
        created_by_id=actor.id,
        **{name: fields.get(name) for name in NOMINATION_FIELDS},
    )
    session.add(nomination)
    session.add(
        HistoryEntry(
            nomination=nomination,
            action="create",
            from_state=None,
            to_state="draft",
            actor_id=actor.id,
            actor_unit=actor.unit,
        )
    )
    flush_or_conflict(session)
    return nomination


def update_nomination(session, nomination, actor, *, version, changes):
    """Change fields of a draft or returned nomination; `changes` are already validated."""
    _check_version(nomination, version)
    if not policy.can(actor, policy.EDIT, nomination):
        raise Forbidden("only a secretary of the nomination's cell may edit it")
    check_editable(nomination)
    target = changes.get("target_level", nomination.target_level)
    if rank(target) > rank(nomination.campaign.unit.level):
        raise Invalid("target_level", "above the level of the campaign's unit")
    for name in changes:
        if name not in NOMINATION_FIELDS:
            raise Invalid(name, "cannot be changed")
    kind = changes.get("kind", nomination.kind)
    check_individual_fields(kind, changes)
    if kind == "collective":  # a nomination that becomes a collective's sheds the individual's
        changes = {**changes, **dict.fromkeys(INDIVIDUAL_FIELDS)}
    for name, value in changes.items():
        setattr(nomination, name, value)
    flush_or_conflict(session)
    return nomination


def check_individual_fields(kind, fields):
    """A collective has no gender, birth year, ethnic group, position or workplace: giving one
    is Invalid, naming the first such field."""
    if kind != "collective":
        return
    for name in INDIVIDUAL_FIELDS:
        if fields.get(name) is not None:
            raise Invalid(name, "only an individual has this field")


def is_editable(nomination):
    """Its fields can change now: a draft, or returned for revision."""
    return nomination.state in EDITABLE_STATES


def check_editable(nomination):
    if not is_editable(nomination):
        raise NotAllowedNow(f"a nomination in state {nomination.state} cannot be edited")


def create_campaign(
    session,
    actor,
    unit,
    *,
    name,
    year,
    submission_deadline,
    review_deadlines,
    options=None,
):
    """Open a campaign; its workflow options are pinned now, laid over those of the unit's
    latest campaign (or the defaults)."""
    if not policy.can_open_campaign(actor, unit):
        raise Forbidden("only an administrator of the unit or above may open a campaign")
    if unit.retired:
        raise Invalid("unit_code", RETIRED_UNIT)
    if unit.level not in REVIEW_LEVELS:
        raise Invalid("unit_code", CAMPAIGN_LEVEL)
    check_deadlines(submission_deadline, review_deadlines)
    pinned = campaign_options.normalise(options, base=starting_options(session, unit))
    campaign = Campaign(
        name=name,
        year=year,
        unit=unit,
        submission_deadline=submission_deadline,
        options=pinned,
        **{f"{level}_review_deadline": day for level, day in review_deadlines.items()},
    )
    session.add(campaign)
    flush_or_conflict(session)
    return campaign


def _check_version(nomination, version):
    if version != nomination.version:
        raise StaleVersion(
            f"nomination {nomination.id} is at version {nomination.version}, not {version}"
        )


def check_comment(action, comment):
    """The comment, cleaned; Invalid when the action needs one and there is none."""
    comment = unicodedata.normalize("NFC", comment).strip() if comment else None
    if action in COMMENT_REQUIRED and not comment:
        raise Invalid("comment", "a comment is required to return or reject")
    return comment or None


def flush_or_conflict(session):
    """Flush; a concurrent writer that won the version race makes this a conflict."""
    try:
        session.flush()
    except StaleDataError:
        raise StaleVersion("the nomination was changed by someone else meanwhile") from None
