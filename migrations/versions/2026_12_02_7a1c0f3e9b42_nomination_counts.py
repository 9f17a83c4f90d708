"""Nomination counts per campaign, cell, state, kind and levels, kept by triggers.

The summary report and the list totals read these sums instead of counting every nomination
(a province holds up to a million). Triggers keep them in the same statement as each change of
`nominations`, on PostgreSQL and SQLite alike, so no writer (an action, a reorganisation, a
bulk load) can forget them.

Revision ID: 7a1c0f3e9b42
Revises: 1655c467a89c
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "7a1c0f3e9b42"
down_revision = "1655c467a89c"
branch_labels = None
depends_on = None

KEY = "campaign_id, cell_id, state, kind, target_level, recognized_level"


def _row(prefix):
    return (
        f"{prefix}.campaign_id, {prefix}.cell_id, {prefix}.state, {prefix}.kind, "
        f"{prefix}.target_level, coalesce({prefix}.recognized_level, '')"
    )


def _matches(prefix):
    return (
        f"campaign_id = {prefix}.campaign_id AND cell_id = {prefix}.cell_id "
        f"AND state = {prefix}.state AND kind = {prefix}.kind "
        f"AND target_level = {prefix}.target_level "
        f"AND recognized_level = coalesce({prefix}.recognized_level, '')"
    )


ADD_NEW = (
    f"INSERT INTO nomination_counts ({KEY}, n) VALUES ({_row('NEW')}, 1) "
    f"ON CONFLICT ({KEY}) DO UPDATE SET n = nomination_counts.n + 1"
)
TAKE_OLD = f"UPDATE nomination_counts SET n = n - 1 WHERE {_matches('OLD')}"
COLUMNS = "campaign_id, cell_id, state, kind, target_level, recognized_level"

POSTGRESQL = f"""
CREATE FUNCTION nomination_counts_apply() RETURNS trigger AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        {TAKE_OLD};
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        {ADD_NEW};
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER nominations_counted
    AFTER INSERT OR DELETE OR UPDATE OF {COLUMNS} ON nominations
    FOR EACH ROW EXECUTE FUNCTION nomination_counts_apply();
"""

SQLITE = [
    f"CREATE TRIGGER nominations_counted_insert AFTER INSERT ON nominations BEGIN {ADD_NEW}; END",
    f"CREATE TRIGGER nominations_counted_delete AFTER DELETE ON nominations BEGIN {TAKE_OLD}; END",
    f"CREATE TRIGGER nominations_counted_update AFTER UPDATE OF {COLUMNS} ON nominations "
    f"BEGIN {TAKE_OLD}; {ADD_NEW}; END",
]


def upgrade():
    op.create_table(
        "nomination_counts",
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("cell_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("target_level", sa.String(length=20), nullable=False),
        sa.Column("recognized_level", sa.String(length=20), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_nomination_counts_campaign_id_campaigns"),
        ),
        sa.ForeignKeyConstraint(
            ["cell_id"], ["units.id"], name=op.f("fk_nomination_counts_cell_id_units")
        ),
        sa.PrimaryKeyConstraint(
            "campaign_id",
            "cell_id",
            "state",
            "kind",
            "target_level",
            "recognized_level",
            name=op.f("pk_nomination_counts"),
        ),
    )
    op.execute(
        f"INSERT INTO nomination_counts ({KEY}, n) "
        f"SELECT campaign_id, cell_id, state, kind, target_level, "
        f"coalesce(recognized_level, ''), count(*) FROM nominations "
        f"GROUP BY campaign_id, cell_id, state, kind, target_level, coalesce(recognized_level, '')"
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRESQL)
    else:
        for statement in SQLITE:
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER nominations_counted ON nominations")
        op.execute("DROP FUNCTION nomination_counts_apply()")
    else:
        for name in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER nominations_counted_{name}")
    op.drop_table("nomination_counts")
