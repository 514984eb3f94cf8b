"""One settings object, read from the environment first, then `.streamlit/secrets.toml`.

Every environment variable the app reads is one field of `Settings` (variable, type, default, help), parsed and
checked once when the settings load: a bad value stops the start with the variable's name. No other module reads
the environment (tests/test_config.py checks it); a child process gets its environment from `child_process_env`.
"""

from __future__ import annotations

import ipaddress
import math
import os
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields
from datetime import time
from functools import lru_cache
from pathlib import Path
from typing import Any, get_type_hints

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


@dataclass(frozen=True)
class Limit:
    """At most `max_hits` per `window_s` seconds; a setting writes it "hits/seconds", e.g. "5/600"."""

    max_hits: int
    window_s: int

    @classmethod
    def parse(cls, text: str) -> Limit:
        """'5/600' → Limit(5, 600); ValueError for anything else."""
        hits, window = (int(part) for part in text.split("/"))
        if hits <= 0 or window <= 0:
            raise ValueError(text)
        return cls(hits, window)

    def __str__(self) -> str:
        return f"{self.max_hits}/{self.window_s}"


def variable(name: str, help: str, *, clean: Callable[[str], str] = str) -> dict[str, Any]:
    """Metadata of a Settings field read from the variable `name`; `clean` tidies its text before parsing.

    A field declared with `repr=False` is a secret: never printed, only shown as set or unset."""
    return {"env": name, "help": help, "clean": clean}


