"""The case page's supervision part (one call from pages/staff/case.py): the risk panel, the person's other
disputes, and the supervision orders with what the actor may do on them."""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from typing import Any, Literal

import streamlit as st

from pages.ui import supervision_risk
from pages.ui.case_ui import flash, open_case, write
from pages.ui.db import get_db
from pages.ui.form_token import next_staff_form, staff_token
from pages.ui.i18n import current_language, t
from pages.ui.widgets import upload_files
from services.access.authz import Actor
from services.access.permissions import P
from services.cases.sessions import FileInput
from services.core import clock
from services.core.clock import format_local
from services.lowcode import dictionaries
from services.supervision import desk, orders, person
from services.supervision.desk import OrderView, Step

Colour = Literal["red", "orange", "yellow", "blue", "green", "violet", "gray", "grey", "primary"]
STATE_COLOURS: dict[str, Colour] = {
    "watching": "blue",
    "near": "orange",
    "overdue": "red",
    "delist_requested": "violet",
    "delisted": "gray",
}
FILE_TYPES = ["jpg", "jpeg", "png", "webp", "pdf"]


def render(detail: Any, actor: Actor) -> None:
    """Risk, the same person's other disputes, and supervision, below the case header."""
    supervision_risk.panel(detail, actor)
    case_id = int(detail.case.id)
    lang = current_language()
    with get_db().read() as s:
        others = person.person_disputes(s, actor=actor, case_id=case_id)
        views = desk.case_orders(s, actor=actor, case_id=case_id, lang=lang)
        reasons = dictionaries.labels(s, orders.DICTIONARY, lang)
        active_reasons = dictionaries.active_codes(s, orders.DICTIONARY)
    _person(others)
    if views or actor.can(P.SUPERVISE):
        st.subheader(t("supervision.case_title"), anchor=False)
    for v in views:
        _order(v, actor)
    active = any(v.row.state != "delisted" for v in views)
    if actor.can(P.SUPERVISE) and not active and detail.case.status in ("submitted", "accepted", "in_mediation"):
        _open_form(case_id, actor, active_reasons, reasons)


def _person(others: list[person.OtherCase]) -> None:
    if not others:
        return
    with st.expander(t("person.title", n=len(others)), icon=":material/person_search:"):
        st.caption(t("person.caption"))
        for o in others:
            row = st.container(horizontal=True, gap="small", vertical_alignment="center")
            day = clock.format_local_date(o.received_at)
            row.text(f"{o.case_no} · {t(f'status.{o.status}')} · {o.org_name} · {day}")
            if row.button(t("person.open"), key=f"person.open.{o.id}", icon=":material/open_in_new:"):
                open_case(o.id)


def _open_form(case_id: int, actor: Actor, codes: list[str], words: dict[str, str]) -> None:
    with st.expander(t("supervision.open"), icon=":material/flag:"), st.form("sup.open"):
        reason = st.selectbox(t("supervision.reason"), codes, key="sup.o_reason", format_func=lambda c: words.get(c, c))
        deadline = st.date_input(
            t("supervision.deadline"),
            value=clock.today() + timedelta(days=15),
            min_value=clock.today(),
            key="sup.o_deadline",
        )
        every = st.number_input(t("supervision.every"), min_value=1, max_value=90, value=7, key="sup.o_every")
        note = st.text_area(t("supervision.note"), max_chars=1000, key="sup.o_note")
        token = staff_token("sup.open")
        if not st.form_submit_button(t("supervision.open_save"), type="primary", width="stretch"):
            return
    done = write(
        partial(
            orders.open_order,
            actor=actor,
            case_id=case_id,
            reason=reason,
            deadline=deadline,
            note=note,
            report_every_days=int(every),
            form_token=token,
        )
    )
    if done is not None:
        next_staff_form("sup.open", "sup.o_")
        flash("supervision.opened")
        st.rerun()


def _step_line(step: Step) -> str:
    head = t(f"supervision.step.{step.kind}", files=step.files, deadline=str(step.new_deadline or ""))
    status = t(f"supervision.request.{step.status}") if step.status else ""
    return " · ".join(x for x in (head, status) if x)


