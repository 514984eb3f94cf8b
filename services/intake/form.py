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
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from models.base import utc_now
from services.cases.create import PartyInput
from services.core.config import get_settings
from services.core.errors import ValidationFailed
from services.core.security import normalise_id, valid_id_number
from services.lowcode import fields as form_fields
from services.lowcode.fields import FieldSpec
from services.lowcode.photos import MAX_PHOTO_BYTES, MAX_PHOTO_PIXELS, MAX_PHOTOS, PHOTO_EDGE, PHOTO_FORMATS, Photo
from services.lowcode.photos import check_photos as _check_photos
from services.lowcode.text_checks import Problem, check_phone, check_text

__all__ = [
    "MAX_PHOTOS",
    "MAX_PHOTO_BYTES",
    "MAX_PHOTO_PIXELS",
    "PHOTO_EDGE",
    "PHOTO_FORMATS",
    "FieldSpec",
    "Photo",
    "Problem",
    "check_phone",
    "check_text",
]

MAX_NAME = 50
MAX_LINE = 200
MAX_DESCRIPTION = 5000
MAX_REQUEST = 2000
MAX_CUSTOM_TEXT = 200
MAX_CUSTOM_LONG = 2000
FIELD_TYPES = ("text", "long_text", "number", "date", "choice", "yes_no", "phone")
UNKNOWN_NAME = "不详"
TOKEN_MAX_AGE = timedelta(days=2)
RESUME_WINDOW = timedelta(hours=1)  # see resumable()


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
    applicant_address: str = ""
    respondent_name: str = ""
    respondent_phone: str = ""
    respondent_address: str = ""
    category: str = ""
    place: str = ""
    request: str = ""
    custom: dict[str, Any] = dataclasses.field(default_factory=dict)
    photos: list[bytes] = dataclasses.field(default_factory=list)
    consent: bool = False
    publication_consent: bool = False  # optional: may be published as a de-identified typical case
    honeypot: str = ""


@dataclass
class Details:
    category: str
    description: str
    place: str
    request: str
    respondent: PartyInput | None
    custom: dict[str, Any]


def parse_fields(raw: list[dict[str, Any]] | None) -> list[FieldSpec]:
    """Field dicts → FieldSpecs of the types intake supports; a malformed entry is skipped so the form renders."""
    return form_fields.parse_fields(raw, FIELD_TYPES)


def validate_contact(form: IntakeForm) -> PartyInput:
    """The applicant: a name, a valid mobile phone, an ID number only if given (checksum checked), and the
    address if given (the documents print it)."""
    problems: list[Problem] = []
    name = check_text(form.applicant_name, "applicant_name", MAX_NAME, problems, required=True)
    phone = check_phone(form.applicant_phone, "applicant_phone", problems, required=True)
    address = check_text(form.applicant_address, "applicant_address", MAX_LINE, problems)
    id_number = form.applicant_id_number.strip() if isinstance(form.applicant_id_number, str) else ""
    if id_number and not valid_id_number(id_number):
        problems.append(Problem("applicant_id_number", "error.id_invalid"))
    if problems:
        raise IntakeInvalid(problems)
    return PartyInput(
        side="applicant",
        name=name,
        phone=phone,
        id_number=normalise_id(id_number) if id_number else "",
        address=address,
    )


def validate_details(form: IntakeForm, fields: list[FieldSpec], category_codes: set[str]) -> Details:
    """What happened, where, what they want, the other party as far as known, and the custom fields."""
    problems: list[Problem] = []
    description = check_text(form.description, "description", MAX_DESCRIPTION, problems, required=True, multiline=True)
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
        respondent = PartyInput(side="respondent", name=r_name or UNKNOWN_NAME, phone=r_phone, address=r_address)
    return Details(category or "other", description, place, request, respondent, custom)


def validate_custom(fields: list[FieldSpec], values: dict[str, Any], problems: list[Problem]) -> dict[str, Any]:
    """The office's own fields: typed, checked, and kept under their keys (absent optional ones left out)."""
    return form_fields.collect_values(fields, values, problems, prefix="custom.")[0]


def prepare_photos(blobs: list[bytes]) -> list[Photo]:
    """Up to 3 JPEG/PNG/WebP photos, checked by content, turned upright, ≤ 1600 px, re-encoded without EXIF."""
    if len(blobs) > MAX_PHOTOS:
        raise IntakeInvalid([Problem("photos", "error.intake_photos_too_many", {"max": MAX_PHOTOS})])
    problems: list[Problem] = []
    photos = _check_photos(blobs, "photos", problems)
    if problems:
        raise IntakeInvalid(problems)
    return photos


def validate_form(
    form: IntakeForm, fields: list[FieldSpec], category_codes: set[str]
) -> tuple[PartyInput, Details, list[Photo]]:
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


def resumable(token: str, now: datetime | None = None) -> bool:
    """True for a genuine token shown less than RESUME_WINDOW ago: a page whose Streamlit session was lost (a
    phone's dropped connection) may look up what that token already produced and show it again. Older kept
    addresses (a reopened or shared link) start a new form instead."""
    now = now or utc_now()
    try:
        return now - form_shown_at(token, now) <= RESUME_WINDOW
    except ValidationFailed:
        return False
