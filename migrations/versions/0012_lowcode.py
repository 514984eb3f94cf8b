"""low-code: form builder versions, registers (台账) and their entries

Revision ID: 0012_lowcode
Revises: 0011_party_links
Create Date: 2026-11-23 06:30:00
"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0012_lowcode"
down_revision = "0011_party_links"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
