"""Checks of a form spec before it is saved: keys, types, labels, options, dictionaries and conditions.

Each problem names the field (by position) and a message key, so the builder can show every reason at once.
"""

from __future__ import annotations

import re
from typing import Any

from services.core.errors import ValidationFailed
from services.lowcode.text_checks import Problem

FIELD_TYPES = ("text", "long_text", "number", "date", "choice", "multi_choice", "yes_no", "phone", "id_number", "photo")
CHOICE_TYPES = ("choice", "multi_choice")
KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
MAX_FIELDS = 60
MAX_LABEL = 80
MAX_HELP = 300


class SpecInvalid(ValidationFailed):
    """A form spec that cannot be saved; `problems` lists every reason."""

    key = "error.form_spec_invalid"

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(count=len(problems))
        self.problems = problems


def parse_options(raw: Any) -> tuple[tuple[str, str, str], ...]:
    """Options as (code, zh, en); a bare string is its own label in both languages."""
    out = []
    for o in raw or []:
        if isinstance(o, dict):
            code = str(o.get("code", o.get("value", "")))
            out.append((code, str(o.get("label_zh", code)), str(o.get("label_en", o.get("label_zh", code)))))
        elif isinstance(o, str | int | float):
            out.append((str(o), str(o), str(o)))
    return tuple(o for o in out if o[0])


def _check_field_dict(i: int, f: Any, seen: list[str], dictionaries: set[str], problems: list[Problem]) -> None:
    where = f"fields[{i}]"
    if not isinstance(f, dict):
        problems.append(Problem(where, "error.form_field_not_object", {"n": i + 1}))
        return
    key, kind, n = f.get("key"), f.get("type"), i + 1
    if not isinstance(key, str) or not KEY_RE.match(key):
        problems.append(Problem(where, "error.form_key_syntax", {"n": n, "name": str(key)[:40]}))
    elif key in seen:
        problems.append(Problem(where, "error.form_key_duplicate", {"n": n, "name": key}))
    if kind not in FIELD_TYPES:
        problems.append(Problem(where, "error.form_type_unknown", {"n": n, "type": str(kind)[:20]}))
    label_zh, label_en = str(f.get("label_zh") or "").strip(), str(f.get("label_en") or "").strip()
    if not label_zh:
        problems.append(Problem(where, "error.form_label_missing", {"n": n}))
    if len(label_zh) > MAX_LABEL or len(label_en) > MAX_LABEL:
        problems.append(Problem(where, "error.form_label_too_long", {"n": n, "max": MAX_LABEL}))
    if len(str(f.get("help_zh") or "")) > MAX_HELP or len(str(f.get("help_en") or "")) > MAX_HELP:
        problems.append(Problem(where, "error.form_help_too_long", {"n": n, "max": MAX_HELP}))
    if kind in CHOICE_TYPES:
        dictionary = str(f.get("dictionary") or "")
        if dictionary and dictionary not in dictionaries:
            problems.append(Problem(where, "error.form_dictionary_unknown", {"n": n, "name": dictionary[:32]}))
        elif not dictionary:
            codes = [c for c, _, _ in parse_options(f.get("options"))]
            if not codes:
                problems.append(Problem(where, "error.form_options_missing", {"n": n}))
            elif len(set(codes)) != len(codes):
                problems.append(Problem(where, "error.form_options_duplicate", {"n": n}))
    cond = f.get("condition")
    if cond not in (None, {}):
        target = cond.get("field") if isinstance(cond, dict) else None
        if target not in seen:
            problems.append(Problem(where, "error.form_condition_field", {"n": n, "field": str(target)[:40]}))


def validate_spec(fields: Any, *, dictionaries: set[str] = frozenset()) -> list[Problem]:  # type: ignore[assignment]
    """Every problem of a field list, each with a translatable message key; [] means it can be saved."""
    if not isinstance(fields, list):
        return [Problem("fields", "error.form_fields_not_list")]
    problems: list[Problem] = []
    if not fields:
        problems.append(Problem("fields", "error.form_no_fields"))
    if len(fields) > MAX_FIELDS:
        problems.append(Problem("fields", "error.form_too_many_fields", {"max": MAX_FIELDS}))
    seen: list[str] = []
    for i, f in enumerate(fields):
        _check_field_dict(i, f, seen, dictionaries, problems)
        if isinstance(f, dict) and isinstance(f.get("key"), str):
            seen.append(f["key"])
    return problems


def options_from_text(text: str) -> list[dict[str, str]]:
    """Builder text → options: one per line, "code | 中文 | English" or just "中文" (then it is its own code)."""
    out = []
    for line in (text or "").splitlines():
        parts = [p.strip() for p in line.split("|")]
        if not parts[0]:
            continue
        code, zh = parts[0], parts[1] if len(parts) > 1 and parts[1] else parts[0]
        out.append({"code": code, "label_zh": zh, "label_en": parts[2] if len(parts) > 2 and parts[2] else zh})
    return out


def options_to_text(options: Any) -> str:
    """Options → the builder's text form (the inverse of options_from_text)."""
    return "\n".join(f"{c} | {zh} | {en}" for c, zh, en in parse_options(options))


def move_field(fields: list[dict[str, Any]], index: int, step: int) -> list[dict[str, Any]]:
    """A copy of the field list with field `index` moved up (step -1) or down (+1); out of range → unchanged."""
    out = list(fields)
    j = index + step
    if 0 <= index < len(out) and 0 <= j < len(out):
        out[index], out[j] = out[j], out[index]
    return out
