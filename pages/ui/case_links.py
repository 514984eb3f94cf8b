"""The case page's section for the case's own pages and papers: one tap each.

The documents the case has now download straight away as Word files (generated and audited only when tapped);
links open the documents page, the party links and the online sessions of this case, each shown only when
`CaseDetail.links` says the actor may use it now (services/cases/view.py decides: permission and case state).
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from pages.nav import spec_for
from pages.ui.db import get_db
from pages.ui.documents import choice_label
from pages.ui.i18n import t
from pages.ui.widgets import attempt
from services.access.authz import Actor
from services.cases.view import CaseDetail
from services.core.db import Database
from services.documents import catalog as documents
from services.documents.catalog import DocumentChoice

# link name → (page key, extra query parameters, label key, icon)
LINKS: dict[str, tuple[str, dict[str, str], str, str]] = {
    "party_links": ("party_links", {}, "case_links.party_links", ":material/add_link:"),
    "online": ("party_links", {"show": "online"}, "case_links.online", ":material/video_call:"),
}


def _generator(db: Database, actor: Actor, case_id: int, key: str) -> Callable[[], bytes]:
    """The bytes of one document, made when the person taps (never on a plain page load)."""

    def make() -> bytes:
        return documents.generate_document(db, actor=actor, case_id=case_id, key=key, fmt="docx").content

    return make


def _downloads(detail: CaseDetail, actor: Actor) -> None:
    case_id = detail.case.id or 0
    db = get_db()
    docs = attempt(lambda: documents.list_documents(db, actor=actor, case_id=case_id))
    current = documents.current_documents(docs) if docs is not None else []
    if not current:
        st.caption(t("case_links.none_yet"))
        return
    st.caption(t("case_links.documents_help"))
    for choice in current:
        _download(db, actor, detail.case.case_no, case_id, choice)


def _download(db: Database, actor: Actor, case_no: str, case_id: int, choice: DocumentChoice) -> None:
    st.download_button(
        choice_label(choice),
        data=_generator(db, actor, case_id, choice.key),
        file_name=documents.file_name(case_no, choice),
        mime=documents.MIME["zip" if choice.is_zip else "docx"],
        on_click="ignore",
        key=f"case_links.download.{choice.key}",
        icon=":material/download:",
        width="stretch",
    )


def render(detail: CaseDetail, actor: Actor) -> None:
    """The case's documents (one tap each) and links to its documents page, party links and online sessions."""
    if not detail.links:
        return
    case_id = str(detail.case.id or 0)
    st.subheader(t("case_links.title"), anchor=False)
    if "documents" in detail.links:
        _downloads(detail, actor)
        st.page_link(
            spec_for("documents").path,
            label=t("case_links.all_documents"),
            icon=":material/description:",
            query_params={"case": case_id},
            width="stretch",
        )
    for name, (page, extra, label, icon) in LINKS.items():
        if name in detail.links:
            st.page_link(
                spec_for(page).path, label=t(label), icon=icon, query_params={"case": case_id, **extra}, width="stretch"
            )
