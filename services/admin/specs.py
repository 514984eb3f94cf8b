"""Admin specs as plain data: one AdminSpec per entity in one REGISTRY, rendered by one generic list-and-form UI.

Django-admin style: list columns, filters, search fields, ordering, form fields, read-only and masked fields,
view/edit permissions and a scope rule are declared, never coded. Dynamic behaviour is named (a hook, a display
or a validator in services/admin/extensions.py). `services.admin.checks.check_specs()` verifies every declaration
with stable error ids.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from types import MappingProxyType
from typing import Any

import sqlalchemy as sa
from sqlmodel import SQLModel

from models import OrgKind
from models.mediator import TrainingKind
from services.access.permissions import P
from services.core import reference as ref
from services.core.errors import NotFound
from services.core.i18n import catalogue

SCOPES = ("org", "org_self", "via_mediator", "global")  # clauses in services/admin/entities.py SCOPE_CLAUSES
REF_SOURCES = ("organisation", "mediator", "expertpool", "role", "checklistitem")
VIRTUAL_KINDS = ("password", "multi", "choice", "bool")
ENUMS: dict[str, tuple[str, ...]] = {
    "org_kind": tuple(OrgKind),
    "sector": tuple(dict.fromkeys(ref.SECTOR_OF.values())),
    "employment": ("full_time", "part_time", "stationed", "invited"),
    "mediator_status": ("active", "suspended", "left"),
    "gender": ("male", "female"),
    "training_kind": tuple(TrainingKind),
    "dictionary": tuple(ref.DICTIONARIES),
    "history_field": ("parent", "name"),
}
_EMPTY: Mapping[str, str] = MappingProxyType({})


def _none() -> Mapping[str, str]:
    return _EMPTY


def _map(**kw: str) -> Mapping[str, str]:
    return MappingProxyType(kw)


@dataclass(frozen=True)
class InlineSpec:
    """Related rows shown read-only under a record (postings of a mediator, history of an organisation)."""

    model: str
    fk: str
    columns: tuple[str, ...]
    title_key: str
    ordering: tuple[str, ...] = ("-id",)
    limit: int = 20
    choices: Mapping[str, str] = field(default_factory=_none)  # like AdminSpec.choices; FKs are labelled anyway


@dataclass(frozen=True)
class AdminSpec:
    """How one entity is listed, filtered, searched, shown and edited."""

    entity: str
    model: str  # table name
    title_key: str
    icon: str
    view_permission: str
    edit_permission: str
    scope: str  # one of SCOPES
    list_display: tuple[str, ...]
    list_filter: tuple[str, ...] = ()
    search_fields: tuple[str, ...] = ()
    ordering: tuple[str, ...] = ("id",)
    form_fields: tuple[str, ...] = ()
    create_only: tuple[str, ...] = ()  # editable when creating, fixed afterwards (codes printed in QR links)
    readonly_fields: tuple[str, ...] = ()  # shown on the record, never in a form
    required: tuple[str, ...] = ()
    # form-only field → kind in VIRTUAL_KINDS, written by the hook
    virtual_fields: Mapping[str, str] = field(default_factory=_none)
    # field → "enum:<name>" | "dict:<dictionary>" | "ref:<table>"
    choices: Mapping[str, str] = field(default_factory=_none)
    validators: Mapping[str, str] = field(default_factory=_none)  # field → name in admin_ext.VALIDATORS
    masked_fields: Mapping[str, str] = field(default_factory=_none)  # field → name in admin_ext.MASKERS
    inlines: tuple[InlineSpec, ...] = ()
    scope_field: str = "org_id"
    hook: str | None = None
    actor_field: str | None = None  # set to the acting user's id on every write
    page_size: int = 20
    card_title: str = ""  # defaults to list_display[0]

    @property
    def title_field(self) -> str:
        return self.card_title or self.list_display[0]

    def editable(self, *, creating: bool) -> tuple[str, ...]:
        """The form's fields, in order: create-only ones first when creating."""
        return (*self.create_only, *self.form_fields) if creating else self.form_fields


