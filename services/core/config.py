"""One settings object, read from the environment first, then `.streamlit/secrets.toml`."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SECRETS_FILE = ROOT / ".streamlit" / "secrets.toml"
DEFAULT_DB_PATH = ROOT / "data" / "mediation.db"

WEAK_KEYS = frozenset(
    {
        "",
        "some_key",
        "some_signature_key",
        "streamlit_auth_signature_key",
        "secretkey",
        "abcdef",
        "changeme",
        "secret",
        "password",
    }
)
MIN_KEY_BYTES = 32


class ConfigError(RuntimeError):
    """A setting is missing or unsafe; the message says which and how to fix it."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code


def _read_secrets() -> dict[str, object]:
    path = Path(os.environ.get("MEDIATION_SECRETS_FILE", SECRETS_FILE))
    if not path.is_file():
        return {}
    with path.open("rb") as fh:
        return tomllib.load(fh)


@dataclass(frozen=True)
class Settings:
    """Every setting the app reads, with its meaning; see README 'Settings'."""

    database_url: str = field(metadata={"help": "sqlite:///path or postgresql+psycopg://…"})
    public_base_url: str = field(metadata={"help": "Host put into QR codes and links"})
    auth_cookie_key: str = field(repr=False, metadata={"help": "≥32-byte key signing the sign-in cookie"})
    data_key: str = field(repr=False, metadata={"help": "Key for ID-number encryption and blind index"})
    rerun_delay: float = field(default=1.0, metadata={"help": "Seconds to wait before rerun after sign-in/out"})
    session_idle_minutes: int = field(default=30, metadata={"help": "Idle timeout of a staff session"})
    session_absolute_hours: int = field(default=12, metadata={"help": "Absolute lifetime of a staff session"})
    lockout_threshold: int = field(default=5, metadata={"help": "Failed sign-ins before a time-limited lock"})
    lockout_minutes: int = field(default=15, metadata={"help": "Length of a sign-in lock"})
    bcrypt_rounds: int = field(default=12, metadata={"help": "bcrypt cost factor"})
    data_key_previous: tuple[str, ...] = field(
        default=(),
        repr=False,
        metadata={"help": "Earlier DATA_KEYs (comma-separated), still read while `manage.py rotate-data-key` runs"},
    )

    @property
    def data_keys(self) -> list[str]:
        """The current data key first, then the previous ones (for decrypting during a rotation)."""
        return [self.data_key, *(k for k in self.data_key_previous if k != self.data_key)]

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def check_keys(self) -> None:
        """Refuse a missing or weak cookie or data key (CFG-3)."""
        for name, value in (("AUTH_COOKIE_KEY", self.auth_cookie_key), ("DATA_KEY", self.data_key)):
            if value.strip().lower() in WEAK_KEYS:
                raise ConfigError("cfg.E001", f"{name} is missing or a known default; set a random key")
            if len(value.encode()) < MIN_KEY_BYTES:
                raise ConfigError("cfg.E002", f"{name} must be at least {MIN_KEY_BYTES} bytes long")


def load_settings() -> Settings:
    """Build settings from the environment, falling back to `.streamlit/secrets.toml`."""
    secrets = _read_secrets()

    def get(name: str, default: str = "") -> str:
        value = os.environ.get(name)
        if value is None:
            value = str(secrets.get(name, default))
        return value

    db_default = f"sqlite:///{DEFAULT_DB_PATH}"
    return Settings(
        database_url=get("DATABASE_URL", db_default) or db_default,
        public_base_url=get("PUBLIC_BASE_URL", "http://127.0.0.1:8501").rstrip("/"),
        auth_cookie_key=get("AUTH_COOKIE_KEY"),
        data_key=get("DATA_KEY"),
        rerun_delay=float(get("MEDIATION_RERUN_DELAY", "1.0")),
        bcrypt_rounds=int(get("MEDIATION_BCRYPT_ROUNDS", "12")),
        data_key_previous=tuple(k.strip() for k in get("DATA_KEY_PREVIOUS").split(",") if k.strip()),
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (immutable; tests call `get_settings.cache_clear()`)."""
    return load_settings()
