"""issue 21: the whole-area dashboard's late follow-ups and performance deadlines by month, without a scan

Revision ID: 0028_stats_due_indexes
Revises: 0027_document_numbers
Create Date: 2026-12-07 17:55:00

stats_followup_area and stats_due_area are keyed by county first and end in a day (the follow-up's or the
agreement's deadline), so they grow with the number of days covered (74,000 and 33,000 rows at a million demo
cases on PostgreSQL). The dashboard asks them by received month and "deadline before today" for the whole area,
which the keys cannot serve: PostgreSQL read every row (a sequential scan and a hash aggregate, ~30 ms at 1 M).
A (received_month, day, n) index covers those questions on both engines (an index-only scan of the months asked).
Mirrors models/stats.py.
"""

from alembic import op

revision = "0028_stats_due_indexes"
down_revision = "0027_document_numbers"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_stats_followup_area_month_due", "stats_followup_area", ["received_month", "due", "n"])
    op.create_index("ix_stats_due_area_month_due", "stats_due_area", ["received_month", "performance_due", "n"])


def downgrade() -> None:
    op.drop_index("ix_stats_due_area_month_due", table_name="stats_due_area")
    op.drop_index("ix_stats_followup_area_month_due", table_name="stats_followup_area")
