"""The generic admin: list, read, create and update any entity of the REGISTRY — scoped, masked and audited.

Every function takes the actor, checks the spec's permission and applies the spec's scope rule in SQL, so a
record outside the actor's organisation subtree is neither listed, read nor written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, col, select

from models import Mediator, Organisation
from services.access.authz import Actor, area_org_ids, require
from services.admin import keyset
from services.admin.extensions import DISPLAYS, HOOKS, MASKERS, Hook
from services.admin.forms import FormInvalid, clean
from services.admin.keyset import Cursor
from services.admin.present import present, present_inline
from services.admin.specs import AdminSpec, get_spec, model_class
from services.core import audit
from services.core.errors import Conflict, NotFound, OutOfScope, ValidationFailed
from services.core.text import escape_like

COUNT_CAP = 10_000  # "10,000+" beyond this; counting further costs time nobody needs
EXPORT_LIMIT = 50_000
EXPORT_CHUNK = 1_000


@dataclass(frozen=True)
class ListQuery:
    """What the user asked the list for: search text, filter values by field, order ("-field" = descending)."""

    search: str = ""
    filters: Mapping[str, Any] = field(default_factory=dict)
    order: str = ""
    after: Cursor | None = None  # the last row shown of the previous page (ListPage.after); None = the first page


@dataclass(frozen=True)
class Row:
    id: int
    cells: dict[str, Any]


@dataclass(frozen=True)
class ListPage:
    rows: list[Row]
    total: int
    capped: bool  # total is at least COUNT_CAP
    page_size: int
    after: Cursor | None  # pass back as ListQuery.after for the next page; None on the last page

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


@dataclass(frozen=True)
class Inline:
    title_key: str
    model: str
    columns: tuple[str, ...]
    rows: list[dict[str, Any]]


@dataclass(frozen=True)
class Record:
    """One record as the detail view and the edit form need it."""

    id: int
    title: str
    cells: dict[str, Any]  # shown (masked, labelled)
    values: dict[str, Any]  # form defaults (masked fields left out)
    inlines: list[Inline]
    editable: bool


def _mediators_in(actor: Actor) -> Any:
    return select(Mediator.id).where(col(Mediator.org_id).in_(area_org_ids(actor)))


SCOPE_CLAUSES: dict[str, Callable[[Actor, sa.Table, AdminSpec], Any]] = {
    "org": lambda actor, table, spec: table.c[spec.scope_field].in_(area_org_ids(actor)),
    "org_self": lambda actor, table, spec: table.c.id.in_(area_org_ids(actor)),
    "via_mediator": lambda actor, table, spec: table.c.mediator_id.in_(_mediators_in(actor)),
    "global": lambda actor, table, spec: sa.true(),
}


def _open(actor: Actor, entity: str, *, edit: bool = False) -> tuple[AdminSpec, type[SQLModel], sa.Table]:
    spec = get_spec(entity)
    require(actor, spec.edit_permission if edit else spec.view_permission)
    model = model_class(spec.model)
    if model is None:
        raise NotFound("error.admin_entity_unknown", entity=entity)
    return spec, model, model.__table__  # type: ignore[attr-defined]


def _filter_clause(session: Session, spec: AdminSpec, table: sa.Table, name: str, value: Any) -> Any:
    if name not in spec.list_filter:
        raise ValidationFailed("error.admin_field_unknown", field=name)
    if spec.choices.get(name) == "ref:organisation":  # an organisation filter means its whole subtree
        org = session.get(Organisation, value)
        if org is None:
            return sa.false()
        return table.c[name].in_(select(Organisation.id).where(col(Organisation.path).startswith(org.path)))
    return table.c[name] == value


def _where(session: Session, actor: Actor, spec: AdminSpec, table: sa.Table, query: ListQuery) -> list[Any]:
    clauses = [SCOPE_CLAUSES[spec.scope](actor, table, spec)]
    for term in query.search.split()[:5]:
        pattern = f"%{escape_like(term[:60])}%"
        clauses.append(sa.or_(*(table.c[f].ilike(pattern, escape="\\") for f in spec.search_fields)))
    for name, value in query.filters.items():
        if value is not None and value != "":
            clauses.append(_filter_clause(session, spec, table, name, value))
    return clauses


def _columns(spec: AdminSpec, table: sa.Table, names: Sequence[str]) -> list[sa.Column[Any]]:
    return [table.c.id, *(table.c[n] for n in dict.fromkeys(names) if n in table.c and n != "id")]


def _fetch(
    session: Session,
    actor: Actor,
    spec: AdminSpec,
    table: sa.Table,
    query: ListQuery,
    lang: str,
    *,
    after: Cursor | None,
    limit: int,
) -> tuple[list[Row], Cursor | None]:
    """Up to `limit` rows past the cursor in the list's order, and the cursor of the next page (None at the end)."""
    keys = keyset.order_keys(spec, table, query.order)
    stmt = sa.select(*_columns(spec, table, [*spec.list_display, *(c.name for c, _ in keys)])).where(
        *_where(session, actor, spec, table, query)
    )
    if after is not None:
        stmt = stmt.where(keyset.after(keys, after))
    found = session.execute(stmt.order_by(*keyset.order_by(keys)).limit(limit + 1)).all()
    raw = [dict(r._mapping) for r in found[:limit]]
    cells = present(session, spec, raw, spec.list_display, lang)
    rows = [Row(r["id"], c) for r, c in zip(raw, cells, strict=True)]
    return rows, keyset.cursor_of(keys, raw[-1]) if len(found) > limit else None


