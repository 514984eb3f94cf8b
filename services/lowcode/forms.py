"""The form builder's service: create a form, save a new version, retire or restore it, list and read them.

A form is a code with versioned FormSpec rows: every change is a new row (version + 1), checked by
services/form_fields.validate_spec before it is written and audited with the fields before and after.
Entries keep the form_id and version they were made with. The newest row of a code is in force.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from models import DictionaryEntry, FormSpec
from services.access.authz import Actor, require
from services.access.permissions import P
from services.core import audit
from services.core.errors import Conflict, NotFound
from services.intake import form as intake_form
from services.lowcode.fields import FIELD_TYPES, FieldSpec, parse_fields, with_dictionary_options
from services.lowcode.spec_checks import SpecInvalid, validate_spec
from services.lowcode.text_checks import Problem

CODE_RE = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
BUILTIN_FORMS = ("intake", "staff_intake")  # the case workflow's own forms: only the intake field types
# what the intake form carries besides the fields a person fills in (its spec holds only the office's own fields)
NOT_FILLED_IN = frozenset({"org_code", "form_token", "custom", "consent", "honeypot"})


@dataclass
class FormDraft:
    """What the builder sends for a new form."""

    code: str
    title_zh: str
    title_en: str = ""
    fields: list[dict[str, Any]] = field(default_factory=list)
    is_register: bool = True
    public: bool = False


def fixed_field_count(code: str) -> int:
    """How many fields a built-in intake form has before the office's own (contact, parties, details, photos)."""
    if code not in BUILTIN_FORMS:
        return 0
    return sum(1 for f in dataclasses.fields(intake_form.IntakeForm) if f.name not in NOT_FILLED_IN)


def field_count(code: str, fields: list[dict[str, Any]]) -> int:
    """Every field the form shows: a built-in form's fixed fields plus the ones its spec lists."""
    return fixed_field_count(code) + len(fields)


def dictionary_names(session: Session) -> set[str]:
    """Names of the dictionaries a choice field may draw its options from."""
    return set(session.exec(select(DictionaryEntry.dictionary).distinct()).all())


def check_spec(session: Session, code: str, fields: Any) -> list[Problem]:
    """Every problem of `fields` as the form `code`; the built-in intake forms take only intake field types."""
    problems = validate_spec(fields, dictionaries=dictionary_names(session))
    if code in BUILTIN_FORMS:
        problems = [p for p in problems if p.key != "error.form_no_fields"]
        for i, f in enumerate(fields if isinstance(fields, list) else []):
            kind = f.get("type") if isinstance(f, dict) else None
            if kind in FIELD_TYPES and kind not in intake_form.FIELD_TYPES:
                problems.append(Problem(f"fields[{i}]", "error.form_type_not_here", {"n": i + 1, "type": kind}))
    return problems


def _titles(title_zh: str, title_en: str) -> tuple[str, str]:
    zh, en = (title_zh or "").strip(), (title_en or "").strip()
    problems = []
    if not zh:
        problems.append(Problem("title_zh", "error.form_title_missing"))
    if len(zh) > 80 or len(en) > 80:
        problems.append(Problem("title_zh", "error.form_label_too_long", {"n": 0, "max": 80}))
    if problems:
        raise SpecInvalid(problems)
    return zh, en or zh


def current_form(session: Session, code: str) -> FormSpec | None:
    """The newest version of the form `code` (retired or not), or None."""
    return session.exec(select(FormSpec).where(FormSpec.code == code).order_by(col(FormSpec.version).desc())).first()


def get_form(session: Session, code: str) -> FormSpec:
    """The newest version of the form `code`, or NotFound."""
    spec = current_form(session, code)
    if spec is None:
        raise NotFound("error.form_not_found")
    return spec


