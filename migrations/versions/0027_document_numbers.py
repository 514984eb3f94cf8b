"""document numbers (issue 19 item 4): a case document's printed number from its office's numbering rule

Revision ID: 0027_document_numbers
Revises: 0026_stats_summaries
Create Date: 2026-12-07 15:20:00

Mirrors models/document_number.py. Numbering rules of document kinds live in numberingrule (kind = the document
kind) and share numbercounter; existing documents have no row here and keep printing what they printed.
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0027_document_numbers"
down_revision = "0026_stats_summaries"
branch_labels = None
depends_on = None

UTC = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "documentnumber",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("rule_id", sa.Integer(), nullable=False),
        sa.Column("scope_key", sa.String(length=40), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(length=40), nullable=False),
        sa.Column("created_at", UTC(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"]),
        sa.ForeignKeyConstraint(["rule_id"], ["numberingrule.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_id", "kind", name="uq_documentnumber_once"),
        sa.UniqueConstraint("scope_key", "year", "seq", name="uq_documentnumber_seq"),
    )
    op.create_index(op.f("ix_documentnumber_case_id"), "documentnumber", ["case_id"], unique=False)
    op.create_index(op.f("ix_documentnumber_rule_id"), "documentnumber", ["rule_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_documentnumber_rule_id"), table_name="documentnumber")
    op.drop_index(op.f("ix_documentnumber_case_id"), table_name="documentnumber")
    op.drop_table("documentnumber")
