"""The engine cache: one Database per process (thread-safe; holds no user data), migrated on first use."""

from __future__ import annotations

import streamlit as st

from pages.ui.i18n import t
from services.core.bootstrap import ensure_reference_data
from services.core.config import get_settings
from services.core.db import Database, is_storage_error, make_database
from services.core.errors import StorageProblem
from services.core.migrate import upgrade


@st.cache_resource(show_spinner=False)
def _database(url: str) -> Database:
    upgrade(url)
    db = make_database(url)
    with db.write() as s:
        ensure_reference_data(s)
    return db


def get_db() -> Database:
    """The process-wide database for the configured DATABASE_URL."""
    return _database(get_settings().database_url)


def require_db() -> Database:
    """get_db(), or the translated storage message and a stop when the database cannot even be prepared."""
    try:
        return get_db()
    except StorageProblem:
        pass
    except OSError:  # the database's folder cannot be made or opened (a volume not mounted, a full disk)
        pass
    except Exception as err:  # migrations and reference data run outside Database.write()'s translation
        if not is_storage_error(err):
            raise
    st.error(t("error.storage"), icon=":material/storage:")
    st.stop()
    raise AssertionError("unreachable")  # st.stop() raises
