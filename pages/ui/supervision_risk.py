"""The risk colour chip with its reason, the response clocks and the 会商 form (case page), the workbench chip."""

from __future__ import annotations

from datetime import datetime, time
from functools import partial
from typing import Any

import streamlit as st

from models.base import utc_now
from pages.ui.case_ui import flash, write
from pages.ui.db import get_db
from pages.ui.form_token import next_staff_form, staff_token
from pages.ui.i18n import current_language, t
from pages.ui.supervision_chip import COLOURS, level_label
from services.access.authz import Actor
from services.access.permissions import P
from services.core.clock import LOCAL_TZ, format_local, local_now, today
from services.supervision import response, risk


def _clock_line(name: str, due: datetime | None, done: datetime | None) -> str:
    status = response.clock_status(due, done, utc_now())
    when = format_local(done if status == "done" else due)
    return t(f"risk.clock.{name}.{status}", when=when)


def panel(detail: Any, actor: Actor) -> None:
    """Under the case header: the colour with its reason, who owns it, the two clocks, and 会商 for a red case."""
    case_id = int(detail.case.id)
    with get_db().read() as s:
        view = response.risk_view(s, actor=actor, case_id=case_id)
        why = risk.describe(s, view.reasons, current_language())
    if view.level not in COLOURS:
        return
    with st.container(border=True, key="risk.panel"):
        st.markdown(f"**{t('risk.title')}**")
        st.text(t("risk.because", level=level_label(view.level), why=why))
        lines = [t("risk.owner", owner=t(f"risk.owner.{view.owner_level}"))]
        if view.is_open:
            lines += [_clock_line("contact", view.contact_due, view.contact_at)]
            lines += [_clock_line("plan", view.plan_due, view.plan_at)]
        st.text("\n".join(lines))
        if view.is_open:
            _response_buttons(case_id, view, actor)
        if view.needs_consultation:
            st.warning(t("risk.consultation_needed"), icon=":material/groups:")
        for c, who in view.consultations:
            st.caption(t("risk.consultation_line", at=format_local(c.held_at), who=who or "—"))
            st.text(
                f"{t('risk.consultation_participants')}：{c.participants}\n{t('risk.consultation_decision')}：{c.decision}"
            )
        if view.level == "red" and actor.can(P.SUPERVISE):
            _consultation_form(case_id, actor)


def _response_buttons(case_id: int, view: response.RiskView, actor: Actor) -> None:
    if not (actor.can(P.CASE_MEDIATE) or actor.can(P.CASE_ACCEPT) or actor.can(P.SUPERVISE)):
        return
    row = st.container(horizontal=True, gap="small")
    for step, done in (("contact", view.contact_at), ("plan", view.plan_at)):
        tapped = done is None and row.button(
            t(f"risk.mark_{step}"), key=f"risk.mark_{step}", icon=":material/task_alt:", width="stretch"
        )
        if tapped and write(partial(response.record_response, actor=actor, case_id=case_id, step=step)) is not None:
            flash("risk.marked")
            st.rerun()


def _consultation_form(case_id: int, actor: Actor) -> None:
    with st.expander(t("risk.consultation_add"), icon=":material/groups:"), st.form("risk.consultation"):
        now = local_now()
        day = st.date_input(t("risk.consultation_day"), value=today(), max_value=today(), key="risk.c_day")
        at = st.time_input(t("risk.consultation_time"), value=time(now.hour, now.minute), key="risk.c_time")
        who = st.text_area(t("risk.consultation_participants"), max_chars=500, key="risk.c_who")
        what = st.text_area(t("risk.consultation_decision"), max_chars=2000, key="risk.c_what")
        token = staff_token("risk.consultation")
        if not st.form_submit_button(t("risk.consultation_save"), type="primary", width="stretch"):
            return
    held = datetime.combine(day, at, LOCAL_TZ)
    done = write(
        partial(
            response.record_consultation,
            actor=actor,
            case_id=case_id,
            held_at=held,
            participants=who,
            decision=what,
            form_token=token,
        )
    )
    if done is not None:
        next_staff_form("risk.consultation", "risk.c_")
        flash("risk.consultation_saved")
        st.rerun()
