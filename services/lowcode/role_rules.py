"""Role permissions as a rule set: which roles hold which permissions; an office may add custom roles.

Signed-in users feel a change at their next rerun: the actor's permissions are read from these tables on
every rerun (services.access.accounts.load_actor), never cached.
"""

from __future__ import annotations

import re
from typing import Any

from sqlmodel import Session, col, delete, select

from models import Role, RolePermission, UserRole
from services.access.authz import Actor
from services.access.permissions import BUILTIN_ROLES, P
from services.core.errors import ValidationFailed
from services.lowcode.rule_sets import RuleSet

Value = dict[str, Any]
ROLE_CODE = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
ADMIN_ROLE = "admin"
ADMIN_KEEPS = (P.USER_ADMIN, P.LOWCODE_EDIT)  # so nobody can lock the office out of users or of these rules
KNOWN = frozenset(str(p) for p in P)


def _read_roles(session: Session) -> Value:
    roles = session.exec(select(Role).order_by(col(Role.id))).all()
    perms: dict[int, list[str]] = {}
    for role_id, perm in session.exec(select(RolePermission.role_id, RolePermission.permission)).all():
        perms.setdefault(role_id, []).append(perm)
    return {
        "roles": {
            r.code: {"name_zh": r.name_zh, "name_en": r.name_en, "permissions": sorted(perms.get(r.id or 0, []))}
            for r in roles
        }
    }


def _check_role(code: str, role: Any) -> Value:
    if not ROLE_CODE.match(code) or not isinstance(role, dict):
        raise ValidationFailed("rules.error.role_code", code=code[:40])
    zh, en = str(role.get("name_zh") or "").strip(), str(role.get("name_en") or "").strip()
    if not zh or not en or len(zh) > 60 or len(en) > 60:
        raise ValidationFailed("rules.error.role_name", code=code)
    perms = role.get("permissions")
    if not isinstance(perms, list | tuple | set):
        raise ValidationFailed("rules.error.shape")
    for perm in perms:
        if str(perm) not in KNOWN:
            raise ValidationFailed("rules.error.permission_unknown", permission=str(perm)[:60])
    return {"name_zh": zh, "name_en": en, "permissions": sorted({str(p) for p in perms})}


def _check_roles(session: Session, value: Value) -> Value:
    roles = value.get("roles")
    if not isinstance(roles, dict):
        raise ValidationFailed("rules.error.shape")
    out = {str(code).strip(): _check_role(str(code).strip(), role) for code, role in roles.items()}
    admin = out.get(ADMIN_ROLE)
    if admin is None or any(str(p) not in admin["permissions"] for p in ADMIN_KEEPS):
        raise ValidationFailed("rules.error.admin_lockout")
    existing = {r.code: r for r in session.exec(select(Role)).all()}
    for code in sorted(set(existing) - set(out)):
        if existing[code].builtin or code in BUILTIN_ROLES:
            raise ValidationFailed("rules.error.role_builtin", code=code)
        if session.exec(select(UserRole.id).where(UserRole.role_id == existing[code].id)).first() is not None:
            raise ValidationFailed("rules.error.role_in_use", code=code)
    return {"roles": out}


def _apply_roles(session: Session, before: Value, after: Value, actor: Actor) -> None:
    existing = {r.code: r for r in session.exec(select(Role)).all()}
    for code, spec in after["roles"].items():
        role = existing.get(code) or Role(code=code, name_zh=spec["name_zh"], name_en=spec["name_en"], builtin=False)
        role.name_zh, role.name_en = spec["name_zh"], spec["name_en"]
        session.add(role)
        session.flush()
        old = set(before["roles"].get(code, {}).get("permissions", []))
        new = set(spec["permissions"])
        if old - new:
            session.exec(
                delete(RolePermission).where(
                    col(RolePermission.role_id) == role.id, col(RolePermission.permission).in_(sorted(old - new))
                )
            )
        for perm in sorted(new - old):
            session.add(RolePermission(role_id=role.id or 0, permission=perm))
    for code in set(before["roles"]) - set(after["roles"]):
        role = existing[code]
        session.exec(delete(RolePermission).where(col(RolePermission.role_id) == role.id))
        session.flush()
        session.delete(role)


ROLES_SET = RuleSet("roles", _read_roles, _check_roles, _apply_roles)
