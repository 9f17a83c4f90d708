"""Reorganisation of the unit tree: retired units, unit versions, names at the time.

Units merged or dissolved are kept as retired units with a successor; every unit's name, level
and path is versioned with dates; history entries and lists keep the unit's name as it was
then; a reorganisation is recorded with its reason and what it moved. The operator's own
history entries (a reorganisation from the shell) have no account, so `history.actor_id` and
`history.actor_unit_id` may be NULL.

Revision ID: 1655c467a89c
Revises: c9a34fea9a7d
Create Date: 2026-12-02

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '1655c467a89c'
down_revision = 'c9a34fea9a7d'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('unit_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('level', sa.String(length=20), nullable=False),
    sa.Column('path', sa.String(length=400), nullable=False),
    sa.Column('valid_from', sa.DateTime(timezone=True), nullable=True),
    sa.Column('valid_to', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_unit_versions_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_unit_versions'))
    )
    with op.batch_alter_table('unit_versions', schema=None) as batch_op:
        batch_op.create_index('ix_unit_versions_unit_id_valid_from', ['unit_id', 'valid_from'], unique=False)
    # Every unit stood as it stands now since before records began.
    op.execute(
        "INSERT INTO unit_versions (unit_id, name, level, path, valid_from, valid_to) "
        "SELECT id, name, level, path, NULL, NULL FROM units"
    )

    op.create_table('reorganisations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('scope_path', sa.String(length=400), nullable=False),
    sa.Column('operations', sa.JSON(), nullable=False),
    sa.Column('report', sa.JSON(), nullable=False),
    sa.Column('applied_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_reorganisations_actor_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reorganisations'))
    )

    with op.batch_alter_table('commendation_lists', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unit_name', sa.String(length=200), nullable=True))
    # No unit was ever renamed before this revision: today's name is the one of the issue.
    op.execute(
        "UPDATE commendation_lists SET unit_name = "
        "(SELECT name FROM units WHERE units.id = commendation_lists.unit_id) "
        "WHERE issued_on IS NOT NULL"
    )

    with op.batch_alter_table('history', schema=None) as batch_op:
        batch_op.add_column(sa.Column('actor_unit_name', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('actor_unit_level', sa.String(length=20), nullable=True))
        batch_op.alter_column('actor_id',
               existing_type=sa.INTEGER(),
               nullable=True)
        batch_op.alter_column('actor_unit_id',
               existing_type=sa.INTEGER(),
               nullable=True)
    op.execute(
        "UPDATE history SET "
        "actor_unit_name = (SELECT name FROM units WHERE units.id = history.actor_unit_id), "
        "actor_unit_level = (SELECT level FROM units WHERE units.id = history.actor_unit_id)"
    )

    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.add_column(sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('successor_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_units_successor_id_units'), 'units', ['successor_id'], ['id'])


def downgrade():
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_units_successor_id_units'), type_='foreignkey')
        batch_op.drop_column('successor_id')
        batch_op.drop_column('retired_at')

    # Entries of the operator have no account to fall back on: they cannot stay.
    op.execute("DELETE FROM outbox WHERE history_id IN (SELECT id FROM history WHERE actor_id IS NULL)")
    op.execute("DELETE FROM history WHERE actor_id IS NULL")
    with op.batch_alter_table('history', schema=None) as batch_op:
        batch_op.alter_column('actor_unit_id',
               existing_type=sa.INTEGER(),
               nullable=False)
        batch_op.alter_column('actor_id',
               existing_type=sa.INTEGER(),
               nullable=False)
        batch_op.drop_column('actor_unit_level')
        batch_op.drop_column('actor_unit_name')

    with op.batch_alter_table('commendation_lists', schema=None) as batch_op:
        batch_op.drop_column('unit_name')

    op.drop_table('reorganisations')
    with op.batch_alter_table('unit_versions', schema=None) as batch_op:
        batch_op.drop_index('ix_unit_versions_unit_id_valid_from')

    op.drop_table('unit_versions')
