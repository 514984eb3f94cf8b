"""Keyset paging of the generic admin lists: the order as (column, descending) keys ending in the id, the cursor
as the last row's values of those keys, and "after the cursor" written the same for SQLite and PostgreSQL.

NULLs sort last in either direction on both engines (SQLite puts them first in ascending order, PostgreSQL last),
so a nullable key orders by `key IS NULL` first and the cursor condition treats NULL as beyond every value.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from services.admin.specs import AdminSpec

Key = tuple[sa.Column[Any], bool]  # (column, descending)
Cursor = tuple[Any, ...]  # the last row's value of each key, the id last


def order_keys(spec: AdminSpec, table: sa.Table, order: str) -> list[Key]:
    """The keys of the list's order: the column the user picked ("-name" = descending) or the spec's ordering,
    then the id (ascending unless the ordering says "-id") so that every row has one place."""
    wanted = order.lstrip("-")
    names = (order,) if order and wanted in table.c and wanted in spec.list_display else spec.ordering
    keys: dict[str, Key] = {}
    for name in names:
        bare = name.lstrip("-")
        keys.setdefault(bare, (table.c[bare], name.startswith("-")))
    last = keys.pop("id", (table.c.id, False))
    return [*keys.values(), last]


def order_by(keys: Sequence[Key]) -> list[Any]:
    """ORDER BY terms of the keys, NULLs last."""
    out: list[Any] = []
    for column, desc in keys:
        if column.nullable and not column.primary_key:
            out.append(sa.case((column.is_(None), 1), else_=0))
        out.append(column.desc() if desc else column.asc())
    return out


def after(keys: Sequence[Key], cursor: Cursor) -> Any:
    """The rows that come after the row whose key values are `cursor`, in the order of `order_by(keys)`."""
    if len(cursor) != len(keys):
        return sa.true()  # a cursor of another order (the order was just changed): start at the top
    beyond: list[Any] = []
    same: list[Any] = []
    for (column, desc), value in zip(keys, cursor, strict=True):
        if value is None:  # among the NULLs, which end the order: only a later key can move on
            step: Any = sa.false()
            equal: Any = column.is_(None)
        else:
            step = column < value if desc else column > value
            if column.nullable and not column.primary_key:
                step = sa.or_(step, column.is_(None))
            equal = column == value
        beyond.append(sa.and_(*same, step))
        same.append(equal)
    return sa.or_(*beyond)


def cursor_of(keys: Sequence[Key], row: Mapping[str, Any]) -> Cursor:
    """The cursor of a fetched row (its values of the keys)."""
    return tuple(row[column.name] for column, _ in keys)
