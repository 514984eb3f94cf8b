"""Public intake (/intake?org=CODE): file a dispute on a phone without an account; then the tracking code."""

from __future__ import annotations

from typing import Any

import streamlit as st

from pages.nav import spec_for
from pages.public.intake_directory import render_directory
from pages.ui import trust_resident
from pages.ui.auth import client_id, current_actor
from pages.ui.db import get_db
from pages.ui.form_render import field_widget, problems_by_field, state_value
from pages.ui.form_token import forget_token, kept_token, renew_token
from pages.ui.i18n import current_language, t
from pages.ui.widgets import save_in_callback, show_saved_error, upload_files
from services.access.permissions import P
from services.core.config import get_settings
from services.core.errors import DomainError
from services.core.text import escape_markdown as esc
from services.intake import pipeline as intake
from services.intake import posters as qr
from services.intake.form import IntakeForm, IntakeInvalid

db = get_db()
lang = current_language()
code = str(st.query_params.get("org", "")).strip().upper()[:32]
K = f"intake.{code}"  # per-organisation state: token, problems, result
with db.read() as s:
    org = intake.find_intake_org(s, code)
    version, fields = intake.intake_fields(s)
    categories = intake.categories(s)

st.title(t("intake.title"), anchor=False)
if org is None:
    st.error(t("intake.org_unknown", code=esc(code)) if code else t("intake.org_missing"), icon=":material/error:")
    render_directory()
    st.stop()
org_code = org.code  # (the callback below runs in a later script run)
staff = current_actor()  # a mediator entering a resident's application at the office PC (issue 22)


def show_result(res: intake.IntakeResult) -> None:
    """Short enough for one phone screen: the browser keeps the form's scroll position."""
    if res.outcome == "linked":
        st.success(t("intake.linked_title"), icon=":material/library_add:")
        st.write(t("intake.linked_body", phone=esc(res.org_phone or "—")))
    else:
        due = res.accept_due.isoformat() if res.accept_due else "—"
        st.success(
            t("intake.done_title") + t("intake.next_step", org=esc(res.org_name), date=due),
            icon=":material/check_circle:",
        )
        st.metric(t("intake.your_code"), res.tracking_code or "")
        st.code(res.tracking_code or "", language=None)
        st.caption(t("intake.keep_code"))
        st.image(qr.qr_png(qr.track_url(res.tracking_code or ""), box_size=6), width=160, caption=t("intake.code_qr"))
        st.page_link(
            spec_for("track").path,
            label=t("intake.go_track"),
            icon=":material/search:",
            width="stretch",
            query_params={"code": res.tracking_code or ""},
        )
        digits = st.session_state.setdefault(
            f"{K}.last4", str(st.session_state.get("intake.applicant_phone", "")).strip()[-4:]
        )
        if res.tracking_code and digits.isdigit() and len(digits) == 4:  # booking a time (预约调解, issue 20)
            trust_resident.track_panel(db, res.tracking_code, digits, receipt=True)
    if st.button(t("intake.another"), key="intake.another", icon=":material/add:", width="stretch"):
        for k in [k for k in st.session_state if str(k).startswith("intake.")]:
            del st.session_state[k]
        forget_token()
        st.rerun()


token = kept_token(f"{K}.token")
result = st.session_state.get(f"{K}.result")
if result is None:  # saved, but the script was stopped before it kept the result; or a new session (form_token)
    with db.read() as s:
        result = intake.find_submission(s, token)
if result is not None:
    show_result(result)
    st.stop()

st.subheader(esc(org.name), anchor=False)
st.caption(" · ".join(esc(x) for x in (org.address, org.phone, org.hours) if x))
st.caption(t("intake.official_host", host=esc(qr.short_url(get_settings().public_base_url))))
if staff is not None and staff.can(P.CASE_CREATE):
    st.info(t("intake.staff_entering"), icon=":material/badge:")

problems: dict[str, tuple[str, dict[str, Any]]] = st.session_state.get(f"{K}.problems", {})


def problem(name: str) -> None:
    if name in problems:
        key, params = problems[name]
        st.error(t(key, **params), icon=":material/error:")


def text(name: str, key: str, label: str, *, optional: bool = False, area: bool = False, **kw: Any) -> None:
    """A text field for form field `name`, with its problem (if any) right under it."""
    widget = st.text_area if area else st.text_input
    widget(t(label) + (t("intake.optional") if optional else ""), key=key, **kw)
    problem(name)


