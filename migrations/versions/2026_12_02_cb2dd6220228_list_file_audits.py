"""List files are verified when written and by a daily audit: when they last matched their
checksums, and what the last audit found missing or altered.

Lists done before this revision show no verification until the first audit runs.

Revision ID: cb2dd6220228
Revises: 5455800f3731
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "cb2dd6220228"
down_revision = "5455800f3731"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("commendation_lists", schema=None) as batch_op:
        batch_op.add_column(sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("audit_error", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("audit_failed_at", sa.DateTime(timezone=True), nullable=True)
        )


def downgrade():
    with op.batch_alter_table("commendation_lists", schema=None) as batch_op:
        batch_op.drop_column("audit_failed_at")
        batch_op.drop_column("audit_error")
        batch_op.drop_column("verified_at")
