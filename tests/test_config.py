"""CFG-1 (production values in .streamlit/config.toml) and CFG-3 (secret hygiene, weak keys refused)."""

from __future__ import annotations

import re
import subprocess
import tomllib
from dataclasses import MISSING
from datetime import time
from pathlib import Path

import pytest

from pages.ui.streamlit_texts import SERVER_UPLOAD_LIMIT_MB
from services.core.config import (
    ENV_FIELDS,
    FIELD_TYPES,
    PARSERS,
    ConfigError,
    Limit,
    Settings,
    child_process_env,
    keys_from_environment,
    load_settings,
)

ROOT = Path(__file__).resolve().parent.parent
CONFIG_TOML = ROOT / ".streamlit" / "config.toml"
GOOD_KEY = "kq7Vn3rT0pXw9LmZ2sYcB8dF4hJ6gA1e"  # 32 random-looking ASCII bytes

WEAK_KEYS = ["", "some_key", "some_signature_key", "streamlit_auth_signature_key", "secretkey", "abcdef"]


@pytest.fixture(scope="module")
def config() -> dict[str, dict[str, object]]:
    with CONFIG_TOML.open("rb") as fh:
        return tomllib.load(fh)


def test_configure_server_for_production(config: dict[str, dict[str, object]]) -> None:
    server = config["server"]
    assert server["headless"] is True
    assert server["address"] == "127.0.0.1"
    assert server["port"] == 8501
    assert server["enableXsrfProtection"] is True
    assert server["enableCORS"] is True
    # above every limit the app checks itself (so a refused file gets a Chinese reason, never the browser's)
    assert server["maxUploadSize"] == SERVER_UPLOAD_LIMIT_MB
    assert isinstance(server["maxMessageSize"], int) and 0 < server["maxMessageSize"] <= 50
    assert server["enableStaticServing"] is False
    assert server["runOnSave"] is False
    assert server["fileWatcherType"] == "none"
    assert "cookieSecret" not in server, "cookieSecret comes from the environment, never from the repository"


def test_configure_browser_and_client_for_production(config: dict[str, dict[str, object]]) -> None:
    assert config["browser"]["gatherUsageStats"] is False
    assert config["browser"]["serverAddress"], "browser.serverAddress must be set (no checkip lookup)"
    assert config["client"]["showErrorDetails"] in ("none", False)
    assert config["client"]["toolbarMode"] in ("viewer", "minimal")


def test_keep_secrets_out_of_git() -> None:
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    leaked = [
        f
        for f in files
        if Path(f).name in ("secrets.toml", "config.yaml")
        or f.endswith((".db", ".db-wal", ".db-shm", ".sqlite", ".sqlite3"))
    ]
    assert leaked == []


def _settings(cookie_key: str, data_key: str = GOOD_KEY) -> Settings:
    return Settings(
        database_url="sqlite:///:memory:",
        public_base_url="http://127.0.0.1:8501",
        auth_cookie_key=cookie_key,
        data_key=data_key,
    )


@pytest.mark.parametrize("weak", WEAK_KEYS)
def test_refuse_weak_cookie_key(weak: str) -> None:
    with pytest.raises(ConfigError) as err:
        _settings(weak).check_keys()
    assert "AUTH_COOKIE_KEY" in str(err.value)


@pytest.mark.parametrize("weak", WEAK_KEYS)
def test_refuse_weak_data_key(weak: str) -> None:
    with pytest.raises(ConfigError) as err:
        _settings(GOOD_KEY, data_key=weak).check_keys()
    assert "DATA_KEY" in str(err.value)


def test_refuse_key_shorter_than_32_bytes() -> None:
    short = GOOD_KEY[:31]
    assert len(short.encode()) == 31
    with pytest.raises(ConfigError) as err:
        _settings(short).check_keys()
    assert "32" in str(err.value)


def test_accept_strong_keys() -> None:
    assert len(GOOD_KEY.encode()) >= 32
    _settings(GOOD_KEY, data_key=GOOD_KEY[::-1]).check_keys()  # does not raise


# --- One settings object: every variable declared once, documented, read in one module ----------------------

ENV_READERS = re.compile(r"\bos\.environ\b|\bgetenv\b|\benviron\.get\b|\bfrom os import\b[^\n]*\benviron\b")


