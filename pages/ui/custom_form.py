"""The office's own fields on the staff intake forms: inputs with a message under each, and their display."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from pages.ui.db import get_db
from pages.ui.i18n import current_language, t
from pages.ui.widgets import attempt
from services.custom_fields import CustomValue
from services.intake_form import FieldSpec, IntakeInvalid
from services.intake_form import escape_markdown as esc


def _problems(prefix: str) -> dict[str, tuple[str, dict[str, Any]]]:
    return dict(st.session_state.get(f"{prefix}.problems", {}))


def _widget(f: FieldSpec, key: str, lang: str) -> Any:
    label = esc(f.label(lang)) + ("" if f.required else t("customfields.optional"))
    if f.type == "long_text":
        return st.text_area(label, key=key, max_chars=f.max_length, help=esc(f.help(lang)) or None)
    if f.type == "multi_choice":
        names = {c: (en if lang == "en" else zh) for c, zh, en in f.options}
        return st.multiselect(label, list(names), format_func=lambda c: names[c], key=key,
                              placeholder=t("customfields.choose"))
    if f.type == "number":
        return st.number_input(label, value=None, key=key)
    if f.type == "date":
        return st.date_input(label, value=None, key=key)
    if f.type == "choice":
        names = {c: (en if lang == "en" else zh) for c, zh, en in f.options}
        return st.selectbox(label, list(names), index=None, format_func=lambda c: names[c], key=key,
                            placeholder=t("customfields.choose"))
    if f.type == "yes_no":
        return st.radio(label, ["yes", "no"], index=None, horizontal=True, key=key,
                        format_func=lambda v: t(v))
    return st.text_input(label, key=key, max_chars=f.max_length, help=esc(f.help(lang)) or None,
                         autocomplete="tel" if f.type == "phone" else "off")


def inputs(prefix: str, fields: list[FieldSpec]) -> dict[str, Any]:
    """One input per custom field (inside the caller's form), each with its problem right under it."""
    problems = _problems(prefix)
    lang = current_language()
    values: dict[str, Any] = {}
    for f in fields:
        values[f.key] = _widget(f, f"{prefix}.custom.{f.key}", lang)
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
