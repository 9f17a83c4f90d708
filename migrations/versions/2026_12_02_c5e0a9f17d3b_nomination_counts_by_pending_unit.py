"""Nomination counts also by the unit a nomination waits at: a reviewer's queue total (the API's
`total`, the menu's badge on every page) sums a row per cell instead of counting the nominations
waiting, which a district of a million-row province had by the ten thousand.

`nomination_counts` gains `pending_unit_id` in its key (0 while a nomination waits nowhere).
An action changes the state and the pending unit in one UPDATE, so its trigger runs no more
statements than before. The table is rebuilt from the nominations, with its triggers and those
of its rollup (`unit_counts`, unchanged).

Revision ID: c5e0a9f17d3b
Revises: b81d4e6c03f2
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "c5e0a9f17d3b"
down_revision = "b81d4e6c03f2"
branch_labels = None
depends_on = None

# The key of nomination_counts before and after, and the nominations' columns that fill it.
OLD_KEY = ("campaign_id", "cell_id", "state", "kind", "target_level", "recognized_level")
NEW_KEY = (*OLD_KEY, "pending_unit_id")
FILLED = {
    "campaign_id": "{r}.campaign_id",
    "cell_id": "{r}.cell_id",
    "state": "{r}.state",
    "kind": "{r}.kind",
    "target_level": "{r}.target_level",
    "recognized_level": "coalesce({r}.recognized_level, '')",
    "pending_unit_id": "coalesce({r}.pending_unit_id, 0)",
}


def _counting(key):
    """The SQL of the triggers on `nominations` that keep `nomination_counts` with `key`:
    (PostgreSQL's function and trigger, SQLite's three triggers)."""
    columns = ", ".join(key)
    values = ", ".join(FILLED[name].format(r="NEW") for name in key)
    matches = " AND ".join(f"{name} = {FILLED[name].format(r='OLD')}" for name in key)
    add_new = (
        f"INSERT INTO nomination_counts ({columns}, n) VALUES ({values}, 1) "
        f"ON CONFLICT ({columns}) DO UPDATE SET n = nomination_counts.n + 1"
    )
    take_old = f"UPDATE nomination_counts SET n = n - 1 WHERE {matches}"
    postgresql = f"""
CREATE FUNCTION nomination_counts_apply() RETURNS trigger AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        {take_old};
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        {add_new};
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER nominations_counted
    AFTER INSERT OR DELETE OR UPDATE OF {columns} ON nominations
    FOR EACH ROW EXECUTE FUNCTION nomination_counts_apply();
"""
    sqlite = [
        f"CREATE TRIGGER nominations_counted_insert AFTER INSERT ON nominations "
        f"BEGIN {add_new}; END",
        f"CREATE TRIGGER nominations_counted_delete AFTER DELETE ON nominations "
        f"BEGIN {take_old}; END",
        f"CREATE TRIGGER nominations_counted_update AFTER UPDATE OF {columns} ON nominations "
        f"BEGIN {take_old}; {add_new}; END",
    ]
    return postgresql, sqlite


# The rollup's triggers on nomination_counts, as the migration `unit_counts` made them.
ROLLUP_KEY = "campaign_id, unit_id, state, kind, target_level, recognized_level"


def _carry(row, n):
    return (
        f"INSERT INTO unit_counts ({ROLLUP_KEY}, n) "
        f"SELECT {row}.campaign_id, parent_id, {row}.state, {row}.kind, {row}.target_level, "
        f"{row}.recognized_level, {n} FROM units WHERE id = {row}.cell_id "
        "AND parent_id IS NOT NULL "
        f"ON CONFLICT ({ROLLUP_KEY}) DO UPDATE SET n = unit_counts.n + excluded.n"
    )


ROLLUP_POSTGRESQL = f"""
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

ROLLUP_SQLITE = [
    "CREATE TRIGGER nomination_counts_rolled_up_insert AFTER INSERT ON nomination_counts "
    f"BEGIN {_carry('NEW', 'NEW.n')}; END",
    "CREATE TRIGGER nomination_counts_rolled_up_update AFTER UPDATE OF n ON nomination_counts "
    f"WHEN NEW.n <> OLD.n BEGIN {_carry('NEW', 'NEW.n - OLD.n')}; END",
    "CREATE TRIGGER nomination_counts_rolled_up_delete AFTER DELETE ON nomination_counts "
    f"BEGIN {_carry('OLD', '-OLD.n')}; END",
]


def _drop_triggers(postgresql):
    if postgresql:
        op.execute("DROP TRIGGER nominations_counted ON nominations")
        op.execute("DROP FUNCTION nomination_counts_apply()")
        op.execute("DROP TRIGGER nomination_counts_rolled_up ON nomination_counts")
        op.execute("DROP FUNCTION unit_counts_apply()")
    else:
        for name in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER nominations_counted_{name}")
            op.execute(f"DROP TRIGGER nomination_counts_rolled_up_{name}")


def _rebuild(key, indexes):
    """nomination_counts made again with `key`, filled from the nominations (the rollup's rows
    do not change: the same nominations, by the same parents), and its triggers."""
    postgresql = op.get_bind().dialect.name == "postgresql"
    _drop_triggers(postgresql)
    op.drop_table("nomination_counts")
    columns = [
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("cell_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("target_level", sa.String(length=20), nullable=False),
        sa.Column("recognized_level", sa.String(length=20), nullable=False),
    ]
    if "pending_unit_id" in key:
        columns.append(sa.Column("pending_unit_id", sa.Integer(), nullable=False))
    op.create_table(
        "nomination_counts",
        *columns,
        sa.Column("n", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_nomination_counts_campaign_id_campaigns")
        ),
        sa.ForeignKeyConstraint(
            ["cell_id"], ["units.id"], name=op.f("fk_nomination_counts_cell_id_units")
        ),
        sa.PrimaryKeyConstraint(*key, name=op.f("pk_nomination_counts")),
    )
    for name, indexed in indexes:
        op.create_index(name, "nomination_counts", [indexed])
    filled = ", ".join(FILLED[name].format(r="nominations") for name in key)
    op.execute(
        f"INSERT INTO nomination_counts ({', '.join(key)}, n) "
        f"SELECT {filled}, count(*) FROM nominations GROUP BY {filled}"
    )
    counting_postgresql, counting_sqlite = _counting(key)
    if postgresql:
        op.execute(counting_postgresql)
        op.execute(ROLLUP_POSTGRESQL)
    else:
        for statement in (*counting_sqlite, *ROLLUP_SQLITE):
            op.execute(statement)


def upgrade():
    _rebuild(
        NEW_KEY,
        [
            ("ix_nomination_counts_cell_id", "cell_id"),
            ("ix_nomination_counts_pending_unit_id", "pending_unit_id"),
        ],
    )


def downgrade():
    _rebuild(OLD_KEY, [("ix_nomination_counts_cell_id", "cell_id")])