def create_form(session: Session, *, actor: Actor, draft: FormDraft) -> FormSpec:
    """A new form (version 1) owned by the actor's organisation, after its fields pass every check."""
    require(actor, P.LOWCODE_EDIT)
    code = (draft.code or "").strip().lower()
    if not CODE_RE.match(code):
        raise SpecInvalid([Problem("code", "error.form_code_syntax")])
    zh, en = _titles(draft.title_zh, draft.title_en)
    if current_form(session, code) is not None:
        raise Conflict("error.form_code_taken", code=code)
    problems = check_spec(session, code, draft.fields)
    if problems:
        raise SpecInvalid(problems)
    spec = FormSpec(
        code=code,
        version=1,
        title_zh=zh,
        title_en=en,
        fields=list(draft.fields),
        is_register=draft.is_register,
        public=draft.public,
        created_by=actor.user_id or None,
        org_id=actor.org_id,
    )
    session.add(spec)
    session.flush()
    audit.record(
        session,
        action="form.create",
        actor_id=actor.user_id or None,
        entity="formspec",
        entity_id=spec.id,
        code=code,
        version=1,
        fields=[f.get("key") for f in draft.fields],
    )
    return spec


def save_version(
    session: Session,
    *,
    actor: Actor,
    code: str,
    fields: list[dict[str, Any]],
    title_zh: str | None = None,
    title_en: str | None = None,
    public: bool | None = None,
    status: str | None = None,
    expected_version: int | None = None,
) -> FormSpec:
    """Save an edit as a new version (version + 1); refuses invalid fields and edits of a stale version."""
    require(actor, P.LOWCODE_EDIT)
    old = get_form(session, code)
    if expected_version is not None and old.version != expected_version:
        raise Conflict("error.form_changed", version=old.version)
    zh, en = _titles(old.title_zh if title_zh is None else title_zh, old.title_en if title_en is None else title_en)
    problems = check_spec(session, code, fields)
    if problems:
        raise SpecInvalid(problems)
    spec = FormSpec(
        code=code,
        version=old.version + 1,
        title_zh=zh,
        title_en=en,
        fields=list(fields),
        is_register=old.is_register,
        public=old.public if public is None else public,
        status=status or old.status,
        created_by=actor.user_id or None,
        org_id=old.org_id,
    )
    session.add(spec)
    session.flush()  # the unique (code, version) refuses a concurrent save of the same version
    audit.record(
        session,
        action="form.save_version",
        actor_id=actor.user_id or None,
        entity="formspec",
        entity_id=spec.id,
        code=code,
        version=spec.version,
        before={"fields": old.fields, "public": old.public, "status": old.status, "title_zh": old.title_zh},
        after={"fields": spec.fields, "public": spec.public, "status": spec.status, "title_zh": zh},
    )
    return spec


def retire_form(session: Session, *, actor: Actor, code: str, retired: bool = True) -> FormSpec:
    """Retire a form (a new version with status retired: no new entries) or bring it back."""
    if code in BUILTIN_FORMS:
        raise Conflict("error.form_builtin_retire")
    old = get_form(session, code)
    return save_version(
        session, actor=actor, code=code, fields=list(old.fields), status="retired" if retired else "active"
    )


def list_forms(session: Session, *, registers_only: bool = False, include_retired: bool = True) -> list[FormSpec]:
    """The newest version of every form, by code."""
    newest = select(FormSpec.code, func.max(FormSpec.version).label("v")).group_by(col(FormSpec.code)).subquery()
    stmt = select(FormSpec).join(newest, (col(FormSpec.code) == newest.c.code) & (col(FormSpec.version) == newest.c.v))
    if registers_only:
        stmt = stmt.where(FormSpec.is_register == True)  # noqa: E712
    if not include_retired:
        stmt = stmt.where(FormSpec.status == "active")
    return list(session.exec(stmt.order_by(col(FormSpec.code))).all())


def form_history(session: Session, code: str) -> list[FormSpec]:
    """Every version of the form, newest first."""
    return list(
        session.exec(select(FormSpec).where(FormSpec.code == code).order_by(col(FormSpec.version).desc())).all()
    )


def dictionary_options(session: Session) -> dict[str, list[tuple[str, str, str]]]:
    """Active values of every dictionary as (code, zh, en), in display order."""
    out: dict[str, list[tuple[str, str, str]]] = {}
    stmt = select(DictionaryEntry).where(DictionaryEntry.active == True)  # noqa: E712
    for e in session.exec(stmt.order_by(col(DictionaryEntry.dictionary), col(DictionaryEntry.position))).all():
        out.setdefault(e.dictionary, []).append((e.code, e.label_zh, e.label_en))
    return out


def spec_fields(session: Session, spec: FormSpec) -> list[FieldSpec]:
    """The form's fields with dictionary-backed choices filled in."""
    return with_dictionary_options(parse_fields(spec.fields), dictionary_options(session))
