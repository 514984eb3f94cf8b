"""board: a case's publication flags (non-public mediation requested, consent to publication) and the
typical-case review trail on BoardPost (slug for seeded texts, approver, withdrawal)

Revision ID: 0010_board
Revises: 0009_ratings
Create Date: 2026-11-23 05:00:00

Only ADD COLUMN (no SQLite table rebuild, so the statistics triggers on case are untouched).
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0010_board"
down_revision = "0009_ratings"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("case", sa.Column("non_public", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column("case", sa.Column("publication_consent", sa.Boolean(), nullable=False,
                                    server_default=sa.false()))
    op.add_column("boardpost", sa.Column("slug", sa.String(length=40), nullable=True))
    op.add_column("boardpost", sa.Column("approved_by", sa.Integer(), nullable=True))
    op.add_column("boardpost", sa.Column("reviewed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    op.add_column("boardpost", sa.Column("withdrawn_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    op.create_index("ix_boardpost_slug", "boardpost", ["slug"], unique=True)
    op.create_index("ix_boardpost_kind_status", "boardpost", ["kind", "status"])


def downgrade() -> None:
    op.drop_index("ix_boardpost_kind_status", table_name="boardpost")
    op.drop_index("ix_boardpost_slug", table_name="boardpost")
    for name in ("withdrawn_at", "reviewed_at", "approved_by", "slug"):
        op.drop_column("boardpost", name)
    op.drop_column("case", "publication_consent")
    op.drop_column("case", "non_public")
