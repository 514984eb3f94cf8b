"""case workflow: once-only rules of hand-overs, rulings, grade audits and follow-ups; notification de-duplication

Revision ID: 0005_case_workflow
Revises: 0004_ledger
Create Date: 2026-11-23 05:00:00

Only ADD COLUMN and CREATE INDEX (no SQLite table rebuild, so triggers elsewhere are untouched).
"""
from alembic import op
import sqlalchemy as sa


revision = "0005_case_workflow"
down_revision = "0004_ledger"
branch_labels = None
depends_on = None


def _where(clause: str) -> dict[str, sa.TextClause]:
    return {"sqlite_where": sa.text(clause), "postgresql_where": sa.text(clause)}


def upgrade() -> None:
    # a case is with at most one receiver at a time
    op.create_index("uq_referral_one_pending", "referral", ["case_id"], unique=True, **_where("status = 'pending'"))
    # one court application awaiting a ruling per case
    op.create_index("uq_judicial_one_pending", "judicialconfirmation", ["case_id"], unique=True,
                    **_where("result = 'pending'"))
    # the audited grade is set once
    op.create_index("uq_gradeaudit_case", "gradeaudit", ["case_id"], unique=True)
    # one follow-up visit outstanding per case
    op.create_index("uq_followup_one_open", "followup", ["case_id"], unique=True, **_where("done_at IS NULL"))
    # escalations and early warnings notify once (NULL keys are never equal)
    op.add_column("notification", sa.Column("dedupe_key", sa.String(length=120), nullable=True))
    op.create_index("uq_notification_dedupe", "notification", ["dedupe_key"], unique=True)
    # search by party name prefix and the same-address early warning
    op.create_index("ix_party_name", "party", ["name"], postgresql_ops={"name": "varchar_pattern_ops"})
    op.create_index("ix_party_address", "party", ["address"])


def downgrade() -> None:
    op.drop_index("ix_party_address", table_name="party")
    op.drop_index("ix_party_name", table_name="party")
    op.drop_index("uq_notification_dedupe", table_name="notification")
    op.drop_column("notification", "dedupe_key")
    op.drop_index("uq_followup_one_open", table_name="followup", **_where("done_at IS NULL"))
    op.drop_index("uq_gradeaudit_case", table_name="gradeaudit")
    op.drop_index("uq_judicial_one_pending", table_name="judicialconfirmation", **_where("result = 'pending'"))
    op.drop_index("uq_referral_one_pending", table_name="referral", **_where("status = 'pending'"))
