"""statistics: outcome and agreement facts denormalised onto the case by triggers; covering indexes per breakdown

Revision ID: 0006_stats
Revises: 0005_case_workflow
Create Date: 2026-11-23 06:00:00

Every KPI becomes a predicate on one case row, so the dashboard's headline is one scan of one covering
index (SQLite has no hash aggregate: a GROUP BY that no index orders goes through a sorter at ~2 µs/row).
The denormalised columns are kept by database triggers, so every writer keeps them right: the workflow's
ORM updates, the demo's and the importer's Core bulk inserts, and hand-written SQL alike.

Only ADD COLUMN, CREATE INDEX and CREATE TRIGGER (no SQLite table rebuild, so the append-only triggers of
other tables are untouched).
"""
from alembic import op
import sqlalchemy as sa


revision = "0006_stats"
down_revision = "0005_case_workflow"
branch_labels = None
depends_on = None

OPEN_WHERE = "status IN ('submitted', 'accepted', 'in_mediation')"
MONTH_COLUMNS = ["received_month", "org_id", "category", "source", "status", "outcome", "on_the_spot",
                 "pre_litigation", "group_size", "agreement_kind", "performance", "performance_due", "confirmed",
                 "satisfaction", "accept_due", "conclude_due"]

# How a status maps to the outcome it records; followed_up and archived keep the outcome they had.
_OUTCOME = """CASE
    WHEN {n}.status IN ('succeeded', 'followed_up') THEN 'succeeded'
    WHEN {n}.status IN ('failed', 'withdrawn', 'rejected') THEN {n}.status
    WHEN {n}.status = 'archived' THEN COALESCE({n}.outcome, CASE
        WHEN {n}.reject_reason IS NOT NULL THEN 'rejected'
        WHEN {n}.diversion IS NOT NULL THEN 'failed'
        ELSE 'succeeded' END)
    ELSE NULL END"""
_AGREEMENT = """(SELECT a.kind, a.performance, a.performance_due FROM agreement a
    WHERE a.case_id = {cid} ORDER BY a.version DESC, a.id DESC LIMIT 1)"""
_CONFIRMED = "EXISTS (SELECT 1 FROM judicialconfirmation j WHERE j.case_id = {cid} AND j.result = 'confirmed')"
_SATISFACTION = """(SELECT f.satisfaction FROM followup f
    WHERE f.case_id = {cid} AND f.satisfaction IS NOT NULL ORDER BY f.id DESC LIMIT 1)"""


def _sets(cid: str) -> dict[str, str]:
    """table → the SET clause that recomputes the case's denormalised columns from that table."""
    return {
        "agreement": f"(agreement_kind, performance, performance_due) = {_AGREEMENT.format(cid=cid)}",
        "judicialconfirmation": f"confirmed = {_CONFIRMED.format(cid=cid)}",
        "followup": f"satisfaction = {_SATISFACTION.format(cid=cid)}",
    }


def _sqlite_triggers() -> None:
    op.execute(
        "CREATE TRIGGER case_outcome_insert AFTER INSERT ON \"case\" "
        "WHEN NEW.outcome IS NULL AND NEW.status NOT IN ('submitted', 'accepted', 'in_mediation') BEGIN "
        f"UPDATE \"case\" SET outcome = {_OUTCOME.format(n='NEW')} WHERE id = NEW.id; END"
    )
    op.execute(
        "CREATE TRIGGER case_outcome_update AFTER UPDATE OF status ON \"case\" "
        "WHEN NEW.status IS NOT OLD.status BEGIN "
        f"UPDATE \"case\" SET outcome = {_OUTCOME.format(n='NEW')} WHERE id = NEW.id; END"
    )
    for verb, row in (("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD")):
        for table, set_clause in _sets(f"{row}.case_id").items():
            op.execute(
                f"CREATE TRIGGER {table}_stats_{verb.lower()} AFTER {verb} ON {table} BEGIN "
                f"UPDATE \"case\" SET {set_clause} WHERE id = {row}.case_id; END"
            )


