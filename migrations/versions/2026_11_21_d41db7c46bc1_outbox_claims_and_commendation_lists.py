"""Outbox claims and back-off; final commendation lists (numbered per unit and year).

Revision ID: d41db7c46bc1
Revises: 3b31a7725608
Create Date: 2026-11-21
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd41db7c46bc1'
down_revision = '3b31a7725608'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('commendation_lists',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('level', sa.Enum('commune', 'district', 'province', name='list_level', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('pending', 'running', 'done', 'failed', name='list_status', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('issued_on', sa.Date(), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('count', sa.Integer(), nullable=True),
    sa.Column('rows', sa.JSON(), nullable=True),
    sa.Column('summary', sa.JSON(), nullable=True),
    sa.Column('files', sa.JSON(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_commendation_lists_campaign_id_campaigns')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_commendation_lists_requested_by_id_users')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_commendation_lists_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_commendation_lists')),
    sa.UniqueConstraint('unit_id', 'year', 'number', name=op.f('uq_commendation_lists_unit_id_year_number'))
    )
    with op.batch_alter_table('commendation_lists', schema=None) as batch_op:
        batch_op.create_index('ix_commendation_lists_campaign_id_unit_id', ['campaign_id', 'unit_id'], unique=False)
        batch_op.create_index('ix_commendation_lists_status_id', ['status', 'id'], unique=False)

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True))



def downgrade():
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('next_attempt_at')
        batch_op.drop_column('claimed_at')

    with op.batch_alter_table('commendation_lists', schema=None) as batch_op:
        batch_op.drop_index('ix_commendation_lists_status_id')
        batch_op.drop_index('ix_commendation_lists_campaign_id_unit_id')

    op.drop_table('commendation_lists')
