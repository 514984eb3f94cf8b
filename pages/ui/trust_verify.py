"""The facts of an issued document on /verify: its state first, in plain words, then what it is."""

from __future__ import annotations

import streamlit as st

from pages.ui.i18n import t
from services.trust.verify import VerifyView

STATE_ICON = {"valid": ":material/verified:", "superseded": ":material/history:", "revoked": ":material/block:"}


def show_verify_view(view: VerifyView) -> None:
    """State with its date, then kind, organisation, date, case number and the masked parties."""
    label = t(f"verify.state.{view.state}")
    changed = view.changed_on.isoformat() if view.changed_on else ""
    if view.state == "valid":
        st.success(f"**{label}** · {t('verify.valid_note')}", icon=STATE_ICON["valid"])
    elif view.state == "superseded":
        st.warning(f"**{label}** · {t('verify.superseded_note', date=changed)}", icon=STATE_ICON["superseded"])
    else:
        st.error(f"**{label}** · {t('verify.revoked_note', date=changed)}", icon=STATE_ICON["revoked"])
    with st.container(border=True, key="verify.facts"):
        rows = (
            ("verify.code", view.code),
            ("verify.kind", t(f"doc.title.{view.kind}")),
            ("verify.org", view.org_name),
            ("verify.issued_on", view.issued_on.isoformat()),
            ("verify.case_no", view.case_no),
        )
        for key, value in rows:
            st.caption(t(key))
            st.text(value)
        st.caption(t("verify.parties"))
        st.text("；".join(f"{t(f'verify.side.{side}')} {name}" for side, name in view.parties) or "—")
    st.caption(t("verify.privacy"))