ORG = AdminSpec(
    entity="organisation",
    model="organisation",
    title_key="admin.entity.organisation",
    icon=":material/account_tree:",
    view_permission=P.ROSTER_VIEW,
    edit_permission=P.ORG_EDIT,
    scope="org_self",
    list_display=("name", "code", "kind", "parent_id", "phone", "population", "active", "mediators", "titles"),
    list_filter=("kind", "parent_id", "sector", "active"),
    search_fields=("name", "code", "address"),
    ordering=("path",),
    create_only=("code",),
    form_fields=("name", "kind", "parent_id", "sector", "address", "phone", "hours", "population", "active"),
    readonly_fields=("depth", "created_at"),
    required=("code", "name", "kind", "parent_id"),
    choices=_map(kind="enum:org_kind", sector="enum:sector", parent_id="ref:organisation"),
    validators=_map(code="code", phone="phone"),
    hook="organisation",
    inlines=(
        InlineSpec(
            "orghistory",
            "org_id",
            ("at", "field", "old_value", "new_value"),
            "admin.inline.history",
            choices=_map(field="enum:history_field"),
        ),
        InlineSpec(
            "checkliststate",
            "org_id",
            ("period", "item_id", "met"),
            "admin.inline.checklist",
            ordering=("-period", "item_id"),
            limit=40,
        ),
    ),
)
MEDIATOR = AdminSpec(
    entity="mediator",
    model="mediator",
    title_key="admin.entity.mediator",
    icon=":material/badge:",
    view_permission=P.ROSTER_VIEW,
    edit_permission=P.ROSTER_EDIT,
    scope="org",
    list_display=(
        "name",
        "org_id",
        "employment",
        "status",
        "phone",
        "stars",
        "titles",
        "open_cases",
        "closed_cases",
        "success_rate",
        "training_hours",
    ),
    list_filter=("org_id", "employment", "status", "gender", "stars"),
    search_fields=("name", "certificate_no"),
    ordering=("name",),
    form_fields=(
        "name",
        "gender",
        "phone",
        "org_id",
        "employment",
        "specialties",
        "pools",
        "certificate_no",
        "start_date",
        "status",
    ),
    readonly_fields=("account", "training_by_year", "created_at"),  # account: the user linked to this entry
    required=("name", "org_id", "employment", "status"),
    virtual_fields=_map(pools="multi"),
    choices=_map(
        org_id="ref:organisation",
        gender="enum:gender",
        employment="enum:employment",
        status="enum:mediator_status",
        specialties="dict:category",
        pools="ref:expertpool",
    ),
    validators=_map(phone="mobile"),
    masked_fields=_map(phone="phone"),
    hook="mediator",
    inlines=(
        InlineSpec("mediatorposting", "mediator_id", ("org_id", "start", "end"), "admin.inline.postings"),
        InlineSpec("titleaward", "mediator_id", ("period", "title"), "admin.inline.titles"),
        InlineSpec("rating", "mediator_id", ("period", "approved_stars"), "admin.inline.ratings"),
        InlineSpec("expertpoolmember", "mediator_id", ("pool_id",), "admin.inline.pools"),
        InlineSpec(
            "trainingrecord",
            "mediator_id",
            ("held_on", "title", "kind", "hours"),
            "admin.inline.training",
            ordering=("-held_on",),
        ),
    ),
)
TRAINING_SESSION = AdminSpec(
    entity="training_session",
    model="trainingsession",
    title_key="admin.entity.training_session",
    icon=":material/school:",
    view_permission=P.ROSTER_VIEW,
    edit_permission=P.ROSTER_EDIT,
    scope="org",
    list_display=("topic", "held_on", "kind", "hours", "org_id", "attendees"),
    list_filter=("kind", "org_id"),
    search_fields=("topic", "organiser"),
    ordering=("-held_on",),
    form_fields=("topic", "held_on", "kind", "hours", "org_id", "organiser", "place", "attendance"),
    required=("topic", "held_on", "kind", "org_id"),
    virtual_fields=_map(attendance="multi"),
    choices=_map(kind="enum:training_kind", org_id="ref:organisation", attendance="ref:mediator"),
    hook="training_session",
    inlines=(
        InlineSpec("trainingrecord", "session_id", ("mediator_id", "hours"), "admin.inline.attendance", limit=200),
    ),
)
TRAINING_RECORD = AdminSpec(
    entity="training_record",
    model="trainingrecord",
    title_key="admin.entity.training_record",
    icon=":material/history_edu:",
    view_permission=P.ROSTER_VIEW,
    edit_permission=P.ROSTER_EDIT,
    scope="via_mediator",
    list_display=("title", "mediator_id", "held_on", "kind", "hours"),
    list_filter=("kind", "mediator_id"),
    search_fields=("title", "organiser"),
    ordering=("-held_on",),
    form_fields=("mediator_id", "title", "held_on", "kind", "hours", "organiser"),
    readonly_fields=("session_id",),
    required=("mediator_id", "title", "held_on", "kind"),
    choices=_map(mediator_id="ref:mediator", kind="enum:training_kind"),
)
EXPERT_POOL = AdminSpec(
    entity="expert_pool",
    model="expertpool",
    title_key="admin.entity.expert_pool",
    icon=":material/groups:",
    view_permission=P.ROSTER_VIEW,
    edit_permission=P.ROSTER_EDIT,
    scope="global",
    list_display=("name", "code", "sector", "members"),
    list_filter=("sector",),
    search_fields=("name", "code"),
    ordering=("code",),
    create_only=("code",),
    form_fields=("name", "sector"),
    required=("code", "name"),
    choices=_map(sector="enum:sector"),
    validators=_map(code="code"),
    inlines=(InlineSpec("expertpoolmember", "pool_id", ("mediator_id",), "admin.inline.members", limit=200),),
)
USER = AdminSpec(
    entity="user",
    model="user",
    title_key="admin.entity.user",
    icon=":material/manage_accounts:",
    view_permission=P.USER_ADMIN,
    edit_permission=P.USER_ADMIN,
    scope="org",
    list_display=("display_name", "username", "org_id", "roles", "mediator", "active"),
    list_filter=("org_id", "active"),
    search_fields=("username", "display_name"),
    ordering=("username",),
    create_only=("username",),
    form_fields=("display_name", "org_id", "roles", "mediator", "active", "password"),
    readonly_fields=("created_at",),
    required=("username", "display_name", "org_id", "roles"),
    # mediator: the roster entry this account belongs to (services/roster/user_link.py)
    virtual_fields=_map(roles="multi", mediator="choice", password="password"),  # noqa: S106 (a kind, not a password)
    choices=_map(org_id="ref:organisation", roles="ref:role", mediator="ref:mediator"),
    hook="user",
)
DICTIONARY = AdminSpec(
    entity="dictionary",
    model="dictionaryentry",
    title_key="admin.entity.dictionary",
    icon=":material/list_alt:",
    view_permission=P.LOWCODE_EDIT,
    edit_permission=P.LOWCODE_EDIT,
    scope="global",
    list_display=("label_zh", "label_en", "dictionary", "code", "position", "active"),
    list_filter=("dictionary", "active"),
    search_fields=("label_zh", "label_en", "code"),
    ordering=("dictionary", "position"),
    create_only=("dictionary", "code"),
    form_fields=("label_zh", "label_en", "position", "active", "sector", "committee"),
    required=("dictionary", "code", "label_zh", "label_en"),
    choices=_map(dictionary="enum:dictionary", sector="enum:sector"),
    virtual_fields=_map(sector="choice", committee="bool"),
    hook="dictionary",  # categories only: kept in meta
)
CHECKLIST = AdminSpec(
    entity="checklist_state",
    model="checkliststate",
    title_key="admin.entity.checklist_state",
    icon=":material/checklist:",
    view_permission=P.ROSTER_VIEW,
    edit_permission=P.ORG_EDIT,
    scope="org",
    list_display=("item_id", "org_id", "period", "met", "evidence_note"),
    list_filter=("item_id", "org_id", "met"),
    search_fields=("period", "evidence_note"),
    ordering=("-period", "org_id", "item_id"),
    form_fields=("org_id", "item_id", "period", "met", "evidence_note"),
    readonly_fields=("checked_by", "at"),
    required=("org_id", "item_id", "period"),
    choices=_map(org_id="ref:organisation", item_id="ref:checklistitem"),
    actor_field="checked_by",
)

