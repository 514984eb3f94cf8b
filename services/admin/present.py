"""Turn stored values into what people read: labels for codes and ids, masks for personal data, yes/no.

Labels are resolved for a whole page at once (one query per source), computed columns likewise.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from services.admin.extensions import DISPLAYS, MASKERS
from services.admin.forms import REFS, dict_labels, enum_label, ref_labels
from services.admin.specs import REGISTRY, AdminSpec, InlineSpec, model_class
from services.core import clock
from services.core.i18n import translate

Labeller = Callable[[Any], Any]


def _flat(values: Sequence[Any]) -> list[Any]:
    out: list[Any] = []
    for v in values:
        out.extend(v if isinstance(v, list) else [v])
    return out


def _labeller(session: Session, source: str, values: Sequence[Any], lang: str) -> Labeller:
    """A function from a stored value (or list of values) to its label, for one choices source."""
    kind, _, arg = source.partition(":")
    if kind == "enum":

        def one(v: Any) -> Any:
            return enum_label(arg, v, lang) if isinstance(v, str) else v
    else:
        found: Mapping[Any, str] = (
            dict_labels(session, arg, lang)
            if kind == "dict"
            else ref_labels(session, arg, [v for v in _flat(values) if v is not None], lang)
        )

        def one(v: Any) -> Any:
            return found.get(v, v)

    def show(v: Any) -> Any:
        return "、".join(str(one(x)) for x in v) if isinstance(v, list) else one(v)

    return show


def plain_value(value: Any, lang: str) -> Any:
    """None → "", booleans → 是/否, timestamps to the minute in China; numbers, dates and text stay as they are."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return translate("admin.yes" if value else "admin.no", lang)
    if isinstance(value, datetime):
        return clock.format_local(value)
    if isinstance(value, date | int | float | str):
        return value
    return str(value)


def present(
    session: Session, spec: AdminSpec, rows: Sequence[Mapping[str, Any]], names: Sequence[str], lang: str
) -> list[dict[str, Any]]:
    """For each raw row (column → value, with "id"), the shown value of each name (column or computed)."""
    ids = [r["id"] for r in rows]
    computed: dict[int, dict[str, Any]] = {}
    for fn in {DISPLAYS[(spec.model, n)].fn for n in names if (spec.model, n) in DISPLAYS}:
        for rid, vals in fn(session, ids, lang).items():
            computed.setdefault(rid, {}).update(vals)
    labellers = {
        n: _labeller(session, spec.choices[n], [r.get(n) for r in rows], lang)
        for n in names
        if n in spec.choices and n not in spec.virtual_fields
    }
    out = []
    for r in rows:
        cells: dict[str, Any] = {}
        for n in names:
            if (spec.model, n) in DISPLAYS:
                cells[n] = plain_value(computed.get(r["id"], {}).get(n), lang)
            elif n in spec.masked_fields:
                cells[n] = MASKERS[spec.masked_fields[n]](r.get(n))
            elif n in labellers and r.get(n) is not None:
                cells[n] = labellers[n](r.get(n))
            else:
                cells[n] = plain_value(r.get(n), lang)
        out.append(cells)
    return out


def _inline_source(inline: InlineSpec, table: sa.Table, name: str) -> str | None:
    """How to label an inline column: its own choices, the ref its foreign key points at, or a spec's enum."""
    if name in inline.choices:
        return inline.choices[name]
    for fk in table.c[name].foreign_keys:
        if fk.column.table.name in REFS:
            return f"ref:{fk.column.table.name}"
    for spec in REGISTRY.values():
        if spec.model == inline.model and spec.choices.get(name, "").startswith("enum:"):
            return spec.choices[name]
    return None


def present_inline(session: Session, inline: InlineSpec, parent_id: int, lang: str) -> list[dict[str, Any]]:
    """The related rows of one record, newest first (or as the inline orders them), labelled."""
    model = model_class(inline.model)
    assert model is not None  # check_specs guarantees it
    table: sa.Table = model.__table__  # type: ignore[attr-defined]
    order = [table.c[o.lstrip("-")].desc() if o.startswith("-") else table.c[o] for o in inline.ordering]
    stmt = (
        sa.select(*(table.c[c] for c in inline.columns))
        .where(table.c[inline.fk] == parent_id)
        .order_by(*order, table.c.id.desc())
        .limit(inline.limit)
    )
    raw = [dict(r._mapping) for r in session.execute(stmt).all()]
    sources = {c: s for c in inline.columns if (s := _inline_source(inline, table, c))}
    labellers = {c: _labeller(session, s, [r[c] for r in raw], lang) for c, s in sources.items()}
    return [
        {
            c: labellers[c](r[c]) if c in labellers and r[c] is not None else plain_value(r[c], lang)
            for c in inline.columns
        }
        for r in raw
    ]
