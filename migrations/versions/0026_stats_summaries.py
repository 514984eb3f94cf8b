"""statistics summaries (issue 21): pre-summed case counts and paid subsidies, filled from the existing rows

Revision ID: 0026_stats_summaries
Revises: 0025_light_public
Create Date: 2026-12-07 15:00:00

The tables mirror models/stats.py. They are filled here from the cases and the ledger with the same aggregates
the app keeps them with (services/stats/summary.py), so an upgraded database reads the same figures at once;
then the triggers on the case table that keep the case summaries from now on are created: the SQL that
services/stats/summary_sql.py generated from the KPI predicates when this was written, frozen in
migrations/sql/0026_triggers.<dialect>.sql.
"""

from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = "0026_stats_summaries"
down_revision = "0025_light_public"
branch_labels = None
depends_on = None

CASE_MEASURES = (
    "received",
    "accepted",
    "mediated",
    "succeeded",
    "failed",
    "withdrawn",
    "rejected",
    "in_progress",
    "perf_settled",
    "fulfilled",
    "confirmed",
    "on_the_spot",
    "oral_agreements",
    "pre_litigation_succeeded",
    "screening_prevented",
    "group_disputes",
    "group_people",
    "high_risk",
    "civil_to_criminal",
    "rated",
    "satisfied",
    "satisfaction_points",
)


def _measures(names: tuple[str, ...]) -> list[sa.Column]:
    return [sa.Column(n, sa.BigInteger(), nullable=False, server_default="0") for n in names]


def _county() -> sa.Column:
    return sa.Column("county_id", sa.Integer(), nullable=False, server_default="0")


def _keys(*names: str) -> list[sa.Column]:
    kinds = {
        "org_id": sa.Integer(),
        "county_id": sa.Integer(),
        "received_month": sa.Integer(),
        "month": sa.Integer(),
        "category": sa.String(40),
        "source": sa.String(32),
        "performance_due": sa.Date(),
        "due": sa.Date(),
    }
    return [sa.Column(n, kinds[n], nullable=False) for n in names]


