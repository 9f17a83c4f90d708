"""How many nominations of a campaign lie in each unit's subtree (`unit_totals`), kept by triggers
on `nominations`: a list's total without filters reads a row per campaign instead of summing
every commune's `unit_counts` rows (a province's thousand and more, more with each campaign).

Only an insert, a delete or a change of a nomination's cell or campaign writes these rows; an
action changes neither. A row rewritten many times in one transaction grows a chain of versions
that each rewrite walks, and the province's row is in every chain: so on PostgreSQL an insert or
a delete of many rows in one statement writes each unit's row once (statement triggers, over the
statement's rows), and a move writes only the units that are not above both cells (a merge moves
a cell's nominations one by one; the province's row is above both). SQLite, whose rows have no
such chain, keeps them with row triggers, its ancestors matched by path. A change of the tree
rebuilds the table in the same flush (`workflow.models._roll_up_after_moves`).

Every insert or delete of nominations locks the province's row until its transaction commits:
creations queue there, as they commit at once. The path order keeps these rows' locks in one
order; the per-cell counts' row triggers lock theirs first, so two transactions each writing
nominations in several statements could deadlock (one is then refused, to retry): a bulk
writer runs alone and commits in batches. TRUNCATE is not followed (nor by the counts).

Revision ID: 27606f8c3c60
Revises: 7d2e5b9c8a14
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "27606f8c3c60"
down_revision = "7d2e5b9c8a14"
branch_labels = None
depends_on = None

UPSERT = "ON CONFLICT (unit_id, campaign_id) DO UPDATE SET n = unit_totals.n + excluded.n"

# The units above the cells of `changed` (cell_id, campaign_id, n), the cells themselves
# included, with what each gains (PostgreSQL's triggers, and the fill on both databases); the
# rows written in path order, the province's first, so that concurrent writers queue on it
# instead of locking each other's chains.
CHAINED = """
WITH RECURSIVE changed (cell_id, campaign_id, n) AS ({changed}),
chain AS (
    SELECT units.id, units.parent_id, units.path, changed.campaign_id, changed.n
    FROM changed JOIN units ON units.id = changed.cell_id
    UNION ALL
    SELECT units.id, units.parent_id, units.path, chain.campaign_id, chain.n
    FROM chain JOIN units ON units.id = chain.parent_id
)
INSERT INTO unit_totals (unit_id, campaign_id, n)
SELECT id, campaign_id, sum(n) FROM chain GROUP BY id, path, campaign_id
HAVING sum(n) <> 0 ORDER BY path, campaign_id
""" + UPSERT

# What each trigger's function adds along the chains: the statement's inserted rows, its deleted
# rows, or a move (+1 along the new cell's chain, -1 along the old one's; above both, they
# cancel out).
CHANGED = {
    "inserted": "SELECT cell_id, campaign_id, count(*) FROM added GROUP BY 1, 2",
    "deleted": "SELECT cell_id, campaign_id, -count(*) FROM taken GROUP BY 1, 2",
    "moved": "SELECT NEW.cell_id, NEW.campaign_id, 1 UNION ALL SELECT OLD.cell_id, OLD.campaign_id, -1",
}

POSTGRESQL = "".join(
    f"""
CREATE FUNCTION unit_totals_{name}() RETURNS trigger AS $$
BEGIN
    {CHAINED.format(changed=changed)};
    RETURN NULL;
END
$$ LANGUAGE plpgsql;"""
    for name, changed in CHANGED.items()
) + """
CREATE TRIGGER nominations_totalled_insert
    AFTER INSERT ON nominations REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION unit_totals_inserted();
CREATE TRIGGER nominations_totalled_delete
    AFTER DELETE ON nominations REFERENCING OLD TABLE AS taken
    FOR EACH STATEMENT EXECUTE FUNCTION unit_totals_deleted();
CREATE TRIGGER nominations_totalled_moved
    AFTER UPDATE OF cell_id, campaign_id ON nominations
    FOR EACH ROW
    WHEN (OLD.cell_id IS DISTINCT FROM NEW.cell_id OR OLD.campaign_id IS DISTINCT FROM NEW.campaign_id)
    EXECUTE FUNCTION unit_totals_moved();
"""

# SQLite: the units whose path the cell's path starts with (the cell's among them).
PREFIXES = (
    "SELECT {columns} FROM units cell "
    "JOIN units unit ON substr(cell.path, 1, length(unit.path)) = unit.path "
    "WHERE cell.id = {row}.cell_id"
)


def _add(row):
    columns = f"unit.id, {row}.campaign_id, 1"
    return (
        "INSERT INTO unit_totals (unit_id, campaign_id, n) "
        f"{PREFIXES.format(columns=columns, row=row)} {UPSERT}"
    )


def _take(row):
    return (
        f"UPDATE unit_totals SET n = n - 1 WHERE campaign_id = {row}.campaign_id "
        f"AND unit_id IN ({PREFIXES.format(columns='unit.id', row=row)})"
    )


SQLITE = (
    "CREATE TRIGGER nominations_totalled_insert AFTER INSERT ON nominations "
    f"BEGIN {_add('NEW')}; END",
    "CREATE TRIGGER nominations_totalled_delete AFTER DELETE ON nominations "
    f"BEGIN {_take('OLD')}; END",
    "CREATE TRIGGER nominations_totalled_moved AFTER UPDATE OF cell_id, campaign_id "
    "ON nominations WHEN OLD.cell_id IS NOT NEW.cell_id "
    "OR OLD.campaign_id IS NOT NEW.campaign_id "
    f"BEGIN {_take('OLD')}; {_add('NEW')}; END",
)


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
    # Each cell's counts, walked up as the triggers walk them.
    op.execute(
        CHAINED.format(
            changed="SELECT cell_id, campaign_id, sum(n) FROM nomination_counts GROUP BY 1, 2"
        )
    )
    if postgresql:
        op.execute(POSTGRESQL)
    else:
        for statement in SQLITE:
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for name in ("insert", "delete", "moved"):
            op.execute(f"DROP TRIGGER nominations_totalled_{name} ON nominations")
        for name in CHANGED:
            op.execute(f"DROP FUNCTION unit_totals_{name}()")
    else:
        for name in ("insert", "delete", "moved"):
            op.execute(f"DROP TRIGGER nominations_totalled_{name}")
    op.drop_table("unit_totals")