def _readme_settings() -> set[str]:
    section = (ROOT / "README.md").read_text(encoding="utf-8").split("## Settings", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([A-Z][A-Z0-9_]*)` \|", section, flags=re.MULTILINE))


def test_document_every_setting_in_readme() -> None:
    declared = [f.metadata["env"] for f in ENV_FIELDS]
    assert len(declared) == len(set(declared)), "a variable is declared twice"
    assert _readme_settings() == set(declared)


def test_read_environment_only_in_config() -> None:
    files = [ROOT / "app.py", ROOT / "serve.py", ROOT / "manage.py"]
    for folder in ("services", "pages", "cli"):
        files += sorted((ROOT / folder).rglob("*.py"))
    readers = {
        str(path.relative_to(ROOT))
        for path in files
        if path.is_file() and ENV_READERS.search(path.read_text(encoding="utf-8"))
    }
    assert readers == {"services/core/config.py"}


def test_declare_every_setting_with_type_default_and_help() -> None:
    for f in ENV_FIELDS:
        assert f.metadata["help"], f.name
        assert FIELD_TYPES[f.name] in PARSERS, f"{f.name}: no parser for {FIELD_TYPES[f.name]}"
        assert f.default is not MISSING, f.name


def test_load_settings_parses_each_type_once() -> None:
    settings = load_settings(
        {
            "MEDIATION_SECRETS_FILE": "/nonexistent/secrets.toml",
            "PUBLIC_BASE_URL": "https://mediation.example.cn/",
            "DUTY_DAY_START": "09:00",
            "MEDIATION_INTAKE_CLIENT_LIMIT": "7/60",
            "PARTY_LINK_DAYS": "30",
            "MEDIATION_WEBHOOK_ALLOW_LOCAL": "1",
            "MEDIATION_WEBHOOK_TIMEOUT": "2.5",
            "DATA_KEY_PREVIOUS": "a, b,",
            "DEMO_PASSWORD": "",
        }
    )
    assert settings.public_base_url == "https://mediation.example.cn"
    assert settings.duty_day_start == time(9, 0) and settings.duty_day_end == time(17, 30)
    assert settings.intake_client_limit == Limit(7, 60)
    assert settings.party_link_days == 30 and settings.webhook_allow_local is True
    assert settings.webhook_timeout == 2.5 and settings.data_key_previous == ("a", "b")
    assert settings.demo_password is None and settings.create_user_password is None


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("MEDIATION_WEBHOOK_TIMEOUT", "abc"),
        ("DUTY_DAY_START", "25:00"),
        ("MEDIATION_INTAKE_ORG_LIMIT", "x/y"),
        ("MEDIATION_REGISTER_CLIENT_LIMIT", "0/600"),
        ("PARTY_LINK_DAYS", "-1"),
        ("MEDIATION_WEBHOOK_ALLOW_LOCAL", "yes please"),
        ("MEDIATION_INTAKE_MIN_SECONDS", "-3"),
    ],
)
def test_refuse_bad_value_at_load_naming_the_variable(name: str, value: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_settings({"MEDIATION_SECRETS_FILE": "/nonexistent/secrets.toml", name: value})
    assert err.value.code == "cfg.E005" and name in str(err.value)


def test_read_secrets_file_after_environment(tmp_path: Path) -> None:
    secrets_file = tmp_path / "secrets.toml"
    secrets_file.write_text('DATA_KEY = "from-file"\nPARTY_LINK_DAYS = 20\nDUTY_DAY_END = "18:00"\n')
    settings = load_settings({"MEDIATION_SECRETS_FILE": str(secrets_file), "DUTY_DAY_END": "19:00"})
    assert settings.data_key == "from-file" and settings.party_link_days == 20
    assert settings.duty_day_end == time(19, 0)
    assert settings.secrets_file == str(secrets_file)


def test_keys_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTH_COOKIE_KEY", GOOD_KEY)
    monkeypatch.setenv("DATA_KEY", GOOD_KEY)
    assert keys_from_environment()
    monkeypatch.delenv("DATA_KEY")
    assert not keys_from_environment()


def test_child_process_env_keeps_only_what_is_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATA_KEY", GOOD_KEY)
    assert child_process_env(PGPASSWORD="pw")["DATA_KEY"] == GOOD_KEY
    env = child_process_env(keep=("PATH",), HOME="/tmp/x")
    assert "DATA_KEY" not in env and env["HOME"] == "/tmp/x" and env["PATH"]
