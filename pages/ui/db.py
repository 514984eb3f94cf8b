"""The engine cache: one Database per process (thread-safe; holds no user data), migrated on first use."""

from __future__ import annotations

import streamlit as st

from services.bootstrap import ensure_reference_data
from services.config import get_settings
from services.db import Database, make_database
from services.migrate import upgrade


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
