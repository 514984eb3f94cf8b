"""Hooks: the few writes of the admin that must call a service instead of setting columns.

organisation — create fills path and county; a new parent moves the subtree; a rename keeps the old name.
mediator — a new organisation closes the current posting and opens the next (rotation history); pools.
user — create, roles, disabling and passwords go through services/access/accounts.py (sessions end at once).
training_session — the attendance list becomes one TrainingRecord per attendee.
dictionary — a category's sector and professional-committee flag live in its `meta`.

`register_admin_extensions()` registers these hooks and the computed columns the specs name; the app, the command
line and the tests call it once where they start.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlmodel import Session, SQLModel, col, select

from models import (
    DictionaryEntry,
    ExpertPoolMember,
    MediatorPosting,
    Organisation,
    OrgKind,
    Role,
    RolePermission,
    TrainingRecord,
    UserRole,
)
from services.access import accounts
from services.access.authz import Actor
from services.access.permissions import P
from services.admin.extensions import Hook, register_display, register_hook
from services.admin.forms import FormInvalid
from services.core import clock
from services.core.errors import ValidationFailed
from services.core.i18n import translate
from services.lowcode import dictionaries
from services.roster import mediators as roster
from services.roster import orgs, user_link

REGION_KINDS = (OrgKind.CITY, OrgKind.COUNTY)
META_FIELDS = ("sector", "committee")


class OrganisationHook(Hook):
    def create(self, session: Session, actor: Actor, values: dict[str, Any]) -> SQLModel | None:
        parent = session.get(Organisation, values["parent_id"])
        fields = {k: v for k, v in values.items() if k not in ("code", "name", "kind", "parent_id")}
        return orgs.create_org(
            session, code=values["code"], name=values["name"], kind=values["kind"], parent=parent, **fields
        )

    def update(self, session: Session, actor: Actor, obj: Any, values: dict[str, Any]) -> dict[str, Any]:
        rest = dict(values)
        kind = rest.get("kind")
        if kind is not None and (kind in REGION_KINDS or obj.kind in REGION_KINDS):
            raise FormInvalid({"kind": ("error.org_kind_fixed", {})})
        if "parent_id" in rest:
            orgs.move_org(session, actor=actor, org_id=obj.id, parent_id=rest.pop("parent_id"))
        if "name" in rest:
            orgs.rename_org(session, actor=actor, org=obj, name=rest.pop("name"))
        return rest


class MediatorHook(Hook):
    def initial(self, session: Session, obj: Any) -> dict[str, Any]:
        pools = session.exec(
            select(ExpertPoolMember.pool_id)
            .where(ExpertPoolMember.mediator_id == obj.id)
            .order_by(col(ExpertPoolMember.pool_id))
        ).all()
        return {"pools": list(pools)}

    def update(self, session: Session, actor: Actor, obj: Any, values: dict[str, Any]) -> dict[str, Any]:
        if "org_id" in values and values["org_id"] != obj.org_id:  # rotation: close the posting, open the next
            for posting in session.exec(
                select(MediatorPosting).where(MediatorPosting.mediator_id == obj.id, col(MediatorPosting.end).is_(None))
            ).all():
                posting.end = clock.today()
                session.add(posting)
            session.add(MediatorPosting(mediator_id=obj.id, org_id=values["org_id"], start=clock.today()))
        return values

    def after_write(self, session: Session, actor: Actor, obj: Any, values: dict[str, Any]) -> None:
        has_posting = session.exec(select(MediatorPosting.id).where(MediatorPosting.mediator_id == obj.id)).first()
        if has_posting is None:
            session.add(MediatorPosting(mediator_id=obj.id, org_id=obj.org_id, start=obj.start_date or clock.today()))
        if "pools" in values:
            wanted = set(values["pools"])
            for member in session.exec(select(ExpertPoolMember).where(ExpertPoolMember.mediator_id == obj.id)).all():
                if member.pool_id in wanted:
                    wanted.discard(member.pool_id)
                else:
                    session.delete(member)
            session.add_all(ExpertPoolMember(pool_id=p, mediator_id=obj.id) for p in sorted(wanted))


def _role_codes(session: Session, role_ids: list[int]) -> list[str]:
    return list(session.exec(select(Role.code).where(col(Role.id).in_(role_ids)).order_by(col(Role.id))).all())


class UserHook(Hook):
    def initial(self, session: Session, obj: Any) -> dict[str, Any]:
        ids = session.exec(select(UserRole.role_id).where(UserRole.user_id == obj.id).order_by(col(UserRole.role_id)))
        return {"roles": list(ids.all()), "mediator": user_link.linked_mediator_id(session, obj.id)}

    def after_write(self, session: Session, actor: Actor, obj: Any, values: dict[str, Any]) -> None:
        if "mediator" not in values:
            return
        try:
            user_link.link_user_to_mediator(session, actor=actor, user_id=obj.id, mediator_id=values["mediator"])
        except user_link.MediatorLinkedElsewhere as err:
            raise FormInvalid({"mediator": (err.key, err.params)}) from err

    def create(self, session: Session, actor: Actor, values: dict[str, Any]) -> SQLModel | None:
        if not values.get("password"):
            raise FormInvalid({"password": ("error.admin_required", {})})
        org = session.get(Organisation, values["org_id"])
        user = accounts.create_user(
            session,
            username=values["username"],
            display_name=values["display_name"],
            password=values["password"],
            org_code=org.code if org else "",
            roles=_role_codes(session, values["roles"]),
            actor_id=actor.user_id,
        )
        if values.get("active") is False:
            accounts.set_active(session, user_id=user.id or 0, active=False, actor_id=actor.user_id)
        return user

    def update(self, session: Session, actor: Actor, obj: Any, values: dict[str, Any]) -> dict[str, Any]:
        rest = dict(values)
        uid = obj.id
        if uid == actor.user_id and (
            rest.get("active") is False or ("roles" in rest and not _keeps_admin(session, rest["roles"]))
        ):
            raise ValidationFailed("error.admin_self_lockout")
        if "roles" in rest:
            accounts.set_roles(
                session, user_id=uid, roles=_role_codes(session, rest.pop("roles")), actor_id=actor.user_id
            )
        if "active" in rest:
            accounts.set_active(session, user_id=uid, active=rest.pop("active"), actor_id=actor.user_id)
        if "password" in rest:
            accounts.set_password(session, user_id=uid, password=rest.pop("password"), actor_id=actor.user_id)
        if "org_id" in rest:  # a new organisation is a new scope: sign in again
            accounts.revoke_sessions(session, uid)
        rest.pop("mediator", None)  # the roster link: written by after_write
        return rest


def _keeps_admin(session: Session, role_ids: list[int]) -> bool:
    found = session.exec(
        select(RolePermission.id).where(
            col(RolePermission.role_id).in_(role_ids), RolePermission.permission == P.USER_ADMIN
        )
    ).first()
    return found is not None


class TrainingSessionHook(Hook):
    def initial(self, session: Session, obj: Any) -> dict[str, Any]:
        ids = session.exec(
            select(TrainingRecord.mediator_id)
            .where(TrainingRecord.session_id == obj.id)
            .order_by(col(TrainingRecord.mediator_id))
        ).all()
        return {"attendance": list(ids)}

    def after_write(self, session: Session, actor: Actor, obj: Any, values: dict[str, Any]) -> None:
        attendees = values["attendance"] if "attendance" in values else self.initial(session, obj)["attendance"]
        roster.set_attendance(session, actor=actor, training=obj, mediator_ids=attendees)


def _category_meta(session: Session, ids: Sequence[int], lang: str) -> dict[int, dict[str, Any]]:
    """A category's sector and professional-committee flag in words, for the admin's record view."""
    out: dict[int, dict[str, Any]] = {}
    for e in session.exec(select(DictionaryEntry).where(col(DictionaryEntry.id).in_(list(ids)))).all():
        if e.dictionary == "category":
            sector = (e.meta or {}).get("sector")
            out[e.id or 0] = {
                "sector": translate(f"admin.enum.sector.{sector}", lang) if sector else "",
                "committee": translate("yes" if dictionaries.committee_of(e) else "no", lang),
            }
    return out


class DictionaryHook(Hook):
    """Admin writes of dictionary values: a category's sector and professional-committee flag live in `meta`."""

    def initial(self, session: Session, obj: Any) -> dict[str, Any]:
        return {"sector": (obj.meta or {}).get("sector"), "committee": dictionaries.committee_of(obj)}

    def after_write(self, session: Session, actor: Actor, obj: Any, values: dict[str, Any]) -> None:
        given = {k: values[k] for k in META_FIELDS if k in values}
        if not given:
            return
        if obj.dictionary != "category":
            if any(given.values()):
                raise FormInvalid(
                    {"sector" if given.get("sector") else "committee": ("error.dictionary_category_only", {})}
                )
            return
        meta = dict(obj.meta or {})
        if "sector" in given:
            meta.pop("sector", None)
            if given["sector"]:
                meta["sector"] = given["sector"]
        if "committee" in given:
            meta["committee"] = bool(given["committee"])
        obj.meta = meta
        session.add(obj)


BUILTIN_HOOKS: dict[str, Hook] = {
    "organisation": OrganisationHook(),
    "mediator": MediatorHook(),
    "user": UserHook(),
    "training_session": TrainingSessionHook(),
    "dictionary": DictionaryHook(),
}


def register_admin_extensions() -> None:
    """Register the built-in hooks and computed columns the admin specs name (a second call changes nothing)."""
    for name, hook in BUILTIN_HOOKS.items():
        register_hook(name, hook)
    displays = (*roster.ADMIN_DISPLAYS, *user_link.ADMIN_DISPLAYS, ("dictionaryentry", META_FIELDS, _category_meta))
    for model, names, fn in displays:
        register_display(model, names, fn)
