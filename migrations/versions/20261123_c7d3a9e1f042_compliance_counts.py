"""compliance counts: statuses counted per organisation, sector, type and area, for the admin overview

Revision ID: c7d3a9e1f042
Revises: b5e8f0a2c416
Created: 2026-11-23 18:30:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = 'c7d3a9e1f042'
down_revision = 'b5e8f0a2c416'
branch_labels = None
depends_on = None


def upgrade():
    # The table starts empty: the overview counts the status table until the next
    # nightly rebuild (or `flask lms jobs run rebuild-compliance`) fills it.
    op.create_table('compliance_count',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('scope', sa.String(length=12), nullable=False),
    sa.Column('scope_id', sa.Integer(), nullable=True),
    sa.Column('requirement_id', sa.Integer(), nullable=True),
    sa.Column('overdue_count', sa.Integer(), nullable=False),
    sa.Column('due_soon_count', sa.Integer(), nullable=False),
    sa.Column('not_yet_due_count', sa.Integer(), nullable=False),
    sa.Column('current_count', sa.Integer(), nullable=False),
    sa.Column('total_count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['requirement_id'], ['requirement.id'], name=op.f('fk_compliance_count_requirement_id_requirement'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_compliance_count'))
    )
    with op.batch_alter_table('compliance_count', schema=None) as batch_op:
        batch_op.create_index('ix_compliance_count_scope', ['scope', 'requirement_id', 'scope_id'], unique=False)


def downgrade():
    with op.batch_alter_table('compliance_count', schema=None) as batch_op:
        batch_op.drop_index('ix_compliance_count_scope')

    op.drop_table('compliance_count')
