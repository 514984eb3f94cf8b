"""The documents of one case, for the case page or the documents page: generate, then download.

`render_documents(case_id, actor)` lists every document the case has (or will have, with the reason it
is not ready) with what it is for, generates one on request — DOCX, PDF when the server can make PDFs, or a
ZIP — and then offers it for download. Only the last generated file is kept in this browser session.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from pages.ui.db import get_db
from pages.ui.i18n import t
from pages.ui.widgets import attempt
from services.access.authz import Actor
from services.documents import catalog as documents
from services.documents.catalog import CaseDocuments, DocumentChoice, GeneratedFile

PREPARED = "documents.prepared"
FORMATS = ("docx", "pdf")


@dataclass(frozen=True)
class Prepared:
    case_id: int
    key: str
    fmt: str
    file: GeneratedFile


def choice_label(choice: DocumentChoice) -> str:
    label = t(f"documents.kind.{choice.kind}")
    if choice.number is not None:
        label = t("documents.numbered", label=label, n=choice.number)
    return t("documents.dated", label=label, day=choice.day.isoformat()) if choice.day else label


def _format(docs: CaseDocuments) -> str:
    if not docs.pdf_available:
        st.info(t("documents.docx_only"), icon=":material/info:")
        return "docx"
    picked = st.segmented_control(
        t("documents.format"),
        options=list(FORMATS),
        default="docx",
        format_func=lambda f: t(f"documents.format_{f}"),
        key=f"documents.format.{docs.case_id}",
    )
    return picked or "docx"


def _prepare(actor: Actor, case_id: int, choice: DocumentChoice, fmt: str) -> None:
    with st.spinner(t("documents.preparing")):
        result = attempt(
            lambda: documents.generate_document(get_db(), actor=actor, case_id=case_id, key=choice.key, fmt=fmt)
        )
    if result is not None:
        st.session_state[PREPARED] = Prepared(case_id, choice.key, fmt, result)


def _row(actor: Actor, case_id: int, choice: DocumentChoice, fmt: str) -> None:
    kind = "zip" if choice.is_zip else fmt
    with st.container(border=True):
        icon = ":material/lock:" if choice.full_pii else ":material/description:"
        st.markdown(f"{icon} **{choice_label(choice)}**")
        st.caption(t(f"documents.purpose.{choice.kind}"))
        if not choice.available:
            st.caption(t(choice.reason or ""))
            return
        key = f"{case_id}.{choice.key}"
        if st.button(
            t(f"documents.prepare_{kind}"), key=f"documents.prepare.{key}", width="stretch", icon=":material/note_add:"
        ):
            _prepare(actor, case_id, choice, kind if kind != "zip" else "docx")
        ready = st.session_state.get(PREPARED)
        if isinstance(ready, Prepared) and (ready.case_id, ready.key, ready.fmt) == (case_id, choice.key, fmt):
            st.text(t("documents.ready", name=ready.file.filename))
            st.download_button(
                t(f"documents.download_{kind}"),
                data=ready.file.content,
                file_name=ready.file.filename,
                mime=ready.file.mime,
                on_click="ignore",
                key=f"documents.download.{key}",
                type="primary",
                width="stretch",
                icon=":material/download:",
            )


def render_documents(case_id: int, actor: Actor, *, show_case: bool = False) -> None:
    """The documents section of a case; refusals show as a message (and are audited by the service)."""
    docs = attempt(lambda: documents.list_documents(get_db(), actor=actor, case_id=case_id))
    if docs is None:
        return
    if show_case:  # on its own page, under the page title
        st.caption(t("documents.case_heading", case_no=docs.case_no, status=t(f"status.{docs.status}")))
    else:
        st.subheader(t("documents.title"), anchor=False)
    fmt = _format(docs)
    if any(c.full_pii and c.available for c in docs.choices):
        st.caption(t("documents.audit_note"))
    for choice in docs.choices:
        _row(actor, docs.case_id, choice, "docx" if choice.is_zip else fmt)