def list_rows(
    session: Session, *, actor: Actor, entity: str, query: ListQuery | None = None, lang: str = "zh-CN"
) -> ListPage:
    """One page of an entity's list in the actor's scope, searched, filtered and ordered as asked, keyset-paged
    past `query.after`."""
    query = query or ListQuery()
    spec, _, table = _open(actor, entity)
    where = _where(session, actor, spec, table, query)
    counted = sa.select(table.c.id).where(*where).limit(COUNT_CAP + 1).subquery()
    total = int(session.execute(sa.select(sa.func.count()).select_from(counted)).scalar_one())
    rows, after = _fetch(session, actor, spec, table, query, lang, after=query.after, limit=spec.page_size)
    return ListPage(rows, min(total, COUNT_CAP), total > COUNT_CAP, spec.page_size, after)


def iter_export(
    session: Session,
    *,
    actor: Actor,
    entity: str,
    query: ListQuery | None = None,
    lang: str = "zh-CN",
    limit: int = EXPORT_LIMIT,
) -> Iterator[Row]:
    """Every row of the list with the same search, filters and order (masked as in the list), up to `limit`,
    read in chunks by keyset from the top (whatever page the list shows)."""
    query = query or ListQuery()
    spec, _, table = _open(actor, entity)
    after: Cursor | None = None
    for done in range(0, limit, EXPORT_CHUNK):
        chunk = min(EXPORT_CHUNK, limit - done)
        rows, after = _fetch(session, actor, spec, table, query, lang, after=after, limit=chunk)
        yield from rows
        if after is None:
            return


def _load(
    session: Session,
    actor: Actor,
    spec: AdminSpec,
    model: type[SQLModel],
    table: sa.Table,
    record_id: int,
    *,
    for_update: bool = False,
) -> Any:
    if not isinstance(record_id, int) or isinstance(record_id, bool):
        raise NotFound("error.admin_not_found")
    stmt = select(model).where(table.c.id == record_id)
    obj = session.exec(stmt.with_for_update() if for_update else stmt).first()
    if obj is None:
        raise NotFound("error.admin_not_found")
    allowed = session.execute(
        sa.select(table.c.id).where(table.c.id == record_id, SCOPE_CLAUSES[spec.scope](actor, table, spec))
    ).first()
    if allowed is None:
        raise OutOfScope("error.admin_not_found")  # same words as a missing id: nothing to learn by probing
    return obj


def _hook(spec: AdminSpec) -> Hook:
    return HOOKS[spec.hook] if spec.hook else Hook()


def get_record(session: Session, *, actor: Actor, entity: str, record_id: int, lang: str = "zh-CN") -> Record:
    """One record in the actor's scope: its shown fields, form defaults and related rows."""
    spec, model, table = _open(actor, entity)
    obj = _load(session, actor, spec, model, table, record_id)
    names = [
        n
        for n in dict.fromkeys((*spec.list_display, *spec.editable(creating=True), *spec.readonly_fields))
        if n not in spec.virtual_fields or (spec.model, n) in DISPLAYS
    ]
    raw = {c.name: getattr(obj, c.name) for c in table.c}
    cells = present(session, spec, [raw], names, lang)[0]
    values = {n: raw[n] for n in spec.editable(creating=False) if n in raw and n not in spec.masked_fields}
    values |= _hook(spec).initial(session, obj)
    inlines = [
        Inline(i.title_key, i.model, i.columns, present_inline(session, i, record_id, lang)) for i in spec.inlines
    ]
    return Record(
        record_id, str(cells.get(spec.title_field, "")), cells, values, inlines, actor.can(spec.edit_permission)
    )


