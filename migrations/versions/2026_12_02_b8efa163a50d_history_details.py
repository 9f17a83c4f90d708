"""History entries carry the details of their kind (a committee's tally, a reorganisation).

Revision ID: b8efa163a50d
Revises: e63e1d2362b0
Create Date: 2026-12-02

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b8efa163a50d'
down_revision = 'e63e1d2362b0'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('history', schema=None) as batch_op:
        batch_op.add_column(sa.Column('details', sa.JSON(), nullable=True))



def downgrade():
    with op.batch_alter_table('history', schema=None) as batch_op:
        batch_op.drop_column('details')

