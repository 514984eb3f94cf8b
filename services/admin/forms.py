"""Choices and form values of the admin: option lists in the actor's scope, labels, and validation of a submission.

Everything here is driven by the spec (field kinds from the model's columns, sources from `spec.choices`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, SQLModel, col, select

from models import ChecklistItem, DictionaryEntry, ExpertPool, Mediator, Organisation, Role
from services.access.authz import Actor, area_org_ids
from services.admin.extensions import VALIDATORS
from services.admin.specs import ENUMS, AdminSpec, column, field_kind, model_class
from services.core.errors import ValidationFailed
from services.core.i18n import label, translate
from services.core.text import escape_like

CHOICE_LIMIT = 200
EMPTY: tuple[Any, ...] = (None, "", [], ())


class FormInvalid(ValidationFailed):
    """Field-level problems of a submitted form: `errors` maps a field to (message key, params)."""

    key = "error.admin_form_invalid"

    def __init__(self, errors: Mapping[str, tuple[str, dict[str, Any]]]) -> None:
        super().__init__(self.key, count=len(errors))
        self.errors = dict(errors)


@dataclass(frozen=True)
class Ref:
    """A table that a choice field can point at: how to label it and which rows an actor may pick."""

    model: type[SQLModel]
    label_zh: str
    label_en: str
    scoped: bool  # True: only rows in the actor's area (by organisation)
    order: str


REFS: dict[str, Ref] = {
    "organisation": Ref(Organisation, "name", "name", True, "path"),
    "mediator": Ref(Mediator, "name", "name", True, "name"),
    "expertpool": Ref(ExpertPool, "name", "name", False, "code"),
    "role": Ref(Role, "name_zh", "name_en", False, "id"),
    "checklistitem": Ref(ChecklistItem, "label_zh", "label_en", False, "position"),
}


@dataclass(frozen=True)
class Choices:
    options: list[tuple[Any, str]]
    truncated: bool  # more rows match than were returned: narrow with a search


def _ref_stmt(actor: Actor, ref: Ref) -> Any:
    table = ref.model.__table__  # type: ignore[attr-defined]
    stmt = sa.select(table.c.id, table.c[ref.label_zh], table.c[ref.label_en])
    if ref.scoped:
        org_col = table.c.id if ref.model is Organisation else table.c.org_id
        stmt = stmt.where(org_col.in_(area_org_ids(actor)))
    return stmt


def ref_choices(
    session: Session,
    actor: Actor,
    source: str,
    lang: str,
    *,
    search: str = "",
    include: Iterable[int] = (),
    limit: int = CHOICE_LIMIT,
) -> Choices:
    """Rows of a ref source the actor may pick, labelled, narrowed by `search`; `include` ids are always kept."""
    ref = REFS[source]
    table = ref.model.__table__  # type: ignore[attr-defined]
    stmt = _ref_stmt(actor, ref).order_by(table.c[ref.order], table.c.id)
    if search.strip():
        stmt = stmt.where(table.c[ref.label_zh].ilike(f"%{escape_like(search.strip()[:60])}%", escape="\\"))
    rows = session.execute(stmt.limit(limit + 1)).all()
    options = [(r[0], label(r[1], r[2], lang)) for r in rows[:limit]]
    missing = set(include) - {v for v, _ in options}
    if missing:
        extra = ref_labels(session, source, missing, lang)
        options = [*sorted(extra.items(), key=lambda kv: kv[1]), *options]
    return Choices(options, len(rows) > limit)


def ref_labels(session: Session, source: str, ids: Iterable[int], lang: str) -> dict[int, str]:
    """id → label for the given ids of a ref source (no scope: labels of what a row already points at)."""
    ref = REFS[source]
    table = ref.model.__table__  # type: ignore[attr-defined]
    wanted = sorted({i for i in ids if isinstance(i, int)})
    out: dict[int, str] = {}
    for start in range(0, len(wanted), 500):
        stmt = sa.select(table.c.id, table.c[ref.label_zh], table.c[ref.label_en]).where(
            table.c.id.in_(wanted[start : start + 500])
        )
        out.update({r[0]: label(r[1], r[2], lang) for r in session.execute(stmt).all()})
    return out


def dict_labels(session: Session, dictionary: str, lang: str, *, active_only: bool = False) -> dict[str, str]:
    stmt = select(DictionaryEntry).where(DictionaryEntry.dictionary == dictionary)
    if active_only:
        stmt = stmt.where(DictionaryEntry.active == True)  # noqa: E712
    rows = session.exec(stmt.order_by(col(DictionaryEntry.position))).all()
    return {e.code: label(e.label_zh, e.label_en, lang) for e in rows}


def enum_label(enum: str, value: str, lang: str) -> str:
    return translate(f"admin.enum.{enum}.{value}", lang) if value in ENUMS.get(enum, ()) else value


def choices(
    session: Session,
    actor: Actor,
    spec: AdminSpec,
    name: str,
    lang: str,
    *,
    search: str = "",
    include: Iterable[Any] = (),
    limit: int = CHOICE_LIMIT,
) -> Choices:
    """The options of a choice field or filter (ref rows: only those the actor may pick, at most `limit`)."""
    kind, _, arg = spec.choices.get(name, "").partition(":")
    if kind == "enum":
        return Choices([(v, enum_label(arg, v, lang)) for v in ENUMS[arg]], False)
    if kind == "dict":
        return Choices(list(dict_labels(session, arg, lang, active_only=True).items()), False)
    if kind == "ref":
        return ref_choices(session, actor, arg, lang, search=search, include=include, limit=limit)
    raise ValidationFailed("error.admin_field_unknown", field=name)


# --- cleaning a submission ---------------------------------------------------------------------------------


def _allowed(session: Session, actor: Actor, spec: AdminSpec, name: str, values: Sequence[Any]) -> bool:
    """Every value is a valid option for the actor (enum member, active dictionary code, ref row in scope)."""
    kind, _, arg = spec.choices[name].partition(":")
    if kind == "enum":
        return all(v in ENUMS[arg] for v in values)
    if kind == "dict":
        return set(values) <= set(dict_labels(session, arg, "zh-CN"))
    ids = [v for v in values if isinstance(v, int) and not isinstance(v, bool)]
    if len(ids) != len(values):
        return False
    ref = REFS[arg]
    table = ref.model.__table__  # type: ignore[attr-defined]
    found = {r[0] for r in session.execute(_ref_stmt(actor, ref).where(table.c.id.in_(ids))).all()}
    return found == set(ids)


def _coerce(kind: str, value: Any) -> Any:
    if kind in ("text", "password"):
        return str(value).strip()
    if kind == "int":
        return int(value)
    if kind == "float":
        return float(value)
    if kind == "bool":
        return bool(value)
    if kind == "date":
        return value if isinstance(value, date) else date.fromisoformat(str(value))
    if kind == "multi":
        return list(dict.fromkeys(value)) if isinstance(value, list | tuple) else [value]
    return value


def _check_one(
    session: Session, actor: Actor, spec: AdminSpec, name: str, value: Any
) -> tuple[str, dict[str, Any]] | None:
    kind = field_kind(spec, name)
    model = model_class(spec.model)
    col_ = column(model, name) if model is not None else None
    if kind in ("int", "float") and value < 0:
        return "error.admin_negative", {}
    length = getattr(getattr(col_, "type", None), "length", None)
    if isinstance(value, str) and length and len(value) > length:
        return "error.admin_too_long", {"max": length}
    if kind in ("choice", "multi") and not _allowed(session, actor, spec, name, value if kind == "multi" else [value]):
        return "error.admin_choice_invalid", {}
    return None


def clean(
    session: Session, actor: Actor, spec: AdminSpec, data: Mapping[str, Any], *, creating: bool
) -> dict[str, Any]:
    """Coerce and check a submission; only editable fields are taken. Raises FormInvalid with field errors."""
    editable = spec.editable(creating=creating)
    unknown = set(data) - set(editable)
    if unknown:
        raise ValidationFailed("error.admin_field_unknown", field=", ".join(sorted(unknown)))
    values: dict[str, Any] = {}
    errors: dict[str, tuple[str, dict[str, Any]]] = {}
    for name in editable:
        if name not in data:
            if creating and name in spec.required:
                errors[name] = ("error.admin_required", {})
            continue
        raw = data[name]
        kind = field_kind(spec, name)
        if raw in EMPTY or (isinstance(raw, str) and not raw.strip()):
            if name in spec.required:
                errors[name] = ("error.admin_required", {})
            elif name in spec.masked_fields or kind == "password":
                continue  # a masked or password field left empty keeps what is stored
            else:
                values[name] = [] if kind == "multi" else ("" if kind == "text" else None)
            continue
        try:
            value = _coerce(kind, raw)
        except (TypeError, ValueError):
            errors[name] = ("error.admin_type", {})
            continue
        if isinstance(value, str) and name in spec.validators and value:
            value, problem = VALIDATORS[spec.validators[name]](value)
            if problem:
                errors[name] = (problem, {})
                continue
        problem_ = _check_one(session, actor, spec, name, value)
        if problem_:
            errors[name] = problem_
        else:
            values[name] = value
    if errors:
        raise FormInvalid(errors)
    return values
