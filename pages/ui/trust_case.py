"""The case page's trust section (issue 20): recusal requests (declare, decide), appointments (confirm, propose
another time, record the outcome) and the documents issued under verification codes (revoke)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial

import streamlit as st

from pages.ui.case_ui import flash
from pages.ui.db import get_db
from pages.ui.i18n import t
from pages.ui.widgets import attempt
from services.access.authz import Actor
from services.access.permissions import P
from services.cases import states
from services.cases.view import CaseDetail
from services.core.clock import format_local
from services.trust import appointments, recusal, verify
from services.trust.recusal import RecusalRow


def run(action: Callable[[], object]) -> bool:
    """Run a service call through `attempt`; True when it went through (its message shown otherwise)."""
    return attempt(lambda: (action(), True)[1]) is not None


def decide_form(row: RecusalRow, actor: Actor, key: str) -> None:
    """Grant (pick the new mediator) or refuse one pending request."""
    db = get_db()
    options: list[tuple[int, str]] = attempt(lambda: recusal.candidates(db, actor=actor, request_id=row.id)) or []
    names: dict[int, str] = dict(options)
    with st.form(f"{key}.decide.{row.id}", border=False):
        new = st.selectbox(
            t("recusal.new_mediator"), list(names), format_func=lambda i: names.get(i, ""), key=f"{key}.new.{row.id}"
        )
        note = st.text_input(t("recusal.note"), key=f"{key}.note.{row.id}", max_chars=200)
        left, right = st.columns(2)
        grant = left.form_submit_button(t("recusal.grant"), type="primary", icon=":material/swap_horiz:")
        refuse = right.form_submit_button(t("recusal.refuse"), icon=":material/block:")
    decide = partial(recusal.decide, db, actor=actor, request_id=row.id, grant=grant, new_mediator_id=new, note=note)
    if (grant or refuse) and run(decide):
        flash("recusal.decided")
        st.rerun()


def request_line(row: RecusalRow) -> str:
    return t(
        "recusal.row",
        source=t(f"recusal.source.{row.source}"),
        mediator=row.mediator_name,
        date=format_local(row.created_at),
        status=t(f"recusal.state.{row.status}"),
    )


def _recusals(d: CaseDetail, actor: Actor) -> None:
    db = get_db()
    case_id = d.case.id or 0
    rows = attempt(lambda: recusal.case_requests(db, actor=actor, case_id=case_id)) or []
    for row in rows:
        st.caption(request_line(row))
        st.text(row.reason)
        if row.status == "pending" and actor.can(P.RECUSAL_DECIDE):
            decide_form(row, actor, "case.recusal")
    open_case = d.case.status in states.OPEN and d.case.mediator_id is not None
    if open_case and actor.can(P.CASE_MEDIATE) and not any(r.status == "pending" for r in rows):
        with st.form("case.recusal.declare", border=False):
            reason = st.text_input(t("recusal.reason"), key="case.recusal.reason", max_chars=500)
            sent = st.form_submit_button(t("recusal.declare"), icon=":material/person_remove:")
        if sent and run(lambda: recusal.request_by_mediator(db, actor=actor, case_id=case_id, reason=reason)):
            flash("recusal.sent")
            st.rerun()


def _appointments(d: CaseDetail, actor: Actor) -> None:
    db = get_db()
    case_id = d.case.id or 0
    rows = attempt(lambda: appointments.case_appointments(db, actor=actor, case_id=case_id)) or []
    if not rows:
        return
    st.markdown(f"**{t('appointment.case_title')}**")
    with db.read() as s:
        slots = [x for x in appointments.list_slots(s, org_id=d.case.org_id) if x.free > 0][:40]
    for a in rows[:5]:
        st.text(t("appointment.line", when=format_local(a.slot_start), status=t(f"appointment.status.{a.status}")))
        if a.status not in ("requested", "confirmed") or not actor.can(P.CASE_MEDIATE):
            continue
        cols = st.columns(3)
        if a.status == "requested" and cols[0].button(t("appointment.confirm"), key=f"case.appt.ok.{a.id}"):
            _act(partial(appointments.confirm, db, actor=actor, appointment_id=a.id))
        if cols[1].button(t("appointment.done"), key=f"case.appt.done.{a.id}"):
            _act(partial(appointments.record_outcome, db, actor=actor, appointment_id=a.id, outcome="done"))
        if cols[2].button(t("appointment.no_show"), key=f"case.appt.noshow.{a.id}"):
            _act(partial(appointments.record_outcome, db, actor=actor, appointment_id=a.id, outcome="no_show"))
        if slots:
            with st.form(f"case.appt.move.{a.id}", border=False):
                new = st.selectbox(
                    t("appointment.propose"),
                    [x.start for x in slots],
                    format_func=format_local,
                    key=f"case.appt.to.{a.id}",
                )
                if st.form_submit_button(t("appointment.propose_submit"), icon=":material/event_repeat:"):
                    _act(partial(_propose, a.id, new, actor))


def _propose(appointment_id: int, when: datetime | None, actor: Actor) -> None:
    if when is not None:
        appointments.propose(get_db(), actor=actor, appointment_id=appointment_id, new_start=when)


def _act(action: Callable[[], object]) -> None:
    if run(action):
        st.rerun()


def _issues(d: CaseDetail, actor: Actor) -> None:
    db = get_db()
    case_id = d.case.id or 0
    rows = attempt(lambda: verify.case_issues(db, actor=actor, case_id=case_id)) or []
    if not rows:
        return
    st.markdown(f"**{t('trust.issues_title')}**")
    for row in rows[:12]:
        st.text(
            t(
                "trust.issue_line",
                kind=t(f"doc.title.{row.kind}"),
                code=row.code,
                date=format_local(row.issued_at),
                state=t(f"verify.state.{row.state}"),
            )
        )
        if row.state == "valid" and actor.can(P.DOCUMENT_REVOKE):
            with st.popover(t("trust.revoke"), icon=":material/block:"), st.form(f"case.revoke.{row.id}", border=False):
                reason = st.text_input(t("trust.revoke_reason"), key=f"case.revoke.reason.{row.id}", max_chars=200)
                if st.form_submit_button(t("trust.revoke"), type="primary") and run(
                    partial(verify.revoke_issue, db, actor=actor, issue_id=row.id, reason=reason)
                ):
                    flash("trust.revoked")
                    st.rerun()


def render(d: CaseDetail, actor: Actor) -> None:
    """Recusal, appointments and issued documents of the case, in one collapsed section."""
    with st.expander(t("trust.case_section"), icon=":material/verified_user:"):
        _recusals(d, actor)
        _appointments(d, actor)
        _issues(d, actor)
