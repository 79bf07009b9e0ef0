"""charge rates: dated, so a change applies to sessions from a day on and past periods keep their rates

Revision ID: f2b7d4e8a913
Revises: e4a1c9d27b35
Created: 2026-12-06 05:00:00.000000
"""
from datetime import date

from alembic import op
import sqlalchemy as sa

import lms.core.db_types


revision = 'f2b7d4e8a913'
down_revision = 'e4a1c9d27b35'
branch_labels = None
depends_on = None

# Rates set before they were dated applied to every session: they keep doing so, from a
# day before any session this service holds.
FROM_THE_START = date(2000, 1, 1)

COLUMNS = ('organisation_type_id', 'no_show_pence', 'late_cancellation_pence', 'updated_at')


def _columns():
    """The columns both shapes of the table have, typed (so times are read as times)."""
    return [sa.column(name, lms.core.db_types.UTCDateTime() if name == 'updated_at' else sa.Integer()) for name in COLUMNS]


def upgrade():
    old = sa.table('charge_rate', *_columns())
    kept = [dict(row._mapping) for row in op.get_bind().execute(sa.select(old))]
    op.drop_table('charge_rate')
    table = op.create_table('charge_rate',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_type_id', sa.Integer(), nullable=False),
    sa.Column('applies_from', sa.Date(), nullable=False),
    sa.Column('no_show_pence', sa.Integer(), nullable=False),
    sa.Column('late_cancellation_pence', sa.Integer(), nullable=False),
    sa.Column('updated_at', lms.core.db_types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['organisation_type_id'], ['organisation_type.id'], name=op.f('fk_charge_rate_organisation_type_id_organisation_type'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_charge_rate')),
    sa.UniqueConstraint('organisation_type_id', 'applies_from', name=op.f('uq_charge_rate_organisation_type_id'))
    )
    if kept:
        op.bulk_insert(table, [dict(row, applies_from=FROM_THE_START) for row in kept])


def downgrade():
    # Back to one rate per type: the one that applies latest.
    table = sa.table('charge_rate', sa.column('applies_from', sa.Date()), *_columns())
    connection = op.get_bind()
    latest = {}
    for row in connection.execute(sa.select(table).order_by(table.c.applies_from)):
        latest[row.organisation_type_id] = {name: getattr(row, name) for name in COLUMNS}
    op.drop_table('charge_rate')
    table = op.create_table('charge_rate',
    sa.Column('organisation_type_id', sa.Integer(), nullable=False),
    sa.Column('no_show_pence', sa.Integer(), nullable=False),
    sa.Column('late_cancellation_pence', sa.Integer(), nullable=False),
    sa.Column('updated_at', lms.core.db_types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['organisation_type_id'], ['organisation_type.id'], name=op.f('fk_charge_rate_organisation_type_id_organisation_type'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('organisation_type_id', name=op.f('pk_charge_rate'))
    )
    if latest:
        op.bulk_insert(table, list(latest.values()))
