"""The persistent domain: units, users, campaigns, nominations, their history and outbox."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    delete,
    event,
    false,
    func,
    insert,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    aliased,
    mapped_column,
    relationship,
)

from workflow.fields import fold
from workflow.levels import REVIEW_LEVELS, UNIT_LEVELS
from workflow.machine import STATES
from workflow.options import defaults as default_options

ROLES = ("secretary", "reviewer", "admin")
KINDS = ("individual", "collective")
GENDERS = ("female", "male")
# What only an individual has: a collective's nomination leaves these empty.
INDIVIDUAL_FIELDS = (
    "nominee_gender",
    "nominee_birth_year",
    "nominee_ethnicity",
    "nominee_position",
    "nominee_workplace",
)
LANGUAGES = ("vi", "en")
OUTBOX_STATUSES = ("pending", "sending", "sent", "failed")


def utcnow():
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator):
    """A timestamp stored in UTC and always read back timezone-aware (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC column")
        return value.astimezone(dt.UTC) if value is not None else None

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value


def _enum(values, name):
    return Enum(*values, name=name, native_enum=False, create_constraint=True, length=20)


class Base(DeclarativeBase):
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(table_name)s_%(column_0_N_name)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )
    type_annotation_map = {dt.datetime: UTCDateTime}  # noqa: RUF012 (read once by SQLAlchemy)


