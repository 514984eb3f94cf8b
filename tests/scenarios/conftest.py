"""The scenario suite: a day of real use. The service half runs on every engine (the `db` fixture); the browser
half uses the e2e suite's live demo server and phone-sized Chromium, and is skipped, like tests/e2e, without it."""

from __future__ import annotations

from pathlib import Path

import pytest

from scripts.screenshots import CHROMIUM
from tests.e2e.conftest import (  # noqa: F401 - the browser fixtures, shared with tests/e2e
    NO_CHROMIUM,
    browser_context_args,
    browser_type_launch_args,
    live_server,
    shot,
)

BROWSER_FILES = {"test_field_day_browser.py"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if Path(str(item.path)).name in BROWSER_FILES:
            item.add_marker(pytest.mark.e2e)
            if not CHROMIUM.exists():
                item.add_marker(pytest.mark.skip(reason=NO_CHROMIUM))
