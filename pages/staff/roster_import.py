"""Roster import: download the template, upload a filled workbook, see every row error, then import it all at once."""

from __future__ import annotations

import hashlib

import streamlit as st

from pages.ui.admin_table import md
from pages.ui.db import get_db
from pages.ui.guard import require_page
from pages.ui.i18n import t
from pages.ui.widgets import attempt, upload_file
from services.admin import xlsx as xlsx_io
from services.roster.import_access import IMPORT_PERMISSION

actor = require_page(IMPORT_PERMISSION)
db = get_db()
STATE = "roster_import.state"  # (file digest, parsed rows, preview) of the uploaded workbook
SHOWN = 200

st.title(t("roster_import.title"))
st.caption(t("roster_import.help"))
st.download_button(
    t("roster_import.template"),
    data=xlsx_io.template_bytes,
    file_name="调解组织与调解员导入模板.xlsx",
    mime=xlsx_io.XLSX_MIME,
    key="roster_import.template",
    on_click="ignore",
    icon=":material/download:",
    width="stretch",
)
upload = upload_file(
    t("roster_import.upload"), types=["xlsx"], key="roster_import.file", max_mb=xlsx_io.MAX_BYTES // (1024 * 1024)
)
if upload is None:
    st.session_state.pop(STATE, None)
    st.stop()

data = upload.getvalue()
digest = hashlib.sha256(data).hexdigest()
state = st.session_state.get(STATE)
if state is None or state[0] != digest:
    bar = st.progress(0.0, text=t("roster_import.reading"))

    def progress(stage: str, done: int, total: int) -> None:
        bar.progress(min(1.0, done / max(total, 1)), text=t("roster_import.reading_rows", done=done, total=total))

    def read_and_check() -> tuple[object, xlsx_io.ImportPreview]:
        with db.read() as s:
            parsed = xlsx_io.read_import(s, actor=actor, data=data, progress=progress)
            return parsed, xlsx_io.preview_import(s, actor=actor, data=parsed)

    result = attempt(read_and_check)
    bar.empty()
    if result is None:
        st.stop()
    state = (digest, *result)
    st.session_state[STATE] = state
_, parsed, preview = state

c1, c2 = st.columns(2)
c1.metric(t("roster_import.orgs"), preview.orgs)
c2.metric(t("roster_import.mediators"), preview.mediators)
if preview.updates:  # rows that mean mediators already on the roster update them
    st.info(
        t("roster_import.updates", new=preview.mediators - preview.updates, n=preview.updates), icon=":material/sync:"
    )
if preview.errors:
    rows = len({(e.sheet, e.row) for e in preview.errors})
    st.error(t("roster_import.has_errors", rows=rows, count=len(preview.errors)), icon=":material/error:")
    with st.container(border=True, key="roster_import-errors"):
        for e in preview.errors[:SHOWN]:
            st.markdown(
                f"**{md(t('roster_import.where', sheet=e.sheet, row=e.row, column=e.column))}**  \n"
                f"{md(t(e.key, **e.params))}"
            )
        if len(preview.errors) > SHOWN:
            st.caption(t("roster_import.more", count=len(preview.errors) - SHOWN))
    st.stop()

st.success(t("roster_import.ready"), icon=":material/task_alt:")
if st.button(
    t("roster_import.commit", orgs=preview.orgs, mediators=preview.mediators),
    key="roster_import.commit",
    type="primary",
    icon=":material/upload:",
    width="stretch",
):

    def commit() -> tuple[int, int]:
        with db.write() as s:  # one transaction: every row or none
            return xlsx_io.commit_import(s, actor=actor, data=parsed)  # type: ignore[arg-type]

    with st.spinner(t("roster_import.writing")):
        done = attempt(commit)
    if done is not None:
        st.session_state.pop(STATE, None)
        st.success(t("roster_import.done", orgs=done[0], mediators=done[1]), icon=":material/check_circle:")
