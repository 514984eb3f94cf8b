"""notifications: webhooks per organisation and the delivery outbox

Revision ID: 0013_notifications
Revises: 0012_lowcode
Create Date: 2026-11-23 06:30:00
"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0013_notifications"
down_revision = "0012_lowcode"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
