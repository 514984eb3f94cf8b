"""privacy: when a case's personal data was anonymised by the retention job

Revision ID: 0015_privacy
Revises: 0014_rules
Create Date: 2026-11-23 06:30:00

Only ADD COLUMN and CREATE INDEX (no SQLite table rebuild, so the statistics triggers on "case" stay).
Key rotation needs no column: a value is on the current key when the current key alone decrypts it.
"""
import sqlalchemy as sa
from alembic import op

revision = "0015_privacy"
down_revision = "0014_rules"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("case", sa.Column("anonymised_at", sa.DateTime(), nullable=True))
    op.create_index("ix_case_anonymised_at", "case", ["anonymised_at"])


def downgrade() -> None:
    op.drop_index("ix_case_anonymised_at", table_name="case")
    op.execute('ALTER TABLE "case" DROP COLUMN anonymised_at')  # SQLite >= 3.35, no table rebuild
