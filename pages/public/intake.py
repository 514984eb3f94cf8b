"""Public intake (/intake?org=CODE): file a dispute on a phone without an account; then the tracking code."""

from __future__ import annotations

from typing import Any

import streamlit as st

from pages.nav import spec_for
from pages.public.intake_directory import render_directory
from pages.ui.auth import client_id
from pages.ui.db import get_db
from pages.ui.form_render import field_widget
from pages.ui.i18n import current_language, t
from pages.ui.widgets import show_error
from services import intake, qr
from services.config import get_settings
from services.errors import DomainError
from services.intake_form import IntakeForm, IntakeInvalid, escape_markdown, issue_form_token

db = get_db()
lang = current_language()
esc = escape_markdown
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


def show_result(res: intake.IntakeResult) -> None:
    """Short enough for one phone screen: the browser keeps the form's scroll position."""
    if res.outcome == "linked":
        st.success(t("intake.linked_title"), icon=":material/library_add:")
        st.write(t("intake.linked_body", phone=esc(res.org_phone or "—")))
    else:
        due = res.accept_due.isoformat() if res.accept_due else "—"
        st.success(t("intake.done_title") + t("intake.next_step", org=esc(res.org_name), date=due),
                   icon=":material/check_circle:")
        st.metric(t("intake.your_code"), res.tracking_code or "")
        st.code(res.tracking_code or "", language=None)
        st.caption(t("intake.keep_code"))
        st.image(qr.qr_png(qr.track_url(res.tracking_code or ""), box_size=6), width=160, caption=t("intake.code_qr"))
        st.page_link(spec_for("track").path, label=t("intake.go_track"), icon=":material/search:", width="stretch",
                     query_params={"code": res.tracking_code or ""})
    if st.button(t("intake.another"), key="intake.another", icon=":material/add:", width="stretch"):
        for k in [k for k in st.session_state if str(k).startswith("intake.")]:
            del st.session_state[k]
        st.rerun()


result = st.session_state.get(f"{K}.result")
if result is not None:
    show_result(result)
    st.stop()

st.subheader(esc(org.name), anchor=False)
st.caption(" · ".join(esc(x) for x in (org.address, org.phone, org.hours) if x))
st.caption(t("intake.official_host", host=esc(qr.short_url(get_settings().public_base_url))))

token = st.session_state.setdefault(f"{K}.token", issue_form_token())
problems: dict[str, tuple[str, dict[str, Any]]] = st.session_state.get(f"{K}.problems", {})


def problem(name: str) -> None:
    if name in problems:
        key, params = problems[name]
        st.error(t(key, **params), icon=":material/error:")


def text(name: str, key: str, label: str, *, optional: bool = False, area: bool = False, **kw: Any) -> str:
    """A text field for form field `name`, with its problem (if any) right under it."""
    widget = st.text_area if area else st.text_input
    value = str(widget(t(label) + (t("intake.optional") if optional else ""), key=key, **kw))
    problem(name)
    return value


with st.form("intake.form", border=False, enter_to_submit=False):
    st.markdown("#### " + t("intake.about_you"))
    name = text("applicant_name", "intake.applicant_name", "intake.applicant_name", autocomplete="name")
    phone = text("applicant_phone", "intake.applicant_phone", "intake.applicant_phone", autocomplete="tel",
                 help=t("intake.phone_help"))
    id_number = text("applicant_id_number", "intake.applicant_id", "intake.applicant_id", optional=True,
                     autocomplete="off")
    st.markdown("#### " + t("intake.about_dispute"))
    labels = {c: (en if lang == "en" else zh) for c, zh, en in categories}
    category = st.selectbox(t("intake.category") + t("intake.optional"), list(labels), index=None,
                            key="intake.category", format_func=lambda c: labels[c], placeholder=t("intake.choose"))
    problem("category")
    description = text("description", "intake.description", "intake.description", area=True, height=160,
                       help=t("intake.description_help"), placeholder=t("intake.description_placeholder"))
    place = text("place", "intake.place", "intake.place", optional=True)
    request = text("request", "intake.request", "intake.request", optional=True, area=True, height=100)
    st.markdown("#### " + t("intake.other_party"))
    st.caption(t("intake.other_party_help"))
    r_name = text("respondent_name", "intake.respondent_name", "intake.respondent_name", optional=True)
    r_phone = text("respondent_phone", "intake.respondent_phone", "intake.respondent_phone", optional=True)
    r_address = text("respondent_address", "intake.respondent_address", "intake.respondent_address", optional=True)
    custom: dict[str, Any] = {}
    for f in fields:
        custom[f.key] = field_widget(f, f"intake.custom.{f.key}", lang)
        problem(f"custom.{f.key}")
    photos = st.file_uploader(t("intake.photos") + t("intake.optional"), type=["jpg", "jpeg", "png", "webp"],
                              accept_multiple_files=True, key="intake.photos", max_upload_size=10,
                              help=t("intake.photos_help"))
    problem("photos")
    with st.expander(t("intake.privacy_title"), icon=":material/shield:"):
        st.write(t("intake.privacy_body"))
    consent = st.checkbox(t("intake.consent"), key="intake.consent")
    problem("consent")
    with st.container(height=1, border=False):  # honeypot: out of sight; people leave it empty, bots fill it
        honeypot = st.text_input(t("intake.honeypot"), key="intake.website", autocomplete="off",
                                 label_visibility="collapsed")
    if problems:
        st.error(t("error.intake_invalid", count=len(problems)), icon=":material/error:")
    submitted = st.form_submit_button(t("intake.submit"), type="primary", icon=":material/send:", width="stretch",
                                      key="intake.submit")

if submitted:
    form = IntakeForm(org_code=org.code, form_token=token, applicant_name=name, applicant_phone=phone,
                      applicant_id_number=id_number, description=description, category=category or "",
                      place=place, request=request, respondent_name=r_name, respondent_phone=r_phone,
                      respondent_address=r_address, custom=custom, photos=[p.getvalue() for p in photos or []],
                      consent=consent, honeypot=honeypot)
    try:
        outcome = intake.submit_intake(db, form, client=client_id())
    except IntakeInvalid as err:
        found: dict[str, tuple[str, dict[str, Any]]] = {}
        for p in err.problems:
            found.setdefault(p.field, (p.key, p.params))
        st.session_state[f"{K}.problems"] = found
        st.rerun()
    except DomainError as err:
        if err.key == "error.intake_form_expired":
            st.session_state[f"{K}.token"] = issue_form_token()
        show_error(err)
    else:
        st.session_state.pop(f"{K}.problems", None)
        st.session_state[f"{K}.result"] = outcome
        st.rerun()