REGISTRY: dict[str, AdminSpec] = {
    s.entity: s for s in (ORG, MEDIATOR, TRAINING_SESSION, TRAINING_RECORD, EXPERT_POOL, CHECKLIST, USER, DICTIONARY)
}


def register(spec: AdminSpec) -> AdminSpec:
    """Add an entity to the admin: a spec is all it needs (checked by check_specs like the built-in ones)."""
    REGISTRY[spec.entity] = spec
    return spec


def get_spec(entity: str) -> AdminSpec:
    """The spec of an entity (NotFound for an unknown one)."""
    spec = REGISTRY.get(entity)
    if spec is None:
        raise NotFound("error.admin_entity_unknown", entity=entity)
    return spec


def visible_specs(permissions: frozenset[str]) -> list[AdminSpec]:
    """The entities an actor may list, in registry order."""
    return [s for s in REGISTRY.values() if s.view_permission in permissions]


# --- reading the models ----------------------------------------------------------------------------------


@cache
def _tables() -> dict[str, type[SQLModel]]:
    return {
        m.class_.__tablename__: m.class_
        for m in SQLModel._sa_registry.mappers
        if isinstance(getattr(m.class_, "__tablename__", None), str)
    }


def model_class(table: str) -> type[SQLModel] | None:
    """The SQLModel class of a table name (None when there is no such table)."""
    found = _tables().get(table)
    if found is None:
        _tables.cache_clear()
        found = _tables().get(table)
    return found


