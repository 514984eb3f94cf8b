"""Photos sent through any form: checked by content (Pillow), not by name; upright, ≤ 1600 px, no EXIF."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from services.lowcode.text_checks import Problem

MAX_PHOTOS = 3
MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_PHOTO_PIXELS = 50_000_000  # refuse before decoding: a small file can unpack into gigabytes
PHOTO_EDGE = 1600
PHOTO_FORMATS = {"JPEG", "PNG", "WEBP"}


@dataclass(frozen=True)
class Photo:
    filename: str
    mime: str
    size: int
    sha256: str
    content: bytes


def _reencode(blob: bytes) -> bytes:
    with Image.open(io.BytesIO(blob)) as im:
        img = ImageOps.exif_transpose(im)  # keep it upright before the EXIF goes
        img.thumbnail((PHOTO_EDGE, PHOTO_EDGE))
        if img.mode != "RGB":
            rgba = img.convert("RGBA")
            img = Image.new("RGB", rgba.size, "white")
            img.paste(rgba, mask=rgba.getchannel("A"))
        out = io.BytesIO()
        img.save(out, "JPEG", quality=85, optimize=True)  # a fresh file: no EXIF, no GPS, no trailing data
    return out.getvalue()


def check_photo(blob: bytes, n: int, problems: list[Problem], name: str = "photos") -> Photo | None:
    """Photo number `n` re-encoded as JPEG, or None with a problem recorded under field `name`."""
    if len(blob) > MAX_PHOTO_BYTES:
        problems.append(Problem(name, "error.intake_photo_too_big", {"n": n, "max_mb": MAX_PHOTO_BYTES >> 20}))
        return None
    try:
        with Image.open(io.BytesIO(blob)) as probe:
            kind, pixels = probe.format, probe.width * probe.height
            probe.verify()
        if kind not in PHOTO_FORMATS:
            problems.append(Problem(name, "error.intake_photo_type", {"n": n}))
            return None
        if pixels > MAX_PHOTO_PIXELS:
            problems.append(Problem(name, "error.intake_photo_unreadable", {"n": n}))
            return None
        content = _reencode(blob)
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError, ValueError):
        problems.append(Problem(name, "error.intake_photo_unreadable", {"n": n}))
        return None
    return Photo(f"photo-{n}.jpg", "image/jpeg", len(content), hashlib.sha256(content).hexdigest(), content)


def check_photos(blobs: list[bytes], name: str, problems: list[Problem]) -> list[Photo]:
    """Up to 3 photos, each checked; problems recorded under field `name`."""
    if len(blobs) > MAX_PHOTOS:
        problems.append(Problem(name, "error.intake_photos_too_many", {"max": MAX_PHOTOS}))
        return []
    return [p for n, blob in enumerate(blobs, start=1) if (p := check_photo(blob, n, problems, name)) is not None]
