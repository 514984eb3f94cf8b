"""CFG-1 (production values in .streamlit/config.toml) and CFG-3 (secret hygiene, weak keys refused)."""

from __future__ import annotations

import subprocess
import tomllib
from pathlib import Path

import pytest

from services.core.config import ConfigError, Settings

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
    assert isinstance(server["maxUploadSize"], int) and 0 < server["maxUploadSize"] <= 10
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
