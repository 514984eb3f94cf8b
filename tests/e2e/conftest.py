"""Browser tests: Debian's Chromium through pytest-playwright, at phone size, against a live server.

Every test here is marked `e2e` and runs after the rest of the suite. Without /usr/bin/chromium the
whole package is skipped with the reason (`make test-deps` installs it as root).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

from scripts.screenshots import (
    APP,
    CHROMIUM,
    CHROMIUM_ARGS,
    PHONE_CONTEXT,
    LiveServer,
    free_port,
    save_screenshot,
    start_live_server,
    start_streamlit,
)

E2E_DIR = Path(__file__).resolve().parent
NO_CHROMIUM = f"{CHROMIUM} not found: run `make test-deps` as root (apt-get install -y chromium fonts-noto-cjk)"


def _is_e2e(item: pytest.Item) -> bool:
    return E2E_DIR in Path(str(item.path)).resolve().parents


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark tests/e2e as `e2e`, skip them without Chromium, and run them last (fast failures first)."""
    browser_items = [item for item in items if _is_e2e(item)]
    for item in browser_items:
        item.add_marker(pytest.mark.e2e)
        if not CHROMIUM.exists():
            item.add_marker(pytest.mark.skip(reason=NO_CHROMIUM))
    items[:] = [item for item in items if not _is_e2e(item)] + browser_items


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM), "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_context_args, **PHONE_CONTEXT}


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The app on a free loopback port over a migrated SQLite database seeded with 300 demo cases."""
    if not APP.exists():
        pytest.skip("app.py missing")
    server = start_live_server(tmp_path_factory.mktemp("live"), cases=300, seed=7)
    yield server
    server.stop()


@pytest.fixture
def fresh_server(live_server: LiveServer, tmp_path: Path) -> Iterator[LiveServer]:
    """A second, just-started server over the same database: no visitor has opened any page yet."""
    port = free_port()
    env = {**live_server.env, "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}"}
    server = start_streamlit(env, port, tmp_path / "fresh.log")
    yield server
    server.stop()


@pytest.fixture
def shot() -> Callable[[Page, str], Path]:
    """shot(page, name): assert no horizontal scroll, save artifacts/screenshots/<name>.png, return the path."""
    return save_screenshot
