"""notifications: webhooks per organisation and the delivery outbox

Revision ID: 0013_notifications
Revises: 0012_lowcode
Create Date: 2026-11-23 06:30:00

Two new tables (orgwebhook, webhookdelivery); nothing existing changes.
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0013_notifications"
down_revision = "0012_lowcode"
branch_labels = None
depends_on = None

UTC = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "orgwebhook",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("vendor", sa.String(length=12), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC(), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["organisation.id"]),
        sa.ForeignKeyConstraint(["created_by"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("org_id"),
    )
    op.create_table(
        "webhookdelivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("webhook_id", sa.Integer(), nullable=False),
        sa.Column("event_key", sa.String(length=160), nullable=False),
        sa.Column("key", sa.String(length=60), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_at", UTC(), nullable=False),
        sa.Column("claimed_by", sa.String(length=60), nullable=True),
        sa.Column("lease_until", UTC(), nullable=True),
        sa.Column("last_error", sa.String(length=200), nullable=False),
        sa.Column("created_at", UTC(), nullable=False),
        sa.Column("sent_at", UTC(), nullable=True),
        sa.ForeignKeyConstraint(["webhook_id"], ["orgwebhook.id"]),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("webhook_id", "event_key", name="uq_webhookdelivery_event"),
    )
    op.create_index("ix_webhookdelivery_due", "webhookdelivery", ["status", "next_at"])
    # the unread count of an organisation's inbox is an indexed COUNT (org_id, read_at)
    op.create_index("ix_notification_org_read", "notification", ["org_id", "read_at"])


def downgrade() -> None:
    op.drop_index("ix_notification_org_read", table_name="notification")
    op.drop_index("ix_webhookdelivery_due", table_name="webhookdelivery")
    op.drop_table("webhookdelivery")
    op.drop_table("orgwebhook")
