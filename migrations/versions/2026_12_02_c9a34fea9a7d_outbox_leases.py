"""Outbox leases: a worker's claim names its lease, and a row that waited for an unreachable
mail server says so, to be due again as soon as the server answers.

Revision ID: c9a34fea9a7d
Revises: c79b6fde9458
Create Date: 2026-12-02

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c9a34fea9a7d'
down_revision = 'c79b6fde9458'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lease_token', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('server_down', sa.Boolean(), server_default=sa.false(), nullable=False))



def downgrade():
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('server_down')
        batch_op.drop_column('lease_token')

