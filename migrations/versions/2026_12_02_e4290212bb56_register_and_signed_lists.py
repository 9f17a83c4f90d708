"""The register of recognitions (sổ vàng), units' own settings, signed lists.

Every nomination already commended enters the register, dated by its recognising history entry
and named as its units stood that day (from unit_versions), with the latest done list that
carries it. Units' settings hold who signs their documents and the name of their signing key
(the key itself and its password stay in the server's settings). A list records its PDF's
digital signature.

Revision ID: e4290212bb56
Revises: 7c1e5a9d2b40
Create Date: 2026-12-02
"""

import datetime as dt
import unicodedata
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision = "e4290212bb56"
down_revision = "7c1e5a9d2b40"
branch_labels = None
depends_on = None

TIMEZONE = ZoneInfo("Asia/Ho_Chi_Minh")
REVIEW_LEVELS = ("commune", "district", "province")
RANK = {"cell": 0, "commune": 1, "district": 2, "province": 3}
BATCH = 2000


def _enum(values, name):
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=20)


def fold(text):
    """As workflow.fields.fold, frozen here: a migration does not follow later code."""
    decomposed = unicodedata.normalize("NFD", text or "")
    bare = "".join(character for character in decomposed if not unicodedata.combining(character))
    return " ".join(bare.replace("đ", "d").replace("Đ", "D").casefold().split())


def upgrade():
    op.create_table(
        "recognitions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("nomination_id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("kind", _enum(("individual", "collective"), "recognition_kind"), nullable=False),
        sa.Column("nominee_name", sa.String(length=200), nullable=False),
        sa.Column("name_folded", sa.String(length=200), nullable=False),
        sa.Column("birth_year", sa.Integer(), nullable=True),
        sa.Column("cell_id", sa.Integer(), nullable=False),
        sa.Column("unit_names", sa.JSON(), nullable=False),
        sa.Column("level", _enum(REVIEW_LEVELS, "recognition_level"), nullable=False),
        sa.Column("recognized_unit_id", sa.Integer(), nullable=False),
        sa.Column("recognized_on", sa.Date(), nullable=False),
        sa.Column("list_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["nomination_id"], ["nominations.id"], name=op.f("fk_recognitions_nomination_id_nominations")
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_recognitions_campaign_id_campaigns")
        ),
        sa.ForeignKeyConstraint(["cell_id"], ["units.id"], name=op.f("fk_recognitions_cell_id_units")),
        sa.ForeignKeyConstraint(
            ["recognized_unit_id"], ["units.id"], name=op.f("fk_recognitions_recognized_unit_id_units")
        ),
        sa.ForeignKeyConstraint(
            ["list_id"], ["commendation_lists.id"], name=op.f("fk_recognitions_list_id_commendation_lists")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recognitions")),
        sa.UniqueConstraint("nomination_id", name=op.f("uq_recognitions_nomination_id")),
    )
    with op.batch_alter_table("recognitions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_recognitions_cell_id_recognized_on", ["cell_id", "recognized_on"], unique=False
        )
        # Elsewhere (SQLite) a plain index keeps the schema identical to the models.
        batch_op.create_index(
            "ix_recognitions_name_folded_trgm",
            ["name_folded"],
            unique=False,
            postgresql_using="gin",
            postgresql_ops={"name_folded": "gin_trgm_ops"},
        )

    op.create_table(
        "unit_settings",
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column(
            "signer_title", _enum(("secretary", "deputy_secretary"), "signer_title"), nullable=False
        ),
        sa.Column("signer_name", sa.String(length=200), nullable=True),
        sa.Column("signing_key", sa.String(length=60), nullable=True),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_unit_settings_unit_id_units")),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["users.id"], name=op.f("fk_unit_settings_updated_by_id_users")
        ),
        sa.PrimaryKeyConstraint("unit_id", name=op.f("pk_unit_settings")),
    )

    with op.batch_alter_table("commendation_lists", schema=None) as batch_op:
        batch_op.add_column(sa.Column("signature", sa.JSON(), nullable=True))

    _register_what_was_recognised(op.get_bind())


