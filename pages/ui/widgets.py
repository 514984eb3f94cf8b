"""Small shared widgets: headers, domain-error display, escaped text, status labels."""

from __future__ import annotations

import logging
import secrets
import traceback
from collections.abc import Callable
from typing import Any, TypeVar

import streamlit as st

from pages.ui.i18n import t
from services.db import is_storage_error
from services.errors import DomainError, StorageProblem

T = TypeVar("T")
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
    """Run the chosen page; an unexpected error becomes a translated message with a reference for the log.

    The log line has the reference, the error's type and its frames, never its message (which may carry data).
    """
    try:
        page.run()
    except DomainError as err:
        show_error(err)
    except Exception as err:
        if is_storage_error(err) or (isinstance(err, OSError) and not isinstance(err, TimeoutError | ConnectionError)):
            show_error(StorageProblem())
            return
        ref = secrets.token_hex(4)
        frames = "".join(traceback.format_list(traceback.extract_tb(err.__traceback__)))
        log.error("unexpected error ref=%s type=%s\n%s", ref, type(err).__name__, frames)
        st.error(t("error.unexpected", ref=ref), icon=":material/error:")


def status_label(status: str) -> str:
    return t(f"status.{status}")


def plain(text: str) -> None:
    """Show user-supplied text as text, never as markdown or HTML."""
    st.text(text)