@dataclass(frozen=True)
class Settings:
    """Every setting the app reads, with its meaning; see README 'Settings'."""

    database_url: str = field(
        default=f"sqlite:///{DEFAULT_DB_PATH}",
        metadata=variable("DATABASE_URL", "sqlite:///path or postgresql+psycopg://user:pw@host:5432/db"),
    )
    public_base_url: str = field(
        default="http://127.0.0.1:8501",
        metadata=variable("PUBLIC_BASE_URL", "Host put into QR codes and links", clean=lambda s: s.rstrip("/")),
    )
    auth_cookie_key: str = field(
        default="", repr=False, metadata=variable("AUTH_COOKIE_KEY", "≥32-byte random key signing the sign-in cookie")
    )
    data_key: str = field(
        default="",
        repr=False,
        metadata=variable("DATA_KEY", "≥32-byte random key for ID-number encryption and blind index"),
    )
    data_key_previous: tuple[str, ...] = field(
        default=(),
        repr=False,
        metadata=variable(
            "DATA_KEY_PREVIOUS",
            "Earlier DATA_KEYs (comma-separated), still read while `manage.py rotate-data-key` runs",
        ),
    )
    secrets_file: str = field(
        default=str(SECRETS_FILE),
        metadata=variable("MEDIATION_SECRETS_FILE", "The secrets file read after the environment (environment only)"),
    )
    bcrypt_rounds: int = field(
        default=12, metadata=variable("MEDIATION_BCRYPT_ROUNDS", "bcrypt cost factor of new password hashes")
    )
    session_idle_minutes: int = field(default=30, metadata={"help": "Idle timeout of a staff session"})
    session_absolute_hours: int = field(default=12, metadata={"help": "Absolute lifetime of a staff session"})
    lockout_threshold: int = field(default=5, metadata={"help": "Failed sign-ins of one account before its lock"})
    lockout_minutes: int = field(default=15, metadata={"help": "Length of an account's sign-in lock"})
    signin_client_limit: Limit = field(
        default=Limit(30, 900),
        metadata=variable(
            "MEDIATION_SIGNIN_CLIENT_LIMIT",
            "Failed sign-ins per client address in a sliding window (failures/seconds); good ones never count",
        ),
    )
    trusted_proxies: tuple[str, ...] = field(
        default=("127.0.0.1", "::1"),
        metadata=variable(
            "MEDIATION_TRUSTED_PROXIES",
            "Proxy addresses or networks whose X-Forwarded-For is believed (comma-separated; none: no proxy)",
            clean=lambda text: _networks(text),
        ),
    )
    duty_day_start: time = field(
        default=time(8, 30), metadata=variable("DUTY_DAY_START", "China time the day shift starts, HH:MM")
    )
    duty_day_end: time = field(
        default=time(17, 30),
        metadata=variable("DUTY_DAY_END", "China time the day shift ends and the night one starts"),
    )
    poster_font: str = field(
        default="", metadata=variable("MEDIATION_POSTER_FONT", "Bold CJK font file of the QR posters (else Noto)")
    )
    poster_font_regular: str = field(
        default="",
        metadata=variable("MEDIATION_POSTER_FONT_REGULAR", "Regular CJK font file of the QR posters (else Noto)"),
    )
    intake_min_seconds: float = field(
        default=3.0, metadata=variable("MEDIATION_INTAKE_MIN_SECONDS", "An intake form sent faster looks like a bot")
    )
    intake_client_limit: Limit = field(
        default=Limit(5, 600),
        metadata=variable("MEDIATION_INTAKE_CLIENT_LIMIT", "Intake forms per client address (hits/seconds)"),
    )
    intake_org_limit: Limit = field(
        default=Limit(30, 3600),
        metadata=variable(
            "MEDIATION_INTAKE_ORG_LIMIT", "Intake forms per organisation; over it quarantined, over 10× refused"
        ),
    )
    register_client_limit: Limit = field(
        default=Limit(10, 600),
        metadata=variable("MEDIATION_REGISTER_CLIENT_LIMIT", "Public register entries per client address"),
    )
    party_link_days: int = field(
        default=14, metadata=variable("PARTY_LINK_DAYS", "Days a personal party link stays valid")
    )
    party_link_max_fails: int = field(
        default=5, metadata=variable("PARTY_LINK_MAX_FAILS", "Wrong phone digits before a party link locks")
    )
    party_link_lock_minutes: int = field(
        default=30, metadata=variable("PARTY_LINK_LOCK_MINUTES", "Minutes a locked party link stays locked")
    )
    webhook_allow_local: bool = field(
        default=False,
        metadata=variable("MEDIATION_WEBHOOK_ALLOW_LOCAL", "Tests only: 1 lets group robots be http://127.0.0.1"),
    )
    webhook_backoff: float = field(
        default=1.0,
        metadata=variable("MEDIATION_WEBHOOK_BACKOFF", "Multiplies the webhook retry delays (1; ~0 in tests)"),
    )
    webhook_timeout: float = field(
        default=5.0, metadata=variable("MEDIATION_WEBHOOK_TIMEOUT", "Seconds to wait for a group robot's answer")
    )
    create_user_password: str | None = field(
        default=None,
        repr=False,
        metadata=variable("MEDIATION_PASSWORD", "Password of `manage.py create-user` (else it asks)"),
    )
    demo_password: str | None = field(
        default=None,
        repr=False,
        metadata=variable("DEMO_PASSWORD", "Password of the demo users of `manage.py seed-demo` (else random)"),
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


def _positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise ValueError(text)
    return value


def _seconds(text: str) -> float:
    value = float(text)
    if not math.isfinite(value) or value < 0:
        raise ValueError(text)
    return value


def _flag(text: str) -> bool:
    value = text.strip().lower()
    if value not in ("1", "0", "true", "false"):
        raise ValueError(text)
    return value in ("1", "true")


def _clock(text: str) -> time:
    value = time.fromisoformat(text.strip())
    if value.tzinfo is not None:
        raise ValueError(text)
    return value


def _networks(text: str) -> str:
    """Checks a comma-separated list of addresses or networks ("none": trust no proxy); ValueError if one is bad."""
    if text.strip().lower() == "none":
        return ""
    for part in text.split(","):
        if part.strip():
            ipaddress.ip_network(part.strip(), strict=False)
    return text


def _names(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


# How each field type is read from text, and what a bad value is told it should be.
PARSERS: dict[object, tuple[Callable[[str], Any], str]] = {
    str: (str, "text"),
    str | None: (str, "text"),
    int: (_positive_int, "a whole number above 0"),
    float: (_seconds, "a number of seconds, 0 or more"),
    bool: (_flag, "1 or 0"),
    time: (_clock, "a time of day such as 08:30"),
    Limit: (Limit.parse, "hits/seconds such as 5/600"),
    tuple[str, ...]: (_names, "comma-separated values"),
}
FIELD_TYPES = get_type_hints(Settings)
ENV_FIELDS = tuple(f for f in fields(Settings) if "env" in f.metadata)


def format_setting(value: object) -> str:
    """A setting's value written the way the environment gives it (the inverse of its parser)."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, tuple):
        return ",".join(str(v) for v in value)
    return "" if value is None else str(value)


def _read_secrets(path: Path) -> dict[str, object]:
    if not path.is_file():
        return {}
    with path.open("rb") as fh:
        return tomllib.load(fh)


def _parse(environ: Mapping[str, str]) -> tuple[dict[str, Any], list[str]]:
    """Each field's value found in `environ`, else in the secrets file (absent or empty: the default); problems."""
    secrets_file = environ.get("MEDIATION_SECRETS_FILE") or str(SECRETS_FILE)
    secrets = _read_secrets(Path(secrets_file))
    values: dict[str, Any] = {"secrets_file": secrets_file}
    problems: list[str] = []
    for f in ENV_FIELDS:
        name = f.metadata["env"]
        text = environ[name] if name in environ else str(secrets.get(name, ""))
        if f.name in values or not text:
            continue
        parse, expected = PARSERS[FIELD_TYPES[f.name]]
        try:
            values[f.name] = parse(f.metadata["clean"](text))
        except ValueError:
            shown = repr(text) if f.repr else "(hidden)"
            problems.append(f"{name}={shown} is not {expected} ({f.metadata['help']})")
    return values, problems


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Build settings from the environment, falling back to `.streamlit/secrets.toml`; refuse any bad value."""
    values, problems = _parse(os.environ if environ is None else environ)
    if problems:
        raise ConfigError("cfg.E005", "; ".join(problems))
    return Settings(**values)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (immutable; tests call `get_settings.cache_clear()`)."""
    return load_settings()


def keys_from_environment() -> bool:
    """Whether AUTH_COOKIE_KEY and DATA_KEY are both set in the environment itself (not only in the secrets file)."""
    return bool(os.environ.get("AUTH_COOKIE_KEY")) and bool(os.environ.get("DATA_KEY"))


def child_process_env(*, keep: Iterable[str] | None = None, **extra: str) -> dict[str, str]:
    """The environment for a child process: this process's (only the `keep` names of it, if given), then `extra`.

    A child always gets a PATH (/usr/bin:/bin when this process has none)."""
    env = dict(os.environ) if keep is None else {k: os.environ[k] for k in keep if k in os.environ}
    env.setdefault("PATH", "/usr/bin:/bin")
    return env | extra
