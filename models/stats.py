"""Statistics summaries (issue 21): pre-summed case counts, mediation sessions, late follow-ups and paid subsidies,
kept in the same transaction as the change that moves them (services/stats/summary.py: database triggers on the
case, session and follow-up tables; a flush listener for the ledger), so a dashboard reads a few thousand rows.

Four grains of the case summary: by organisation, month, category and source (exact for a village, rolled up
by path), by organisation and month (the breakdown by organisation), by area (the county, 0 for organisations
above any county), month, category and source (the breakdown by category and source), and by area and month,
so a whole-province or county headline reads O(areas × months) rows. Each count column is one KPI of
services/stats/kpi.py (same id), except `perf_settled` (the time-independent part of `performance_due`); what
depends on today is kept by day: the `due` tables (succeeded cases with an agreement whose performance is still
open, by deadline) and the `followup` tables (succeeded cases awaiting a follow-up, by its due day). Sessions are
counted by the month held, paid subsidies by organisation and month paid (China time)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Column, Date, Index, Integer, String, Table, event
from sqlalchemy.orm import Session
from sqlmodel import SQLModel

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


def _measures(names: tuple[str, ...]) -> list[Column[int]]:
    return [Column(n, BigInteger, nullable=False, server_default="0") for n in names]


def _key(name: str, kind: type[Integer] | type[String] | type[Date], length: int | None = None) -> Column[object]:
    return Column(name, kind(length) if length else kind(), primary_key=True, nullable=False)  # type: ignore[call-arg]


stats_case_org = Table(
    "stats_case_org",
    SQLModel.metadata,
    _key("org_id", Integer),
    _key("received_month", Integer),
    _key("category", String, 40),
    _key("source", String, 32),
    Column("county_id", Integer, nullable=False, server_default="0"),
    *_measures(CASE_MEASURES),
    Index("ix_stats_case_org_month", "received_month", "org_id"),
)
stats_case_org_month = Table(
    "stats_case_org_month",
    SQLModel.metadata,
    _key("org_id", Integer),
    _key("received_month", Integer),
    Column("county_id", Integer, nullable=False, server_default="0"),
    *_measures(CASE_MEASURES),
)
stats_case_area = Table(
    "stats_case_area",
    SQLModel.metadata,
    _key("county_id", Integer),
    _key("received_month", Integer),
    _key("category", String, 40),
    _key("source", String, 32),
    *_measures(CASE_MEASURES),
    Index("ix_stats_case_area_month", "received_month", "county_id"),
)
stats_case_area_month = Table(
    "stats_case_area_month",
    SQLModel.metadata,
    _key("county_id", Integer),
    _key("received_month", Integer),
    *_measures(CASE_MEASURES),
)
stats_due_org = Table(
    "stats_due_org",
    SQLModel.metadata,
    _key("org_id", Integer),
    _key("received_month", Integer),
    _key("category", String, 40),
    _key("source", String, 32),
    _key("performance_due", Date),
    Column("county_id", Integer, nullable=False, server_default="0"),
    *_measures(("n",)),
)
stats_due_area = Table(
    "stats_due_area",
    SQLModel.metadata,
    _key("county_id", Integer),
    _key("received_month", Integer),
    _key("category", String, 40),
    _key("source", String, 32),
    _key("performance_due", Date),
    *_measures(("n",)),
    Index("ix_stats_due_area_month_due", "received_month", "performance_due", "n"),
    Index("ix_stats_due_area_county", "county_id", "received_month", "performance_due", "n"),
)
stats_paid_org = Table(
    "stats_paid_org",
    SQLModel.metadata,
    _key("org_id", Integer),
    _key("month", Integer),
    Column("county_id", Integer, nullable=False, server_default="0"),
    *_measures(("paid_claims", "paid_fen")),
    Index("ix_stats_paid_org_county", "county_id", "month"),
)
stats_session_org = Table(  # mediation sessions by the month they were held (China time) and their case
    "stats_session_org",
    SQLModel.metadata,
    _key("org_id", Integer),
    _key("month", Integer),
    _key("category", String, 40),
    _key("source", String, 32),
    Column("county_id", Integer, nullable=False, server_default="0"),
    *_measures(("sessions", "online_sessions")),
)
stats_session_area = Table(
    "stats_session_area",
    SQLModel.metadata,
    _key("county_id", Integer),
    _key("month", Integer),
    _key("category", String, 40),
    _key("source", String, 32),
    *_measures(("sessions", "online_sessions")),
)
stats_followup_org = Table(  # succeeded cases awaiting a follow-up, by its due day: late once the day has passed
    "stats_followup_org",
    SQLModel.metadata,
    _key("org_id", Integer),
    _key("received_month", Integer),
    _key("category", String, 40),
    _key("source", String, 32),
    _key("due", Date),
    Column("county_id", Integer, nullable=False, server_default="0"),
    *_measures(("n",)),
)
stats_followup_area = Table(
    "stats_followup_area",
    SQLModel.metadata,
    _key("county_id", Integer),
    _key("received_month", Integer),
    _key("category", String, 40),
    _key("source", String, 32),
    _key("due", Date),
    *_measures(("n",)),
    Index("ix_stats_followup_area_month_due", "received_month", "due", "n"),
    Index("ix_stats_followup_area_county", "county_id", "due", "received_month", "n"),
)
stats_rebuild_state = Table(
    "stats_rebuild_state",
    SQLModel.metadata,
    Column("name", String(40), primary_key=True),
    Column("last_id", BigInteger, nullable=False, server_default="0"),
    Column("total", BigInteger, nullable=False, server_default="0"),
)
CASE_TABLES = (stats_case_org, stats_case_org_month, stats_case_area, stats_case_area_month)
DUE_TABLES = (stats_due_org, stats_due_area)
SESSION_TABLES = (stats_session_org, stats_session_area)
FOLLOWUP_TABLES = (stats_followup_org, stats_followup_area)
SUMMARY_TABLES = (*CASE_TABLES, *DUE_TABLES, *SESSION_TABLES, *FOLLOWUP_TABLES, stats_paid_org)


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, ctx: Any) -> None:
    """A pay or reverse row moves the paid summary (services/stats/summary.py; imported late: it imports models).
    The case summaries are kept by database triggers (migration 0026), whatever writes the case row."""
    from services.stats.summary import after_flush

    after_flush(session, ctx)
