"""the light public path (issue 24)

Revision ID: 0025_light_public
Revises: 0024_assessment
Create Date: 2026-12-07 14:00:00
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0025_light_public"
down_revision = "0024_assessment"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
