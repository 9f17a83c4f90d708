"""How many nominations of a campaign lie in each unit's subtree (`unit_totals`), kept by triggers
on `nominations`: a list's total without filters reads a row per campaign instead of summing
every commune's `unit_counts` rows (a province's thousand and more, more with each campaign).

Only an insert, a delete or a change of a nomination's cell or campaign writes these rows, for
the cell and each of its ancestors; an action changes neither. On PostgreSQL the ancestors are
walked up by `parent_id`, the province's row locked first; SQLite, whose triggers cannot hold a
WITH, matches them by path. A change of the tree rebuilds the table in the same flush
(`workflow.models._roll_up_after_moves`).

Revision ID: 9b3f1c7a2d60
Revises: 7d2e5b9c8a14
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "9b3f1c7a2d60"
down_revision = "7d2e5b9c8a14"
branch_labels = None
depends_on = None

# A cell's chain on PostgreSQL: the cell, its parent, …, the root, with their depth from it.
CHAIN = (
    "WITH RECURSIVE chain AS ("
    "SELECT id, parent_id, 0 AS depth FROM units WHERE id = {row}.cell_id "
    "UNION ALL SELECT units.id, units.parent_id, chain.depth + 1 "
    "FROM units JOIN chain ON units.id = chain.parent_id) "
)
# The same on SQLite: the units whose path the cell's path starts with (the cell's among them).
PREFIXES = (
    "SELECT {columns} FROM units cell "
    "JOIN units unit ON substr(cell.path, 1, length(unit.path)) = unit.path "
    "WHERE cell.id = {row}.cell_id"
)
UPSERT = "ON CONFLICT (unit_id, campaign_id) DO UPDATE SET n = unit_totals.n + 1"


def _add(row, postgresql):
    if postgresql:
        # The root first: concurrent inserts queue on the province's row, not across the chain.
        return (
            CHAIN.format(row=row) + "INSERT INTO unit_totals (unit_id, campaign_id, n) "
            f"SELECT id, {row}.campaign_id, 1 FROM chain ORDER BY depth DESC {UPSERT}"
        )
    columns = f"unit.id, {row}.campaign_id, 1"
    return (
        "INSERT INTO unit_totals (unit_id, campaign_id, n) "
        f"{PREFIXES.format(columns=columns, row=row)} {UPSERT}"
    )


def _take(row, postgresql):
    units = "SELECT id FROM chain" if postgresql else PREFIXES.format(columns="unit.id", row=row)
    return (CHAIN.format(row=row) if postgresql else "") + (
        f"UPDATE unit_totals SET n = n - 1 WHERE campaign_id = {row}.campaign_id "
        f"AND unit_id IN ({units})"
    )


def _create_triggers(postgresql):
    if postgresql:
        op.execute(f"""
CREATE FUNCTION unit_totals_apply() RETURNS trigger AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        {_take("OLD", postgresql)};
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        {_add("NEW", postgresql)};
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER nominations_totalled
    AFTER INSERT OR DELETE ON nominations
    FOR EACH ROW EXECUTE FUNCTION unit_totals_apply();
CREATE TRIGGER nominations_totalled_moved
    AFTER UPDATE OF cell_id, campaign_id ON nominations
    FOR EACH ROW
    WHEN (OLD.cell_id IS DISTINCT FROM NEW.cell_id OR OLD.campaign_id IS DISTINCT FROM NEW.campaign_id)
    EXECUTE FUNCTION unit_totals_apply();
""")
        return
    for statement in (
        "CREATE TRIGGER nominations_totalled_insert AFTER INSERT ON nominations "
        f"BEGIN {_add('NEW', postgresql)}; END",
        "CREATE TRIGGER nominations_totalled_delete AFTER DELETE ON nominations "
        f"BEGIN {_take('OLD', postgresql)}; END",
        "CREATE TRIGGER nominations_totalled_moved AFTER UPDATE OF cell_id, campaign_id "
        "ON nominations WHEN OLD.cell_id IS NOT NEW.cell_id "
        "OR OLD.campaign_id IS NOT NEW.campaign_id "
        f"BEGIN {_take('OLD', postgresql)}; {_add('NEW', postgresql)}; END",
    ):
        op.execute(statement)


def upgrade():
    op.create_table(
        "unit_totals",
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_unit_totals_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_unit_totals_unit_id_units"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("unit_id", "campaign_id", name=op.f("pk_unit_totals")),
    )
    postgresql = op.get_bind().dialect.name == "postgresql"
    if postgresql:
        # Inserts wait until the table is filled and the triggers are there.
        op.execute("LOCK TABLE nominations IN SHARE ROW EXCLUSIVE MODE")
    op.execute(
        "INSERT INTO unit_totals (unit_id, campaign_id, n) "
        "SELECT unit.id, counts.campaign_id, sum(counts.n) FROM nomination_counts counts "
        "JOIN units cell ON cell.id = counts.cell_id "
        "JOIN units unit ON substr(cell.path, 1, length(unit.path)) = unit.path "
        "GROUP BY unit.id, counts.campaign_id HAVING sum(counts.n) <> 0"
    )
    _create_triggers(postgresql)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER nominations_totalled_moved ON nominations")
        op.execute("DROP TRIGGER nominations_totalled ON nominations")
        op.execute("DROP FUNCTION unit_totals_apply()")
    else:
        for name in ("insert", "delete", "moved"):
            op.execute(f"DROP TRIGGER nominations_totalled_{name}")
    op.drop_table("unit_totals")
