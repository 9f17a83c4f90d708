"""An index on nomination_counts by cell: a scope's own counts (`queries.counts_within`) are
read beside its rolled-up ones, by cell, on every summary and list total.

Revision ID: a3f7c9e1d254
Revises: 5e8c2a7d41f3
Create Date: 2026-12-02
"""

from alembic import op

revision = "a3f7c9e1d254"
down_revision = "5e8c2a7d41f3"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_nomination_counts_cell_id", "nomination_counts", ["cell_id"])


def downgrade():
    op.drop_index("ix_nomination_counts_cell_id", table_name="nomination_counts")