def _order(v: OrderView, actor: Actor) -> None:
    r = v.row
    with st.container(border=True, key=f"sup.order.{r.id}"):
        badges = st.container(horizontal=True, gap="small")
        badges.badge(t(f"supervision.state.{r.state}"), icon=":material/flag:", color=STATE_COLOURS[r.state])
        badges.badge(r.reason, color="gray")
        lines = [
            t("supervision.line.handler", org=r.handling_org),
            t("supervision.line.supervisor", org=r.supervisor_org),
            t("supervision.line.deadline", day=r.deadline.isoformat()),
        ]
        if r.state != "delisted":
            lines.append(t("supervision.line.report_due", day=r.report_due.isoformat()))
        st.text("\n".join(lines))
        if v.note:
            st.text(v.note)
        for step in v.steps:
            st.caption(f"{format_local(step.at)} · {step.by or '—'}")
            st.text(_step_line(step) + (f"\n{step.text}" if step.text else ""))
            if step.decision_reason:
                st.text(t("supervision.decision_reason", who=step.decided_by or "—", reason=step.decision_reason))
        if v.can_report:
            _handler_forms(r.id, actor)
        for step in v.steps:
            allowed = v.can_decide_delist if step.kind == "delist" else v.can_decide_extend
            if step.status == "pending" and step.kind in orders.KINDS and allowed:
                _decide(step, actor)


def _handler_forms(order_id: int, actor: Actor) -> None:
    with st.expander(t("supervision.report"), icon=":material/edit_note:"), st.form(f"sup.report.{order_id}"):
        text = st.text_area(t("supervision.report_text"), max_chars=2000, key=f"sup.r_text.{order_id}")
        files = upload_files(t("supervision.report_files"), types=FILE_TYPES, key=f"sup.r_files.{order_id}")
        token = staff_token(f"sup.report.{order_id}")
        if st.form_submit_button(t("supervision.report_save"), type="primary", width="stretch"):
            raw = [FileInput(f.name, f.getvalue()) for f in files]
            act = partial(orders.file_report, actor=actor, order_id=order_id, text=text, files=raw, form_token=token)
            if write(act) is not None:
                next_staff_form(f"sup.report.{order_id}", f"sup.r_text.{order_id}", f"sup.r_files.{order_id}")
                flash("supervision.reported")
                st.rerun()
    with st.expander(t("supervision.ask_delist"), icon=":material/outlined_flag:"), st.form(f"sup.delist.{order_id}"):
        why = st.text_area(t("supervision.ask_reason"), max_chars=1000, key=f"sup.d_why.{order_id}")
        if st.form_submit_button(t("supervision.ask_delist_save"), width="stretch"):
            delist = partial(orders.request_change, actor=actor, order_id=order_id, kind="delist", reason=why)
            if write(delist) is not None:
                flash("supervision.asked")
                st.rerun()
    with st.expander(t("supervision.ask_extend"), icon=":material/more_time:"), st.form(f"sup.extend.{order_id}"):
        day = st.date_input(t("supervision.new_deadline"), value=None, key=f"sup.e_day.{order_id}")
        why = st.text_area(t("supervision.ask_reason"), max_chars=1000, key=f"sup.e_why.{order_id}")
        if st.form_submit_button(t("supervision.ask_extend_save"), width="stretch"):
            extend = partial(
                orders.request_change, actor=actor, order_id=order_id, kind="extend", reason=why, new_deadline=day
            )
            if write(extend) is not None:
                flash("supervision.asked")
                st.rerun()


def _decide(step: Step, actor: Actor) -> None:
    rid = step.request_id
    with st.container(border=True, key=f"sup.decide.{rid}"):
        st.text(t(f"supervision.decide.{step.kind}"))
        why = st.text_input(t("supervision.decide_reason"), max_chars=1000, key=f"sup.q_why.{rid}")
        row = st.container(horizontal=True, gap="small")
        for approve, label in ((True, "supervision.approve"), (False, "supervision.refuse")):
            kind: Literal["primary", "secondary"] = "primary" if approve else "secondary"
            if row.button(t(label), key=f"sup.q_{'yes' if approve else 'no'}.{rid}", type=kind, width="stretch"):
                act = partial(orders.decide_request, actor=actor, request_id=rid, approve=approve, reason=why)
                if write(act) is not None:
                    flash("supervision.decided")
                    st.rerun()
