"""aware timestamps: case.anonymised_at and partylink.locked_until become TIMESTAMP WITH TIME ZONE on PostgreSQL

Revision ID: 0017_aware_timestamps
Revises: 0016_local_months
Create Date: 2026-12-08 10:00:00

0011_party_links and 0015_privacy added both columns as TIMESTAMP WITHOUT TIME ZONE, while the models (and every
other moment in the schema) are aware: `alembic check` reported the difference. The stored values are UTC (the app
reads a value without an offset as UTC), so they convert AT TIME ZONE 'UTC'. SQLite stores both types alike:
nothing to do there.
"""

import sqlalchemy as sa
from alembic import op

revision = "0017_aware_timestamps"
down_revision = "0016_local_months"
branch_labels = None
depends_on = None

COLUMNS = [("case", "anonymised_at"), ("partylink", "locked_until")]


def _retype(aware: bool) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column in COLUMNS:
        op.alter_column(
            table,
            column,
            type_=sa.DateTime(timezone=aware),
            existing_type=sa.DateTime(timezone=not aware),
            existing_nullable=True,
            postgresql_using=f"{column} AT TIME ZONE 'UTC'",
        )


def upgrade() -> None:
    _retype(aware=True)


def downgrade() -> None:
    _retype(aware=False)
