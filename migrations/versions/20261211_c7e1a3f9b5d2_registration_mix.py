"""accounts: kept registration counts (registration_mix), accounts made per London month for
everyone and by their organisation's sector, type and area now, counted from the accounts

Revision ID: c7e1a3f9b5d2
Revises: b4d8f2a6c1e3
Created: 2026-12-11 10:00:00.000000
"""
from collections import Counter
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op


revision = 'c7e1a3f9b5d2'
down_revision = 'b4d8f2a6c1e3'
branch_labels = None
depends_on = None

LONDON = ZoneInfo('Europe/London')


def _month(moment):
    # lms.accounts.registrations.london_month (SQLite returns text)
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    local = moment.astimezone(LONDON)
    return date(local.year, local.month, 1)


def upgrade():
    table = op.create_table(
        'registration_mix',
        sa.Column('dimension', sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column('group_key', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('month', sa.Date(), nullable=False),
        sa.Column('people', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('dimension', 'group_key', 'month'),
    )
    connection = op.get_bind()
    groups = {row[0]: (row[1] or 0, row[2] or 0, row[3] or 0) for row in connection.execute(
        sa.text('SELECT id, sector_id, type_id, area_id FROM organisation'))}
    counts = Counter()
    for organisation_id, created_at in connection.execute(
            sa.text('SELECT organisation_id, created_at FROM "user" WHERE created_at IS NOT NULL')):
        sector, type_, area = groups.get(organisation_id, (0, 0, 0))
        month = _month(created_at)
        for key in ((0, 0, month), (1, sector, month), (2, type_, month), (3, area, month)):
            counts[key] += 1
    if counts:
        op.bulk_insert(table, [{'dimension': d, 'group_key': g, 'month': m, 'people': n}
                               for (d, g, m), n in sorted(counts.items())])


def downgrade():
    op.drop_table('registration_mix')
