"""Small shared widgets: headers, domain-error display, escaped text, status labels."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import streamlit as st

from pages.ui.i18n import t
from services.db import is_storage_error
from services.errors import DomainError, StorageProblem

T = TypeVar("T")


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


def status_label(status: str) -> str:
    return t(f"status.{status}")


def plain(text: str) -> None:
    """Show user-supplied text as text, never as markdown or HTML."""
    st.text(text)
