"""The one-time token of a public form, kept in the session and in the page address (`?t=`).

What a submission produced is looked up by its token on every run rather than trusted to session state alone:
Streamlit checks for a pending rerun at every session-state read or write, so a rerun that arrives while a
submission is saved (a second tap, a value sent by a component) can stop the script
after the row is written and before the result is kept. And a phone that dropped its connection for longer
than Streamlit keeps a session comes back with a new session and only the address: with the token there it
sees its tracking code (or register reference) again instead of an empty form."""

from __future__ import annotations

import streamlit as st

from services.intake.form import issue_form_token, resumable

PARAM = "t"


def kept_token(key: str) -> str:
    """This form's token: the session's; for a new session the address's if recent and genuine, else a new one."""
    if key not in st.session_state:
        kept = str(st.query_params.get(PARAM, ""))
        st.session_state[key] = kept if resumable(kept) else issue_form_token()
    token = str(st.session_state[key])
    if st.query_params.get(PARAM) != token:
        st.query_params[PARAM] = token
    return token


def renew_token(key: str) -> None:
    """After an expired-form refusal: a new token in the session and in the address."""
    st.session_state[key] = st.query_params[PARAM] = issue_form_token()


def forget_token() -> None:
    """ "Send another": the next form gets a new token, and the address no longer names the one just used."""
    st.query_params.pop(PARAM, None)


# --- staff forms (issue 22) -------------------------------------------------------------------------------------
# A staff form that creates something holds a one-time token in the session; the service saves it in a unique
# column, so a second tap (or a rerun that arrives mid-save) returns the row the first saved. After a save the page
# shows what was saved *instead of* the form, looked up by the token on every run: the form is then not rendered,
# so the browser drops what was typed, and a late tap on the old button reaches no widget. "Next" starts a new form
# with a new token.


def staff_token(name: str) -> str:
    """The token of staff form `name` in this session (made on first use)."""
    key = f"form_token.staff.{name}"
    if key not in st.session_state:
        st.session_state[key] = issue_form_token()
    return str(st.session_state[key])


def next_staff_form(name: str, *prefixes: str) -> None:
    """Start a new form: a new token, and the widgets under `prefixes` back to their defaults."""
    st.session_state[f"form_token.staff.{name}"] = issue_form_token()
    for k in [k for k in st.session_state if str(k).startswith(prefixes)]:
        del st.session_state[k]