def upgrade() -> None:
    op.create_table(
        "stats_case_org",
        *_keys("org_id", "received_month", "category", "source"),
        _county(),
        *_measures(CASE_MEASURES),
        sa.PrimaryKeyConstraint("org_id", "received_month", "category", "source"),
    )
    op.create_index("ix_stats_case_org_month", "stats_case_org", ["received_month", "org_id"])
    op.create_table(
        "stats_case_org_month",
        *_keys("org_id", "received_month"),
        _county(),
        *_measures(CASE_MEASURES),
        sa.PrimaryKeyConstraint("org_id", "received_month"),
    )
    op.create_table(
        "stats_case_area",
        *_keys("county_id", "received_month", "category", "source"),
        *_measures(CASE_MEASURES),
        sa.PrimaryKeyConstraint("county_id", "received_month", "category", "source"),
    )
    op.create_index("ix_stats_case_area_month", "stats_case_area", ["received_month", "county_id"])
    op.create_table(
        "stats_case_area_month",
        *_keys("county_id", "received_month"),
        *_measures(CASE_MEASURES),
        sa.PrimaryKeyConstraint("county_id", "received_month"),
    )
    op.create_table(
        "stats_due_org",
        *_keys("org_id", "received_month", "category", "source", "performance_due"),
        _county(),
        *_measures(("n",)),
        sa.PrimaryKeyConstraint("org_id", "received_month", "category", "source", "performance_due"),
    )
    op.create_table(
        "stats_due_area",
        *_keys("county_id", "received_month", "category", "source", "performance_due"),
        *_measures(("n",)),
        sa.PrimaryKeyConstraint("county_id", "received_month", "category", "source", "performance_due"),
    )
    op.create_table(
        "stats_paid_org",
        *_keys("org_id", "month"),
        _county(),
        *_measures(("paid_claims", "paid_fen")),
        sa.PrimaryKeyConstraint("org_id", "month"),
    )
    op.create_index("ix_stats_paid_org_county", "stats_paid_org", ["county_id", "month"])
    op.create_table(
        "stats_session_org",
        *_keys("org_id", "month", "category", "source"),
        _county(),
        *_measures(("sessions", "online_sessions")),
        sa.PrimaryKeyConstraint("org_id", "month", "category", "source"),
    )
    op.create_table(
        "stats_session_area",
        *_keys("county_id", "month", "category", "source"),
        *_measures(("sessions", "online_sessions")),
        sa.PrimaryKeyConstraint("county_id", "month", "category", "source"),
    )
    op.create_table(
        "stats_followup_org",
        *_keys("org_id", "received_month", "category", "source", "due"),
        _county(),
        *_measures(("n",)),
        sa.PrimaryKeyConstraint("org_id", "received_month", "category", "source", "due"),
    )
    op.create_table(
        "stats_followup_area",
        *_keys("county_id", "received_month", "category", "source", "due"),
        *_measures(("n",)),
        sa.PrimaryKeyConstraint("county_id", "received_month", "category", "source", "due"),
    )
    op.create_table(
        "stats_rebuild_state",
        sa.Column("name", sa.String(40), primary_key=True),
        sa.Column("last_id", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("total", sa.BigInteger(), nullable=False, server_default="0"),
    )
    op.create_index("ix_case_month_id", "case", ["received_month", "id"])  # keyset pages of the drill-down
    open_where = sa.text("status IN ('submitted', 'accepted', 'in_mediation')")  # models/case.py OPEN_WHERE
    op.create_index(
        "ix_case_open_month",
        "case",
        ["received_month", "status", "accept_due", "conclude_due", "org_id"],
        sqlite_where=open_where,
        postgresql_where=open_where,
    )
    _fill()
    for statement in summary_triggers(op.get_bind().dialect.name):
        op.execute(sa.text(statement))


def summary_triggers(dialect: str) -> list[str]:
    """The triggers as this migration created them (migrations/sql/0026_triggers.<dialect>.sql), frozen: the
    code that generated them may change, a database migrated to 0026 may not."""
    path = Path(__file__).resolve().parent.parent / "sql" / f"0026_triggers.{dialect}.sql"
    blocks = path.read_text(encoding="utf-8").split("\n;;\n")
    out = []
    for block in blocks:
        lines = [line for line in block.splitlines() if not line.startswith("-- ")]
        statement = "\n".join(lines).strip()
        if statement:
            out.append(statement)
    return out


DROP_SQLITE = (
    "stats_case_insert",
    "stats_case_update",
    "stats_case_delete",
    "stats_case_sessions",
    "stats_session_insert",
    "stats_session_update",
    "stats_session_delete",
    "stats_case_followups",
    "stats_followup_insert",
    "stats_followup_update",
    "stats_followup_delete",
)
DROP_POSTGRESQL = (
    'DROP TRIGGER IF EXISTS stats_case_summary ON "case"',
    'DROP TRIGGER IF EXISTS stats_case_summary_update ON "case"',
    'DROP TRIGGER IF EXISTS stats_case_sessions ON "case"',
    "DROP TRIGGER IF EXISTS stats_session_summary ON mediationsession",
    "DROP TRIGGER IF EXISTS stats_session_summary_update ON mediationsession",
    "DROP FUNCTION IF EXISTS stats_case_summary()",
    "DROP FUNCTION IF EXISTS stats_case_sessions()",
    "DROP FUNCTION IF EXISTS stats_session_summary()",
    'DROP TRIGGER IF EXISTS stats_case_followups ON "case"',
    "DROP TRIGGER IF EXISTS stats_followup_summary ON followup",
    "DROP TRIGGER IF EXISTS stats_followup_summary_update ON followup",
    "DROP FUNCTION IF EXISTS stats_case_followups()",
    "DROP FUNCTION IF EXISTS stats_followup_summary()",
)


def _fill() -> None:
    """Sum the existing cases and pay rows in (the app's own aggregates; nothing to do on an empty database)."""
    from sqlmodel import Session

    from services.stats import summary

    bind = op.get_bind()
    with Session(bind=bind) as session:
        while summary.rebuild_step(session)[0] != "done":
            pass
        session.flush()


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        drops = [f"DROP TRIGGER IF EXISTS {name}" for name in DROP_SQLITE]
    else:
        drops = list(DROP_POSTGRESQL)
    for statement in drops:
        op.execute(sa.text(statement))
    op.drop_index("ix_case_open_month", table_name="case")
    op.drop_index("ix_case_month_id", table_name="case")
    for name in (
        "stats_rebuild_state",
        "stats_followup_area",
        "stats_followup_org",
        "stats_session_area",
        "stats_session_org",
        "stats_paid_org",
        "stats_due_area",
        "stats_due_org",
        "stats_case_area_month",
        "stats_case_area",
        "stats_case_org_month",
        "stats_case_org",
    ):
        op.drop_table(name)
