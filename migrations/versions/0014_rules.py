"""rules as data: versioned, audited rule changes with rollback

Revision ID: 0014_rules
Revises: 0013_notifications
Create Date: 2026-11-23 06:30:00
"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0014_rules"
down_revision = "0013_notifications"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
