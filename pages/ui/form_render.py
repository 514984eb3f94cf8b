"""Render any field list (services/form_fields.FieldSpec) as phone-friendly widgets, conditions included.

Not inside st.form: a field with a condition appears as soon as the field it depends on gets the value.
Labels and help come from the office's data, so they are escaped (Streamlit renders labels as markdown).
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from pages.ui.i18n import t
from pages.ui.widgets import upload_files
from services.core.text import escape_markdown as esc
from services.lowcode.fields import FieldSpec, visible

Problems = dict[str, tuple[str, dict[str, Any]]]


def problems_by_field(problems: list[Any]) -> Problems:
    """The first problem of each field, for showing under it."""
    out: Problems = {}
    for p in problems:
        out.setdefault(p.field, (p.key, p.params))
    return out


def field_widget(f: FieldSpec, key: str, lang: str) -> Any:
    """One field's widget (labels and help escaped; '(optional)' unless required); returns its raw value."""
    label = esc(f.label(lang)) + ("" if f.required else t("form.optional"))
    help_text = esc(f.help(lang)) or None
    if f.type == "long_text":
        return st.text_area(label, key=key, max_chars=f.max_length, help=help_text)
    if f.type == "number":
        whole = bool(getattr(f, "integer", False))
        return st.number_input(
            label, value=None, key=key, help=help_text, step=1 if whole else None, format="%d" if whole else None
        )
    if f.type == "date":
        return st.date_input(label, value=None, key=key, help=help_text)
    if f.type in ("choice", "multi_choice"):
        names = {c: (en if lang == "en" and en else zh) for c, zh, en in f.options}
        if f.type == "choice":
            return st.selectbox(
                label,
                list(names),
                index=None,
                format_func=lambda c: names.get(c, c),
                key=key,
                placeholder=t("form.choose"),
                help=help_text,
            )
        return st.multiselect(
            label,
            list(names),
            format_func=lambda c: names.get(c, c),
            key=key,
            placeholder=t("form.choose"),
            help=help_text,
        )
    if f.type == "yes_no":
        return st.radio(
            label,
            ["yes", "no"],
            index=None,
            horizontal=True,
            key=key,
            help=help_text,
            format_func=lambda v: t(f"form.{v}"),
        )
    if f.type == "photo":
        files = upload_files(label, types=["jpg", "jpeg", "png", "webp"], key=key, help=help_text)
        return [u.getvalue() for u in files]
    autocomplete = "tel" if f.type == "phone" else "off"
    return st.text_input(label, key=key, max_chars=f.max_length, autocomplete=autocomplete, help=help_text)


def render_fields(
    fields: list[FieldSpec], *, prefix: str, lang: str, problems: Problems | None = None
) -> dict[str, Any]:
    """Widgets for the fields that are shown given the answers so far; returns {key: raw value}."""
    values: dict[str, Any] = {}
    for f in fields:
        if f.key in values or not visible(f, values):  # a repeated key (an unsaved draft) shows once
            continue
        values[f.key] = field_widget(f, f"{prefix}.{f.key}", lang)
        if problems and f.key in problems:
            key, params = problems[f.key]
            st.error(t(key, **params), icon=":material/error:")
    return values


def state_value(state: dict[str, Any], f: FieldSpec, key: str) -> Any:
    """The value field_widget would return, from a snapshot of the session (see widgets.save_in_callback)."""
    value = state.get(key)
    if f.type == "photo":
        return [u.getvalue() for u in value or []]
    return value


def state_values(state: dict[str, Any], fields: list[FieldSpec], *, prefix: str) -> dict[str, Any]:
    """What render_fields returned on the page the person saw, from a snapshot of the session."""
    values: dict[str, Any] = {}
    for f in fields:
        if f.key not in values and visible(f, values):
            values[f.key] = state_value(state, f, f"{prefix}.{f.key}")
    return values


def clear_fields(prefix: str) -> None:
    """Forget the widgets' values under `prefix` (after a successful save)."""
    for k in [k for k in st.session_state if str(k).startswith(prefix + ".")]:
        del st.session_state[k]
