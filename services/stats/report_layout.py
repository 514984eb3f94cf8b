"""The layout of the statutory report (信息报送) as data: title, frame fields, print setup, sheets and columns.

The shipped default is assets/reports/report_layout.toml; an office whose province's form differs saves its
own version (ConfigVersion "report_layout", a new version each time, audited), checked by the same rules as
the default. The newest saved version is in force. Every check refuses with a stable key naming the entry.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from models import ConfigVersion
from services.access.authz import Actor, require
from services.access.permissions import P
from services.core import audit
from services.core.config import ROOT
from services.core.errors import ValidationFailed

CONFIG_KEY = "report_layout"
DEFAULT_FILE = ROOT / "assets" / "reports" / "report_layout.toml"
FRAME_FIELDS = ("unit", "period", "compare", "unit_of_count", "head_of_unit", "filled_by", "phone", "filled_on")
FIXED_VALUES = ("head_of_unit", "phone", "unit_of_count")  # the fields whose value the office sets once
OUTCOME = ("received", "accepted", "mediated", "succeeded", "failed", "withdrawn", "rejected", "in_progress")
BREAKDOWN_COLUMNS = ("label", *OUTCOME, "success_rate", "last_year_received", "yoy")
COLUMNS: dict[str, tuple[str, ...]] = {
    "kpis": ("kpi", "current", "last_year", "yoy", "formula"),
    "category": BREAKDOWN_COLUMNS,
    "source": BREAKDOWN_COLUMNS,
    "org": BREAKDOWN_COLUMNS,
    # 督办 figures (services/supervision/figures.py): only when a layout lists this sheet; the default does not
    "supervision": ("label", "value", "formula"),
}
PAPERS = ("A4", "A3")
ORIENTATIONS = ("landscape", "portrait")
TITLE_FIELDS = re.compile(r"\{([^{}]*)\}")
MAX_TEXT = 120


@dataclass(frozen=True)
class TableLayout:
    """One sheet: which table, its columns in order, and the office's own title and column labels."""

    key: str
    columns: tuple[str, ...]
    title: str = ""
    labels: tuple[tuple[str, str], ...] = ()

    def label(self, column: str) -> str:
        return dict(self.labels).get(column, "")


@dataclass(frozen=True)
class Layout:
    """A checked layout. Empty texts mean the catalogue's words in the reader's language."""

    title: str
    head: tuple[str, ...]
    foot: tuple[str, ...]
    labels: tuple[tuple[str, str], ...]
    values: tuple[tuple[str, str], ...]
    paper: str
    orientation: str
    fit_to_width: bool
    tables: tuple[TableLayout, ...]

    def label(self, field: str) -> str:
        return dict(self.labels).get(field, "")

    def value(self, field: str) -> str:
        return dict(self.values).get(field, "")


