"""The public intake form as data, and its checks: contact, details, custom fields and photos.

Free text is stored exactly as typed or refused with a message for that field — never silently cut:
multi-line fields keep every character; single-line fields lose only outer whitespace. Refused: control
characters (NUL cannot even be stored by PostgreSQL), unpaired surrogates, line breaks in one-line
fields, and anything over the field's length. Photos are checked by content (Pillow), not by name.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import io
import math
import os
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from PIL import Image, ImageOps, UnidentifiedImageError

from models.base import utc_now
from services.cases import PartyInput
from services.config import get_settings
from services.errors import ValidationFailed
from services.security import normalise_id, normalise_phone, valid_id_number, valid_phone

MAX_NAME = 50
MAX_LINE = 200
MAX_DESCRIPTION = 5000
MAX_REQUEST = 2000
MAX_CUSTOM_TEXT = 200
MAX_CUSTOM_LONG = 2000
MAX_PHOTOS = 3
MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_PHOTO_PIXELS = 50_000_000  # refuse before decoding: a small file can unpack into gigabytes
PHOTO_EDGE = 1600
PHOTO_FORMATS = {"JPEG", "PNG", "WEBP"}
FIELD_TYPES = ("text", "long_text", "number", "date", "choice", "yes_no", "phone")
UNKNOWN_NAME = "不详"
TOKEN_MAX_AGE = timedelta(days=2)
_BAD_MULTI = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_BAD_SINGLE = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\ud800-\udfff]")


@dataclass(frozen=True)
class Problem:
    """One field's problem: `field` names the form field, `key` the message."""

    field: str
    key: str
    params: dict[str, Any] = dataclasses.field(default_factory=dict)


class IntakeInvalid(ValidationFailed):
    """One or more fields are wrong; `problems` says which and why."""

    key = "error.intake_invalid"

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(count=len(problems))
        self.problems = problems


@dataclass
class IntakeForm:
    """Everything the public form sends (the page fills it from its widgets)."""

    org_code: str
    form_token: str
    applicant_name: str
    applicant_phone: str
    description: str
    applicant_id_number: str = ""
    respondent_name: str = ""
    respondent_phone: str = ""
    respondent_address: str = ""
    category: str = ""
    place: str = ""
    request: str = ""
    custom: dict[str, Any] = dataclasses.field(default_factory=dict)
    photos: list[bytes] = dataclasses.field(default_factory=list)
    consent: bool = False
    honeypot: str = ""


@dataclass(frozen=True)
class FieldSpec:
    """A custom field of the intake form spec (the low-code editor writes these)."""

    key: str
    type: str
    label_zh: str
    label_en: str
    required: bool = False
    options: tuple[tuple[str, str, str], ...] = ()  # (code, zh, en)
    max_length: int | None = None

    def label(self, lang: str) -> str:
        return self.label_en if lang == "en" and self.label_en else self.label_zh


@dataclass
class Details:
    category: str
    description: str
    place: str
    request: str
    respondent: PartyInput | None
    custom: dict[str, Any]


@dataclass(frozen=True)
class Photo:
    filename: str
    mime: str
    size: int
    sha256: str
    content: bytes


def parse_fields(raw: list[dict[str, Any]] | None) -> list[FieldSpec]:
    """Field dicts → FieldSpecs; a malformed entry is skipped so the public form always renders."""
    out: list[FieldSpec] = []
    for f in raw or []:
        if not isinstance(f, dict) or not isinstance(f.get("key"), str) or f.get("type") not in FIELD_TYPES:
            continue
        options = []
        for o in f.get("options") or []:
            if isinstance(o, dict):
                code = str(o.get("code", o.get("value", "")))
                options.append((code, str(o.get("label_zh", code)), str(o.get("label_en", o.get("label_zh", code)))))
            elif isinstance(o, str | int | float):
                options.append((str(o), str(o), str(o)))
        max_length = f.get("max_length")
        out.append(FieldSpec(key=f["key"], type=f["type"], label_zh=str(f.get("label_zh") or f["key"]),
                             label_en=str(f.get("label_en") or f.get("label_zh") or f["key"]),
                             required=bool(f.get("required")), options=tuple(o for o in options if o[0]),
                             max_length=max_length if isinstance(max_length, int) and max_length > 0 else None))
    return out


