"""documents: office replacements of the shipped document templates (DocumentTemplate)

Revision ID: 0008_documents
Revises: 0007_training
Create Date: 2026-11-23 08:00:00

Only CREATE TABLE and CREATE INDEX (no SQLite table rebuild, so triggers elsewhere are untouched).
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = "0008_documents"
down_revision = "0007_training"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "documenttemplate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("filename", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=True),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["organisation.id"]),
        sa.ForeignKeyConstraint(["created_by"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("org_id", "kind", "version"),
    )
    op.create_index("ix_documenttemplate_kind_org", "documenttemplate", ["kind", "org_id"])


def downgrade() -> None:
    op.drop_index("ix_documenttemplate_kind_org", table_name="documenttemplate")
    op.drop_table("documenttemplate")
