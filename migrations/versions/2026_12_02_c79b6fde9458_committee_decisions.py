"""Committee decisions: campaign options pinned with amendments, quotas, committees, meetings
with secret ballots, publications for public comment, a province's extra days off.

Campaigns opened before keep deciding as they did: every level reviews, one reviewer decides,
no comment period. Nominations already recognised count against quotas at the unit whose
reviewer recognised them.

Revision ID: c79b6fde9458
Revises: cb2dd6220228
Create Date: 2026-12-02
"""
import json

from alembic import op
import sqlalchemy as sa

LEVEL = {
    "reviews": True,
    "decision": "single",
    "quorum_at_least": "2/3",
    "pass_more_than": "1/2",
    "comment_days": 0,
}
DEFAULT_OPTIONS = json.dumps({level: LEVEL for level in ("commune", "district", "province")})


# revision identifiers, used by Alembic.
revision = 'c79b6fde9458'
down_revision = 'cb2dd6220228'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('committees',
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_committees_unit_id_units')),
    sa.PrimaryKeyConstraint('unit_id', name=op.f('pk_committees'))
    )
    op.create_table('campaign_amendments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_campaign_amendments_actor_id_users')),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_campaign_amendments_campaign_id_campaigns')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign_amendments'))
    )
    with op.batch_alter_table('campaign_amendments', schema=None) as batch_op:
        batch_op.create_index('ix_campaign_amendments_campaign_id_id', ['campaign_id', 'id'], unique=False)

    op.create_table('committee_members',
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['committees.unit_id'], name=op.f('fk_committee_members_unit_id_committees')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_committee_members_user_id_users')),
    sa.PrimaryKeyConstraint('unit_id', 'user_id', name=op.f('pk_committee_members'))
    )
    with op.batch_alter_table('committee_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_committee_members_user_id'), ['user_id'], unique=False)

    op.create_table('days_off',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('added_by_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['added_by_id'], ['users.id'], name=op.f('fk_days_off_added_by_id_users')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_days_off_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_days_off')),
    sa.UniqueConstraint('unit_id', 'day', name=op.f('uq_days_off_unit_id_day'))
    )
    op.create_table('meetings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('mode', sa.Enum('app', 'paper', name='meeting_mode', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('status', sa.Enum('open', 'closed', name='meeting_status', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('closes_on', sa.Date(), nullable=False),
    sa.Column('place', sa.String(length=200), nullable=False),
    sa.Column('chair_id', sa.Integer(), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_by_id', sa.Integer(), nullable=True),
    sa.Column('size', sa.Integer(), nullable=True),
    sa.Column('present', sa.Integer(), nullable=True),
    sa.Column('quorate', sa.Boolean(), nullable=True),
    sa.Column('quorum_at_least', sa.String(length=20), nullable=True),
    sa.Column('pass_more_than', sa.String(length=20), nullable=True),
    sa.Column('scan', sa.JSON(), nullable=True),
    sa.Column('minutes', sa.JSON(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_meetings_campaign_id_campaigns')),
    sa.ForeignKeyConstraint(['chair_id'], ['users.id'], name=op.f('fk_meetings_chair_id_users')),
    sa.ForeignKeyConstraint(['closed_by_id'], ['users.id'], name=op.f('fk_meetings_closed_by_id_users')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_meetings_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meetings'))
    )
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.create_index('ix_meetings_unit_id_status', ['unit_id', 'status'], unique=False)

    op.create_table('quotas',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('collective', sa.Integer(), nullable=True),
    sa.Column('individual', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_quotas_campaign_id_campaigns')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_quotas_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quotas')),
    sa.UniqueConstraint('campaign_id', 'unit_id', name=op.f('uq_quotas_campaign_id_unit_id'))
    )
    op.create_table('meeting_items',
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('nomination_id', sa.Integer(), nullable=False),
    sa.Column('agree', sa.Integer(), nullable=False),
    sa.Column('disagree', sa.Integer(), nullable=False),
    sa.Column('passed', sa.Boolean(), nullable=True),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_meeting_items_meeting_id_meetings')),
    sa.ForeignKeyConstraint(['nomination_id'], ['nominations.id'], name=op.f('fk_meeting_items_nomination_id_nominations')),
    sa.PrimaryKeyConstraint('meeting_id', 'nomination_id', name=op.f('pk_meeting_items'))
    )
    with op.batch_alter_table('meeting_items', schema=None) as batch_op:
        batch_op.create_index('ix_meeting_items_nomination_id', ['nomination_id'], unique=False)

    op.create_table('meeting_voters',
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_meeting_voters_meeting_id_meetings')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_meeting_voters_user_id_users')),
    sa.PrimaryKeyConstraint('meeting_id', 'user_id', name=op.f('pk_meeting_voters'))
    )
    op.create_table('publications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('nomination_id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('published_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_publications_campaign_id_campaigns')),
    sa.ForeignKeyConstraint(['nomination_id'], ['nominations.id'], name=op.f('fk_publications_nomination_id_nominations')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_publications_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_publications'))
    )
    with op.batch_alter_table('publications', schema=None) as batch_op:
        batch_op.create_index('ix_publications_campaign_id_ends_on', ['campaign_id', 'ends_on'], unique=False)
        batch_op.create_index('ix_publications_nomination_id_id', ['nomination_id', 'id'], unique=False)

    op.create_table('public_comments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('publication_id', sa.Integer(), nullable=False),
    sa.Column('nomination_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('contact', sa.String(length=200), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['nomination_id'], ['nominations.id'], name=op.f('fk_public_comments_nomination_id_nominations')),
    sa.ForeignKeyConstraint(['publication_id'], ['publications.id'], name=op.f('fk_public_comments_publication_id_publications')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_public_comments'))
    )
    with op.batch_alter_table('public_comments', schema=None) as batch_op:
        batch_op.create_index('ix_public_comments_nomination_id_id', ['nomination_id', 'id'], unique=False)

    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.add_column(sa.Column('options', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default='1', nullable=False))
    campaigns = sa.table("campaigns", sa.column("options", sa.JSON()))
    op.execute(campaigns.update().values(options=json.loads(DEFAULT_OPTIONS)))
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.alter_column('options', existing_type=sa.JSON(), nullable=False)

    with op.batch_alter_table('nominations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recognized_unit_id', sa.Integer(), nullable=True))
        batch_op.create_index('ix_nominations_campaign_id_recognized_unit_id_kind', ['campaign_id', 'recognized_unit_id', 'kind'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_nominations_recognized_unit_id_units'), 'units', ['recognized_unit_id'], ['id'])
    # The unit whose reviewer took the step to "commended".
    op.execute(
        "UPDATE nominations SET recognized_unit_id = ("
        " SELECT history.actor_unit_id FROM history"
        " WHERE history.nomination_id = nominations.id AND history.to_state = 'commended'"
        " ORDER BY history.id DESC LIMIT 1"
        ") WHERE state = 'commended'"
    )



def downgrade():
    with op.batch_alter_table('nominations', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_nominations_recognized_unit_id_units'), type_='foreignkey')
        batch_op.drop_index('ix_nominations_campaign_id_recognized_unit_id_kind')
        batch_op.drop_column('recognized_unit_id')

    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.drop_column('version')
        batch_op.drop_column('options')

    with op.batch_alter_table('public_comments', schema=None) as batch_op:
        batch_op.drop_index('ix_public_comments_nomination_id_id')

    op.drop_table('public_comments')
    with op.batch_alter_table('publications', schema=None) as batch_op:
        batch_op.drop_index('ix_publications_nomination_id_id')
        batch_op.drop_index('ix_publications_campaign_id_ends_on')

    op.drop_table('publications')
    op.drop_table('meeting_voters')
    with op.batch_alter_table('meeting_items', schema=None) as batch_op:
        batch_op.drop_index('ix_meeting_items_nomination_id')

    op.drop_table('meeting_items')
    op.drop_table('quotas')
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.drop_index('ix_meetings_unit_id_status')

    op.drop_table('meetings')
    op.drop_table('days_off')
    with op.batch_alter_table('committee_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_committee_members_user_id'))

    op.drop_table('committee_members')
    with op.batch_alter_table('campaign_amendments', schema=None) as batch_op:
        batch_op.drop_index('ix_campaign_amendments_campaign_id_id')

    op.drop_table('campaign_amendments')
    op.drop_table('committees')
