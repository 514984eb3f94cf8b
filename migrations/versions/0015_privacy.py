"""privacy: ID-number key versions, retention and subject access

Revision ID: 0015_privacy
Revises: 0014_rules
Create Date: 2026-11-23 06:30:00
"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0015_privacy"
down_revision = "0014_rules"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
