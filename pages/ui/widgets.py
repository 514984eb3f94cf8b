"""Small shared widgets: headers, domain-error display, escaped text, status labels."""

from __future__ import annotations

import logging
import secrets
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import streamlit as st

from pages.ui.i18n import t
from services.core.db import is_storage_error
from services.core.errors import DomainError, StorageProblem
from services.core.text import escape_markdown

if TYPE_CHECKING:
    from streamlit.runtime.uploaded_file_manager import UploadedFile

T = TypeVar("T")
UPLOAD_LIMIT_MB = 10  # the app's limit per file; the browser may send more (server.maxUploadSize) so we say why
BadgeColor = Literal["red", "orange", "yellow", "blue", "green", "violet", "gray", "grey", "primary"]
log = logging.getLogger("mediation.app")


def page_title(key: str, **params: object) -> None:
    st.title(t(key, **params))


def show_error(err: DomainError) -> None:
    st.error(t(err.key, **err.params), icon=":material/error:")


def attempt(action: Callable[[], T]) -> T | None:
    """Run a service call; a domain error becomes a translated message and None (nothing half-written)."""
    try:
        return action()
    except DomainError as err:
        show_error(err)
    except OSError:
        show_error(StorageProblem())
    except Exception as err:  # a driver error outside Database.write(): storage failures read as such
        if not is_storage_error(err):
            raise
        show_error(StorageProblem())
    return None


def run_page(page: Any) -> None:
    """Run the chosen page; an unexpected error becomes a translated message with a reference for the log."""
    try:
        page.run()
    except Exception as err:
        report(err)


def report(err: Exception) -> None:
    """A translated message for any error: its own for a domain or storage error, else a reference for the log.

    The log line has the reference, the error's type and its frames, never its message (which may carry data).
    """
    if isinstance(err, DomainError):
        show_error(err)
    elif is_storage_error(err) or (isinstance(err, OSError) and not isinstance(err, TimeoutError | ConnectionError)):
        show_error(StorageProblem())
    else:
        ref = secrets.token_hex(4)
        frames = "".join(traceback.format_list(traceback.extract_tb(err.__traceback__)))
        log.error("unexpected error ref=%s type=%s\n%s", ref, type(err).__name__, frames)
        st.error(t("error.unexpected", ref=ref), icon=":material/error:")


def save_in_callback(key: str, action: Callable[[], None]) -> None:
    """Run a form's save as its button's on_click callback, and keep any error under `key` for the page.

    A rerun that arrives while a click is handled (a second tap, a component's value) stops the script at its
    next session-state access or element, and the new run has no click in it. A callback runs before the script
    body, and `action` should read the form once with `st.session_state.to_dict()` (no rerun check) before it
    saves: the save then happens or not as a whole.
    What it keeps in the session afterwards can still be cut off, so pages find their result from the database
    too (pages/ui/form_token.py). `show_saved_error` shows the error in the page."""
    try:
        action()
    except Exception as err:  # shown (and logged) by the page body, like run_page would
        st.session_state[key] = err


def show_saved_error(key: str) -> None:
    """The error `save_in_callback` kept, shown once, where the page shows its messages."""
    err = st.session_state.pop(key, None)
    if isinstance(err, Exception):
        report(err)


def status_label(status: str) -> str:
    return t(f"status.{status}")


def plain(text: str) -> None:
    """Show user-supplied text as text, never as markdown or HTML."""
    st.text(text)


def _type_names(types: Sequence[str]) -> str:
    return "、".join(dict.fromkeys(("JPG" if x.lower() == "jpeg" else x.upper()) for x in types))


def upload_files(
    label: str,
    *,
    types: Sequence[str],
    key: str,
    max_mb: int = UPLOAD_LIMIT_MB,
    multiple: bool = True,
    help: str | None = None,
) -> list[UploadedFile]:
    """A file uploader with its accepted types and size limit in a caption; a refused file gets a reason in words.

    Streamlit is given no type or size limit (its refusal is an English text, on a phone only a red icon): each
    file is checked here and one that does not fit is left out, with a message naming it and why.
    """
    files: list[UploadedFile]
    if multiple:
        files = st.file_uploader(label, accept_multiple_files=True, key=key, help=help) or []
    else:
        one = st.file_uploader(label, key=key, help=help)
        files = [one] if one is not None else []
    caption = "ui.upload_hint" if types else "ui.upload_hint_any"
    st.caption(t(caption, types=_type_names(types), mb=max_mb))
    allowed = {x.lower().lstrip(".") for x in types}
    accepted: list[UploadedFile] = []
    for f in files:
        name = escape_markdown(f.name)
        if allowed and Path(f.name).suffix.lower().lstrip(".") not in allowed:
            st.error(t("ui.upload_refused_type", name=name, types=_type_names(types)), icon=":material/block:")
        elif f.size > max_mb * 1024 * 1024:
            st.error(t("ui.upload_refused_size", name=name, mb=max_mb), icon=":material/block:")
        else:
            accepted.append(f)
    return accepted


def upload_file(
    label: str, *, types: Sequence[str], key: str, max_mb: int = UPLOAD_LIMIT_MB, help: str | None = None
) -> UploadedFile | None:
    """One file (see upload_files); None when there is none or it was refused."""
    files = upload_files(label, types=types, key=key, max_mb=max_mb, multiple=False, help=help)
    return files[0] if files else None
