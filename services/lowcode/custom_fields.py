"""The office's own fields on the built-in forms (public and staff intake): spec in force, checks, display.

A case keeps its custom values in `Case.custom` under the field keys, and the form they were filed with in
`custom["_form"]` ({"code", "version"}); public intake cases without that mark find their version in the
`intake.received` event. Values are shown and exported by the labels of that version.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from models import Case, CaseEvent, FormSpec
from services.core.i18n import translate
from services.core.security import mask_id, mask_phone, valid_id_number
from services.intake.form import FIELD_TYPES as INTAKE_TYPES
from services.intake.form import FieldSpec, IntakeInvalid, Problem, validate_custom
from services.lowcode import fields as form_fields
from services.lowcode.forms import dictionary_options

FORMS = ("intake", "staff_intake")
FORM_MARK = "_form"
SECRET_TYPES = ("id_number",)
STAFF_TYPES = (*INTAKE_TYPES, "multi_choice", "id_number")  # photos: on the session record, not the intake form


@dataclass(frozen=True)
class CustomValue:
    """One stored custom value with the field that describes it (labels of the case's form version)."""

    key: str
    type: str
    label_zh: str
    label_en: str
    value: Any
    options: tuple[tuple[str, str, str], ...] = ()

    def label(self, lang: str) -> str:
        """The field's label in the language."""
        return self.label_en if lang == "en" and self.label_en else self.label_zh

    def text(self, lang: str, *, mask_phones: bool = False) -> str:
        """The value as plain text: choices in words, yes/no translated, ID numbers always masked."""
        return display(self.type, self.value, self.options, lang, mask_phones=mask_phones)


def display(
    kind: str, value: Any, options: tuple[tuple[str, str, str], ...], lang: str, *, mask_phones: bool = False
) -> str:
    """A stored custom value in words for a page or a sheet (never the full ID number)."""
    if isinstance(value, bool):  # a yes/no answer, whatever the field's type says now
        return translate("yes" if value else "no", lang)
    if isinstance(value, dict):  # an encrypted value keeps only its masked form readable
        return str(value.get("masked") or mask_id(None))
    if kind in SECRET_TYPES or (isinstance(value, str) and valid_id_number(value.strip())):
        return mask_id(str(value).strip()) if value else ""
    if kind == "photo":
        return translate("form.photos_count", lang, n=len(value) if isinstance(value, list) else 0)
    if kind == "phone" and mask_phones:
        return mask_phone(str(value))
    if kind == "yes_no" and isinstance(value, bool):
        return translate("yes" if value else "no", lang)
    names = {code: (en if lang == "en" else zh) for code, zh, en in options}
    if isinstance(value, list):
        return "、".join(names.get(str(v), str(v)) for v in value)
    return names.get(str(value), "" if value is None else str(value))


def spec_in_force(session: Session, code: str) -> FormSpec | None:
    """The newest active version of a built-in form's spec, or None."""
    return session.exec(
        select(FormSpec)
        .where(FormSpec.code == code, FormSpec.status == "active")
        .order_by(col(FormSpec.version).desc())
    ).first()


def staff_fields(session: Session) -> tuple[int, list[FieldSpec]]:
    """The version and custom fields of the staff intake form in force, dictionary choices filled (none → (0, []))."""
    spec = spec_in_force(session, "staff_intake")
    if spec is None:
        return 0, []
    fields = form_fields.parse_fields(spec.fields, STAFF_TYPES)
    return spec.version, form_fields.with_dictionary_options(fields, dictionary_options(session))


def check_values(fields: list[FieldSpec], values: dict[str, Any]) -> dict[str, Any]:
    """The typed, checked values, or IntakeInvalid naming every field to correct (`custom.<key>`)."""
    problems: list[Problem] = []
    clean = validate_custom(fields, values or {}, problems)
    if problems:
        raise IntakeInvalid(problems)
    return clean


def staff_custom(session: Session, values: dict[str, Any]) -> dict[str, Any]:
    """Checked staff-form values with the mark of the spec version they were checked against."""
    version, fields = staff_fields(session)
    clean = check_values(fields, values)
    return {**clean, FORM_MARK: {"code": "staff_intake", "version": version}} if clean else clean


def _form_of(session: Session, case: Case) -> tuple[str, int | None]:
    mark = (case.custom or {}).get(FORM_MARK)
    if isinstance(mark, dict) and mark.get("code") in FORMS:
        version = mark.get("version")
        return str(mark["code"]), version if isinstance(version, int) else None
    version = None
    if case.id is not None:
        data = session.exec(
            select(CaseEvent.data).where(CaseEvent.case_id == case.id, CaseEvent.kind == "intake.received")
        ).first()
        version = (data or {}).get("form_version")
    return ("intake" if case.source == "qr" else "staff_intake"), version if isinstance(version, int) else None


def fields_of(session: Session, code: str, version: int | None) -> list[FieldSpec]:
    """The fields of that version of a form, falling back to the newest version that has them."""
    specs = list(session.exec(select(FormSpec).where(FormSpec.code == code).order_by(col(FormSpec.version).desc())))
    chosen = next((s for s in specs if s.version == version), None)
    out: dict[str, FieldSpec] = {f.key: f for f in _parse(chosen.fields)} if chosen else {}
    for spec in specs:  # keys the chosen version lacks: described by the newest version that has them
        for f in _parse(spec.fields):
            out.setdefault(f.key, f)
    return list(out.values())


def _parse(raw: list[dict[str, Any]]) -> list[FieldSpec]:
    """The fields the intake engine knows, plus any other typed entry (labels and type only, for display)."""
    known = {f.key: f for f in form_fields.parse_fields(raw, STAFF_TYPES)}
    out = []
    for f in raw or []:
        if not isinstance(f, dict) or not isinstance(f.get("key"), str):
            continue
        key = f["key"]
        out.append(
            known.get(key)
            or FieldSpec(
                key=key,
                type=str(f.get("type") or "text"),
                label_zh=str(f.get("label_zh") or key),
                label_en=str(f.get("label_en") or f.get("label_zh") or key),
            )
        )
    return out


def case_values(session: Session, case: Case) -> list[CustomValue]:
    """The case's custom values in the order of its form, each with the labels of the version it was filed with."""
    stored = {k: v for k, v in (case.custom or {}).items() if not k.startswith("_")}
    if not stored:
        return []
    code, version = _form_of(session, case)
    fields = {f.key: f for f in fields_of(session, code, version)}
    out = [
        CustomValue(f.key, f.type, f.label_zh, f.label_en, stored[f.key], f.options)
        for f in fields.values()
        if f.key in stored
    ]
    out += [CustomValue(k, "text", k, k, v) for k, v in stored.items() if k not in fields]
    return out


def export_columns(session: Session) -> list[tuple[str, FieldSpec]]:
    """(form code, field) of every field any version of the built-in forms ever had, newest labels first."""
    return [(code, f) for code in FORMS for f in fields_of(session, code, None)]