def send() -> None:
    """The submit button's callback (see save_in_callback): the form's values as the person sent them."""
    state = st.session_state.to_dict()  # one read: no rerun can cut in between the fields

    def value(key: str) -> str:
        return str(state.get(key) or "")

    form = IntakeForm(
        org_code=org_code,
        form_token=token,
        applicant_name=value("intake.applicant_name"),
        applicant_phone=value("intake.applicant_phone"),
        applicant_id_number=value("intake.applicant_id"),
        applicant_address=value("intake.applicant_address"),
        description=value("intake.description"),
        category=value("intake.category"),
        place=value("intake.place"),
        request=value("intake.request"),
        respondent_name=value("intake.respondent_name"),
        respondent_phone=value("intake.respondent_phone"),
        respondent_address=value("intake.respondent_address"),
        custom={f.key: state_value(state, f, f"intake.custom.{f.key}") for f in fields},
        photos=[p.getvalue() for p in state.get("intake.photos") or []],
        consent=bool(state.get("intake.consent")),
        publication_consent=bool(state.get("intake.publication_consent")),
        honeypot=value("intake.website"),
    )
    ss = st.session_state
    try:
        outcome = intake.submit_intake(db, form, client=client_id(), staff=staff)
    except IntakeInvalid as err:
        ss[f"{K}.problems"] = problems_by_field(err.problems)
        return
    except DomainError as err:
        if err.key == "error.intake_form_expired":
            renew_token(f"{K}.token")
        raise
    ss.pop(f"{K}.problems", None)
    ss[f"{K}.result"] = outcome  # the script that follows shows it


with st.form("intake.form", border=False, enter_to_submit=False):
    st.markdown("#### " + t("intake.about_you"))
    text("applicant_name", "intake.applicant_name", "intake.applicant_name", autocomplete="name")
    text(
        "applicant_phone",
        "intake.applicant_phone",
        "intake.applicant_phone",
        autocomplete="tel",
        help=t("intake.phone_help"),
    )
    text("applicant_id_number", "intake.applicant_id", "intake.applicant_id", optional=True, autocomplete="off")
    text(
        "applicant_address",
        "intake.applicant_address",
        "intake.applicant_address",
        optional=True,
        autocomplete="street-address",
        help=t("intake.address_help"),
    )
    st.markdown("#### " + t("intake.about_dispute"))
    labels = {c: (en if lang == "en" else zh) for c, zh, en in categories}
    st.selectbox(
        t("intake.category") + t("intake.optional"),
        list(labels),
        index=None,
        key="intake.category",
        format_func=lambda c: labels[c],
        placeholder=t("intake.choose"),
    )
    problem("category")
    text(
        "description",
        "intake.description",
        "intake.description",
        area=True,
        height=160,
        help=t("intake.description_help"),
        placeholder=t("intake.description_placeholder"),
    )
    text("place", "intake.place", "intake.place", optional=True)
    text("request", "intake.request", "intake.request", optional=True, area=True, height=100)
    st.markdown("#### " + t("intake.other_party"))
    st.caption(t("intake.other_party_help"))
    text("respondent_name", "intake.respondent_name", "intake.respondent_name", optional=True)
    text("respondent_phone", "intake.respondent_phone", "intake.respondent_phone", optional=True)
    text("respondent_address", "intake.respondent_address", "intake.respondent_address", optional=True)
    for f in fields:
        field_widget(f, f"intake.custom.{f.key}", lang)
        problem(f"custom.{f.key}")
    upload_files(  # the save reads the files from the session; the service checks them again
        t("intake.photos") + t("intake.optional"),
        types=["jpg", "jpeg", "png", "webp"],
        key="intake.photos",
        help=t("intake.photos_help"),
    )
    problem("photos")
    with st.expander(t("intake.privacy_title"), icon=":material/shield:"):
        st.write(t("intake.privacy_body"))
    st.checkbox(t("intake.consent"), key="intake.consent")
    problem("consent")
    st.checkbox(t("consent.ask"), key="intake.publication_consent", help=t("consent.ask_help"))
    with st.container(height=1, border=False):  # honeypot: out of sight; people leave it empty, bots fill it
        st.text_input(t("intake.honeypot"), key="intake.website", autocomplete="off", label_visibility="collapsed")
    if problems:
        st.error(t("error.intake_invalid", count=len(problems)), icon=":material/error:")
    st.form_submit_button(
        t("intake.submit"),
        type="primary",
        icon=":material/send:",
        width="stretch",
        key="intake.submit",
        on_click=save_in_callback,
        args=(f"{K}.error", send),
    )
show_saved_error(f"{K}.error")
