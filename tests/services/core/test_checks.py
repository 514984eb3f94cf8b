from __future__ import annotations

from dataclasses import replace
from datetime import time

import pytest

from pages import nav
from services.core import checks
from services.core.config import ENV_FIELDS, get_settings


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


def test_describe_settings_shows_every_setting_and_hides_secrets():
    settings = replace(
        get_settings(), database_url="postgresql+psycopg://app:hunter2@db:5432/mediation", demo_password="pw-Zq81"
    )
    lines = checks.describe_settings(settings)
    assert [line.split(" = ")[0] for line in lines] == [f.metadata["env"] for f in ENV_FIELDS]
    text = "\n".join(lines)
    for secret in (settings.auth_cookie_key, settings.data_key, "hunter2", "pw-Zq81"):
        assert secret not in text
    assert "AUTH_COOKIE_KEY = set" in text and "MEDIATION_PASSWORD = unset" in text and "DEMO_PASSWORD = set" in text
    assert "DUTY_DAY_START = 08:30 (default)" in text and "app:***@db" in text


def test_check_settings_reports_unreadable_value_and_empty_duty_day(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("MEDIATION_WEBHOOK_TIMEOUT", "abc")
    get_settings.cache_clear()
    [problem] = checks.check_settings()
    assert problem.startswith("cfg.E005: MEDIATION_WEBHOOK_TIMEOUT='abc'")
    monkeypatch.delenv("MEDIATION_WEBHOOK_TIMEOUT")
    get_settings.cache_clear()
    late = replace(get_settings(), duty_day_start=time(18, 0))
    assert {p.split(":")[0] for p in checks.check_settings(late)} == {"cfg.E006"}
