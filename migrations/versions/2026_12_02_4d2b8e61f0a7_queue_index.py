"""The reviewer's queue index in the queue's whole order, covering the cell: the queue's total
is then an index-only count, and a page needs no sort.

Revision ID: 4d2b8e61f0a7
Revises: 7a1c0f3e9b42
Create Date: 2026-12-02
"""

from alembic import op

revision = "4d2b8e61f0a7"
down_revision = "7a1c0f3e9b42"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("nominations", schema=None) as batch_op:
        batch_op.drop_index("ix_nominations_pending_unit_id_pending_since")
        batch_op.create_index(
            "ix_nominations_queue",
            ["pending_unit_id", "pending_since", "updated_at", "id"],
            unique=False,
            postgresql_include=["cell_id"],
        )


def downgrade():
    with op.batch_alter_table("nominations", schema=None) as batch_op:
        batch_op.drop_index("ix_nominations_queue")
        batch_op.create_index(
            "ix_nominations_pending_unit_id_pending_since",
            ["pending_unit_id", "pending_since"],
            unique=False,
        )
