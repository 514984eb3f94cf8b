"""The one-time token of a public form, kept in the session and in the page address (`?t=`).

What a submission produced is looked up by its token on every run rather than trusted to session state alone:
Streamlit checks for a pending rerun at every session-state read or write, so a rerun that arrives while a
submission is saved (the cookie component's first value on a fresh session, a second tap) can stop the script
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