def _pg_triggers() -> None:
    op.execute(
        "CREATE OR REPLACE FUNCTION case_outcome() RETURNS trigger AS $$ BEGIN "
        "IF TG_OP = 'UPDATE' AND NEW.status IS NOT DISTINCT FROM OLD.status THEN RETURN NEW; END IF; "
        "IF TG_OP = 'INSERT' AND NEW.outcome IS NOT NULL THEN RETURN NEW; END IF; "
        f"NEW.outcome := {_OUTCOME.format(n='NEW')}; RETURN NEW; END $$ LANGUAGE plpgsql"
    )
    op.execute('CREATE TRIGGER case_outcome BEFORE INSERT OR UPDATE OF status ON "case" '
               "FOR EACH ROW EXECUTE FUNCTION case_outcome()")
    for table, set_clause in _sets("cid").items():
        op.execute(
            f"CREATE OR REPLACE FUNCTION {table}_stats() RETURNS trigger AS $$ DECLARE cid integer; BEGIN "
            "IF TG_OP = 'DELETE' THEN cid := OLD.case_id; ELSE cid := NEW.case_id; END IF; "
            f"UPDATE \"case\" SET {set_clause} WHERE id = cid; RETURN NULL; END $$ LANGUAGE plpgsql"
        )
        op.execute(f"CREATE TRIGGER {table}_stats AFTER INSERT OR UPDATE OR DELETE ON {table} "
                   f"FOR EACH ROW EXECUTE FUNCTION {table}_stats()")


def _backfill() -> None:
    op.execute(f'UPDATE "case" SET outcome = {_OUTCOME.format(n=chr(34) + "case" + chr(34))} '
               "WHERE status NOT IN ('submitted', 'accepted', 'in_mediation')")
    sets = _sets('"case".id')
    op.execute(f'UPDATE "case" SET {sets["agreement"]} WHERE id IN (SELECT case_id FROM agreement)')
    op.execute(f'UPDATE "case" SET {sets["judicialconfirmation"]} '
               "WHERE id IN (SELECT case_id FROM judicialconfirmation WHERE result = 'confirmed')")
    op.execute(f'UPDATE "case" SET {sets["followup"]} '
               "WHERE id IN (SELECT case_id FROM followup WHERE satisfaction IS NOT NULL)")


def upgrade() -> None:
    op.add_column("case", sa.Column("outcome", sa.String(length=12), nullable=True))
    op.add_column("case", sa.Column("agreement_kind", sa.String(length=8), nullable=True))
    op.add_column("case", sa.Column("performance", sa.String(length=12), nullable=True))
    op.add_column("case", sa.Column("performance_due", sa.Date(), nullable=True))
    op.add_column("case", sa.Column("confirmed", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column("case", sa.Column("satisfaction", sa.Integer(), nullable=True))
    _backfill()
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_triggers()
    else:
        _pg_triggers()
    op.create_index("ix_case_stats_month", "case", MONTH_COLUMNS)
    op.create_index("ix_case_stats_org", "case", ["org_id", "received_month", "category", "source", "status",
                                                  "outcome"])
    op.create_index("ix_case_stats_catsrc", "case", ["category", "source", "received_month", "org_id", "status",
                                                     "outcome"])
    where = "risk_level = 'high'"
    op.create_index("ix_case_stats_risk", "case", ["received_month", "org_id"],
                    sqlite_where=sa.text(where), postgresql_where=sa.text(where))
    op.create_index("ix_case_stats_open", "case", ["org_id", "status", "risk_level", "accept_due", "conclude_due"],
                    sqlite_where=sa.text(OPEN_WHERE), postgresql_where=sa.text(OPEN_WHERE))


def downgrade() -> None:
    for name in ("ix_case_stats_open", "ix_case_stats_risk", "ix_case_stats_catsrc", "ix_case_stats_org",
                 "ix_case_stats_month"):
        op.drop_index(name, table_name="case")
    if op.get_bind().dialect.name == "sqlite":
        names = ["case_outcome_insert", "case_outcome_update"] + [
            f"{t}_stats_{v}" for t in ("agreement", "judicialconfirmation", "followup")
            for v in ("insert", "update", "delete")]
        for name in names:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    else:
        op.execute('DROP TRIGGER IF EXISTS case_outcome ON "case"')
        op.execute("DROP FUNCTION IF EXISTS case_outcome()")
        for table in ("agreement", "judicialconfirmation", "followup"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_stats ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS {table}_stats()")
    for column in ("satisfaction", "confirmed", "performance_due", "performance", "agreement_kind", "outcome"):
        op.drop_column("case", column)
