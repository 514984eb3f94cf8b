"""The case export: the cases behind a statistic or a warning as an xlsx sheet, one column per custom field.

Besides the drill-down's columns it names the mediator, the closing date (the China date the case concluded)
and the agreed amount (the newest agreement's, in yuan).

For staff with the report-export permission; no party's name, phone, ID number or address is in it, and
custom phone and ID-number values are masked. The public board never uses it.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from sqlmodel import Session, col, select

from models import Agreement, Case, Mediator
from services.access.authz import Actor, require
from services.access.permissions import P
from services.admin.xlsx import neutralise
from services.core import clock
from services.core.i18n import translate
from services.intake.form import FieldSpec
from services.lowcode import dictionaries
from services.lowcode.custom_fields import FORM_MARK, display, export_columns
from services.stats import drilldown
from services.stats.sql import Filters, Slice

MAX_ROWS = 20_000
FIXED = (
    "case_no",
    "received",
    "org",
    "category",
    "source",
    "status",
    "high_risk",
    "mediator",
    "concluded",
    "agreed_amount",
)
AMOUNT_FORMAT = "#,##0.00"


@dataclass(frozen=True)
class Extra:
    """What the export adds to a drill-down row: the form's custom values, mediator, closing date, amount."""

    form: str
    custom: dict[str, Any]
    mediator: str
    concluded: str  # China date, '' while open
    agreed_fen: int | None  # the newest agreement's amount; None without an agreement


def _items(fetch: Callable[[drilldown.Cursor | None], drilldown.CasePage]) -> list[drilldown.CaseItem]:
    items: list[drilldown.CaseItem] = []
    after = None
    while len(items) < MAX_ROWS:
        page = fetch(after)
        items += page.items
        if (after := page.after) is None:
            break
    return items[:MAX_ROWS]


def _extras(session: Session, ids: list[int]) -> dict[int, Extra]:
    """case id → its form's custom values, its mediator, closing date and agreed amount, 500 cases a statement."""
    out: dict[int, Extra] = {}
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        amounts: dict[int, tuple[int, int]] = {}
        for case_id, version, fen in session.exec(
            select(Agreement.case_id, Agreement.version, Agreement.amount_fen).where(col(Agreement.case_id).in_(chunk))
        ):
            if case_id not in amounts or version > amounts[case_id][0]:
                amounts[case_id] = (version, fen)
        rows = session.exec(
            select(Case.id, Case.source, Case.custom, Mediator.name, Case.concluded_at)  # type: ignore[call-overload]
            .outerjoin(Mediator, col(Mediator.id) == col(Case.mediator_id))
            .where(col(Case.id).in_(chunk))
        )
        for case_id, source, custom, mediator, concluded in rows:
            mark = (custom or {}).get(FORM_MARK)
            code = mark.get("code") if isinstance(mark, dict) else ("intake" if source == "qr" else "staff_intake")
            cid = int(case_id or 0)
            out[cid] = Extra(
                form=str(code),
                custom=dict(custom or {}),
                mediator=mediator or "",
                concluded=clock.format_local_date(concluded),
                agreed_fen=amounts[cid][1] if cid in amounts else None,
            )
    return out


def _headers(columns: list[tuple[str, FieldSpec]], lang: str) -> list[str]:
    out = [translate(f"customfields.col_{c}", lang) for c in FIXED]
    for code, f in columns:
        label = f.label(lang)
        out.append(label if label not in out else f"{label} · {translate(f'customfields.form_{code}', lang)}")
    return out


def export_cases_xlsx(
    session: Session,
    *,
    actor: Actor,
    filters: Filters,
    kpi_id: str = "received",
    part: str = "numerator",
    piece: Slice | None = None,
    alert: str | None = None,
    lang: str = "zh-CN",
    today: date | None = None,
) -> bytes:
    """The cases a number counts (or, with `alert`, a warning list holds), one row each, with a column per
    custom field (labels in `lang`)."""
    require(actor, P.REPORT_EXPORT)
    if alert is not None:
        items = _items(
            lambda after: drilldown.list_alerts(
                session, actor=actor, filters=filters, kind=alert, after=after, limit=100, today=today
            )
        )
    else:
        items = _items(
            lambda after: drilldown.list_cases(
                session,
                actor=actor,
                filters=filters,
                kpi_id=kpi_id,
                part=part,
                piece=piece,
                after=after,
                limit=100,
                today=today,
            )
        )
    return _workbook(session, items, lang)


def _workbook(session: Session, items: list[drilldown.CaseItem], lang: str) -> bytes:
    extras = _extras(session, [i.id for i in items])
    columns = export_columns(session)
    words = {d: dictionaries.labels(session, d, lang) for d in ("category", "source")}
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(translate("customfields.sheet", lang)[:31])
    headers = _headers(columns, lang)
    for n in range(1, len(headers) + 1):
        ws.column_dimensions[get_column_letter(n)].width = 18
    ws.freeze_panes = "B2"
    head = []
    for h in headers:
        cell = WriteOnlyCell(ws, value=neutralise(h))
        cell.font = Font(bold=True)
        head.append(cell)
    ws.append(head)
    none = Extra("", {}, "", "", None)
    for item in items:
        extra = extras.get(item.id, none)
        amount = WriteOnlyCell(ws, value=None if extra.agreed_fen is None else extra.agreed_fen / 100)
        amount.number_format = AMOUNT_FORMAT
        row: list[Any] = [
            item.case_no,
            item.received_on.isoformat(),
            item.org_name,
            words["category"].get(item.category, item.category),
            words["source"].get(item.source, item.source),
            translate(f"status.{item.status}", lang),
            translate("yes" if item.high_risk else "no", lang),
            extra.mediator,
            extra.concluded,
        ]
        custom = [
            display(f.type, extra.custom[f.key], f.options, lang, mask_phones=True)
            if c == extra.form and f.key in extra.custom
            else ""
            for c, f in columns
        ]
        ws.append([*(neutralise(v) for v in row), amount, *(neutralise(v) for v in custom)])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