def _register_what_was_recognised(connection):
    """One register row for each nomination commended before this revision."""
    meta = sa.MetaData()
    nominations = sa.Table("nominations", meta, autoload_with=connection)
    history = sa.Table("history", meta, autoload_with=connection)
    campaigns = sa.Table("campaigns", meta, autoload_with=connection)
    units = sa.Table("units", meta, autoload_with=connection)
    versions = sa.Table("unit_versions", meta, autoload_with=connection)
    lists = sa.Table("commendation_lists", meta, autoload_with=connection)
    recognitions = sa.Table("recognitions", meta, autoload_with=connection)

    ids = {code: unit_id for unit_id, code in connection.execute(sa.select(units.c.id, units.c.code))}
    held = {}  # unit id → [(valid_from, valid_to, name, level, path)]
    for row in connection.execute(
        sa.select(versions.c.unit_id, versions.c.valid_from, versions.c.valid_to, versions.c.name,
                  versions.c.level, versions.c.path).order_by(versions.c.id)
    ):
        held.setdefault(row.unit_id, []).append(row[1:])

    def as_of(unit_id, moment):
        for valid_from, valid_to, name, level, path in reversed(held.get(unit_id, [])):
            if (valid_from is None or _utc(valid_from) < moment) and (
                valid_to is None or _utc(valid_to) >= moment
            ):
                return name, level, path
        return None

    latest_list = {}
    for list_id, rows in connection.execute(
        sa.select(lists.c.id, lists.c.rows).where(lists.c.status == "done").order_by(lists.c.id)
    ):
        for row in rows or ():
            latest_list[row["nomination_id"]] = list_id

    recognised_at = (
        sa.select(history.c.nomination_id, sa.func.max(history.c.at).label("at"))
        .where(history.c.to_state == "commended")
        .group_by(history.c.nomination_id)
        .subquery()
    )
    query = (
        sa.select(
            nominations.c.id, nominations.c.campaign_id, campaigns.c.year, nominations.c.kind,
            nominations.c.nominee_name, nominations.c.nominee_birth_year, nominations.c.cell_id,
            nominations.c.recognized_level, nominations.c.recognized_unit_id,
            nominations.c.updated_at, recognised_at.c.at,
        )
        .join(campaigns, campaigns.c.id == nominations.c.campaign_id)
        .outerjoin(recognised_at, recognised_at.c.nomination_id == nominations.c.id)
        .where(nominations.c.state == "commended")
        .order_by(nominations.c.id)
    )
    batch = []
    for row in connection.execute(query):
        moment = _utc(row.at or row.updated_at)
        cell = as_of(row.cell_id, moment) or as_of(row.cell_id, dt.datetime.max.replace(tzinfo=dt.UTC))
        names, recognising_unit = [], row.recognized_unit_id
        if cell is not None:
            names.append(cell[0])
            for code in reversed(cell[2].strip("/").split("/")[:-1]):
                above = as_of(ids.get(code), moment)
                if above is not None and above[1] in REVIEW_LEVELS:
                    names.append(above[0])
                    if recognising_unit is None and above[1] == row.recognized_level:
                        recognising_unit = ids[code]
        batch.append(
            {
                "nomination_id": row.id,
                "campaign_id": row.campaign_id,
                "year": row.year,
                "kind": row.kind,
                "nominee_name": row.nominee_name,
                "name_folded": fold(row.nominee_name),
                "birth_year": row.nominee_birth_year,
                "cell_id": row.cell_id,
                "unit_names": names,
                "level": row.recognized_level,
                "recognized_unit_id": recognising_unit or row.cell_id,
                "recognized_on": moment.astimezone(TIMEZONE).date(),
                "list_id": latest_list.get(row.id),
            }
        )
        if len(batch) >= BATCH:
            connection.execute(recognitions.insert(), batch)
            batch = []
    if batch:
        connection.execute(recognitions.insert(), batch)


def _utc(moment):
    """SQLite gives timestamps back without their zone; they were written in UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def downgrade():
    with op.batch_alter_table("commendation_lists", schema=None) as batch_op:
        batch_op.drop_column("signature")
    op.drop_table("unit_settings")
    with op.batch_alter_table("recognitions", schema=None) as batch_op:
        batch_op.drop_index("ix_recognitions_name_folded_trgm")
        batch_op.drop_index("ix_recognitions_cell_id_recognized_on")
    op.drop_table("recognitions")
