"""Eager checks of every declaration and setting, with stable ids (run at start-up and by `manage.py check`)."""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Iterable

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from models import CaseStatus
from services.access.permissions import BUILTIN_ROLES, P
from services.admin.checks import check_specs
from services.cases.workflow import TRANSITIONS
from services.core.config import ENV_FIELDS, ROOT, ConfigError, Settings, format_setting, get_settings
from services.core.i18n import catalogue

Check = Callable[[], Iterable[str]]


def check_settings(settings: Settings | None = None) -> list[str]:
    """Problems of the settings: a value that does not load, weak keys, a bad address or duty day."""
    if settings is None:
        try:
            settings = get_settings()
        except ConfigError as err:  # a value that cannot be read (cfg.E005) stops the other checks
            return [str(err)]
    problems: list[str] = []
    try:
        settings.check_keys()
    except ConfigError as err:
        problems.append(str(err))
    try:
        url = make_url(settings.database_url)
        if url.get_backend_name() not in ("sqlite", "postgresql"):
            problems.append(f"cfg.E003: DATABASE_URL backend {url.get_backend_name()!r} is not sqlite or postgresql")
    except ArgumentError:
        problems.append("cfg.E003: DATABASE_URL cannot be parsed")
    if not re.match(r"^https?://[^/\s]+", settings.public_base_url):
        problems.append(f"cfg.E004: PUBLIC_BASE_URL {settings.public_base_url!r} is not an http(s) URL")
    if settings.duty_day_start >= settings.duty_day_end:
        problems.append("cfg.E006: DUTY_DAY_START must be earlier than DUTY_DAY_END")
    return problems


def _shown(settings: Settings, name: str, secret: bool) -> str:
    value = getattr(settings, name)
    if secret:
        return "set" if value else "unset"
    if name == "database_url":
        try:
            return make_url(value).render_as_string(hide_password=True)
        except ArgumentError:
            return "(cannot be parsed)"
    return format_setting(value) or "(unset)"


def describe_settings(settings: Settings | None = None) -> list[str]:
    """One line per setting: its variable, its value (a secret only as set or unset) and what it means."""
    settings = settings or get_settings()
    return [
        f"{f.metadata['env']} = {_shown(settings, f.name, not f.repr)}"
        f"{' (default)' if getattr(settings, f.name) == f.default else ''} — {f.metadata['help']}"
        for f in ENV_FIELDS
    ]


def _fields(text: str) -> set[str]:
    """Names of the {placeholders} in a format string ({{ and }} are literal braces)."""
    try:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}
    except ValueError:
        return {"<malformed>"}


def check_catalogue() -> list[str]:
    problems: list[str] = []
    try:
        entries = catalogue()
    except ValueError as err:
        return [str(err)]
    for key, entry in entries.items():
        zh, en = entry.get("zh", ""), entry.get("en", "")
        if not zh or not en:
            problems.append(f"i18n.E002: {key!r} lacks {'zh' if not zh else 'en'}")
        elif _fields(zh) != _fields(en):
            problems.append(f"i18n.E003: {key!r} has different placeholders in zh and en")
    return problems


def check_workflow() -> list[str]:
    states = {str(s) for s in CaseStatus}
    perms = {str(p) for p in P}
    problems = []
    for t in TRANSITIONS:
        for s in (*t.sources, t.target):
            if s not in states:
                problems.append(f"workflow.E001: transition {t.action!r} names unknown state {s!r}")
        if t.permission not in perms:
            problems.append(f"workflow.E002: transition {t.action!r} needs unknown permission {t.permission!r}")
    for role, (_, _, role_perms) in BUILTIN_ROLES.items():
        unknown = {str(p) for p in role_perms} - perms
        if unknown:
            problems.append(f"roles.E001: role {role!r} has unknown permissions {sorted(unknown)}")
    return problems


def check_repository() -> list[str]:
    stray = [p.name for p in (ROOT / "pages").glob("*.py") if p.name != "__init__.py"]
    return [f"nav.E006: {name} sits directly in pages/; move it into a subfolder" for name in stray]


CHECKS: tuple[Check, ...] = (check_settings, check_catalogue, check_workflow, check_repository, check_specs)


def run_checks() -> list[str]:
    """Every problem found, each starting with a stable id such as `nav.E003`."""
    return [problem for check in CHECKS for problem in check()]
