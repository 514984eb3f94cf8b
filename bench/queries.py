"""Dashboard-style aggregates and list pages, each as raw SQL for plain sqlite3 and as the app would run it.

The raw side may list several formulations; the fastest is the floor ("ideal query"). The app side is the
natural SQLModel `select()` a service would write, run in a `Database.read()` session.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case as when
from sqlmodel import col, func, select

from models import Case, PayoutBatch, SubsidyClaim

SUCCEEDED = ("succeeded", "followed_up", "archived")
PAGE = 50


@dataclass
class Params:
    year_from: int  # YYYY01 of the newest year
    year_to: int
    month_from: int  # YYYYMM 24 months back
    deep_offset: int
    deep_id: int
    deep_received: str


@dataclass
class Query:
    name: str
    raw: list[str]  # candidate formulations, positional "?" parameters from raw_args
    raw_args: Callable[[Params], tuple[Any, ...]]
    app: Callable[[Params], Any]  # a SQLModel select(); the runner executes it in a read session


def _status(p: Params) -> Any:
    return select(Case.status, func.count()).group_by(Case.status)


def _category_year(p: Params) -> Any:
    return (
        select(Case.category, func.count())
        .where(col(Case.received_month).between(p.year_from, p.year_to))
        .group_by(Case.category)
    )


def _months(p: Params) -> Any:
    return (
        select(Case.received_month, func.count())
        .where(Case.received_month >= p.month_from)
        .group_by(Case.received_month)
        .order_by(Case.received_month)
    )


def _county_outcome(p: Params) -> Any:
    ok = func.sum(when((col(Case.status).in_(SUCCEEDED), 1), else_=0))
    failed = func.sum(when((Case.status == "failed", 1), else_=0))
    return select(Case.county_id, ok, failed).group_by(Case.county_id)


def _subsidy(p: Params) -> Any:
    month = func.strftime("%Y-%m", PayoutBatch.paid_at)
    return (
        select(SubsidyClaim.county_id, month, func.sum(SubsidyClaim.amount_fen))
        .join(PayoutBatch, col(PayoutBatch.id) == col(SubsidyClaim.batch_id))
        .where(SubsidyClaim.status == "paid")
        .group_by(SubsidyClaim.county_id, month)
    )


def _offset_by_id(p: Params) -> Any:
    return select(Case.id, Case.case_no, Case.status).order_by(col(Case.id).desc()).offset(p.deep_offset).limit(PAGE)


def _keyset_by_id(p: Params) -> Any:
    return (
        select(Case.id, Case.case_no, Case.status).where(Case.id < p.deep_id).order_by(col(Case.id).desc()).limit(PAGE)
    )


def _offset_by_received(p: Params) -> Any:
    return (
        select(Case.id, Case.case_no, Case.status)
        .order_by(col(Case.received_at).desc(), col(Case.id).desc())
        .offset(p.deep_offset)
        .limit(PAGE)
    )


AGGREGATES = [
    Query("status counts", ['SELECT status, count(*) FROM "case" GROUP BY status'], lambda p: (), _status),
    Query(
        "category, this year",
        [
            'SELECT category, count(*) FROM "case" WHERE received_month BETWEEN ? AND ? GROUP BY category',
            'SELECT category, count(*) FROM "case" INDEXED BY ix_case_stats_catsrc '
            "WHERE received_month BETWEEN ? AND ? GROUP BY category",
        ],
        lambda p: (p.year_from, p.year_to),
        _category_year,
    ),
    Query(
        "month, last 24",
        [
            'SELECT received_month, count(*) FROM "case" WHERE received_month >= ? '
            "GROUP BY received_month ORDER BY received_month"
        ],
        lambda p: (p.month_from,),
        _months,
    ),
    Query(
        "county succeeded/failed",
        [
            "SELECT county_id, sum(status IN ('succeeded','followed_up','archived')), sum(status = 'failed') "
            'FROM "case" GROUP BY county_id',
            # aggregate per organisation on a covering (org_id, status, …) index, then roll up the ~300 orgs
            "SELECT o.county_id, sum(t.ok), sum(t.failed) FROM (SELECT org_id, "
            "sum(status IN ('succeeded','followed_up','archived')) AS ok, sum(status = 'failed') AS failed "
            'FROM "case" INDEXED BY ix_case_org_status_received GROUP BY org_id) t '
            "JOIN organisation o ON o.id = t.org_id GROUP BY o.county_id",
        ],
        lambda p: (),
        _county_outcome,
    ),
    Query(
        "subsidy paid, county x month",
        [
            "SELECT c.county_id, strftime('%Y-%m', b.paid_at), sum(c.amount_fen) FROM subsidyclaim c "
            "JOIN payoutbatch b ON b.id = c.batch_id WHERE c.status = 'paid' GROUP BY 1, 2",
            # a batch belongs to one county and is paid on one day: sum per batch, then label the batches
            "SELECT b.region_org_id, strftime('%Y-%m', b.paid_at), sum(t.fen) FROM (SELECT batch_id, "
            "sum(amount_fen) AS fen FROM subsidyclaim WHERE status = 'paid' GROUP BY batch_id) t "
            "JOIN payoutbatch b ON b.id = t.batch_id GROUP BY 1, 2",
        ],
        lambda p: (),
        _subsidy,
    ),
]

PAGES = [
    Query(
        "page at 90%: OFFSET, by id",
        ['SELECT id, case_no, status FROM "case" ORDER BY id DESC LIMIT 50 OFFSET ?'],
        lambda p: (p.deep_offset,),
        _offset_by_id,
    ),
    Query(
        "page at 90%: keyset, by id",
        ['SELECT id, case_no, status FROM "case" WHERE id < ? ORDER BY id DESC LIMIT 50'],
        lambda p: (p.deep_id,),
        _keyset_by_id,
    ),
    Query(
        "page at 90%: OFFSET, by received_at",
        ['SELECT id, case_no, status FROM "case" ORDER BY received_at DESC, id DESC LIMIT 50 OFFSET ?'],
        lambda p: (p.deep_offset,),
        _offset_by_received,
    ),
]


def params(conn: Any) -> Params:
    """Anchors taken from the data itself, so a cached database built on another day still fits."""
    newest = conn.execute('SELECT max(received_month), count(*) FROM "case"').fetchone()
    year = newest[0] // 100
    first = year * 12 + newest[0] % 100 - 1 - 23  # 24 months including the newest
    month_from = (first // 12) * 100 + first % 12 + 1
    offset = int(newest[1] * 0.9)
    row = conn.execute('SELECT id, received_at FROM "case" ORDER BY id DESC LIMIT 1 OFFSET ?', (offset,)).fetchone()
    return Params(year * 100 + 1, year * 100 + 12, month_from, offset, row[0] + 1, row[1])
