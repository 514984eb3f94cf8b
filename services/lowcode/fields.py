"""The general field engine of the form builder: field specs as data, their checks, and entered values' checks.

A field is a dict stored in FormSpec.fields: key, type, label_zh/label_en, required, help_zh/help_en,
options (a list) or dictionary (a DictionaryEntry name) for choices, and an optional condition
{"field": key, "equals": value}: the field shows only when that earlier field has that value; a hidden field
is neither required nor stored. ID numbers are stored encrypted with their masked form beside them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Any

from services.core.config import get_settings
from services.core.errors import ValidationFailed
from services.core.i18n import translate
from services.core.security import encrypt_id, mask_id, normalise_id, valid_id_number
from services.lowcode.photos import Photo, check_photos
from services.lowcode.spec_checks import CHOICE_TYPES, FIELD_TYPES, SpecInvalid, validate_spec
from services.lowcode.spec_checks import parse_options as _options
from services.lowcode.text_checks import Problem, check_phone, check_text

MAX_TEXT = 200
MAX_LONG = 2000


__all__ = ["CHOICE_TYPES", "FIELD_TYPES", "SpecInvalid", "validate_spec"]


class FormInvalid(ValidationFailed):
    """Entered values are wrong; `problems` says which field and why."""

    key = "error.intake_invalid"

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(count=len(problems))
        self.problems = problems


@dataclass(frozen=True)
class FieldSpec:
    """One field of a form spec (the form builder writes these as dicts)."""

    key: str
    type: str
    label_zh: str
    label_en: str
    required: bool = False
    options: tuple[tuple[str, str, str], ...] = ()  # (code, zh, en)
    max_length: int | None = None
    help_zh: str = ""
    help_en: str = ""
    dictionary: str = ""
    condition: tuple[str, Any] | None = None  # (field key, value that shows this field)
    integer: bool = False  # a number field that counts (people, households): 45.5 is refused, 45.00 stored as 45

    def label(self, lang: str) -> str:
        return self.label_en if lang == "en" and self.label_en else self.label_zh

    def help(self, lang: str) -> str:
        return self.help_en if lang == "en" and self.help_en else self.help_zh

    def option_label(self, code: str, lang: str) -> str:
        for c, zh, en in self.options:
            if c == code:
                return en if lang == "en" and en else zh
        return code


def _condition(raw: Any) -> tuple[str, Any] | None:
    if isinstance(raw, dict) and isinstance(raw.get("field"), str) and raw["field"]:
        return raw["field"], raw.get("equals")
    return None


def parse_field(f: Any, types: tuple[str, ...] = FIELD_TYPES) -> FieldSpec | None:
    """One field dict → FieldSpec, or None when it is malformed or of a type not in `types`."""
    if not isinstance(f, dict) or not isinstance(f.get("key"), str) or f.get("type") not in types:
        return None
    max_length = f.get("max_length")
    return FieldSpec(
        key=f["key"],
        type=f["type"],
        label_zh=str(f.get("label_zh") or f["key"]),
        label_en=str(f.get("label_en") or f.get("label_zh") or f["key"]),
        required=bool(f.get("required")),
        options=_options(f.get("options")),
        max_length=max_length if isinstance(max_length, int) and max_length > 0 else None,
        help_zh=str(f.get("help_zh") or ""),
        help_en=str(f.get("help_en") or ""),
        dictionary=str(f.get("dictionary") or ""),
        condition=_condition(f.get("condition")),
        integer=f.get("type") == "number" and bool(f.get("integer")),
    )


def parse_fields(raw: list[dict[str, Any]] | None, types: tuple[str, ...] = FIELD_TYPES) -> list[FieldSpec]:
    """Field dicts → FieldSpecs; a malformed entry is skipped so a form always renders."""
    return [p for f in raw or [] if (p := parse_field(f, types)) is not None]


def with_dictionary_options(fields: list[FieldSpec], options: dict[str, list[tuple[str, str, str]]]) -> list[FieldSpec]:
    """Fields whose choices come from a dictionary get that dictionary's (code, zh, en) values as options."""
    out = []
    for f in fields:
        if f.dictionary and f.type in CHOICE_TYPES:
            f = FieldSpec(**{**f.__dict__, "options": tuple(options.get(f.dictionary, []))})
        out.append(f)
    return out


def visible(f: FieldSpec, values: dict[str, Any]) -> bool:
    """Whether the field shows, given the values entered so far (a condition compares as text; yes/no as bool)."""
    if f.condition is None:
        return True
    target, wanted = f.condition
    got = values.get(target)
    if isinstance(got, bool) or isinstance(wanted, bool):
        return _as_bool(got) is not None and _as_bool(got) == _as_bool(wanted)
    if isinstance(got, list | tuple):
        return str(wanted) in {str(v) for v in got}
    return got is not None and str(got) == str(wanted)


def _as_bool(v: Any) -> bool | None:
    if isinstance(v, bool):
        return v
    return {"yes": True, "no": False, "true": True, "false": False}.get(str(v).lower())


def _number(value: Any, name: str, problems: list[Problem], *, integer: bool = False) -> Any:
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if not math.isfinite(number):
        problems.append(Problem(name, "error.intake_number_invalid"))
        return None
    if integer and not number.is_integer():
        problems.append(Problem(name, "error.form_number_integer"))
        return None
    return int(number) if number.is_integer() else number