def _text(value: Any, where: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > MAX_TEXT or any(ch in value for ch in "\r\n\t"):
        raise ValidationFailed("report_layout.error.text", where=where, limit=MAX_TEXT)
    return value.strip()


def _names(value: Any, allowed: tuple[str, ...], where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValidationFailed("report_layout.error.list", where=where)
    for name in value:
        if name not in allowed:
            raise ValidationFailed("report_layout.error.unknown", where=where, name=name, allowed=", ".join(allowed))
    if len(set(value)) != len(value):
        raise ValidationFailed("report_layout.error.twice", where=where)
    return tuple(value)


def _texts(value: Any, allowed: tuple[str, ...], where: str) -> tuple[tuple[str, str], ...]:
    if value is None:
        return ()
    if not isinstance(value, dict):
        raise ValidationFailed("report_layout.error.list", where=where)
    _names(list(value), allowed, where)
    return tuple((k, text) for k, v in value.items() if (text := _text(v, f"{where}.{k}")))


def _choice(value: Any, allowed: tuple[str, ...], where: str) -> str:
    if value not in allowed:
        raise ValidationFailed("report_layout.error.unknown", where=where, name=str(value), allowed=", ".join(allowed))
    return str(value)


def _table(value: Any, i: int) -> TableLayout:
    where = f"tables[{i}]"
    if not isinstance(value, dict):
        raise ValidationFailed("report_layout.error.list", where=where)
    _names(list(value), ("key", "columns", "title", "labels"), where)
    key = _choice(value.get("key"), tuple(COLUMNS), f"{where}.key")
    columns = _names(value.get("columns", list(COLUMNS[key])), COLUMNS[key], f"{where}.columns")
    if not columns:
        raise ValidationFailed("report_layout.error.empty", where=f"{where}.columns")
    labels = _texts(value.get("labels"), COLUMNS[key], f"{where}.labels")
    return TableLayout(key=key, columns=columns, title=_text(value.get("title"), f"{where}.title"), labels=labels)


def check_layout(value: Any) -> Layout:
    """The layout a stored or uploaded value describes, or a refusal naming the first wrong entry."""
    if not isinstance(value, dict):
        raise ValidationFailed("report_layout.error.list", where="layout")
    keys = ("title", "head", "foot", "labels", "values", "paper", "orientation", "fit_to_width", "tables")
    _names(list(value), keys, "layout")
    title = _text(value.get("title"), "title")
    for name in TITLE_FIELDS.findall(title):
        if name not in ("org", "period"):
            raise ValidationFailed("report_layout.error.unknown", where="title", name=name, allowed="org, period")
    fit = value.get("fit_to_width", True)
    if not isinstance(fit, bool):
        raise ValidationFailed(
            "report_layout.error.unknown", where="fit_to_width", name=str(fit), allowed="true, false"
        )
    tables = tuple(_table(t, i) for i, t in enumerate(value.get("tables") or []))
    if not tables:
        raise ValidationFailed("report_layout.error.empty", where="tables")
    if len({t.key for t in tables}) != len(tables):
        raise ValidationFailed("report_layout.error.twice", where="tables")
    return Layout(
        title=title,
        head=_names(value.get("head", []), FRAME_FIELDS, "head"),
        foot=_names(value.get("foot", []), FRAME_FIELDS, "foot"),
        labels=_texts(value.get("labels"), FRAME_FIELDS, "labels"),
        values=_texts(value.get("values"), FIXED_VALUES, "values"),
        paper=_choice(value.get("paper", "A4"), PAPERS, "paper"),
        orientation=_choice(value.get("orientation", "landscape"), ORIENTATIONS, "orientation"),
        fit_to_width=fit,
        tables=tables,
    )


def parse_layout(text: str) -> dict[str, Any]:
    """A layout written as JSON or TOML, as a plain dict (not yet checked)."""
    try:
        loaded: Any = json.loads(text)
    except ValueError:
        try:
            loaded = tomllib.loads(text)
        except tomllib.TOMLDecodeError as err:
            raise ValidationFailed("report_layout.error.syntax", detail=str(err)) from err
    if not isinstance(loaded, dict):
        raise ValidationFailed("report_layout.error.list", where="layout")
    return loaded


def default_value() -> dict[str, Any]:
    """The shipped layout, as the plain dict that is stored."""
    return tomllib.loads(DEFAULT_FILE.read_text(encoding="utf-8"))


def stored_value(session: Session) -> tuple[int, dict[str, Any]]:
    """The newest saved layout and its version, or (0, the shipped default)."""
    row = session.exec(
        select(ConfigVersion).where(ConfigVersion.key == CONFIG_KEY).order_by(col(ConfigVersion.version).desc())
    ).first()
    return (row.version, dict(row.value)) if row is not None else (0, default_value())


def layout_for(session: Session) -> Layout:
    """The layout in force: the newest saved version, else the shipped default."""
    return check_layout(stored_value(session)[1])


def save_layout(session: Session, *, actor: Actor, value: dict[str, Any], note: str = "") -> int:
    """Check a layout and store it as the newest version (audited); returns the version number."""
    require(actor, P.LOWCODE_EDIT)
    check_layout(value)
    top = session.exec(select(func.max(ConfigVersion.version)).where(ConfigVersion.key == CONFIG_KEY)).first()
    version = int(top or 0) + 1
    session.add(ConfigVersion(key=CONFIG_KEY, version=version, value=value, note=note[:200], created_by=actor.user_id))
    audit.record(session, action="report_layout.save", actor_id=actor.user_id, entity="config", version=version)
    return version
