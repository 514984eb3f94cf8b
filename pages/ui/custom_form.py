"""The office's own fields on the staff intake forms: inputs with a message under each, and their display."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from pages.ui.db import get_db
from pages.ui.form_render import field_widget
from pages.ui.i18n import current_language, t
from pages.ui.widgets import attempt
from services.intake.form import FieldSpec, IntakeInvalid
from services.lowcode.custom_fields import CustomValue


def _problems(prefix: str) -> dict[str, tuple[str, dict[str, Any]]]:
    return dict(st.session_state.get(f"{prefix}.problems", {}))


def inputs(prefix: str, fields: list[FieldSpec]) -> dict[str, Any]:
    """One input per custom field (inside the caller's form), each with its problem right under it."""
    problems = _problems(prefix)
    lang = current_language()
    values: dict[str, Any] = {}
    for f in fields:
        values[f.key] = field_widget(f, f"{prefix}.custom.{f.key}", lang)
        if (found := problems.get(f"custom.{f.key}")) is not None:
            st.error(t(found[0], **found[1]), icon=":material/error:")
    if problems:
        st.error(t("error.intake_invalid", count=len(problems)), icon=":material/error:")
    return values


def save(prefix: str, action: Callable[[Any], Any]) -> Any | None:
    """One short write; a refused custom field is remembered and the form shown again exactly as typed."""
    refused: list[IntakeInvalid] = []

    def run() -> Any:
        try:
            with get_db().write() as s:
                return action(s)
        except IntakeInvalid as err:  # nothing was written: the transaction rolled back
            refused.append(err)
            return None

    st.session_state.pop(f"{prefix}.problems", None)
    result = attempt(run)
    if refused:
        remember(prefix, refused[0])
        st.rerun()
    return result


def remember(prefix: str, err: IntakeInvalid) -> None:
    """Keep the problems of a refused form for the next run (the first per field)."""
    found: dict[str, tuple[str, dict[str, Any]]] = {}
    for p in err.problems:
        found.setdefault(p.field, (p.key, p.params))
    st.session_state[f"{prefix}.problems"] = found


def show(values: list[CustomValue]) -> None:
    """The case's custom values as plain text with their labels in the UI language."""
    if not values:
        return
    lang = current_language()
    st.caption(t("customfields.case_heading"))
    st.text("\n".join(f"{v.label(lang)}：{v.text(lang)}" for v in values))
