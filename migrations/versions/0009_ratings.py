"""ratings: computations (RatingRun), objections, complaints; scheme targets, title rules and change notes;
a covering index for rating every mediator in one pass

Revision ID: 0009_ratings
Revises: 0008_documents
Create Date: 2026-11-23 09:00:00

Only CREATE TABLE, ADD COLUMN, CREATE INDEX and one idempotent INSERT (no SQLite table rebuild, so
triggers elsewhere are untouched). The INSERT grants the new `rating.own` permission (a mediator sees
their own score card) to the built-in mediator role of an existing database; a fresh database gets it
from the bootstrap.
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0009_ratings"
down_revision = "0008_documents"
branch_labels = None
depends_on = None

RATING_SCAN = ["mediator_id", "received_month", "outcome", "agreement_kind", "performance", "performance_due",
               "confirmed", "satisfaction"]


def _json(name: str) -> sa.Column:
    return sa.Column(name, sa.JSON(), nullable=False, server_default=sa.text("'{}'"))


def upgrade() -> None:
    op.add_column("ratingscheme", _json("targets"))
    op.add_column("ratingscheme", _json("title_rule"))
    op.add_column("ratingscheme", sa.Column("note", sqlmodel.sql.sqltypes.AutoString(), nullable=False,
                                            server_default=""))
    if op.get_bind().dialect.name == "sqlite":  # SQLite takes a REFERENCES clause in ADD COLUMN, not a constraint
        op.execute("ALTER TABLE ratingscheme ADD COLUMN org_id INTEGER REFERENCES organisation (id)")
    else:
        op.add_column("ratingscheme", sa.Column("org_id", sa.Integer(), nullable=True))
        op.create_foreign_key("fk_ratingscheme_org_id", "ratingscheme", "organisation", ["org_id"], ["id"])
    op.create_table(
        "ratingrun",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scheme_id", sa.Integer(), nullable=False),
        sa.Column("subject", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("period", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("subjects", sa.Integer(), nullable=False),
        sa.Column("rated", sa.Integer(), nullable=False),
        sa.Column("changed", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("computed_by", sa.Integer(), nullable=True),
        sa.Column("computed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["scheme_id"], ["ratingscheme.id"]),
        sa.ForeignKeyConstraint(["org_id"], ["organisation.id"]),
        sa.ForeignKeyConstraint(["computed_by"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_ratingrun_period_subject", "ratingrun", ["period", "subject"])
    if op.get_bind().dialect.name == "sqlite":  # SQLite takes a REFERENCES clause in ADD COLUMN, not a constraint
        op.execute("ALTER TABLE rating ADD COLUMN run_id INTEGER REFERENCES ratingrun (id)")
    else:
        op.add_column("rating", sa.Column("run_id", sa.Integer(), nullable=True))
        op.create_foreign_key("fk_rating_run_id", "rating", "ratingrun", ["run_id"], ["id"])
    op.add_column("rating", _json("changes"))
    op.add_column("rating", sa.Column("changed", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column("rating", sa.Column("digest", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False,
                                      server_default=""))
    op.create_index("ix_rating_run_id", "rating", ["run_id"])
    op.create_index("ix_rating_period_subject_status", "rating", ["period", "subject", "status"])
    op.create_table(
        "ratingobjection",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rating_id", sa.Integer(), nullable=False),
        sa.Column("mediator_id", sa.Integer(), nullable=False),
        sa.Column("body", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("answer", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("upheld", sa.Boolean(), nullable=True),
        sa.Column("lodged_by", sa.Integer(), nullable=True),
        sa.Column("lodged_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("answered_by", sa.Integer(), nullable=True),
        sa.Column("answered_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["rating_id"], ["rating.id"]),
        sa.ForeignKeyConstraint(["mediator_id"], ["mediator.id"]),
        sa.ForeignKeyConstraint(["lodged_by"], ["user.id"]),
        sa.ForeignKeyConstraint(["answered_by"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_ratingobjection_rating_id", "ratingobjection", ["rating_id"])
    op.create_index("uq_ratingobjection_one_open", "ratingobjection", ["rating_id"], unique=True,
                    sqlite_where=sa.text("status = 'open'"), postgresql_where=sa.text("status = 'open'"))
    op.create_table(
        "mediatorcomplaint",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mediator_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("summary", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("substantiated", sa.Boolean(), nullable=False),
        sa.Column("finding", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["mediator_id"], ["mediator.id"]),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"]),
        sa.ForeignKeyConstraint(["recorded_by"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_mediatorcomplaint_mediator_on", "mediatorcomplaint", ["mediator_id", "received_on"])
    # every mediator's metrics for a period stream from this one index, grouped in index order (no sorter)
    op.create_index("ix_case_rating_mediator", "case", RATING_SCAN)
    op.execute(
        "INSERT INTO rolepermission (role_id, permission) SELECT r.id, 'rating.own' FROM role r "
        "WHERE r.code = 'mediator' AND r.builtin AND NOT EXISTS (SELECT 1 FROM rolepermission p "
        "WHERE p.role_id = r.id AND p.permission = 'rating.own')"
    )


def downgrade() -> None:
    op.execute("DELETE FROM rolepermission WHERE permission = 'rating.own'")
    op.drop_index("ix_case_rating_mediator", table_name="case")
    op.drop_index("ix_mediatorcomplaint_mediator_on", table_name="mediatorcomplaint")
    op.drop_table("mediatorcomplaint")
    op.drop_index("uq_ratingobjection_one_open", table_name="ratingobjection")
    op.drop_index("ix_ratingobjection_rating_id", table_name="ratingobjection")
    op.drop_table("ratingobjection")
    op.drop_index("ix_rating_period_subject_status", table_name="rating")
    op.drop_index("ix_rating_run_id", table_name="rating")
    with op.batch_alter_table("rating") as batch:
        batch.drop_column("digest")
        batch.drop_column("changed")
        batch.drop_column("changes")
        batch.drop_column("run_id")
    op.drop_index("ix_ratingrun_period_subject", table_name="ratingrun")
    op.drop_table("ratingrun")
    with op.batch_alter_table("ratingscheme") as batch:
        batch.drop_column("org_id")
        batch.drop_column("note")
        batch.drop_column("title_rule")
        batch.drop_column("targets")
