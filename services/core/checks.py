"""Eager checks of every declaration and setting, with stable ids (run at start-up and by `manage.py check`)."""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Iterable

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from models import CaseStatus
from services.access.permissions import BUILTIN_ROLES, P
from services.core.config import ROOT, ConfigError, Settings, get_settings
from services.core.i18n import catalogue

Check = Callable[[], Iterable[str]]


def check_settings(settings: Settings | None = None) -> list[str]:
    settings = settings or get_settings()
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
    return problems


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
    from services.cases.workflow import TRANSITIONS

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


def check_admin_specs() -> list[str]:
    from services.admin.specs import check_specs

    return check_specs()


CHECKS: tuple[Check, ...] = (check_settings, check_catalogue, check_workflow, check_repository, check_admin_specs)


def run_checks() -> list[str]:
    """Every problem found, each starting with a stable id such as `nav.E003`."""
    return [problem for check in CHECKS for problem in check()]
