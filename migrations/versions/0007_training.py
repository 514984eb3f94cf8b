"""training sessions with attendance: a TrainingSession table; a training record may point at the session it attended

Revision ID: 0007_training
Revises: 0006_stats
Create Date: 2026-11-23 07:00:00

Only CREATE TABLE, ADD COLUMN and CREATE INDEX (no SQLite table rebuild, so triggers elsewhere are untouched).
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = "0007_training"
down_revision = "0006_stats"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "trainingsession",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("topic", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("hours", sa.Float(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("organiser", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("place", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.CheckConstraint("hours >= 0", name="ck_trainingsession_hours"),
        sa.ForeignKeyConstraint(["org_id"], ["organisation.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_trainingsession_org_id", "trainingsession", ["org_id"])
    if op.get_bind().dialect.name == "sqlite":  # SQLite takes a REFERENCES clause in ADD COLUMN, not a constraint
        op.execute("ALTER TABLE trainingrecord ADD COLUMN session_id INTEGER REFERENCES trainingsession (id)")
    else:
        op.add_column("trainingrecord", sa.Column("session_id", sa.Integer(), nullable=True))
        op.create_foreign_key("fk_trainingrecord_session_id", "trainingrecord", "trainingsession",
                              ["session_id"], ["id"])
    op.add_column("trainingrecord", sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False,
                                              server_default="organised"))
    op.create_index("uq_trainingrecord_session_mediator", "trainingrecord", ["session_id", "mediator_id"],
                    unique=True)


def downgrade() -> None:
    op.drop_index("uq_trainingrecord_session_mediator", table_name="trainingrecord")
    with op.batch_alter_table("trainingrecord") as batch:
        batch.drop_column("kind")
        batch.drop_column("session_id")
    op.drop_index("ix_trainingsession_org_id", table_name="trainingsession")
    op.drop_table("trainingsession")
