"""low-code: form builder versions, registers (台账) and their entries

Revision ID: 0012_lowcode
Revises: 0011_party_links
Create Date: 2026-11-23 06:30:00

formspec.org_id (the owning office), formsubmission.form_version, and formphoto (photos of entries).
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0012_lowcode"
down_revision = "0011_party_links"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("formspec", schema=None) as batch_op:
        batch_op.add_column(sa.Column("org_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("fk_formspec_org_id", "organisation", ["org_id"], ["id"])
    with op.batch_alter_table("formsubmission", schema=None) as batch_op:
        batch_op.add_column(sa.Column("form_version", sa.Integer(), nullable=False, server_default="1"))
    op.create_table(
        "formphoto",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("field_key", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("mime", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["submission_id"], ["formsubmission.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_formphoto_submission_id", "formphoto", ["submission_id"], unique=False)
    # The new permission for the built-in roles of an existing database (a fresh one gets it from bootstrap).
    op.execute(sa.text(
        "INSERT INTO rolepermission (role_id, permission) SELECT r.id, 'register.use' FROM role r "
        "WHERE r.builtin AND r.code IN ('mediator', 'justice', 'coordinator') AND NOT EXISTS ("
        "SELECT 1 FROM rolepermission p WHERE p.role_id = r.id AND p.permission = 'register.use')"))


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM rolepermission WHERE permission = 'register.use'"))
    op.drop_index("ix_formphoto_submission_id", table_name="formphoto")
    op.drop_table("formphoto")
    with op.batch_alter_table("formsubmission", schema=None) as batch_op:
        batch_op.drop_column("form_version")
    with op.batch_alter_table("formspec", schema=None) as batch_op:
        batch_op.drop_constraint("fk_formspec_org_id", type_="foreignkey")
        batch_op.drop_column("org_id")