def check_text(value: Any, name: str, max_len: int, problems: list[Problem], *, required: bool = False,
               multiline: bool = False) -> str:
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


def validate_contact(form: IntakeForm) -> PartyInput:
    """The applicant: a name, a valid mobile phone, and an ID number only if given (checksum checked)."""
    problems: list[Problem] = []
    name = check_text(form.applicant_name, "applicant_name", MAX_NAME, problems, required=True)
    phone = check_phone(form.applicant_phone, "applicant_phone", problems, required=True)
    id_number = form.applicant_id_number.strip() if isinstance(form.applicant_id_number, str) else ""
    if id_number and not valid_id_number(id_number):
        problems.append(Problem("applicant_id_number", "error.id_invalid"))
    if problems:
        raise IntakeInvalid(problems)
    return PartyInput(side="applicant", name=name, phone=phone,
                      id_number=normalise_id(id_number) if id_number else "")


def validate_details(form: IntakeForm, fields: list[FieldSpec], category_codes: set[str]) -> Details:
    """What happened, where, what they want, the other party as far as known, and the custom fields."""
    problems: list[Problem] = []
    description = check_text(form.description, "description", MAX_DESCRIPTION, problems, required=True,
                             multiline=True)
    place = check_text(form.place, "place", MAX_LINE, problems)
    request = check_text(form.request, "request", MAX_REQUEST, problems, multiline=True)
    r_name = check_text(form.respondent_name, "respondent_name", MAX_NAME, problems)
    r_phone = check_phone(form.respondent_phone, "respondent_phone", problems)
    r_address = check_text(form.respondent_address, "respondent_address", MAX_LINE, problems)
    category = (form.category or "").strip()
    if category and category not in category_codes:
        problems.append(Problem("category", "error.intake_choice_invalid"))
    custom = validate_custom(fields, form.custom or {}, problems)
    if problems:
        raise IntakeInvalid(problems)
    respondent = None
    if r_name or r_phone or r_address:
        respondent = PartyInput(side="respondent", name=r_name or UNKNOWN_NAME,
                                phone=r_phone, address=r_address)
    return Details(category or "other", description, place, request, respondent, custom)


def _custom_value(f: FieldSpec, value: Any, name: str, problems: list[Problem]) -> Any:
    before = len(problems)
    if f.type in ("text", "long_text"):
        limit = f.max_length or (MAX_CUSTOM_LONG if f.type == "long_text" else MAX_CUSTOM_TEXT)
        out: Any = check_text(value, name, limit, problems, multiline=f.type == "long_text")
    elif f.type == "phone":
        out = check_phone(value, name, problems)
    elif f.type == "number":
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = math.nan
        if not math.isfinite(number):
            problems.append(Problem(name, "error.intake_number_invalid"))
        out = int(number) if math.isfinite(number) and number.is_integer() else number
    elif f.type == "date":
        try:
            out = (value if isinstance(value, date) else date.fromisoformat(str(value))).isoformat()
        except ValueError:
            problems.append(Problem(name, "error.intake_date_invalid"))
    elif f.type == "choice":
        out = str(value)
        if out not in {code for code, _, _ in f.options}:
            problems.append(Problem(name, "error.intake_choice_invalid"))
    else:  # yes_no
        out = value if isinstance(value, bool) else {"yes": True, "no": False}.get(str(value).lower())
        if out is None:
            problems.append(Problem(name, "error.intake_choice_invalid"))
    return out if len(problems) == before else None


def validate_custom(fields: list[FieldSpec], values: dict[str, Any], problems: list[Problem]) -> dict[str, Any]:
    """The office's own fields: typed, checked, and kept under their keys (absent optional ones left out)."""
    out: dict[str, Any] = {}
    for f in fields:
        value = values.get(f.key)
        name = f"custom.{f.key}"
        if value is None or (isinstance(value, str) and not value.strip()):
            if f.required:
                problems.append(Problem(name, "error.intake_required"))
            continue
        checked = _custom_value(f, value, name, problems)
        if checked is not None and checked != "":
            out[f.key] = checked
    return out