def _check_scope(session: Session, actor: Actor, spec: AdminSpec, values: Mapping[str, Any]) -> None:
    """The organisation (or mediator) a written row will belong to lies in the actor's area."""
    key, ids = {
        "org": (spec.scope_field, area_org_ids(actor)),
        "org_self": ("parent_id", area_org_ids(actor)),
        "via_mediator": ("mediator_id", _mediators_in(actor)),
    }.get(spec.scope, ("", None))
    if ids is None or key not in values:
        return
    model = Mediator if spec.scope == "via_mediator" else Organisation
    found = session.exec(select(model.id).where(col(model.id) == values[key], col(model.id).in_(ids))).first()
    if found is None:
        raise FormInvalid({key: ("error.out_of_scope", {})})


def _check_unique(session: Session, table: sa.Table, values: Mapping[str, Any], current: Any = None) -> None:
    sets: list[tuple[str, ...]] = [(c.name,) for c in table.c if c.unique]
    sets += [tuple(c.name for c in u.columns) for u in table.constraints if isinstance(u, sa.UniqueConstraint)]
    sets += [tuple(c.name for c in i.columns) for i in table.indexes if i.unique]
    for names in sets:
        if not any(n in values for n in names):
            continue
        probe = {n: values[n] if n in values else getattr(current, n, None) for n in names}
        if any(v is None for v in probe.values()):
            continue
        stmt = sa.select(table.c.id).where(*(table.c[n] == v for n, v in probe.items()))
        if current is not None:
            stmt = stmt.where(table.c.id != current.id)
        if session.execute(stmt).first() is not None:
            raise FormInvalid({next(n for n in reversed(names) if n in values): ("error.admin_taken", {})})


def _audit_view(spec: AdminSpec, values: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in values.items():
        if spec.virtual_fields.get(k) == "password":
            out[k] = "***"
        elif k in spec.masked_fields:
            out[k] = MASKERS[spec.masked_fields[k]](v)
        else:
            out[k] = v if isinstance(v, str | int | float | bool | list | type(None)) else str(v)
    return out


def _flush(session: Session) -> None:
    try:
        session.flush()
    except IntegrityError as exc:
        raise Conflict("error.admin_conflict") from exc


def create_record(session: Session, *, actor: Actor, entity: str, data: Mapping[str, Any]) -> int:
    """Create a record from form data (validated by the spec, written by its hook or generically, audited)."""
    spec, model, table = _open(actor, entity, edit=True)
    values = clean(session, actor, spec, data, creating=True)
    _check_scope(session, actor, spec, values)
    _check_unique(session, table, values)
    if spec.actor_field:
        values[spec.actor_field] = actor.user_id
    hook = _hook(spec)
    obj = hook.create(session, actor, values)
    if obj is None:
        obj = model(**{k: v for k, v in values.items() if k in table.c})
        session.add(obj)
    _flush(session)
    hook.after_write(session, actor, obj, values)
    _flush(session)
    audit.record(
        session,
        action="admin.create",
        actor_id=actor.user_id,
        entity=spec.model,
        entity_id=getattr(obj, "id", None),
        values=_audit_view(spec, values),
    )
    return int(getattr(obj, "id", 0) or 0)


def update_record(session: Session, *, actor: Actor, entity: str, record_id: int, data: Mapping[str, Any]) -> list[str]:
    """Change the given fields of a record in scope; returns the names of the fields that changed."""
    spec, model, table = _open(actor, entity, edit=True)
    obj = _load(session, actor, spec, model, table, record_id, for_update=True)
    values = clean(session, actor, spec, data, creating=False)
    hook = _hook(spec)
    before = {c.name: getattr(obj, c.name) for c in table.c} | hook.initial(session, obj)
    changed = {k: v for k, v in values.items() if k == "password" or before.get(k) != v}
    if not changed:
        return []
    _check_scope(session, actor, spec, changed)
    _check_unique(session, table, changed, obj)
    if spec.actor_field:
        changed[spec.actor_field] = actor.user_id
    rest = hook.update(session, actor, obj, changed)
    for name, value in rest.items():
        if name in table.c:
            setattr(obj, name, value)
    session.add(obj)
    _flush(session)
    hook.after_write(session, actor, obj, changed)
    _flush(session)
    audit.record(
        session,
        action="admin.update",
        actor_id=actor.user_id,
        entity=spec.model,
        entity_id=record_id,
        old=_audit_view(spec, {k: before.get(k) for k in changed if k != "password"}),
        new=_audit_view(spec, changed),
    )
    return sorted(changed)
