"""Readable labels for rule values and their before → after differences; errors shown with escaped params."""

from __future__ import annotations

from typing import Any

import streamlit as st

from pages.ui.i18n import dl, t
from services.access.permissions import BUILTIN_ROLES
from services.core.errors import DomainError
from services.core.i18n import catalogue
from services.core.reference import GRADES
from services.core.text import escape_markdown
from services.lowcode.rules import Change

GRADE_NAMES = {code: (zh, en) for code, zh, en in GRADES}


def grade_label(code: Any) -> str:
    names = GRADE_NAMES.get(str(code))
    return dl(*names) if names else str(code)


def kind_label(kind: Any) -> str:
    return t(f"admin.enum.org_kind.{kind}") if kind and kind != "*" else t("rules.kind_any")


def _known(key: str) -> bool:
    return key in catalogue()


def part_label(part: str, parent: str = "") -> str:
    """One step of a change's path in words: a field, permission, role, metric, grade or star level."""
    if parent == "thresholds":
        return t("rules.field.stars", n=part)
    if parent == "rates":
        grade, _, kind = part.partition("@")
        return f"{grade_label(grade)} · {kind_label(kind)}" if kind else grade_label(grade)
    if parent == "roles" and part in BUILTIN_ROLES:
        return dl(BUILTIN_ROLES[part][0], BUILTIN_ROLES[part][1])
    for key in (f"rules.field.{part}", f"perm.{part}", f"rating.metric.{part}", f"rating.subject_{part}"):
        if _known(key):
            return t(key)
    return part


def _shown(value: Any, money: bool) -> str:
    if value is None:
        return t("rules.empty")
    if isinstance(value, bool):
        return "✓" if value else "✗"
    if money and isinstance(value, int):
        return f"{value / 100:.2f}"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list):
        return "、".join(part_label(str(x)) for x in value) or t("rules.empty")
    if isinstance(value, dict):
        return ", ".join(f"{part_label(str(k))}={_shown(v, money)}" for k, v in value.items())
    return str(value)


def change_line(name: str, change: Change) -> str:
    """'调解员 · 权限 · 登记纠纷: 删除' or '受理期限（天）: 3 → 5'."""
    path = change.path[1:] if change.path and change.path[0] in ("rates", "items", "roles") else change.path
    parents = ("", *change.path)[: len(change.path)]
    offset = len(change.path) - len(path)
    words = " · ".join(part_label(p, parents[i + offset]) for i, p in enumerate(path))
    if change.before is True and change.after is None:
        return f"{words}: {t('rules.removed')}"
    if change.before is None and change.after is True:
        return f"{words}: {t('rules.added')}"
    money = name == "subsidy_rates"
    return f"{words}: {_shown(change.before, money)} → {_shown(change.after, money)}"


def show_rule_error(err: DomainError) -> None:
    """A refusal in words; a parameter naming a field is translated, any other text escaped."""
    params = {k: t(v) if isinstance(v, str) and v.startswith("rules.field.") else v for k, v in err.params.items()}
    params = {k: escape_markdown(v) if isinstance(v, str) else v for k, v in params.items()}
    st.error(t(err.key, **params), icon=":material/error:")