def _photo(blob: bytes, n: int, problems: list[Problem]) -> Photo | None:
    if len(blob) > MAX_PHOTO_BYTES:
        problems.append(Problem("photos", "error.intake_photo_too_big", {"n": n, "max_mb": MAX_PHOTO_BYTES >> 20}))
        return None
    try:
        with Image.open(io.BytesIO(blob)) as probe:
            kind, pixels = probe.format, probe.width * probe.height
            probe.verify()
        if kind not in PHOTO_FORMATS:
            problems.append(Problem("photos", "error.intake_photo_type", {"n": n}))
            return None
        if pixels > MAX_PHOTO_PIXELS:
            problems.append(Problem("photos", "error.intake_photo_unreadable", {"n": n}))
            return None
        with Image.open(io.BytesIO(blob)) as im:
            img = ImageOps.exif_transpose(im)  # keep it upright before the EXIF goes
            img.thumbnail((PHOTO_EDGE, PHOTO_EDGE))
            if img.mode != "RGB":
                rgba = img.convert("RGBA")
                img = Image.new("RGB", rgba.size, "white")
                img.paste(rgba, mask=rgba.getchannel("A"))
            out = io.BytesIO()
            img.save(out, "JPEG", quality=85, optimize=True)  # a fresh file: no EXIF, no GPS, no trailing data
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError, ValueError):
        problems.append(Problem("photos", "error.intake_photo_unreadable", {"n": n}))
        return None
    content = out.getvalue()
    return Photo(f"photo-{n}.jpg", "image/jpeg", len(content), hashlib.sha256(content).hexdigest(), content)


def prepare_photos(blobs: list[bytes]) -> list[Photo]:
    """Up to 3 JPEG/PNG/WebP photos, checked by content, turned upright, ≤ 1600 px, re-encoded without EXIF."""
    if len(blobs) > MAX_PHOTOS:
        raise IntakeInvalid([Problem("photos", "error.intake_photos_too_many", {"max": MAX_PHOTOS})])
    problems: list[Problem] = []
    photos = [p for n, blob in enumerate(blobs, start=1) if (p := _photo(blob, n, problems)) is not None]
    if problems:
        raise IntakeInvalid(problems)
    return photos


def validate_form(form: IntakeForm, fields: list[FieldSpec],
                  category_codes: set[str]) -> tuple[PartyInput, Details, list[Photo]]:
    """All field checks at once, so the person sees every problem in one go."""
    problems: list[Problem] = []
    contact = details = None
    photos: list[Photo] = []
    try:
        contact = validate_contact(form)
    except IntakeInvalid as err:
        problems += err.problems
    try:
        details = validate_details(form, fields, category_codes)
    except IntakeInvalid as err:
        problems += err.problems
    try:
        photos = prepare_photos(form.photos)
    except IntakeInvalid as err:
        problems += err.problems
    if not form.consent:
        problems.append(Problem("consent", "error.intake_consent_required"))
    if problems or contact is None or details is None:
        raise IntakeInvalid(problems)
    return contact, details, photos


def _sign(payload: str) -> str:
    key = hmac.new(get_settings().data_key.encode(), b"intake-form-token", hashlib.sha256).digest()
    return base64.urlsafe_b64encode(hmac.new(key, payload.encode(), hashlib.sha256).digest()[:15]).decode()


def issue_form_token(now: datetime | None = None) -> str:
    """A one-time token for one filling of the form; it carries (signed) the time the form was shown."""
    payload = f"{int((now or utc_now()).timestamp() * 1000):x}.{base64.urlsafe_b64encode(os.urandom(15)).decode()}"
    return f"{payload}.{_sign(payload)}"


def form_shown_at(token: str, now: datetime | None = None) -> datetime:
    """When the form with this token was shown; refuses a forged, malformed or stale token."""
    now = now or utc_now()
    parts = (token or "").split(".")
    if len(parts) != 3 or len(token) > 64 or not hmac.compare_digest(_sign(f"{parts[0]}.{parts[1]}"), parts[2]):
        raise ValidationFailed("error.intake_form_expired")
    shown = datetime.fromtimestamp(int(parts[0], 16) / 1000, now.tzinfo)
    if shown > now + timedelta(minutes=5) or now - shown > TOKEN_MAX_AGE:
        raise ValidationFailed("error.intake_form_expired")
    return shown


def escape_markdown(value: str) -> str:
    """Backslash-escape text (an organisation's name) for the few labels Streamlit renders as markdown."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|<>~:$=])", r"\\\1", value)
