"""Eager checks of admin specs with stable ids, run at start-up, by `manage.py check` and in the tests.

spec.E001 model is not a table · E002 list_filter · E003 list_display · E004 search_fields (text fields only) ·
E005 ordering · E006 form fields / actor_field · E007 readonly_fields · E008 masked_fields (masker, field) ·
E009 personal field shown unmasked · E010 unknown permission · E011 scope rule · E012 hook / virtual fields ·
E013 choices source · E014 validator · E015 label missing from the catalogue · E016 filter needs choices ·
E017 secret or binary field shown · E018 inline · E019 registry key · E020 page_size · E021 required field
not in the form.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlmodel import SQLModel

from services.access.permissions import P
from services.admin.extensions import DISPLAYS, HOOKS, MASKERS, VALIDATORS
from services.admin.specs import (
    ENUMS,
    REF_SOURCES,
    REGISTRY,
    SCOPES,
    VIRTUAL_KINDS,
    AdminSpec,
    InlineSpec,
    column_kind,
    field_kind,
    label_key,
    model_class,
)
from services.core.i18n import catalogue

SECRET_COLUMNS = frozenset({"password_hash", "token_hash", "id_number_enc", "id_number_index", "phone_index"})
PERSONAL_COLUMNS = frozenset({("mediator", "phone"), ("party", "phone"), ("party", "name"), ("party", "address")})
FILTER_KINDS = frozenset({"choice", "bool", "int"})


def check_specs(registry: Mapping[str, AdminSpec] | None = None) -> list[str]:
    """Every problem in the admin specs (default: the registry), each starting with a stable id such as `spec.E002`.

    Hooks and displays are looked up as registered: call `register_admin_extensions()` first."""
    problems: list[str] = []
    for key, spec in (REGISTRY if registry is None else registry).items():
        if key != spec.entity:
            problems.append(f"spec.E019: registry key {key!r} differs from the spec's entity {spec.entity!r}")
        model = model_class(spec.model)
        if model is None:
            problems.append(f"spec.E001: '{spec.entity}.model' refers to '{spec.model}', which is not a table")
            continue
        cols, displays = _names(spec, model)
        known = cols | displays | set(spec.virtual_fields)  # a misspelt name is reported once, not twice
        problems += _check_fields(spec, model) + _check_rules(spec, model) + _check_labels(spec, known)
        problems += [p for inline in spec.inlines for p in _check_inline(spec, inline)]
    return problems


def _names(spec: AdminSpec, model: type[SQLModel]) -> tuple[set[str], set[str]]:
    """(columns of the model, computed display names of the model)."""
    cols = set(model.__table__.c.keys())  # type: ignore[attr-defined]
    return cols, {name for (m, name) in DISPLAYS if m == spec.model}


def _check_fields(spec: AdminSpec, model: type[SQLModel]) -> list[str]:
    cols, displays = _names(spec, model)
    virtual = set(spec.virtual_fields)
    form = set(spec.editable(creating=True))
    options: list[tuple[str, str, tuple[str, ...], set[str]]] = [
        ("E002", "list_filter", spec.list_filter, cols),
        ("E003", "list_display", spec.list_display, cols | displays),
        ("E004", "search_fields", spec.search_fields, {c for c in cols if column_kind(model.__table__.c[c]) == "text"}),  # type: ignore[attr-defined]
        ("E005", "ordering", tuple(o.lstrip("-") for o in spec.ordering), cols),
        ("E006", "form_fields", spec.editable(creating=True), cols | virtual),
        ("E007", "readonly_fields", spec.readonly_fields, cols | displays),
        ("E021", "required", spec.required, form),
    ]
    problems = []
    for eid, option, names, allowed in options:
        for i, name in enumerate(names):
            if name not in allowed:
                what = "a text field" if eid == "E004" else ("a form field" if eid == "E021" else "a field")
                problems.append(
                    f"spec.{eid}: '{spec.entity}.{option}[{i}]' refers to '{name}', which is not {what} of {spec.model}"
                )
    for i, name in enumerate(spec.list_filter):
        if name in cols and field_kind(spec, name) not in FILTER_KINDS:
            problems.append(
                f"spec.E016: '{spec.entity}.list_filter[{i}]' ('{name}') needs choices or a yes/no "
                f"or number field to filter on"
            )
    shown = {*spec.list_display, *spec.search_fields, *spec.editable(creating=True), *spec.readonly_fields}
    for name in sorted(shown & cols):
        if name in SECRET_COLUMNS or column_kind(model.__table__.c[name]) == "binary":  # type: ignore[attr-defined]
            problems.append(f"spec.E017: '{spec.entity}' shows '{name}', which is secret or binary")
        elif (spec.model, name) in PERSONAL_COLUMNS and name not in spec.masked_fields:
            problems.append(f"spec.E009: '{spec.entity}' shows personal field '{name}' without declaring it masked")
    return problems


def _check_rules(spec: AdminSpec, model: type[SQLModel]) -> list[str]:
    cols = set(model.__table__.c.keys())  # type: ignore[attr-defined]
    perms = {str(p) for p in P}
    problems = [
        f"spec.E010: '{spec.entity}.{opt}' needs unknown permission {perm!r}"
        for opt, perm in (("view_permission", spec.view_permission), ("edit_permission", spec.edit_permission))
        if perm not in perms
    ]
    if spec.scope not in SCOPES:
        problems.append(f"spec.E011: '{spec.entity}.scope' is {spec.scope!r}, not one of {', '.join(SCOPES)}")
    elif (
        (spec.scope == "org" and spec.scope_field not in cols)
        or (spec.scope == "via_mediator" and "mediator_id" not in cols)
        or (spec.scope == "org_self" and spec.model != "organisation")
    ):
        problems.append(f"spec.E011: '{spec.entity}.scope' {spec.scope!r} does not fit {spec.model}")
    if spec.hook is not None and spec.hook not in HOOKS:
        problems.append(f"spec.E012: '{spec.entity}.hook' refers to unknown hook {spec.hook!r}")
    for name, kind in spec.virtual_fields.items():
        if kind not in VIRTUAL_KINDS or spec.hook is None:
            problems.append(
                f"spec.E012: virtual field '{spec.entity}.{name}' needs a hook and a kind in {', '.join(VIRTUAL_KINDS)}"
            )
    for name, source in spec.choices.items():
        kind, _, arg = source.partition(":")
        ok = (kind == "enum" and arg in ENUMS) or (kind == "ref" and arg in REF_SOURCES) or (kind == "dict" and arg)
        if not ok or (name not in cols and name not in spec.virtual_fields):
            problems.append(
                f"spec.E013: '{spec.entity}.choices[{name!r}]' = {source!r} is not a field with a "
                f"known source (enum:<{'|'.join(ENUMS)}>, dict:<name>, ref:<{'|'.join(REF_SOURCES)}>)"
            )
    for name in cols & set(spec.editable(creating=True)):
        if field_kind(spec, name) == "json":
            problems.append(f"spec.E013: '{spec.entity}.{name}' is a JSON field and needs a choices source")
    problems += [
        f"spec.E014: '{spec.entity}.validators[{n!r}]' names unknown validator {v!r}"
        for n, v in spec.validators.items()
        if v not in VALIDATORS or n not in cols
    ]
    problems += [
        f"spec.E008: '{spec.entity}.masked_fields[{n!r}]' names unknown masker {m!r} or no field"
        for n, m in spec.masked_fields.items()
        if m not in MASKERS or n not in cols
    ]
    if spec.actor_field is not None and spec.actor_field not in cols:
        problems.append(
            f"spec.E006: '{spec.entity}.actor_field' refers to '{spec.actor_field}', which is not a "
            f"field of {spec.model}"
        )
    if not 5 <= spec.page_size <= 100:
        problems.append(f"spec.E020: '{spec.entity}.page_size' is {spec.page_size}, not between 5 and 100")
    return problems


def _check_labels(spec: AdminSpec, known_names: set[str]) -> list[str]:
    known = catalogue()
    keys = [("title_key", spec.title_key)]
    names = {*spec.list_display, *spec.list_filter, *spec.editable(creating=True), *spec.readonly_fields}
    names &= known_names
    keys += [(f"label of '{n}'", label_key(spec.model, n)) for n in sorted(names)]
    for source in set(spec.choices.values()):
        kind, _, arg = source.partition(":")
        keys += [(f"label of {source}", f"admin.enum.{arg}.{v}") for v in ENUMS.get(arg, ()) if kind == "enum"]
    keys += [("inline title", i.title_key) for i in spec.inlines]
    keys += [
        (f"label of {src}", f"admin.enum.{src.partition(':')[2]}.{v}")
        for i in spec.inlines
        for src in i.choices.values()
        for v in ENUMS.get(src.partition(":")[2], ())
    ]
    keys += [(f"label of inline '{i.model}.{c}'", label_key(i.model, c)) for i in spec.inlines for c in i.columns]
    return [
        f"spec.E015: '{spec.entity}' {what} {key!r} is not in the catalogue" for what, key in keys if key not in known
    ]


def _check_inline(spec: AdminSpec, inline: InlineSpec) -> list[str]:
    model = model_class(inline.model)
    cols = set(model.__table__.c.keys()) if model is not None else set()  # type: ignore[attr-defined]
    bad = [n for n in (inline.fk, *inline.columns, *(o.lstrip("-") for o in inline.ordering)) if n not in cols]
    bad += [n for n in inline.columns if n in SECRET_COLUMNS or (inline.model, n) in PERSONAL_COLUMNS]
    if model is None or bad:
        return [
            f"spec.E018: '{spec.entity}.inlines' entry {inline.model!r} refers to {bad or inline.model!r}, "
            f"which {'are not fields' if model else 'is not a table'} it may show"
        ]
    return []
