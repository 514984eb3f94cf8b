"""Legacy ledger import: download the template, upload xlsx or csv, see every bad row, then import all or none."""

from __future__ import annotations

import hashlib

import streamlit as st

from pages.ui.db import get_db
from pages.ui.guard import require_page
from pages.ui.i18n import current_language, t
from pages.ui.widgets import attempt, show_error, upload_file
from services.access.permissions import P
from services.core.errors import DomainError
from services.legacy_import import format as import_format
from services.legacy_import import load as importer

PREVIEW_ROWS = 5
actor = require_page(P.CASE_CREATE)
db = get_db()
lang = current_language()

st.title(t("import.title"))
st.caption(t("import.intro"))
st.download_button(
    t("import.template"),
    data=import_format.template_xlsx(lang),
    file_name=t("import.template_file"),
    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    icon=":material/download:",
    width="stretch",
    key="import_cases.template",
    on_click="ignore",
)
upload = upload_file(t("import.file"), types=["xlsx", "csv"], key="import_cases.file", max_mb=20)
if upload is None:
    st.stop()

data, filename = upload.getvalue(), upload.name
digest = hashlib.sha256(data).hexdigest()
state_key = f"import_cases.preview.{digest}"
if state_key not in st.session_state:
    with db.read() as s, st.spinner(t("import.checking")):
        st.session_state[state_key] = attempt(lambda: importer.validate(s, actor=actor, filename=filename, data=data))
preview = st.session_state[state_key]
if preview is None:
    st.stop()

c1, c2 = st.columns(2)
c1.metric(t("import.rows"), f"{preview.total:,}")
c2.metric(t("import.errors"), f"{len(preview.errors):,}")
if preview.unknown_columns:
    st.caption(t("import.unknown_columns", columns="、".join(preview.unknown_columns)))


def messages(items: list[importer.RowError]) -> list[dict[str, object]]:
    return [
        {
            t("import.col_row"): e.row or "—",
            t("import.col_column"): _column(e.column),
            t("import.col_problem"): t(e.key, **e.params),
            t("import.col_value"): e.value,
        }
        for e in items
    ]


def _column(alias: str) -> str:
    col = import_format.BY_ALIAS.get(alias)
    return "—" if col is None else (col.alias if lang == "en" else col.zh)


if preview.errors:
    st.error(t("import.has_errors", count=len(preview.errors)), icon=":material/error:")
    st.dataframe(messages(preview.errors[:500]), hide_index=True, width="stretch", key="import_cases.errors")
if preview.warnings:
    with st.expander(t("import.warnings", count=len(preview.warnings)), icon=":material/info:"):
        st.dataframe(messages(preview.warnings[:500]), hide_index=True, width="stretch", key="import_cases.warnings")
if preview.rows:
    st.markdown(f"**{t('import.sample')}**")
    st.dataframe(
        [
            {
                t("import.col_row"): p.line,
                import_format.BY_ALIAS["case_no"].zh: p.case_no or t("import.auto_no"),
                import_format.BY_ALIAS["received_on"].zh: p.received_on.isoformat(),
                import_format.BY_ALIAS["org_code"].zh: p.org[1],
                import_format.BY_ALIAS["status"].zh: p.status,
            }
            for p in preview.rows[:PREVIEW_ROWS]
        ],
        hide_index=True,
        width="stretch",
        key="import_cases.sample",
    )

if st.button(
    t("import.commit", count=preview.total),
    type="primary",
    icon=":material/upload:",
    width="stretch",
    disabled=not preview.ok,
    key="import_cases.commit",
):
    st.session_state.pop(state_key, None)
    try:
        with db.write() as s, st.spinner(t("import.importing")):  # one transaction: every row or none
            result = importer.import_cases(s, actor=actor, filename=upload.name, data=data, checked=preview)
    except DomainError as err:
        show_error(err)
    else:
        st.success(t("import.done", count=result.imported, seconds=f"{result.seconds:.1f}"), icon=":material/check:")
