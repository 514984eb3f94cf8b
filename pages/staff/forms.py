"""The form builder: list forms and registers, edit a form's fields one at a time, preview, save a new version."""

from __future__ import annotations

import streamlit as st

from pages.ui import form_builder as fb
from pages.ui.case_ui import flash, show_flash
from pages.ui.db import get_db
from pages.ui.form_render import render_fields
from pages.ui.guard import require_page
from pages.ui.i18n import current_language, t
from pages.ui.widgets import show_error
from services.access.permissions import P
from services.core.clock import format_local
from services.core.errors import DomainError
from services.lowcode import forms
from services.lowcode.fields import parse_fields, with_dictionary_options
from services.lowcode.spec_checks import SpecInvalid

actor = require_page(P.LOWCODE_EDIT)
db = get_db()
lang = current_language()
NEW_FORM = "__new_form__"

st.title(t("forms.title"), anchor=False)
show_flash()
with db.read() as s:
    specs = {f.code: f for f in forms.list_forms(s)}
    dict_options = forms.dictionary_options(s)
if "forms.pick_form_next" in st.session_state:
    st.session_state["forms.pick_form"] = st.session_state.pop("forms.pick_form_next")
first = next((i for i, c in enumerate(specs, start=1) if specs[c].is_register), 1 if specs else 0)
code = st.selectbox(
    t("forms.pick"),
    [NEW_FORM, *specs],
    key="forms.pick_form",
    index=first,
    format_func=lambda c: (
        t("forms.new_form")
        if c == NEW_FORM
        else f"{fb.esc_title(specs[c].title_zh, specs[c].title_en)} · v{specs[c].version}"
        + ("" if specs[c].status == "active" else " · " + t("forms.retired"))
    ),
)


def save(action: object) -> None:
    """Run a builder write; every spec problem is listed, other refusals shown once."""
    try:
        with db.write() as s:
            spec = action(s)  # type: ignore[operator]
            version, saved_code = spec.version, spec.code
    except SpecInvalid as err:
        fb.show_problems(err.problems)
    except DomainError as err:
        show_error(err)
    else:
        flash("forms.saved", version=version)
        st.session_state["forms.pick_form_next"] = saved_code
        st.rerun()


if code == NEW_FORM or code is None:
    st.caption(t("forms.new_help"))
    with st.form("forms.new", enter_to_submit=False):
        new_code = st.text_input(t("forms.code"), key="forms.new_code", help=t("forms.code_help"))
        title_zh = st.text_input(t("forms.title_zh"), key="forms.new_title_zh")
        title_en = st.text_input(t("forms.title_en"), key="forms.new_title_en")
        public = st.checkbox(t("forms.public"), key="forms.new_public", help=t("forms.public_help"))
        first_label = st.text_input(t("forms.first_field"), key="forms.new_first", help=t("forms.first_field_help"))
        go = st.form_submit_button(
            t("forms.create"), type="primary", icon=":material/add:", width="stretch", key="forms.create"
        )
    if go:
        draft = forms.FormDraft(
            code=new_code,
            title_zh=title_zh,
            title_en=title_en,
            public=public,
            is_register=True,
            fields=[
                {
                    "key": "date",
                    "type": "date",
                    "label_zh": first_label.strip() or "日期",
                    "label_en": "Date",
                    "required": True,
                }
            ],
        )
        save(lambda s: forms.create_form(s, actor=actor, draft=draft))
    st.stop()

spec = specs[code]
fields = fb.working_copy(code, spec.fields, spec.version)
fixed = forms.fixed_field_count(code)
if fixed:  # the intake forms: their own fields are not in the spec, which holds only the office's additions
    st.caption(t("forms.editing_builtin", version=spec.version, n=fixed + len(fields), fixed=fixed, own=len(fields)))
else:
    st.caption(t("forms.editing", version=spec.version, n=len(fields)))
index = fb.field_picker(code, fields)
fb.field_editor(code, fields, index, sorted(dict_options))

with st.expander(t("forms.preview"), icon=":material/visibility:"):
    if not fields:
        st.caption(t("forms.no_fields"))
    render_fields(
        with_dictionary_options(parse_fields(fields), dict_options), prefix=f"forms.preview.{code}", lang=lang
    )

public = st.toggle(
    t("forms.public"),
    value=spec.public,
    key=f"forms.public.{code}",
    help=t("forms.public_help"),
    disabled=not spec.is_register,
)
changed = fields != spec.fields or public != spec.public
if changed:
    st.warning(t("forms.unsaved"), icon=":material/edit:")
if st.button(
    t("forms.save"), key="forms.save", type="primary", icon=":material/save:", width="stretch", disabled=not changed
):
    save(
        lambda s: forms.save_version(
            s, actor=actor, code=code, fields=fields, public=public, expected_version=spec.version
        )
    )
if st.button(t("forms.discard"), key="forms.discard", icon=":material/undo:", width="stretch", disabled=not changed):
    fb.set_working(code, [dict(f) for f in spec.fields], pick=fb.NEW)
    st.rerun()
retired = spec.status != "active"
if code not in forms.BUILTIN_FORMS and st.button(
    t("forms.restore" if retired else "forms.retire"),
    key="forms.retire",
    width="stretch",
    icon=":material/unarchive:" if retired else ":material/archive:",
):
    save(lambda s: forms.retire_form(s, actor=actor, code=code, retired=not retired))

st.subheader(t("forms.history"), anchor=False)
with db.read() as s:
    history = forms.form_history(s, code)
st.dataframe(
    [
        {
            t("forms.col_version"): h.version,
            t("forms.col_when"): format_local(h.created_at),
            t("forms.col_fields"): forms.field_count(h.code, h.fields),
            t("forms.col_status"): t(f"forms.status_{h.status}"),
            t("forms.col_public"): t("form.yes" if h.public else "form.no"),
        }
        for h in history
    ],
    hide_index=True,
    width="stretch",
    key="forms.history",
)