def column(model: type[SQLModel], name: str) -> sa.Column[Any] | None:
    table: sa.Table = model.__table__  # type: ignore[attr-defined]
    return table.c.get(name)


def column_kind(col: sa.Column[Any]) -> str:
    """text / int / float / bool / date / datetime / json / binary, from the column's SQL type."""
    t = col.type
    for kind, types in (
        ("bool", sa.Boolean),
        ("int", sa.Integer),
        ("float", sa.Float),
        ("datetime", sa.DateTime),
        ("date", sa.Date),
        ("json", sa.JSON),
        ("binary", sa.LargeBinary),
        ("text", sa.String),
    ):
        if isinstance(t, types):
            return kind
    return "text"


def field_kind(spec: AdminSpec, name: str) -> str:
    """The widget kind of a form or filter field: a column's kind, `choice`/`multi` with a source, or virtual."""
    if name in spec.virtual_fields:
        return spec.virtual_fields[name]
    model = model_class(spec.model)
    col = column(model, name) if model is not None else None
    kind = column_kind(col) if col is not None else "unknown"
    if name in spec.choices:
        return "multi" if kind == "json" else "choice"
    return kind


def field_default(spec: AdminSpec, name: str) -> Any:
    """The model's plain default of a column (None when it has none or computes it)."""
    model = model_class(spec.model)
    col = column(model, name) if model is not None else None
    default = getattr(col, "default", None)
    return default.arg if default is not None and getattr(default, "is_scalar", False) else None


def field_length(spec: AdminSpec, name: str) -> int | None:
    """The maximum length of a text column (None: unbounded)."""
    model = model_class(spec.model)
    col = column(model, name) if model is not None else None
    return getattr(getattr(col, "type", None), "length", None)


def sortable(spec: AdminSpec) -> list[str]:
    """The listed columns a user may order by (computed columns are not sortable)."""
    model = model_class(spec.model)
    return [n for n in spec.list_display if model is not None and column(model, n) is not None]


def label_key(model: str, name: str) -> str:
    """The catalogue key of a field's label: `admin.field.<model>.<name>`, else the shared `admin.field.<name>`."""
    specific = f"admin.field.{model}.{name}"
    return specific if specific in catalogue() else f"admin.field.{name}"
