"""form tokens: a staff form's one-time token on the session, agreement and follow-up it saved

Revision ID: 0019_form_tokens
Revises: 0018_user_language
Create Date: 2026-12-10 10:00:00

A second tap on a staff form (issue 22) must return the row the first tap saved, not save another: the unique
index on the token decides under concurrency. Only ADD COLUMN and CREATE INDEX (no SQLite table rebuild, so the
statistics triggers on agreement and followup stay). NULL tokens (rows saved before, or by other paths) never clash.
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0019_form_tokens"
down_revision = "0018_user_language"
branch_labels = None
depends_on = None

TABLES = ("mediationsession", "agreement", "followup")


def upgrade() -> None:
    for table in TABLES:
        op.add_column(table, sa.Column("form_token", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        op.create_index(f"uq_{table}_form_token", table, ["form_token"], unique=True)


def downgrade() -> None:
    for table in TABLES:
        op.drop_index(f"uq_{table}_form_token", table_name=table)
        op.execute(f"ALTER TABLE {table} DROP COLUMN form_token")  # SQLite >= 3.35, no table rebuild
