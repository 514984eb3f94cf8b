"""Registers (台账): pick one, list its entries with filters, totals and a chart, export, file an entry, QR poster."""

from __future__ import annotations

import streamlit as st

from models.lowcode import FormPhoto
from pages.ui import register_view as view
from pages.ui.case_ui import show_flash
from pages.ui.db import get_db
from pages.ui.form_render import problems_by_field, render_fields
from pages.ui.form_token import next_staff_form, staff_token
from pages.ui.guard import require_page
from pages.ui.i18n import current_language, t
from pages.ui.widgets import attempt, show_error
from services.access.permissions import P
from services.admin.xlsx import XLSX_MIME
from services.core.errors import DomainError
from services.lowcode import register_poster as register_qr
from services.lowcode import register_views, registers
from services.lowcode.fields import FormInvalid

actor = require_page(P.REGISTER_USE)
db = get_db()
lang = current_language()

st.title(t("register.title"), anchor=False)
show_flash()
with db.read() as s:
    regs = {r.code: r for r in registers.list_registers(s)}
    orgs = dict(registers.own_orgs(s, actor=actor))
if not regs:
    st.info(t("register.none"), icon=":material/info:")
    st.stop()
wanted = str(st.query_params.get("f", ""))
code = st.selectbox(
    t("register.pick"),
    list(regs),
    key="registers.pick",
    format_func=lambda c: regs[c].title(lang),
    index=list(regs).index(wanted) if wanted in regs else 0,
)
reg = regs[code or next(iter(regs))]
tab_list, tab_add, tab_qr = st.tabs([t("register.tab_list"), t("register.tab_add"), t("register.tab_qr")])

with tab_list:
    with db.read() as s:
        fields = register_views.all_fields(s, reg)
    query = view.filters(fields, orgs)
    with db.read() as s:
        rows = attempt(lambda: register_views.list_entries(s, actor=actor, code=reg.code, query=query, lang=lang))
    if rows is not None:
        view.show_totals(fields, register_views.totals(fields, rows))
        if rows:
            view.chart(fields, rows)
            view.table(fields, rows)

            def photos(entry_id: int) -> list[FormPhoto] | None:
                with db.read() as s:
                    return attempt(lambda: registers.entry_photos(s, actor=actor, entry_id=entry_id))

            view.entry_detail(fields, rows, photos)
        else:
            st.caption(t("register.no_entries"))

        def export() -> bytes:
            with db.read() as s:
                return register_views.export_entries(s, actor=actor, code=reg.code, query=query, lang=lang)

        st.download_button(
            t("register.export"),
            data=export,
            file_name=f"{reg.code}.xlsx",
            mime=XLSX_MIME,
            key="registers.export",
            icon=":material/download:",
            width="stretch",
            on_click="ignore",
        )

with tab_add:
    prefix = f"registers.v.{reg.code}"
    form = f"register.{reg.code}"
    token = staff_token(form)
    with db.read() as s:
        saved = attempt(lambda: registers.staff_entry(s, actor=actor, token=token))
    if saved is not None:  # say what was saved instead of the form: a second tap reaches nothing
        st.success(t("register.saved", reference=registers.reference(saved.id or 0)), icon=":material/check_circle:")
        if st.button(t("register.next"), key="registers.next", type="primary", icon=":material/add:", width="stretch"):
            next_staff_form(form, prefix + ".")
            st.rerun()
    else:
        org_id = st.selectbox(
            t("register.org"),
            list(orgs),
            key="registers.add_org",
            format_func=lambda o: orgs[o],
            index=list(orgs).index(actor.org_id) if actor.org_id in orgs else 0,
        )
        problems = st.session_state.get(f"{prefix}.problems", {})
        values = render_fields(reg.fields, prefix=prefix, lang=lang, problems=problems)
        if st.button(t("register.save"), key="registers.save", type="primary", icon=":material/save:", width="stretch"):
            try:
                with db.write() as s:
                    registers.add_entry(s, actor=actor, code=reg.code, values=values, org_id=org_id, token=token)
            except FormInvalid as err:
                st.session_state[f"{prefix}.problems"] = problems_by_field(err.problems)
                st.rerun()
            except DomainError as err:
                show_error(err)
            else:
                st.session_state.pop(f"{prefix}.problems", None)
                st.rerun()  # the next run finds the entry by the token and says so

with tab_qr:
    if not reg.spec.public:
        st.info(t("register.not_public"), icon=":material/lock:")
    else:
        with db.read() as s:
            org_codes = registers.org_codes(s, actor=actor)
        qr_org = st.selectbox(t("register.qr_org"), list(orgs), key="registers.qr_org", format_func=lambda o: orgs[o])
        url = registers.register_url(reg.code, org_codes.get(qr_org or 0, ""))
        st.caption(t("register.qr_url"))
        st.text(url)
        poster = attempt(lambda: register_qr.register_poster_png(reg.title("zh-CN"), orgs.get(qr_org or 0, ""), url))
        if poster is not None:
            st.image(poster, width="stretch")
            st.download_button(
                t("register.poster"),
                data=poster,
                file_name=f"{reg.code}.png",
                mime="image/png",
                key="registers.poster",
                icon=":material/qr_code_2:",
                width="stretch",
                on_click="ignore",
            )
