"""unit assessment, dossier review and printed numbering (issue 19)

Revision ID: 0024_assessment
Revises: 0023_trust
Create Date: 2026-12-07 14:00:00

New tables only (nothing existing changes): numbering rules, their counters and the sequence number each case
took; the dossier checklist, samples and reviews; assessment schemes, scorecards and their manual scores and
overrides. Cases numbered before keep their numbers.
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0024_assessment"
down_revision = "0023_trust"
branch_labels = None
depends_on = None

UTC = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "numbercounter",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope_key", sa.String(length=40), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("scope_key", "year", name="uq_numbercounter_scope_year"),
    )
    op.create_table(
        "assessmentscheme",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_org_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("period", sa.String(length=12), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("end", sa.Date(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("unit_kinds", sa.JSON(), nullable=False),
        sa.Column("indicators", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["region_org_id"],
            ["organisation.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("region_org_id", "period", "version", name="uq_assessmentscheme_version"),
    )
    op.create_index(op.f("ix_assessmentscheme_region_org_id"), "assessmentscheme", ["region_org_id"], unique=False)
    op.create_table(
        "dossierchecklist",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_org_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("bands", sa.JSON(), nullable=False),
        sa.Column("sample_size", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["region_org_id"],
            ["organisation.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("region_org_id", "version", name="uq_dossierchecklist_version"),
    )
    op.create_index(op.f("ix_dossierchecklist_region_org_id"), "dossierchecklist", ["region_org_id"], unique=False)
    op.create_table(
        "dossiersample",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("quarter", sa.Integer(), nullable=False),
        sa.Column("seed", sa.String(length=40), nullable=False),
        sa.Column("method", sa.String(length=8), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("case_ids", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organisation.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("org_id", "quarter", "seed", name="uq_dossiersample_draw"),
    )
    op.create_index(op.f("ix_dossiersample_org_id"), "dossiersample", ["org_id"], unique=False)
    op.create_table(
        "numberingrule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("pattern", sa.String(length=80), nullable=False),
        sa.Column("short", sa.String(length=20), nullable=False),
        sa.Column("scope", sa.String(length=8), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC(), nullable=False),
        sa.CheckConstraint("scope IN ('org', 'rule')", name="ck_numberingrule_scope"),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organisation.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_numberingrule_org_id"), "numberingrule", ["org_id"], unique=False)
    op.create_index(
        "uq_numberingrule_active",
        "numberingrule",
        ["org_id", "kind"],
        unique=True,
        sqlite_where=sa.text("active"),
        postgresql_where=sa.text("active"),
    )
    op.create_table(
        "scorecard",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scheme_id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("total", sa.Float(), nullable=False),
        sa.Column("lines", sa.JSON(), nullable=False),
        sa.Column("computed_at", UTC(), nullable=False),
        sa.Column("reviewed_by", sa.Integer(), nullable=True),
        sa.Column("reviewed_at", UTC(), nullable=True),
        sa.Column("published_total", sa.Float(), nullable=True),
        sa.Column("published_lines", sa.JSON(), nullable=False),
        sa.Column("published_by", sa.Integer(), nullable=True),
        sa.Column("published_at", UTC(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("status IN ('computed', 'reviewed', 'published')", name="ck_scorecard_status"),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organisation.id"],
        ),
        sa.ForeignKeyConstraint(
            ["published_by"],
            ["user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["reviewed_by"],
            ["user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["scheme_id"],
            ["assessmentscheme.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("scheme_id", "org_id", name="uq_scorecard_unit"),
    )
    op.create_index(op.f("ix_scorecard_org_id"), "scorecard", ["org_id"], unique=False)
    op.create_index(op.f("ix_scorecard_scheme_id"), "scorecard", ["scheme_id"], unique=False)
    op.create_table(
        "casenumber",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.Integer(), nullable=False),
        sa.Column("scope_key", sa.String(length=40), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["case.id"],
        ),
        sa.ForeignKeyConstraint(
            ["rule_id"],
            ["numberingrule.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_id"),
        sa.UniqueConstraint("scope_key", "year", "seq", name="uq_casenumber_seq"),
    )
    op.create_index(op.f("ix_casenumber_rule_id"), "casenumber", ["rule_id"], unique=False)
    op.create_table(
        "dossierreview",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("checklist_id", sa.Integer(), nullable=False),
        sa.Column("sample_id", sa.Integer(), nullable=True),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("quarter", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("grade", sa.String(length=12), nullable=False),
        sa.Column("holds_subsidy", sa.Boolean(), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("remarks", sa.String(), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), nullable=True),
        sa.Column("reviewed_at", UTC(), nullable=False),
        sa.Column("form_token", sa.String(length=64), nullable=True),
        sa.CheckConstraint("score >= 0 AND score <= 100", name="ck_dossierreview_score"),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["case.id"],
        ),
        sa.ForeignKeyConstraint(
            ["checklist_id"],
            ["dossierchecklist.id"],
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organisation.id"],
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_id"],
            ["user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["sample_id"],
            ["dossiersample.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_id", "round", name="uq_dossierreview_round"),
    )
    op.create_index(op.f("ix_dossierreview_case_id"), "dossierreview", ["case_id"], unique=False)
    op.create_index(op.f("ix_dossierreview_org_id"), "dossierreview", ["org_id"], unique=False)
    op.create_index(op.f("ix_dossierreview_sample_id"), "dossierreview", ["sample_id"], unique=False)
    op.create_index("uq_dossierreview_form_token", "dossierreview", ["form_token"], unique=True)
    op.create_table(
        "scoreentry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scorecard_id", sa.Integer(), nullable=False),
        sa.Column("indicator", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("points", sa.Float(), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("note", sa.String(), nullable=False),
        sa.Column("evidence_name", sa.String(length=120), nullable=False),
        sa.Column("evidence", sa.LargeBinary(), nullable=True),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("at", UTC(), nullable=False),
        sa.CheckConstraint("kind IN ('manual', 'override')", name="ck_scoreentry_kind"),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["scorecard_id"],
            ["scorecard.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_scoreentry_scorecard_id"), "scoreentry", ["scorecard_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_scoreentry_scorecard_id"), table_name="scoreentry")
    op.drop_table("scoreentry")
    op.drop_index("uq_dossierreview_form_token", table_name="dossierreview")
    op.drop_index(op.f("ix_dossierreview_sample_id"), table_name="dossierreview")
    op.drop_index(op.f("ix_dossierreview_org_id"), table_name="dossierreview")
    op.drop_index(op.f("ix_dossierreview_case_id"), table_name="dossierreview")
    op.drop_table("dossierreview")
    op.drop_index(op.f("ix_casenumber_rule_id"), table_name="casenumber")
    op.drop_table("casenumber")
    op.drop_index(op.f("ix_scorecard_scheme_id"), table_name="scorecard")
    op.drop_index(op.f("ix_scorecard_org_id"), table_name="scorecard")
    op.drop_table("scorecard")
    op.drop_index(
        "uq_numberingrule_active",
        table_name="numberingrule",
        sqlite_where=sa.text("active"),
        postgresql_where=sa.text("active"),
    )
    op.drop_index(op.f("ix_numberingrule_org_id"), table_name="numberingrule")
    op.drop_table("numberingrule")
    op.drop_index(op.f("ix_dossiersample_org_id"), table_name="dossiersample")
    op.drop_table("dossiersample")
    op.drop_index(op.f("ix_dossierchecklist_region_org_id"), table_name="dossierchecklist")
    op.drop_table("dossierchecklist")
    op.drop_index(op.f("ix_assessmentscheme_region_org_id"), table_name="assessmentscheme")
    op.drop_table("assessmentscheme")
    op.drop_table("numbercounter")
