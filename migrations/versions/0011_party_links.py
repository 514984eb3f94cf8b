"""party links: a link locks for a while after repeated wrong phone digits (partylink.locked_until)

Revision ID: 0011_party_links
Revises: 0010_board
Create Date: 2026-11-23 05:00:00

Only ADD COLUMN.
"""
import sqlalchemy as sa
from alembic import op

revision = "0011_party_links"
down_revision = "0010_board"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("partylink", sa.Column("locked_until", sa.DateTime(), nullable=True))


def downgrade() -> None:
    op.drop_column("partylink", "locked_until")
