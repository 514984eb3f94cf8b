"""The form builder's widgets: the working copy of a field list, its field picker and one-field editor.

The working copy lives in session state until "save as new version"; a phone edits one field at a time.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from pages.ui.i18n import current_language, t
from services.core.text import escape_markdown as esc
from services.lowcode.fields import next_field_key
from services.lowcode.spec_checks import CHOICE_TYPES, FIELD_TYPES, move_field, options_from_text, options_to_text

NEW = "__new__"


def work_key(code: str) -> str:
    return f"forms.work.{code}"


def working_copy(code: str, fields: list[dict[str, Any]], version: int) -> list[dict[str, Any]]:
    """The fields being edited (started from version `version`; a newer saved version restarts the copy)."""
    key = work_key(code)
    if st.session_state.get(f"{key}.from") != version or key not in st.session_state:
        st.session_state[key] = [dict(f) for f in fields]
        st.session_state[f"{key}.from"] = version
    return list(st.session_state[key])


def set_working(code: str, fields: list[dict[str, Any]], pick: int | str | None = None) -> None:
    """Replace the working copy; the editor's widgets start afresh and the picker shows `pick` next run."""
    st.session_state[work_key(code)] = fields
    st.session_state[f"forms.rev.{code}"] = st.session_state.get(f"forms.rev.{code}", 0) + 1
    if pick is not None:
        st.session_state[f"forms.pick_next.{code}"] = pick


def field_title(f: dict[str, Any], n: int) -> str:
    lang = current_language()
    label = f.get("label_en") if lang == "en" and f.get("label_en") else f.get("label_zh")
    star = " *" if f.get("required") else ""
    cond = " ↳" if f.get("condition") else ""
    return f"{n}. {label or f.get('key')}{star} · {t('form.type.' + str(f.get('type')))}{cond}"


def field_picker(code: str, fields: list[dict[str, Any]]) -> int | None:
    """Pick a field to edit (or a new one); move or remove it. Returns its index, None for a new field."""
    choices = [NEW, *range(len(fields))]
    if f"forms.pick_next.{code}" in st.session_state:
        st.session_state[f"forms.pick.{code}"] = st.session_state.pop(f"forms.pick_next.{code}")
    pick = st.selectbox(
        t("forms.field_pick"),
        choices,
        key=f"forms.pick.{code}",
        format_func=lambda i: t("forms.field_new") if i == NEW else field_title(fields[int(i)], int(i) + 1),
    )
    if pick == NEW or pick is None or not isinstance(pick, int) or pick >= len(fields):
        return None
    i = int(pick)
    up, down, remove = st.columns(3)
    if up.button(t("forms.up"), key="forms.up", icon=":material/arrow_upward:", width="stretch", disabled=i == 0):
        set_working(code, move_field(fields, i, -1), pick=i - 1)
        st.rerun()
    if down.button(
        t("forms.down"),
        key="forms.down",
        icon=":material/arrow_downward:",
        width="stretch",
        disabled=i == len(fields) - 1,
    ):
        set_working(code, move_field(fields, i, 1), pick=i + 1)
        st.rerun()
    if remove.button(t("forms.remove"), key="forms.remove", icon=":material/delete:", width="stretch"):
        set_working(code, fields[:i] + fields[i + 1 :], pick=NEW)
        st.rerun()
    return i


def field_editor(code: str, fields: list[dict[str, Any]], index: int | None, dictionaries: list[str]) -> None:
    """One field in a form: type, key, labels, required, help, options or dictionary, condition."""
    f = fields[index] if index is not None else {}
    earlier = [str(x.get("key")) for x in fields[: index if index is not None else len(fields)] if x.get("key")]
    cond = f.get("condition") or {}
    rev = st.session_state.get(f"forms.rev.{code}", 0)
    k = f"forms.f.{code}.{rev}.{index if index is not None else 'new'}"
    with st.form(k, border=True, enter_to_submit=False):
        kind = st.selectbox(
            t("forms.f_type"),
            FIELD_TYPES,
            key=f"{k}.type",
            format_func=lambda x: t(f"form.type.{x}"),
            index=FIELD_TYPES.index(f["type"]) if f.get("type") in FIELD_TYPES else 0,
        )
        label_zh = st.text_input(t("forms.f_label_zh"), value=str(f.get("label_zh", "")), key=f"{k}.label_zh")
        label_en = st.text_input(t("forms.f_label_en"), value=str(f.get("label_en", "")), key=f"{k}.label_en")
        required = st.checkbox(t("forms.f_required"), value=bool(f.get("required")), key=f"{k}.required")
        integer = st.checkbox(
            t("forms.f_integer"), value=bool(f.get("integer")), key=f"{k}.integer", help=t("forms.f_integer_help")
        )
        help_zh = st.text_input(t("forms.f_help_zh"), value=str(f.get("help_zh", "")), key=f"{k}.help_zh")
        help_en = st.text_input(t("forms.f_help_en"), value=str(f.get("help_en", "")), key=f"{k}.help_en")
        st.caption(t("forms.choice_only"))
        names = ["", *dictionaries]
        dictionary = st.selectbox(
            t("forms.f_dictionary"),
            names,
            key=f"{k}.dictionary",
            index=names.index(f["dictionary"]) if f.get("dictionary") in names else 0,
            format_func=lambda d: d or t("forms.f_own_options"),
        )
        options = st.text_area(
            t("forms.f_options"),
            value=options_to_text(f.get("options")),
            key=f"{k}.options",
            help=t("forms.f_options_help"),
        )
        cond_on = ["", *earlier]
        cond_field = st.selectbox(
            t("forms.f_condition"),
            cond_on,
            key=f"{k}.cond",
            index=cond_on.index(cond["field"]) if cond.get("field") in cond_on else 0,
            format_func=lambda c: c or t("forms.f_always"),
        )
        cond_value = st.text_input(
            t("forms.f_condition_value"),
            value=str(cond.get("equals", "")),
            key=f"{k}.condv",
            help=t("forms.f_condition_help"),
        )
        with st.expander(t("forms.f_key_more"), icon=":material/code:"):  # the code is made from the position
            key = st.text_input(
                t("forms.f_key"), value=str(f.get("key", "")), key=f"{k}.key", help=t("forms.f_key_auto_help")
            )
        done = st.form_submit_button(t("forms.apply_field"), icon=":material/check:", width="stretch", key=f"{k}.apply")
    if done:
        others = [x for i, x in enumerate(fields) if i != index]
        new: dict[str, Any] = {
            "key": key.strip() or next_field_key(others),
            "type": kind,
            "label_zh": label_zh.strip(),
            "label_en": label_en.strip(),
            "required": required,
            "help_zh": help_zh.strip(),
            "help_en": help_en.strip(),
        }
        if kind == "number" and integer:
            new["integer"] = True
        if kind in CHOICE_TYPES:
            new.update({"dictionary": dictionary} if dictionary else {"options": options_from_text(options)})
        if cond_field:
            new["condition"] = {"field": cond_field, "equals": cond_value.strip()}
        out = list(fields)
        if index is None:
            out.append(new)
        else:
            out[index] = new
        set_working(code, out, pick=len(out) - 1 if index is None else index)
        st.rerun()


def show_problems(problems: list[Any]) -> None:
    """Every reason a spec cannot be saved, in one list."""
    st.error(t("error.form_spec_invalid", count=len(problems)), icon=":material/error:")
    for p in problems:
        st.text("· " + t(p.key, **p.params))


def esc_title(zh: str, en: str) -> str:
    return esc(en if current_language() == "en" and en else zh)
