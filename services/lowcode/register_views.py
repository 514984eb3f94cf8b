"""A register's list for staff: filters, text search, totals, chart data and the xlsx export.

Rows come from the actor's area only (one SQL clause); filters that look inside an entry's values run
over the register's entries in Python (a register holds hundreds or a few thousand rows, capped at MAX_ROWS).
"""

from __future__ import annotations

import io
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from sqlmodel import Session, col, select

from models import FormSpec, FormSubmission, Organisation
from services.access.authz import Actor, area_org_ids, require
from services.access.permissions import P
from services.admin.xlsx import neutralise
from services.core import clock
from services.core.i18n import translate
from services.lowcode.fields import FieldSpec, display_value, parse_fields
from services.lowcode.registers import Register, get_register, reference

MAX_ROWS = 5000
TEXT_TYPES = ("text", "long_text", "choice", "multi_choice", "date", "number")


@dataclass
class EntryQuery:
    """What the list shows: equal-value filters by field key, a date range, an organisation, a search text."""

    equals: dict[str, Any] = field(default_factory=dict)
    date_from: date | None = None
    date_to: date | None = None
    org_id: int | None = None
    search: str = ""


@dataclass(frozen=True)
class EntryRow:
    id: int
    reference: str
    org_name: str
    day: date  # the entry's first date field, else the day it was filed (local time)
    version: int
    data: dict[str, Any]
    created_at: datetime | None = None  # when it was submitted (UTC; shown in China time)
    channel: str = "staff"  # "qr": filed on the public form by QR code; "staff": by a signed-in worker

    @property
    def submitted(self) -> str:
        """The submission time in China time, as a person reads it."""
        return clock.format_local(self.created_at) if self.created_at else ""


def channel_of(entry: FormSubmission) -> str:
    """How the entry came in: by QR code on the public form (no signed-in worker) or by a worker."""
    return "staff" if entry.submitted_by is not None else "qr"


@dataclass(frozen=True)
class Totals:
    count: int
    sums: dict[str, float]  # number field key → sum


def date_field(fields: list[FieldSpec]) -> str | None:
    """The key of the register's first date field (its lists and charts go by it), or None."""
    return next((f.key for f in fields if f.type == "date"), None)


def all_fields(session: Session, reg: Register) -> list[FieldSpec]:
    """The fields in force, then fields that only older versions had (old entries keep their values)."""
    out, seen = list(reg.fields), {f.key for f in reg.fields}
    for raw in session.exec(
        select(FormSpec.fields).where(FormSpec.code == reg.code).order_by(col(FormSpec.version).desc())
    ).all():
        for f in parse_fields(list(raw or [])):
            if f.key not in seen:
                seen.add(f.key)
                out.append(f)
    return out


def _day(entry: FormSubmission, key: str | None) -> date:
    raw = entry.data.get(key) if key else None
    try:
        return date.fromisoformat(str(raw)) if raw else clock.local_date(entry.created_at)
    except ValueError:
        return clock.local_date(entry.created_at)


def _matches(row: EntryRow, q: EntryQuery, fields: list[FieldSpec], lang: str) -> bool:
    for key, wanted in q.equals.items():
        got = row.data.get(key)
        if wanted in (None, "") or (isinstance(got, list) and str(wanted) in got):
            continue
        if isinstance(wanted, bool) or isinstance(got, bool):
            if got is not wanted and str(got).lower() != str(wanted).lower():
                return False
        elif str(got) != str(wanted):
            return False
    if (q.date_from and row.day < q.date_from) or (q.date_to and row.day > q.date_to):
        return False
    needle = q.search.strip().lower()
    if needle:
        hay = [row.reference, row.org_name] + [
            display_value(f, row.data.get(f.key), lang) for f in fields if f.type in TEXT_TYPES
        ]
        return any(needle in h.lower() for h in hay)
    return True


