"""user language: the UI language a person chose ('zh' / 'en'), NULL until they choose one

Revision ID: 0018_user_language
Revises: 0017_aware_timestamps
Create Date: 2026-12-09 10:00:00

0001 created user.language as NOT NULL with the model default 'zh-CN', which nothing ever read or wrote. It now holds
the language a signed-in person picked with the zh/EN switch, restored on their next sign-in: 'zh', 'en' or NULL (never
chosen: the app's default, Chinese). The placeholder 'zh-CN' values were never a choice, so they become NULL.
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0018_user_language"
down_revision = "0017_aware_timestamps"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.alter_column("language", existing_type=sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True)
    op.execute(sa.text("UPDATE \"user\" SET language = NULL WHERE language NOT IN ('zh', 'en')"))


def downgrade() -> None:
    op.execute(sa.text("UPDATE \"user\" SET language = 'zh-CN' WHERE language IS NULL"))
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.alter_column("language", existing_type=sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False)
