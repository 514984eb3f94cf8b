from __future__ import annotations

from dataclasses import replace

import pytest

from pages import nav
from services.core import checks
from services.core.config import get_settings


def test_run_checks_clean_tree():
    assert checks.run_checks() == []
    assert nav.check_registry() == []


def test_check_pages_reports_broken_spec(monkeypatch: pytest.MonkeyPatch):
    broken = replace(
        nav.PAGES[1],
        key="broken",
        file="staff/nope.py",
        url_path=nav.PAGES[0].url_path,
        permission="no.such",
        title_key="nav.nope",
    )
    monkeypatch.setattr(nav, "PAGES", (*nav.PAGES, broken))
    ids = {p.split(":")[0] for p in nav.check_registry()}
    assert ids == {"nav.E001", "nav.E003", "nav.E004", "nav.E005"}


def test_check_settings_reports_weak_key_and_bad_url():
    bad = replace(get_settings(), auth_cookie_key="some_key", database_url="mysql://x/y", public_base_url="ftp:/x")
    ids = {p.split(":")[0] for p in checks.check_settings(bad)}
    assert ids == {"cfg.E001", "cfg.E003", "cfg.E004"}