def list_entries(
    session: Session, *, actor: Actor, code: str, query: EntryQuery | None = None, lang: str = "zh-CN"
) -> list[EntryRow]:
    """Entries of the register in the actor's area that match the query, newest first."""
    require(actor, P.REGISTER_USE)
    q = query or EntryQuery()
    reg = get_register(session, code, active=False)
    fields = all_fields(session, reg)
    stmt = (
        select(FormSubmission, Organisation.name)
        .join(Organisation, col(Organisation.id) == FormSubmission.org_id)
        .where(FormSubmission.form_code == reg.code, col(FormSubmission.org_id).in_(area_org_ids(actor)))
    )
    if q.org_id is not None:
        stmt = stmt.where(FormSubmission.org_id == q.org_id)
    key = date_field(reg.fields)
    rows = [
        EntryRow(
            e.id or 0, reference(e.id or 0), name, _day(e, key), e.form_version, e.data, e.created_at, channel_of(e)
        )
        for e, name in session.exec(stmt.order_by(col(FormSubmission.id).desc()).limit(MAX_ROWS)).all()
    ]
    return [r for r in rows if _matches(r, q, fields, lang)]


def totals(fields: list[FieldSpec], rows: list[EntryRow]) -> Totals:
    """How many entries, and the sum of every number field."""
    sums = {
        f.key: float(sum(r.data.get(f.key) or 0 for r in rows if isinstance(r.data.get(f.key), int | float)))
        for f in fields
        if f.type == "number"
    }
    return Totals(len(rows), sums)


def chart_by_field(f: FieldSpec, rows: list[EntryRow], lang: str) -> list[dict[str, Any]]:
    """[{label, count}] of entries per option of a choice (or yes/no) field, in option order."""
    counts: Counter[str] = Counter()
    for r in rows:
        value = r.data.get(f.key)
        for v in value if isinstance(value, list) else ([] if value is None else [value]):
            counts[display_value(f, v, lang) if f.type == "yes_no" else f.option_label(str(v), lang)] += 1
    order = [f.option_label(c, lang) for c, _, _ in f.options] or sorted(counts)
    return [{"label": label, "count": counts[label]} for label in order if counts[label]] + [
        {"label": k, "count": n} for k, n in counts.items() if k not in order
    ]


def chart_by_month(rows: list[EntryRow]) -> list[dict[str, Any]]:
    """[{month: 'YYYY-MM', count}] of entries per month, oldest first."""
    counts = Counter(r.day.strftime("%Y-%m") for r in rows)
    return [{"month": m, "count": counts[m]} for m in sorted(counts)]


def chart_fields(fields: list[FieldSpec]) -> list[FieldSpec]:
    """Fields a chart may group by."""
    return [f for f in fields if f.type in ("choice", "multi_choice", "yes_no")]


def export_entries(
    session: Session, *, actor: Actor, code: str, query: EntryQuery | None = None, lang: str = "zh-CN"
) -> bytes:
    """The list as filtered, as xlsx: one column per field, labels in `lang`, ID numbers masked, photos counted."""
    reg = get_register(session, code, active=False)
    rows = list_entries(session, actor=actor, code=code, query=query, lang=lang)
    fields = all_fields(session, reg)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(reg.title(lang)[:31] or "register")
    fixed = [
        translate(k, lang)
        for k in ("register.col_reference", "register.col_org", "register.col_day", "register.col_version")
    ]
    after = [translate(k, lang) for k in ("register.col_submitted", "register.col_channel")]
    for i in range(1, len(fixed) + len(fields) + len(after) + 1):
        ws.column_dimensions[get_column_letter(i)].width = 18
    header = []
    for text in fixed + [f.label(lang) for f in fields] + after:
        cell = WriteOnlyCell(ws, value=neutralise(text))
        cell.font = Font(bold=True)
        header.append(cell)
    ws.append(header)
    for r in rows:
        values = [r.reference, r.org_name, r.day.isoformat(), r.version]
        values += [
            r.data.get(f.key) if f.type == "number" else display_value(f, r.data.get(f.key), lang) for f in fields
        ]
        values += [r.submitted, translate(f"register.channel_{r.channel}", lang)]  # China time; QR or staff
        ws.append([neutralise(v) if isinstance(v, str) else v for v in values])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
