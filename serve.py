"""Start the server: app.py inside an st.App, with the light public pages, compression and the dispatcher.

    python serve.py [streamlit options, e.g. --server.port 8501 --server.address 127.0.0.1]

`streamlit run serve.py` finds the `app` below (an st.App) and serves it with uvicorn; Streamlit 1.67's st.App
runs on Starlette and takes extra middleware and a lifespan:
* `web.wire.Compress`: gzip (brotli if installed) for text responses, Streamlit's uncompressed static bundles
  included; the hashed, immutable ones are compressed once and kept in memory (they already carry a year-long
  `immutable` Cache-Control, so a repeat visit re-downloads almost nothing).
* `web.public.LightPublic`: /intake and /track as plain server-rendered HTML for residents (no Streamlit front
  end), through the same intake services; staff (signed in) and `?ui=full` get the full Streamlit pages. Staff
  sign in on the light /signin, which sets the sign-in cookie from the server; a staff page loaded without a live
  session is sent there first.
* the lifespan starts the background dispatcher (robot messages, reminders) with the server and stops it with
  the server, instead of at the first page view.

Legacy `pages/` folder routing is switched off: Streamlit 1.67 sees the `pages/` package beside app.py and
routes the first script run of a fresh process through its legacy folder router, which does not know our
st.navigation pages (the first visitor of /workbench would get "Page not found"). The flag is process-wide.
"""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import streamlit as st
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from streamlit.runtime.pages_manager import PagesManager
from streamlit.web import cli

from services.core import logs as applog
from services.core.config import ConfigError, get_settings
from services.core.db import Database
from services.notify.outbox import Dispatcher
from web.public import LightPublic
from web.wire import Compress

ROOT = Path(__file__).resolve().parent
APP = ROOT / "app.py"
log = logging.getLogger("mediation.serve")
PagesManager.uses_pages_directory = False


def _start_dispatcher() -> Dispatcher | None:
    """The process's dispatcher (pages.ui.inbox_nav), started now; a database that cannot be opened yet is
    reported by the first page instead, and the dispatcher then starts with that page."""
    from pages.ui.inbox_nav import start_dispatcher

    try:
        dispatcher = start_dispatcher()
    except Exception:
        log.exception("background dispatcher not started with the server")
        return None
    log.info("background dispatcher started with the server (worker %s)", dispatcher.worker)
    return dispatcher


@asynccontextmanager
async def lifespan(_app: Any) -> AsyncIterator[None]:
    dispatcher = await run_in_threadpool(_start_dispatcher)
    try:
        yield None
    finally:
        if dispatcher is not None:
            dispatcher.stop()


def _database() -> Database:
    from pages.ui.db import get_db  # imported at the first request: the Streamlit runtime exists by then

    return get_db()


@functools.cache
def _staff_paths() -> frozenset[str]:
    from pages.nav import staff_url_paths  # the page registry: plain data, imported at the first request

    return frozenset(staff_url_paths())


@functools.cache
def _page_paths() -> frozenset[str]:
    from pages.nav import PAGES

    return frozenset(p.url_path for p in PAGES)


def middleware() -> list[Middleware]:
    """Outermost first: compression wraps the light pages, which wrap Streamlit's own stack."""
    return [
        Middleware(Compress),
        Middleware(LightPublic, get_db=_database, staff_paths=_staff_paths, page_paths=_page_paths),
    ]


if __name__ != "__main__":  # imported by uvicorn as serve:app (`streamlit run serve.py` finds it by name)
    app = st.App(str(APP), lifespan=lifespan, middleware=middleware())

if __name__ == "__main__":
    applog.configure()  # the app's own INFO lines in the server log beside Streamlit's
    try:
        get_settings()  # a bad value stops the start here, naming the variable
    except ConfigError as err:
        sys.exit(f"refusing to start: {err}")
    sys.argv = ["streamlit", "run", str(Path(__file__).resolve()), *sys.argv[1:]]
    sys.exit(cli.main())