class Unit(Base):
    """A node of the organisation tree: province > district > commune > cell."""

    __tablename__ = "units"
    __table_args__ = (
        # Subtree queries are prefix matches on the materialised path of codes.
        Index("ix_units_path", "path", postgresql_ops={"path": "text_pattern_ops"}),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(_enum(UNIT_LEVELS, "unit_level"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    # "/PROVINCE/DISTRICT/.../CODE/": the codes of every ancestor and of the unit itself.
    path: Mapped[str] = mapped_column(String(400))
    # A unit merged into another or dissolved is retired, not deleted: history, lists and
    # closures still name it. It hangs below its successor (its parent from then on), so what
    # it did counts inside today's units; nothing new is ever placed in or routed to it.
    retired_at: Mapped[dt.datetime | None]
    successor_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))

    parent: Mapped[Unit | None] = relationship(remote_side=[id], foreign_keys=[parent_id])
    successor: Mapped[Unit | None] = relationship(remote_side=[id], foreign_keys=[successor_id])

    @property
    def retired(self):
        return self.retired_at is not None

    @property
    def ancestor_codes(self):
        """Codes from the root down to the parent."""
        return self.path.strip("/").split("/")[:-1]

    def contains(self, other):
        """True when `other` is this unit or lies below it."""
        return other.path.startswith(self.path)

    def __repr__(self):
        return f"<Unit {self.code} {self.level}>"


class UnitVersion(Base):
    """How a unit stood during a period: its name, level and place in the tree.

    Written by the listener at the end of this module whenever a unit is created or its name,
    level or path changes, so reports can place things as they were and pages can name a unit
    as it was called then. `valid_from` is None for what stood before records began.
    """

    __tablename__ = "unit_versions"
    __table_args__ = (Index("ix_unit_versions_unit_id_valid_from", "unit_id", "valid_from"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(20))
    path: Mapped[str] = mapped_column(String(400))
    valid_from: Mapped[dt.datetime | None]
    valid_to: Mapped[dt.datetime | None]

    unit: Mapped[Unit] = relationship()


class User(Base):
    __tablename__ = "users"
    __table_args__ = (Index("ix_users_unit_id_role", "unit_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(60), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[str] = mapped_column(_enum(ROLES, "user_role"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    language: Mapped[str] = mapped_column(_enum(LANGUAGES, "user_language"), default="vi")
    password_hash: Mapped[str | None] = mapped_column(String(200))
    # Imported without a password: the user is to be sent a link to set one.
    needs_password: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # Bumped whenever the account's sessions end (a new password, disabled, a new role or
    # unit): a set-password link carries the number it was made with, so it dies with them.
    session_version: Mapped[int] = mapped_column(default=1, server_default="1")

    unit: Mapped[Unit] = relationship()

    # What Flask-Login reads from a logged-in user (duck-typed: the domain imports no Flask).
    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self):
        return self.active

    def get_id(self):
        return str(self.id)

    def __repr__(self):
        return f"<User {self.username} {self.role}@{self.unit_id}>"


class ApiToken(Base):
    """A bearer token; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None]

    user: Mapped[User] = relationship()


class BrowserSession(Base):
    """A logged-in browser. Its cookie carries a random key; only the key's SHA-256 is stored,
    and logging out (or out everywhere) ends the row, so a copied cookie stops working."""

    __tablename__ = "browser_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # Set to the moment of logout when the session ends early.
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)

    user: Mapped[User] = relationship()


class Campaign(Base):
    """A round (đợt) of nominations opened by a unit, with its deadlines and workflow options.

    The options (how each reviewing level decides, see workflow/options.py), the quotas and the
    deadlines are pinned when the campaign opens; a later change is a recorded amendment.
    """

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    year: Mapped[int]
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    submission_deadline: Mapped[dt.date]
    commune_review_deadline: Mapped[dt.date | None]
    district_review_deadline: Mapped[dt.date | None]
    province_review_deadline: Mapped[dt.date | None]
    options: Mapped[dict] = mapped_column(JSON, default=default_options)
    version: Mapped[int] = mapped_column(Integer, nullable=False, server_default="1")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    unit: Mapped[Unit] = relationship()

    # An amendment names the version it amends: UPDATE ... WHERE version = :seen.
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 (SQLAlchemy's own mapping)

    @property
    def review_deadlines(self):
        return {level: getattr(self, f"{level}_review_deadline") for level in REVIEW_LEVELS}


class CampaignAmendment(Base):
    """A recorded change of a running campaign's pinned options, quotas or deadlines."""

    __tablename__ = "campaign_amendments"
    __table_args__ = (Index("ix_campaign_amendments_campaign_id_id", "campaign_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(Text)
    # {"what": {"before": …, "after": …}} for each thing changed ("options", "deadlines",
    # "quota <unit code>").
    changes: Mapped[dict] = mapped_column(JSON)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    actor: Mapped[User] = relationship()


class Quota(Base):
    """The most nominations of each kind a unit may recognise at its level in a campaign
    (chỉ tiêu); None: no cap for that kind."""

    __tablename__ = "quotas"
    __table_args__ = (UniqueConstraint("campaign_id", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    collective: Mapped[int | None]
    individual: Mapped[int | None]

    unit: Mapped[Unit] = relationship()


class Committee(Base):
    """A reviewing unit's deciding body (Ban Thường vụ, Hội đồng Thi đua – Khen thưởng).

    `size` counts every member, those without an account too: quorum and majority are fractions
    of it. The members with accounts, who vote in the app, are CommitteeMember rows.
    """

    __tablename__ = "committees"

    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)
    size: Mapped[int]

    unit: Mapped[Unit] = relationship()
    members: Mapped[list[CommitteeMember]] = relationship(
        cascade="all, delete-orphan", order_by="CommitteeMember.user_id"
    )


class CommitteeMember(Base):
    __tablename__ = "committee_members"

    unit_id: Mapped[int] = mapped_column(ForeignKey("committees.unit_id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True, index=True)

    user: Mapped[User] = relationship()


MEETING_MODES = ("app", "paper")
MEETING_STATUSES = ("open", "closed")


class Meeting(Base):
    """A committee's meeting (phiên họp) on nominations pending at its unit.

    When it closes it records the rules it was decided with (the committee's size and the
    campaign's fractions then), so that a later amendment never changes its results.
    """

    __tablename__ = "meetings"
    __table_args__ = (Index("ix_meetings_unit_id_status", "unit_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    mode: Mapped[str] = mapped_column(_enum(MEETING_MODES, "meeting_mode"))
    status: Mapped[str] = mapped_column(_enum(MEETING_STATUSES, "meeting_status"), default="open")
    held_on: Mapped[dt.date]
    closes_on: Mapped[dt.date]  # members are reminded the day before
    place: Mapped[str] = mapped_column(String(200))
    chair_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    opened_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[dt.datetime | None]
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Set on close.
    size: Mapped[int | None]
    present: Mapped[int | None]
    quorate: Mapped[bool | None]
    quorum_at_least: Mapped[str | None] = mapped_column(String(20))
    pass_more_than: Mapped[str | None] = mapped_column(String(20))
    # Paper mode: the scanned minutes, {"key", "name", "sha256", "size"}.
    scan: Mapped[dict | None] = mapped_column(JSON)
    # The minutes (biên bản kiểm phiếu) rendered after the close: {"key", "sha256", "size"}.
    minutes: Mapped[dict | None] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    unit: Mapped[Unit] = relationship()
    campaign: Mapped[Campaign] = relationship()
    chair: Mapped[User] = relationship(foreign_keys=[chair_id])
    items: Mapped[list[MeetingItem]] = relationship(
        order_by="MeetingItem.nomination_id", back_populates="meeting"
    )

    # Closing checks the version it saw: two chairs closing at once, one wins.
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 (SQLAlchemy's own mapping)


class MeetingItem(Base):
    """One nomination on a meeting's agenda, with its counts (known to nobody until the close)."""

    __tablename__ = "meeting_items"
    __table_args__ = (Index("ix_meeting_items_nomination_id", "nomination_id"),)

    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), primary_key=True)
    nomination_id: Mapped[int] = mapped_column(ForeignKey("nominations.id"), primary_key=True)
    agree: Mapped[int] = mapped_column(default=0)
    disagree: Mapped[int] = mapped_column(default=0)
    passed: Mapped[bool | None]

    meeting: Mapped[Meeting] = relationship(back_populates="items")
    nomination: Mapped[Nomination] = relationship()


class MeetingVoter(Base):
    """Who has cast a ballot in an app meeting, kept apart from the counts: no row anywhere says
    how a member voted (no ballot rows, no times, nothing to join the counts with)."""

    __tablename__ = "meeting_voters"

    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)


class Publication(Base):
    """Names put up for public comment before a unit recognises them (công khai lấy ý kiến)."""

    __tablename__ = "publications"
    __table_args__ = (
        Index("ix_publications_nomination_id_id", "nomination_id", "id"),
        Index("ix_publications_campaign_id_ends_on", "campaign_id", "ends_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    nomination_id: Mapped[int] = mapped_column(ForeignKey("nominations.id"))
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))  # the unit that will decide
    published_on: Mapped[dt.date]
    ends_on: Mapped[dt.date]  # the last day of the period: recognition from the day after
    # Set when a reviewer reopens the vote in light of a comment: the period no longer counts.
    withdrawn_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    nomination: Mapped[Nomination] = relationship()
    unit: Mapped[Unit] = relationship()


class PublicComment(Base):
    """A comment sent by anyone on a published name; read by the reviewers only."""

    __tablename__ = "public_comments"
    __table_args__ = (Index("ix_public_comments_nomination_id_id", "nomination_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    publication_id: Mapped[int] = mapped_column(ForeignKey("publications.id"))
    nomination_id: Mapped[int] = mapped_column(ForeignKey("nominations.id"))
    name: Mapped[str] = mapped_column(String(200))
    contact: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    address: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class DayOff(Base):
    """An extra day off declared for a province (a swapped working day, a local holiday): it does
    not count as a working day in the comment periods of that province's campaigns."""

    __tablename__ = "days_off"
    __table_args__ = (UniqueConstraint("unit_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))  # the province
    day: Mapped[dt.date]
    name: Mapped[str] = mapped_column(String(200))
    added_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))


class Nomination(Base):
    __tablename__ = "nominations"
    __table_args__ = (
        # The reviewer's queue: pending at a unit, in the queue's order (its total comes from
        # `NominationCount`); the cell rides along for the check that each row is visible.
        Index(
            "ix_nominations_queue",
            "pending_unit_id",
            "pending_since",
            "updated_at",
            "id",
            postgresql_include=["cell_id"],
        ),
        Index("ix_nominations_cell_id_state", "cell_id", "state"),
        Index("ix_nominations_campaign_id_state", "campaign_id", "state"),
        Index(
            "ix_nominations_campaign_id_recognized_unit_id_kind",
            "campaign_id",
            "recognized_unit_id",
            "kind",
        ),
        # Search is a substring match (LIKE '%…%') on the folded text: a trigram index on
        # PostgreSQL. New entries wait in its pending list, which every search reads whole:
        # kept at 128 kB (16 pages) rather than 4 MB, flushed on insert in small batches.
        Index(
            "ix_nominations_search_text_trgm",
            "search_text",
            postgresql_using="gin",
            postgresql_ops={"search_text": "gin_trgm_ops"},
            postgresql_with={"gin_pending_list_limit": 128},
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    cell_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    kind: Mapped[str] = mapped_column(_enum(KINDS, "nomination_kind"))
    nominee_name: Mapped[str] = mapped_column(String(200))
    nominee_birth_year: Mapped[int | None]
    nominee_position: Mapped[str | None] = mapped_column(String(200))
    nominee_email: Mapped[str | None] = mapped_column(String(254))
    # What an individual's achievement report (bản thành tích) carries; a collective has none.
    nominee_gender: Mapped[str | None] = mapped_column(_enum(GENDERS, "nominee_gender"))
    nominee_ethnicity: Mapped[str | None] = mapped_column(String(50))
    nominee_workplace: Mapped[str | None] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(300))
    field: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text)
    achievements: Mapped[str] = mapped_column(Text)
    target_level: Mapped[str] = mapped_column(_enum(REVIEW_LEVELS, "target_level"))
    state: Mapped[str] = mapped_column(_enum(STATES, "nomination_state"), default="draft")
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    pending_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    pending_since: Mapped[dt.datetime | None]
    recognized_level: Mapped[str | None] = mapped_column(_enum(REVIEW_LEVELS, "recognized_level"))
    # The unit that recognised it: quotas count against it.
    recognized_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    returned_by_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # The nominee's name and the deed without diacritics or case (fields.fold), for search; kept
    # in step by the flush (below). The hot path's Core statements never write these fields.
    search_text: Mapped[str | None] = mapped_column(Text)

    campaign: Mapped[Campaign] = relationship()
    cell: Mapped[Unit] = relationship(foreign_keys=[cell_id])
    pending_unit: Mapped[Unit | None] = relationship(foreign_keys=[pending_unit_id])
    returned_by_unit: Mapped[Unit | None] = relationship(foreign_keys=[returned_by_unit_id])
    recognized_unit: Mapped[Unit | None] = relationship(foreign_keys=[recognized_unit_id])
    history: Mapped[list[HistoryEntry]] = relationship(
        order_by="HistoryEntry.id", back_populates="nomination", viewonly=True
    )

    # A stale version is a conflict: UPDATE ... WHERE version = :seen, never an overwrite.
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 (SQLAlchemy's own mapping)


def searchable(name, title):
    """What search matches: the name and the deed, folded (one space between them)."""
    return fold(f"{name or ''}\n{title or ''}")


@event.listens_for(Nomination, "before_insert")
@event.listens_for(Nomination, "before_update")
def _fold_for_search(mapper, connection, nomination):
    nomination.search_text = searchable(nomination.nominee_name, nomination.title)


class HistoryEntry(Base):
    """One action on a nomination. Append-only: see the flush guard below."""

    __tablename__ = "history"
    __table_args__ = (Index("ix_history_nomination_id_id", "nomination_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    nomination_id: Mapped[int] = mapped_column(ForeignKey("nominations.id"))
    action: Mapped[str] = mapped_column(String(20))
    from_state: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str] = mapped_column(String(20))
    # None only for the server's operator (a reorganisation applied from the shell).
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    # The acting unit's name and level when the entry was written (units are renamed, merged).
    actor_unit_name: Mapped[str | None] = mapped_column(String(200))
    actor_unit_level: Mapped[str | None] = mapped_column(String(20))
    comment: Mapped[str | None] = mapped_column(Text)
    # What this kind of entry adds, as the API shows it: a committee's tally, a reorganisation's
    # old and new unit. Written once with the entry, like every other column.
    details: Mapped[dict | None] = mapped_column(JSON)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    nomination: Mapped[Nomination] = relationship(back_populates="history")
    actor: Mapped[User | None] = relationship()
    actor_unit: Mapped[Unit | None] = relationship()


class Attachment(Base):
    """Evidence attached to a nomination; the bytes live in a file named by `storage_key`."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    nomination_id: Mapped[int] = mapped_column(ForeignKey("nominations.id"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(64), unique=True)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    nomination: Mapped[Nomination] = relationship()
    uploaded_by: Mapped[User] = relationship()


class CampaignClosure(Base):
    """A reviewing unit has closed its review of a campaign at its level."""

    __tablename__ = "campaign_closures"
    __table_args__ = (UniqueConstraint("campaign_id", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    closed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    closed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    unit: Mapped[Unit] = relationship()
    closed_by: Mapped[User] = relationship()


class OutboxMessage(Base):
    """A notice to send, written in the action's transaction; one row per recipient per event."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status_id", "status", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Unique, and the seed of the Message-ID: "<event>-<nomination>-v<its version after the
    # action>-<recipient>" for the workflow's notices (each action moves the version), other
    # keys for the notices of other events.
    key: Mapped[str] = mapped_column(String(200), unique=True)
    notice: Mapped[str] = mapped_column(String(40))
    nomination_id: Mapped[int | None] = mapped_column(ForeignKey("nominations.id"), index=True)
    history_id: Mapped[int | None] = mapped_column(ForeignKey("history.id"))
    recipient_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recipient_email: Mapped[str] = mapped_column(String(254))
    language: Mapped[str] = mapped_column(_enum(LANGUAGES, "outbox_language"))
    context: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(_enum(OUTBOX_STATUSES, "outbox_status"), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[dt.datetime | None]
    # When a worker claimed the row ("sending"), and the lease it holds: past
    # OUTBOX_LEASE_SECONDS the claim belongs to a worker that died, and only the holder of
    # the lease marks the row sent.
    claimed_at: Mapped[dt.datetime | None]
    lease_token: Mapped[str | None] = mapped_column(String(32))
    # The last try could not reach the mail server: due again as soon as it answers.
    server_down: Mapped[bool] = mapped_column(default=False, server_default=false())
    # After a failed attempt: not before this time (the sweep respects the back-off).
    next_attempt_at: Mapped[dt.datetime | None]

    recipient: Mapped[User | None] = relationship()
    history: Mapped[HistoryEntry | None] = relationship()

    @property
    def recipient_name(self):
        """The name of the account it goes to (None for an address without one); a claimed
        row (outbox.claim) carries the same as a column."""
        return self.recipient.full_name if self.recipient is not None else None


LIST_STATUSES = ("pending", "running", "done", "failed")


class NominationCount(Base):
    """How many nominations of a campaign and cell are in each state, by kind and level, and
    where they wait.

    Kept by the database itself: triggers on `nominations` (see the migrations
    `nomination_counts` and `nomination_counts_by_pending_unit`) add and take away one in the
    same statement as every insert, update and delete, so the counts are exact in every
    transaction, whoever wrote the row. The summary report, the list totals and the queue totals
    sum these instead of counting nominations. `recognized_level` is "" while a nomination is
    not recognised, `pending_unit_id` 0 while it waits nowhere.
    """

    __tablename__ = "nomination_counts"
    __table_args__ = (
        Index("ix_nomination_counts_cell_id", "cell_id"),
        Index("ix_nomination_counts_pending_unit_id", "pending_unit_id"),
    )

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), primary_key=True)
    cell_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)
    state: Mapped[str] = mapped_column(String(20), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    target_level: Mapped[str] = mapped_column(String(20), primary_key=True)
    recognized_level: Mapped[str] = mapped_column(String(20), primary_key=True)
    # Where they wait (0: nowhere): a reviewer's queue total (`queries.queue_total`).
    pending_unit_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    n: Mapped[int]


class UnitCount(Base):
    """`NominationCount` rolled up to each cell's parent (`unit_id`): what a unit's cells hold,
    so a scope above the cells sums a row per commune, not a row per cell
    (`queries.counts_within`).

    Kept by the database: a trigger on `nomination_counts` (see the migration `unit_counts`)
    carries every change to the parent's row; a change of the tree rebuilds it in the same
    flush (`_roll_up_after_moves`).
    """

    __tablename__ = "unit_counts"
    __table_args__ = (
        # A subtree's rows: a prefix of the unit's path, as on `units`.
        Index("ix_unit_counts_path", "path", postgresql_ops={"path": "text_pattern_ops"}),
    )

    # Derived rows: they go with their unit or campaign.
    unit_id: Mapped[int] = mapped_column(
        ForeignKey("units.id", ondelete="CASCADE"), primary_key=True
    )
    # The unit's path, so that a subtree's rows are found without the units (a move rebuilds).
    path: Mapped[str] = mapped_column(String(400))
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True
    )
    state: Mapped[str] = mapped_column(String(20), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    target_level: Mapped[str] = mapped_column(String(20), primary_key=True)
    recognized_level: Mapped[str] = mapped_column(String(20), primary_key=True)
    n: Mapped[int]


class UnitTotal(Base):
    """How many nominations of a campaign lie in a unit's subtree, whatever their state: the
    total of a list without filters (or of one campaign) is one row per campaign, not the sum of
    every commune's `UnitCount` rows (a province's thousand and more, more with each campaign).

    Kept by the database: triggers on `nominations` (see the migration `unit_totals`) carry an
    insert, a delete or a change of cell or campaign to the cell and each of its ancestors (on
    PostgreSQL once per unit for a statement of many rows, and a move only to the units not
    above both cells). An action changes neither, so it never writes these rows, the province's
    included. A change of the tree rebuilds them in the same flush (`_roll_up_after_moves`).
    """

    __tablename__ = "unit_totals"

    # Derived rows: they go with their unit or campaign.
    unit_id: Mapped[int] = mapped_column(
        ForeignKey("units.id", ondelete="CASCADE"), primary_key=True
    )
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True
    )
    n: Mapped[int]


class CommendationList(Base):
    """A final commendation list (danh sách), numbered per unit and year; immutable once done."""

    __tablename__ = "commendation_lists"
    __table_args__ = (
        UniqueConstraint("unit_id", "year", "number"),
        Index("ix_commendation_lists_campaign_id_unit_id", "campaign_id", "unit_id"),
        Index("ix_commendation_lists_status_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    # The issuing unit: the list holds what was recognised at its level inside its subtree.
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    # Its name when the list was issued (part of the snapshot; units are renamed, merged).
    unit_name: Mapped[str | None] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(_enum(REVIEW_LEVELS, "list_level"))
    year: Mapped[int]
    number: Mapped[int]
    status: Mapped[str] = mapped_column(_enum(LIST_STATUSES, "list_status"), default="pending")
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    started_at: Mapped[dt.datetime | None]
    issued_on: Mapped[dt.date | None]
    finished_at: Mapped[dt.datetime | None]
    count: Mapped[int | None]
    # The snapshot: the rows and the summary exactly as written into the files.
    rows: Mapped[list | None] = mapped_column(JSON)
    summary: Mapped[dict | None] = mapped_column(JSON)
    # {"pdf": {"name", "sha256", "size"}, "xlsx": ..., "csv": ...}
    files: Mapped[dict | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    # The stored files read back and matched their checksums: when written, then at each audit.
    verified_at: Mapped[dt.datetime | None]
    # The last audit found a file missing or altered (what, and when); downloads are refused
    # until an audit finds them whole again.
    audit_error: Mapped[str | None] = mapped_column(Text)
    audit_failed_at: Mapped[dt.datetime | None]
    # The PDF's digital signature (PAdES), when the issuing unit signs its lists: {"signer",
    # "signed_at", "key", "certificate_sha256"}; whether it verifies is checked on the file.
    signature: Mapped[dict | None] = mapped_column(JSON)

    campaign: Mapped[Campaign] = relationship()
    unit: Mapped[Unit] = relationship()
    requested_by: Mapped[User] = relationship()

    @property
    def issuer_name(self):
        """The issuing unit's name as the list was issued (its current name until then)."""
        return self.unit_name or self.unit.name


class Recognition(Base):
    """An entry of the register (sổ vàng): a nomination recognised, as things stood that day.

    Written with the recognition, in its transaction. It keeps the names of the cell and of the
    units above it as they were then (units are renamed and merged later), and the list that
    carries it once one is issued; `cell_id` places it in today's tree, where a merged unit
    hangs below the unit that carries it on, so the register follows reorganisations.
    """

    __tablename__ = "recognitions"
    __table_args__ = (
        Index("ix_recognitions_cell_id_recognized_on", "cell_id", "recognized_on"),
        # The register's search is a substring match on the folded name: trigrams on PostgreSQL
        # (which serve equality too), a plain index elsewhere.
        Index(
            "ix_recognitions_name_folded_trgm",
            "name_folded",
            postgresql_using="gin",
            postgresql_ops={"name_folded": "gin_trgm_ops"},
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    nomination_id: Mapped[int] = mapped_column(ForeignKey("nominations.id"), unique=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    year: Mapped[int]  # the campaign's year
    kind: Mapped[str] = mapped_column(_enum(KINDS, "recognition_kind"))
    nominee_name: Mapped[str] = mapped_column(String(200))
    # fields.fold(nominee_name): what searches and the duplicate check compare.
    name_folded: Mapped[str] = mapped_column(String(200))
    birth_year: Mapped[int | None]
    cell_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    # The cell and the reviewing units above it, nearest first, named as they were that day.
    unit_names: Mapped[list] = mapped_column(JSON)
    level: Mapped[str] = mapped_column(_enum(REVIEW_LEVELS, "recognition_level"))
    recognized_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    recognized_on: Mapped[dt.date]
    # The latest final list that carries it (set when that list is written).
    list_id: Mapped[int | None] = mapped_column(ForeignKey("commendation_lists.id"))

    commendation_list: Mapped[CommendationList | None] = relationship()


SIGNER_TITLES = ("secretary", "deputy_secretary")


class UnitSettings(Base):
    """A reviewing unit's own settings, kept by its administrators: who signs its documents
    ("T/M BAN THƯỜNG VỤ", then BÍ THƯ or PHÓ BÍ THƯ and the name), and the signing key its
    final lists are signed with — a name from the SIGNING_KEYS setting, where the operator keeps
    the PKCS#12 file or PKCS#11 token and where its password comes from; no secret is here."""

    __tablename__ = "unit_settings"

    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)
    signer_title: Mapped[str] = mapped_column(
        _enum(SIGNER_TITLES, "signer_title"), default="secretary"
    )
    signer_name: Mapped[str | None] = mapped_column(String(200))
    signing_key: Mapped[str | None] = mapped_column(String(60))
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    unit: Mapped[Unit] = relationship()


class Reorganisation(Base):
    """A change of the unit tree as applied: who, why, the operations and what they moved."""

    __tablename__ = "reorganisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    reason: Mapped[str] = mapped_column(Text)
    # None for the server's operator.
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The path of the nearest unit above everything it touched: who may read the record.
    scope_path: Mapped[str] = mapped_column(String(400))
    operations: Mapped[list] = mapped_column(JSON)
    # The preview as applied: units, accounts, campaigns and nominations (see reorganisation.py).
    report: Mapped[dict] = mapped_column(JSON)
    applied_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    actor: Mapped[User | None] = relationship()


class StoredFile(Base):
    """A file kept in the database (STORAGE_URL=database): its key, size and checksum; the
    bytes are in `stored_file_chunks`, so that no file is ever read or written whole."""

    __tablename__ = "stored_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    # "<area>/<key>": "evidence/3f9c…", "lists/12/list-12.pdf", "minutes/minutes-4-….pdf"
    key: Mapped[str] = mapped_column(String(255), unique=True)
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class StoredFileChunk(Base):
    """One block of a stored file, in order of `position` from 0."""

    __tablename__ = "stored_file_chunks"

    file_id: Mapped[int] = mapped_column(
        ForeignKey("stored_files.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class HistoryIsAppendOnly(Exception):
    pass


UNIT_VERSIONED = ("name", "level", "path")
_CHUNK = 5000  # ids per IN list: well below any driver's limit of bound parameters


@event.listens_for(Session, "before_flush")
def _record_how_things_were(session, flush_context, instances):
    """Keep names and places as they were: a new version of every unit created or renamed,
    moved or re-levelled (closing the one before), and the acting unit's name and level on
    every new history entry. One listener, so no writer of units or history can forget it."""
    now = utcnow()
    changed = []
    for instance in session.new:
        if isinstance(instance, Unit):
            session.add(_version_of(instance, unit=instance, valid_from=now))
        elif isinstance(instance, HistoryEntry) and instance.actor_unit_name is None:
            unit = instance.actor_unit
            if unit is None and instance.actor_unit_id is not None:
                unit = session.get(Unit, instance.actor_unit_id)
            if unit is not None:
                instance.actor_unit_name, instance.actor_unit_level = unit.name, unit.level
    for instance in session.dirty:
        if isinstance(instance, Unit) and instance.id is not None:
            state = inspect(instance)
            if any(state.attrs[name].history.has_changes() for name in UNIT_VERSIONED):
                changed.append(instance)
    ids = [unit.id for unit in changed]
    for start in range(0, len(ids), _CHUNK):
        session.execute(
            update(UnitVersion)
            .where(
                UnitVersion.unit_id.in_(ids[start : start + _CHUNK]), UnitVersion.valid_to.is_(None)
            )
            .values(valid_to=now)
            .execution_options(synchronize_session=False)
        )
    session.add_all(_version_of(unit, unit_id=unit.id, valid_from=now) for unit in changed)


@event.listens_for(Session, "after_flush")
def _roll_up_after_moves(session, flush_context):
    """When units move (a move, a merge, a dissolution, an import changes a path), cells change
    parents: rebuild `unit_counts` and `unit_totals` from the per-cell counts in the same flush,
    so the rollups follow the tree whoever moved it. The triggers carry every other change."""
    moved = any(
        isinstance(instance, Unit)
        and instance.id is not None
        and inspect(instance).attrs.path.history.has_changes()
        for instance in session.dirty
    )
    if not moved:
        return
    counts, cell, parent = NominationCount, aliased(Unit), aliased(Unit)
    dimensions = (counts.state, counts.kind, counts.target_level, counts.recognized_level)
    rolled_up = (
        select(counts.campaign_id, parent.id, parent.path, *dimensions, func.sum(counts.n))
        .join(cell, cell.id == counts.cell_id)
        .join(parent, parent.id == cell.parent_id)
        .where(counts.n != 0)
        .group_by(counts.campaign_id, parent.id, parent.path, *dimensions)
    )
    columns = (
        "campaign_id",
        "unit_id",
        "path",
        "state",
        "kind",
        "target_level",
        "recognized_level",
        "n",
    )
    if session.connection().dialect.name == "postgresql":
        # Let the actions in flight commit and hold new ones (and another rebuild) until this
        # one commits: one committed between the DELETE and the INSERT would collide with it.
        session.execute(text("LOCK TABLE nomination_counts IN SHARE ROW EXCLUSIVE MODE"))
    session.execute(delete(UnitCount).execution_options(synchronize_session=False))
    session.execute(insert(UnitCount).from_select(columns, rolled_up))
    session.execute(delete(UnitTotal).execution_options(synchronize_session=False))
    session.execute(insert(UnitTotal).from_select(("unit_id", "campaign_id", "n"), _totalled()))


def _totalled():
    """Each cell's nominations per campaign, added to the cell and each unit above it, walked
    up by `parent_id` as the triggers do (an index lookup per step, where matching paths
    compared every count with every unit)."""
    counts = NominationCount
    per_cell = (
        select(counts.cell_id, counts.campaign_id, func.sum(counts.n).label("n"))
        .group_by(counts.cell_id, counts.campaign_id)
        .cte("per_cell")
    )
    chain = (
        select(Unit.id, Unit.parent_id, per_cell.c.campaign_id, per_cell.c.n)
        .join(per_cell, per_cell.c.cell_id == Unit.id)
        .cte("chain", recursive=True)
    )
    above = aliased(Unit)
    chain = chain.union_all(
        select(above.id, above.parent_id, chain.c.campaign_id, chain.c.n).join(
            chain, above.id == chain.c.parent_id
        )
    )
    total = func.sum(chain.c.n)
    return (
        select(chain.c.id, chain.c.campaign_id, total)
        .group_by(chain.c.id, chain.c.campaign_id)
        .having(total != 0)
    )


def _version_of(source, **keys):
    return UnitVersion(name=source.name, level=source.level, path=source.path, **keys)


@event.listens_for(Session, "before_flush")
def _history_is_append_only(session, flush_context, instances):
    for instance in (*session.dirty, *session.deleted):
        if isinstance(instance, HistoryEntry) and (
            instance in session.deleted or session.is_modified(instance)
        ):
            raise HistoryIsAppendOnly(f"history entry {instance.id} cannot be changed")
