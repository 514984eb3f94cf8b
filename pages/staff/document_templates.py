"""Document templates: see which template each document uses, download it, upload a replacement, revert."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from models import Organisation
from pages.ui.db import get_db
from pages.ui.guard import require_page
from pages.ui.i18n import t
from pages.ui.widgets import attempt, upload_file
from services.access.permissions import P
from services.access.scope import actor_area
from services.core.clock import format_local_date
from services.documents import office_templates as documents_store
from services.documents.kinds import KINDS, kind_of

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
FLASH = "templates.flash"
actor = require_page(P.LOWCODE_EDIT)
db = get_db()
st.title(t("templates.title"))
st.caption(t("templates.intro"))
if flash := st.session_state.pop(FLASH, None):
    st.success(flash, icon=":material/check_circle:")


def _load() -> tuple[Organisation, list[documents_store.TemplateSource], tuple[str, bytes]]:
    with db.read() as s:
        area = actor_area(s, actor=actor)
        sources = documents_store.list_templates(s, actor=actor)
        shipped = documents_store.template_file(s, actor=actor, kind=kind, shipped=True)
    return area, sources, shipped


def _write(action: Callable[..., object], message: str) -> None:
    """Run a change in one short write transaction; on success say so after the rerun."""

    def run() -> object:
        with db.write() as s:
            return action(s)

    if (result := attempt(run)) is not None:
        st.session_state[FLASH] = t(message, version=getattr(result, "version", ""))
        st.rerun()


kind = (
    st.selectbox(
        t("templates.kind"),
        options=[k.key for k in KINDS],
        key="templates.kind",
        format_func=lambda k: t(f"documents.kind.{k}"),
    )
    or KINDS[0].key
)
loaded = attempt(_load)
if loaded is None:
    st.stop()
area, sources, (shipped_name, shipped_bytes) = loaded
source = next(s for s in sources if s.kind == kind)
st.text(t("templates.applies_to", org=area.name))
if source.shipped:
    st.info(t("templates.shipped"), icon=":material/inventory_2:")
else:
    day = format_local_date(source.uploaded_at)
    st.info(t("templates.office_in_use"), icon=":material/edit_document:")
    st.text(t("templates.office", org=source.org_name, version=source.version, who=source.uploaded_by, day=day))

st.download_button(
    t("templates.download_current"),
    data=source.content,
    file_name=f"template_{kind}.docx",
    mime=DOCX,
    key="templates.download_current",
    on_click="ignore",
    width="stretch",
    icon=":material/download:",
)
if not source.shipped:
    st.download_button(
        t("templates.download_shipped"),
        data=shipped_bytes,
        file_name=shipped_name,
        mime=DOCX,
        key="templates.download_shipped",
        on_click="ignore",
        width="stretch",
        icon=":material/restore_page:",
    )

with st.expander(t("templates.placeholders"), icon=":material/data_object:"):
    st.text(t("templates.loop_hint"))
    spec = kind_of(kind)
    st.dataframe(
        [
            {t("templates.col_placeholder"): "{{" + n + "}}", t("templates.col_meaning"): t(f"documents.ph.{n}")}
            for n in sorted(spec.names if spec else [])
        ],
        hide_index=True,
        width="stretch",
    )

with st.form("templates.upload_form", clear_on_submit=True, border=True):
    upload = upload_file(
        t("templates.upload"),
        types=["docx"],
        key="templates.file",
        max_mb=documents_store.MAX_TEMPLATE_BYTES // (1024 * 1024),
    )
    note = st.text_input(t("templates.note"), key="templates.note", max_chars=200)
    submitted = st.form_submit_button(
        t("templates.submit"), type="primary", width="stretch", icon=":material/upload_file:"
    )
if submitted and upload is None:
    st.warning(t("templates.need_file"), icon=":material/attach_file:")
elif submitted and upload is not None:
    name, content = upload.name, upload.getvalue()
    _write(
        lambda s: documents_store.upload_template(s, actor=actor, kind=kind, filename=name, content=content, note=note),
        "templates.uploaded",
    )

if (
    not source.shipped
    and source.org_id == area.id
    and st.button(t("templates.revert"), key="templates.revert", width="stretch", icon=":material/undo:")
):
    _write(lambda s: documents_store.revert_template(s, actor=actor, kind=kind), "templates.reverted")