def _date(value: Any, name: str, problems: list[Problem]) -> Any:
    try:
        return (value if isinstance(value, date) else date.fromisoformat(str(value))).isoformat()
    except ValueError:
        problems.append(Problem(name, "error.intake_date_invalid"))
        return None


def _choices(f: FieldSpec, value: Any, name: str, problems: list[Problem]) -> Any:
    codes = {code for code, _, _ in f.options}
    if f.type == "choice":
        out: Any = str(value)
        ok = out in codes
    else:
        out = [str(v) for v in (value if isinstance(value, list | tuple) else [value])]
        ok = bool(out) and set(out) <= codes
        out = list(dict.fromkeys(out))
    if not ok:
        problems.append(Problem(name, "error.intake_choice_invalid"))
    return out if ok else None


def _id_number(value: Any, name: str, problems: list[Problem]) -> Any:
    text = value.strip() if isinstance(value, str) else ""
    if not valid_id_number(text):
        problems.append(Problem(name, "error.id_invalid"))
        return None
    clean = normalise_id(text)
    return {"masked": mask_id(clean), "enc": encrypt_id(clean, get_settings().data_key)}


def check_value(f: FieldSpec, value: Any, name: str, problems: list[Problem]) -> Any:
    """One non-empty value of a non-photo field, typed and checked; None with a problem when wrong."""
    before = len(problems)
    if f.type in ("text", "long_text"):
        limit = f.max_length or (MAX_LONG if f.type == "long_text" else MAX_TEXT)
        out: Any = check_text(value, name, limit, problems, multiline=f.type == "long_text")
    elif f.type == "phone":
        out = check_phone(value, name, problems)
    elif f.type == "number":
        out = _number(value, name, problems, integer=f.integer)
    elif f.type == "date":
        out = _date(value, name, problems)
    elif f.type in CHOICE_TYPES:
        out = _choices(f, value, name, problems)
    elif f.type == "id_number":
        out = _id_number(value, name, problems)
    else:  # yes_no
        out = _as_bool(value)
        if out is None:
            problems.append(Problem(name, "error.intake_choice_invalid"))
    return out if len(problems) == before else None


def _empty(value: Any) -> bool:
    return value is None or (
        isinstance(value, str | list | tuple) and not (value.strip() if isinstance(value, str) else value)
    )


def collect_values(
    fields: list[FieldSpec], values: dict[str, Any], problems: list[Problem], *, prefix: str = ""
) -> tuple[dict[str, Any], dict[str, list[Photo]]]:
    """Checked values of the visible fields (hidden ones dropped) and checked photos, recording problems."""
    out: dict[str, Any] = {}
    photos: dict[str, list[Photo]] = {}
    for f in fields:
        if not visible(f, out):
            continue
        value, name = values.get(f.key), prefix + f.key
        if _empty(value):
            if f.required:
                problems.append(Problem(name, "error.intake_required"))
            continue
        if f.type == "photo":
            blobs = [b for b in (value if isinstance(value, list | tuple) else [value]) if isinstance(b, bytes)]
            checked = check_photos(blobs, name, problems)
            if checked:
                photos[f.key] = checked
                out[f.key] = [p.sha256 for p in checked]
            continue
        checked_value = check_value(f, value, name, problems)
        if checked_value is not None and checked_value != "":
            out[f.key] = checked_value
    return out, photos


def validate_values(fields: list[FieldSpec], values: dict[str, Any]) -> tuple[dict[str, Any], dict[str, list[Photo]]]:
    """Entered values → (cleaned values to store, photos by field), or FormInvalid listing every problem."""
    problems: list[Problem] = []
    out, photos = collect_values(fields, values, problems)
    if problems:
        raise FormInvalid(problems)
    return out, photos


def display_value(f: FieldSpec, value: Any, lang: str) -> str:
    """A stored value as plain text for lists and exports: ID numbers masked, photos counted, choices labelled."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):  # a yes/no answer in words, whatever the field's type is now (never "False")
        return translate("form.yes" if value else "form.no", lang)
    if f.type == "id_number":
        return str(value.get("masked", "")) if isinstance(value, dict) else ""
    if f.type == "photo":
        return translate("form.photos_count", lang, n=len(value) if isinstance(value, list) else 0)
    if f.type == "choice":
        return f.option_label(str(value), lang)
    if f.type == "multi_choice":
        return "、".join(f.option_label(str(v), lang) for v in (value if isinstance(value, list) else [value]))
    if f.type == "yes_no":
        answer = _as_bool(value)
        return "" if answer is None else translate("form.yes" if answer else "form.no", lang)
    return str(value)


def next_field_key(fields: list[dict[str, Any]]) -> str:
    """A stable code for a new field: f1, f2, … after the highest fN in use (the office types only labels)."""
    used = {str(f.get("key")) for f in fields if isinstance(f, dict)}
    highest = max((int(k[1:]) for k in used if k[:1] == "f" and k[1:].isdigit()), default=0)
    n = highest + 1
    while f"f{n}" in used:
        n += 1
    return f"f{n}"
