"""Nomination counts rolled up to each cell's parent: a province's summary and list total
read a row per commune instead of a row per cell.

`nomination_counts` keeps one row per campaign, cell, state, kind and levels; a province's
summary summed its thousands of rows on every request. `unit_counts` keeps the same counts per
cell's parent (a commune, or a district for a cell directly under it), so a province reads a
tenth of the rows. Not every ancestor: a row every action of a province updated (its own) would
make all of them wait for each other's commit. A trigger on `nomination_counts` carries every
change to the parent's row in the same statement; when the tree itself changes (a unit moved,
merged, dissolved), the session rebuilds the rollup in the same flush
(`workflow.models._roll_up_after_moves`).

Revision ID: 5e8c2a7d41f3
Revises: 9b5df6fbc6a7
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "5e8c2a7d41f3"
down_revision = "9b5df6fbc6a7"
branch_labels = None
depends_on = None

KEY = "campaign_id, unit_id, state, kind, target_level, recognized_level"


def _carry(row, n):
    """Add `n` to the counts of `row`'s cell's parent."""
    return (
        f"INSERT INTO unit_counts ({KEY}, n) "
        f"SELECT {row}.campaign_id, parent_id, {row}.state, {row}.kind, {row}.target_level, "
        f"{row}.recognized_level, {n} FROM units WHERE id = {row}.cell_id "
        "AND parent_id IS NOT NULL "
        f"ON CONFLICT ({KEY}) DO UPDATE SET n = unit_counts.n + excluded.n"
    )


POSTGRESQL = f"""
CREATE FUNCTION unit_counts_apply() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        {_carry("NEW", "NEW.n")};
    ELSIF TG_OP = 'UPDATE' THEN
        IF NEW.n <> OLD.n THEN
            {_carry("NEW", "NEW.n - OLD.n")};
        END IF;
    ELSE
        {_carry("OLD", "-OLD.n")};
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER nomination_counts_rolled_up
    AFTER INSERT OR DELETE OR UPDATE OF n ON nomination_counts
    FOR EACH ROW EXECUTE FUNCTION unit_counts_apply();
"""

SQLITE = [
    "CREATE TRIGGER nomination_counts_rolled_up_insert AFTER INSERT ON nomination_counts "
    f"BEGIN {_carry('NEW', 'NEW.n')}; END",
    "CREATE TRIGGER nomination_counts_rolled_up_update AFTER UPDATE OF n ON nomination_counts "
    f"WHEN NEW.n <> OLD.n BEGIN {_carry('NEW', 'NEW.n - OLD.n')}; END",
    "CREATE TRIGGER nomination_counts_rolled_up_delete AFTER DELETE ON nomination_counts "
    f"BEGIN {_carry('OLD', '-OLD.n')}; END",
]


def upgrade():
    op.create_table(
        "unit_counts",
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("target_level", sa.String(length=20), nullable=False),
        sa.Column("recognized_level", sa.String(length=20), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        # Derived rows: they go with their campaign or unit.
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_unit_counts_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_unit_counts_unit_id_units"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint(
            "unit_id",
            "campaign_id",
            "state",
            "kind",
            "target_level",
            "recognized_level",
            name=op.f("pk_unit_counts"),
        ),
    )
    dialect = op.get_bind().dialect.name
    op.execute(
        f"INSERT INTO unit_counts ({KEY}, n) "
        "SELECT c.campaign_id, cell.parent_id, c.state, c.kind, c.target_level, "
        "c.recognized_level, sum(c.n) FROM nomination_counts c "
        "JOIN units cell ON cell.id = c.cell_id "
        "WHERE c.n <> 0 AND cell.parent_id IS NOT NULL "
        "GROUP BY c.campaign_id, cell.parent_id, c.state, c.kind, c.target_level, "
        "c.recognized_level"
    )
    if dialect == "postgresql":
        op.execute(POSTGRESQL)
    else:
        for statement in SQLITE:
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER nomination_counts_rolled_up ON nomination_counts")
        op.execute("DROP FUNCTION unit_counts_apply()")
    else:
        for name in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER nomination_counts_rolled_up_{name}")
    op.drop_table("unit_counts")
