"""The rollup's rows carry their unit's path: a subtree's counts are the rows whose path starts
with the subtree's, read from an index, instead of a join with every unit of the subtree (a
province's summary and list total spent most of their time in the database on that join).

The triggers on `nomination_counts` fill the path on the row they add; a change of the tree
rebuilds the rollup with the new paths in the same flush (`workflow.models._roll_up_after_moves`).

Revision ID: 7d2e5b9c8a14
Revises: c5e0a9f17d3b
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "7d2e5b9c8a14"
down_revision = "c5e0a9f17d3b"
branch_labels = None
depends_on = None

KEY = "campaign_id, unit_id, state, kind, target_level, recognized_level"


def _carry(row, n, path):
    """Add `n` to the counts of `row`'s cell's parent (with its path, when `path`)."""
    if path:
        return (
            f"INSERT INTO unit_counts ({KEY}, path, n) "
            f"SELECT {row}.campaign_id, parent.id, {row}.state, {row}.kind, {row}.target_level, "
            f"{row}.recognized_level, parent.path, {n} FROM units cell "
            f"JOIN units parent ON parent.id = cell.parent_id WHERE cell.id = {row}.cell_id "
            f"ON CONFLICT ({KEY}) DO UPDATE SET n = unit_counts.n + excluded.n"
        )
    return (
        f"INSERT INTO unit_counts ({KEY}, n) "
        f"SELECT {row}.campaign_id, parent_id, {row}.state, {row}.kind, {row}.target_level, "
        f"{row}.recognized_level, {n} FROM units WHERE id = {row}.cell_id "
        "AND parent_id IS NOT NULL "
        f"ON CONFLICT ({KEY}) DO UPDATE SET n = unit_counts.n + excluded.n"
    )


def _create_triggers(path):
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"""
CREATE FUNCTION unit_counts_apply() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        {_carry("NEW", "NEW.n", path)};
    ELSIF TG_OP = 'UPDATE' THEN
        IF NEW.n <> OLD.n THEN
            {_carry("NEW", "NEW.n - OLD.n", path)};
        END IF;
    ELSE
        {_carry("OLD", "-OLD.n", path)};
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER nomination_counts_rolled_up
    AFTER INSERT OR DELETE OR UPDATE OF n ON nomination_counts
    FOR EACH ROW EXECUTE FUNCTION unit_counts_apply();
""")
        return
    for statement in (
        "CREATE TRIGGER nomination_counts_rolled_up_insert AFTER INSERT ON nomination_counts "
        f"BEGIN {_carry('NEW', 'NEW.n', path)}; END",
        "CREATE TRIGGER nomination_counts_rolled_up_update AFTER UPDATE OF n ON nomination_counts "
        f"WHEN NEW.n <> OLD.n BEGIN {_carry('NEW', 'NEW.n - OLD.n', path)}; END",
        "CREATE TRIGGER nomination_counts_rolled_up_delete AFTER DELETE ON nomination_counts "
        f"BEGIN {_carry('OLD', '-OLD.n', path)}; END",
    ):
        op.execute(statement)


def _drop_triggers():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER nomination_counts_rolled_up ON nomination_counts")
        op.execute("DROP FUNCTION unit_counts_apply()")
    else:
        for name in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER nomination_counts_rolled_up_{name}")


def upgrade():
    _drop_triggers()
    with op.batch_alter_table("unit_counts") as batch_op:
        batch_op.add_column(sa.Column("path", sa.String(length=400), nullable=True))
    op.execute(
        "UPDATE unit_counts SET path = (SELECT path FROM units WHERE units.id = unit_counts.unit_id)"
    )
    with op.batch_alter_table("unit_counts") as batch_op:
        batch_op.alter_column("path", existing_type=sa.String(length=400), nullable=False)
        batch_op.create_index(
            "ix_unit_counts_path", ["path"], unique=False, postgresql_ops={"path": "text_pattern_ops"}
        )
    _create_triggers(path=True)


def downgrade():
    _drop_triggers()
    with op.batch_alter_table("unit_counts") as batch_op:
        batch_op.drop_index("ix_unit_counts_path", postgresql_ops={"path": "text_pattern_ops"})
        batch_op.drop_column("path")
    _create_triggers(path=False)
