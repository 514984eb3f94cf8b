"""The case export: the cases behind a statistic as an xlsx sheet, one column per custom field of the forms.

For staff with the report-export permission; no party's name, phone, ID number or address is in it, and
custom phone and ID-number values are masked. The public board never uses it.
"""

from __future__ import annotations

import io
from datetime import date
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from sqlmodel import Session, col, select

from models import Case
from services.access.authz import Actor, require
from services.access.permissions import P
from services.admin.xlsx import neutralise
from services.core.i18n import translate
from services.intake.form import FieldSpec
from services.lowcode import dictionaries
from services.lowcode.custom_fields import FORM_MARK, display, export_columns
from services.stats import drilldown
from services.stats.sql import Filters, Slice

MAX_ROWS = 20_000
FIXED = ("case_no", "received", "org", "category", "source", "status", "high_risk")


def _items(
    session: Session, actor: Actor, filters: Filters, kpi_id: str, part: str, piece: Slice | None, today: date | None
) -> list[drilldown.CaseItem]:
    items: list[drilldown.CaseItem] = []
    after = None
    while len(items) < MAX_ROWS:
        page = drilldown.list_cases(
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
        items += page.items
        if (after := page.after) is None:
            break
    return items[:MAX_ROWS]


def _customs(session: Session, ids: list[int]) -> dict[int, tuple[str, dict[str, Any]]]:
    """case id → (form code, custom values) for the given cases."""
    out: dict[int, tuple[str, dict[str, Any]]] = {}
    for i in range(0, len(ids), 500):
        rows = session.exec(select(Case.id, Case.source, Case.custom).where(col(Case.id).in_(ids[i : i + 500])))
        for case_id, source, custom in rows:
            mark = (custom or {}).get(FORM_MARK)
            code = mark.get("code") if isinstance(mark, dict) else ("intake" if source == "qr" else "staff_intake")
            out[int(case_id or 0)] = (str(code), dict(custom or {}))
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
    lang: str = "zh-CN",
    today: date | None = None,
) -> bytes:
    """The cases a number counts, one row each, with a column per custom field (labels in `lang`)."""
    require(actor, P.REPORT_EXPORT)
    items = _items(session, actor, filters, kpi_id, part, piece, today)
    customs = _customs(session, [i.id for i in items])
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
    for item in items:
        code, custom = customs.get(item.id, ("", {}))
        row: list[Any] = [
            item.case_no,
            item.received_on.isoformat(),
            item.org_name,
            words["category"].get(item.category, item.category),
            words["source"].get(item.source, item.source),
            translate(f"status.{item.status}", lang),
            translate("yes" if item.high_risk else "no", lang),
        ]
        row += [
            display(f.type, custom[f.key], f.options, lang, mask_phones=True) if c == code and f.key in custom else ""
            for c, f in columns
        ]
        ws.append([neutralise(v) for v in row])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
