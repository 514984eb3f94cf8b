"""Checks of typed text shared by every form: one field's problem, free text, and mobile phone numbers.

Free text is stored exactly as typed or refused with a message for that field — never silently cut:
multi-line fields keep every character; single-line fields lose only outer whitespace. Refused: control
characters (NUL cannot even be stored by PostgreSQL), unpaired surrogates, line breaks in one-line
fields, and anything over the field's length.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Any

from services.core.security import normalise_phone, valid_phone

_BAD_MULTI = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_BAD_SINGLE = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\ud800-\udfff]")


@dataclass(frozen=True)
class Problem:
    """One field's problem: `field` names the form field, `key` the message."""

    field: str
    key: str
    params: dict[str, Any] = dataclasses.field(default_factory=dict)


def check_text(
    value: Any, name: str, max_len: int, problems: list[Problem], *, required: bool = False, multiline: bool = False
) -> str:
    """The value to store, or "" with a problem recorded (required, too long, or bad characters)."""
    text = value if isinstance(value, str) else ""
    if not multiline:
        text = text.strip()
    if not text.strip():
        if required:
            problems.append(Problem(name, "error.intake_required"))
        return ""
    if len(text) > max_len:
        problems.append(Problem(name, "error.intake_too_long", {"max": max_len, "length": len(text)}))
        return ""
    if (_BAD_MULTI if multiline else _BAD_SINGLE).search(text):
        problems.append(Problem(name, "error.intake_bad_chars"))
        return ""
    return text


def check_phone(value: Any, name: str, problems: list[Problem], *, required: bool = False) -> str:
    """A mobile number, normalised (spaces, dashes, +86 dropped), or "" with a problem recorded."""
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        if required:
            problems.append(Problem(name, "error.intake_required"))
        return ""
    if not valid_phone(text):  # anything that is not a phone number gets the phone message, however long
        problems.append(Problem(name, "error.phone_invalid"))
        return ""
    return normalise_phone(text)
