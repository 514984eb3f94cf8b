"""issue 21: a county dashboard's warnings and deadlines by index, not by scanning

Revision ID: 0031_county_warning_indexes
Revises: 0030_grade_pending_index
Create Date: 2026-12-07 22:30:00

At a million cases on PostgreSQL the county dashboard spent most of its SQL on three reads:
- the flags of the county's open high-risk cases: a bitmap AND of the status and risk indexes over 47,000
  entries for 372 cases (6 ms); a partial index of the open high-risk cases holds only those (0.5 ms);
- the late follow-ups and the pending agreements' deadlines of one county: sequential scans of the area
  summaries (4 and 2 ms), which are keyed by county but then by month, category and source before the day;
  (county, day or month, …, n) indexes answer them by an index-only range scan.
Mirrors models/case.py and models/stats.py.
"""

import sqlalchemy as sa
from alembic import op

revision = "0031_county_warning_indexes"
down_revision = "0030_grade_pending_index"
branch_labels = None
depends_on = None

OPEN_HIGH_WHERE = "status IN ('submitted', 'accepted', 'in_mediation') AND risk_level = 'high'"


def upgrade() -> None:
    where = sa.text(OPEN_HIGH_WHERE)
    op.create_index("ix_case_open_high", "case", ["org_id"], sqlite_where=where, postgresql_where=where)
    op.create_index(
        "ix_stats_followup_area_county", "stats_followup_area", ["county_id", "due", "received_month", "n"]
    )
    op.create_index(
        "ix_stats_due_area_county", "stats_due_area", ["county_id", "received_month", "performance_due", "n"]
    )


def downgrade() -> None:
    op.drop_index("ix_stats_due_area_county", table_name="stats_due_area")
    op.drop_index("ix_stats_followup_area_county", table_name="stats_followup_area")
    op.drop_index("ix_case_open_high", table_name="case")
