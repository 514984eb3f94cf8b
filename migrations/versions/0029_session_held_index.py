"""issue 21: sessions held in a few days (the end days of this year to date), without reading every session

Revision ID: 0029_session_held_index
Revises: 0028_stats_due_indexes
Create Date: 2026-12-07 18:30:00

The dashboard's sessions line reads whole months from the session summaries and scans the days at either end of
a period that is not whole months (this year to date). Those days were a scan of every mediation session: 230 to
420 ms at a million cases on SQLite. (held_at, case_id, online) answers them by range, covering the count.
Mirrors models/mediation.py.
"""

from alembic import op

revision = "0029_session_held_index"
down_revision = "0028_stats_due_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_mediationsession_held", "mediationsession", ["held_at", "case_id", "online"])


def downgrade() -> None:
    op.drop_index("ix_mediationsession_held", table_name="mediationsession")
