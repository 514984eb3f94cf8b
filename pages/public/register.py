"""Public register entry (/register?f=<code>[&org=CODE]): fill an office's register on a phone; then a reference."""

from __future__ import annotations

import streamlit as st

from pages.ui.auth import client_id
from pages.ui.db import get_db
from pages.ui.form_render import clear_fields, problems_by_field, render_fields, state_values
from pages.ui.form_token import forget_token, kept_token, renew_token
from pages.ui.i18n import current_language, t
from pages.ui.widgets import save_in_callback, show_saved_error
from services.core.errors import DomainError
from services.core.text import escape_markdown as esc
from services.lowcode import registers
from services.lowcode.fields import FormInvalid

db = get_db()
lang = current_language()
code = str(st.query_params.get("f", "")).strip().lower()[:40]
org_code = str(st.query_params.get("org", "")).strip().upper()[:32]
K = f"register.{code}"
with db.read() as s:
    reg = registers.find_public_register(s, code)

if reg is None:
    st.title(t("register.public_title"), anchor=False)
    st.error(t("register.unknown", code=esc(code)) if code else t("register.missing"), icon=":material/error:")
    st.stop()

st.title(esc(reg.title(lang)), anchor=False)
token = kept_token(f"{K}.token")
receipt = st.session_state.get(f"{K}.receipt") or registers.find_public_receipt(db, token)  # see form_token
if receipt is not None:
    st.success(t("register.thanks"), icon=":material/check_circle:")
    st.metric(t("register.your_reference"), receipt.reference)
    st.caption(t("register.keep_reference"))
    if st.button(t("register.another"), key="register.another", icon=":material/add:", width="stretch"):
        for k in [k for k in st.session_state if str(k).startswith(K)]:
            del st.session_state[k]
        forget_token()
        st.rerun()
    st.stop()

st.caption(t("register.public_help"))
problems = st.session_state.get(f"{K}.problems", {})
fields, reg_code = reg.fields, reg.code  # (the callback below runs in a later script run)
render_fields(fields, prefix=f"{K}.v", lang=lang, problems=problems)
if problems:
    st.error(t("error.intake_invalid", count=len(problems)), icon=":material/error:")


def send() -> None:
    """The submit button's callback (see save_in_callback): the values of the fields the person saw."""
    values = state_values(st.session_state.to_dict(), fields, prefix=f"{K}.v")  # one read (save_in_callback)
    try:
        done = registers.submit_public_entry(
            db, code=reg_code, token=token, values=values, client=client_id(), org_code=org_code
        )
    except FormInvalid as err:
        st.session_state[f"{K}.problems"] = problems_by_field(err.problems)
        return
    except DomainError as err:
        if err.key == "error.intake_form_expired":
            renew_token(f"{K}.token")
        raise
    st.session_state.pop(f"{K}.problems", None)
    clear_fields(f"{K}.v")
    st.session_state[f"{K}.receipt"] = done


st.button(
    t("register.submit"),
    key="register.submit",
    type="primary",
    icon=":material/send:",
    width="stretch",
    on_click=save_in_callback,
    args=(f"{K}.error", send),
)
show_saved_error(f"{K}.error")
