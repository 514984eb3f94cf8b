"""publication consent: when, by whom (the staff user who recorded it) and how a case's consent to publication
as a typical case was given

Revision ID: 0020_publication_consent
Revises: 0019_form_tokens
Create Date: 2026-12-12 10:00:00

Only ADD COLUMN (no SQLite table rebuild, so the statistics triggers on case are untouched). The audit log keeps
every recording and withdrawal; these columns say what holds now.
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0020_publication_consent"
down_revision = "0019_form_tokens"
branch_labels = None
depends_on = None

COLUMNS = ("publication_consent_at", "publication_consent_by", "publication_consent_how")


def upgrade() -> None:
    op.add_column("case", sa.Column("publication_consent_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    op.add_column("case", sa.Column("publication_consent_by", sa.Integer(), nullable=True))
    op.add_column(
        "case", sa.Column("publication_consent_how", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=True)
    )


def downgrade() -> None:
    for name in COLUMNS:
        op.execute(f'ALTER TABLE "case" DROP COLUMN {name}')  # SQLite >= 3.35, no table rebuild
