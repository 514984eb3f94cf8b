"""Extension points of the admin: named display columns, write hooks, validators and maskers.

A spec refers to these by name only (so it stays plain data); `check_specs()` verifies every name exists.
The built-in displays and hooks are registered by one explicit call, `services.admin.hooks.register_admin_extensions()`,
where the app, the command line and the tests start.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, SQLModel

from services.access.authz import Actor
from services.core.security import mask_id, mask_name, mask_phone, normalise_phone, valid_phone

DisplayFn = Callable[[Session, Sequence[int], str], Mapping[int, Mapping[str, Any]]]


@dataclass(frozen=True)
class Display:
    """Computed columns of one model, evaluated for a whole page of ids at once (one query, not one per row)."""

    model: str
    names: tuple[str, ...]
    fn: DisplayFn


DISPLAYS: dict[tuple[str, str], Display] = {}


def register_display(model: str, names: Sequence[str], fn: DisplayFn) -> None:
    """Register `fn(session, ids, lang) -> {id: {name: value}}` as the computed columns `names` of `model`."""
    entry = Display(model, tuple(names), fn)
    for name in names:
        DISPLAYS[(model, name)] = entry


class Hook:
    """Dynamic behaviour around the generic writer of one entity (e.g. user create → accounts.create_user).

    Each method has a do-nothing default, so a hook overrides only what it must."""

    def initial(self, session: Session, obj: Any) -> dict[str, Any]:
        """Current values of the spec's virtual fields, to fill the edit form."""
        return {}

    def create(self, session: Session, actor: Actor, values: dict[str, Any]) -> SQLModel | None:
        """Create the row itself (return it), or return None to let the generic writer do it."""
        return None

    def update(self, session: Session, actor: Actor, obj: Any, values: dict[str, Any]) -> dict[str, Any]:
        """Apply what needs a service call; return the values the generic writer should still set."""
        return values

    def after_write(self, session: Session, actor: Actor, obj: Any, values: dict[str, Any]) -> None:
        """Write related rows (virtual fields) once the row has an id."""


HOOKS: dict[str, Hook] = {}


def register_hook(name: str, hook: Hook) -> None:
    """Register the hook that a spec names with `hook=name`."""
    HOOKS[name] = hook


CODE_RE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{0,31}$")
LANDLINE_RE = re.compile(r"^(0\d{2,3}-?)?\d{7,8}(-\d{1,6})?$|^400-?\d{3}-?\d{4}$")


def _code(value: str) -> tuple[str, str | None]:
    v = value.strip().upper()
    return v, None if CODE_RE.match(v) else "error.admin_code_format"


def _mobile(value: str) -> tuple[str, str | None]:
    v = normalise_phone(value)
    return v, None if valid_phone(v) else "error.phone_invalid"


def _any_phone(value: str) -> tuple[str, str | None]:
    v = normalise_phone(value)
    return v, None if valid_phone(v) or LANDLINE_RE.match(v) else "error.admin_phone_format"


# name → normalise and check a non-empty text value: (value to store, None or the error key shown under the field)
VALIDATORS: dict[str, Callable[[str], tuple[str, str | None]]] = {"code": _code, "mobile": _mobile, "phone": _any_phone}

# name → how a personal value is shown in lists, cards and exports
MASKERS: dict[str, Callable[[str | None], str]] = {"phone": mask_phone, "name": mask_name, "id_number": mask_id}
