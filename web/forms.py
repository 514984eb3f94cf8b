"""Reading a posted form with hard limits, before anything parses its content.

The whole body is capped (a bigger declared length is refused before one byte is read); text fields are
capped per field and in number; a photo is kept only up to one byte past the photo limit, so the intake
service's own size rule refuses it with its own message while the text the person typed survives; photos
beyond the allowed count are counted, not kept. Nothing here decodes an image.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

import python_multipart
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import parse_options_header

from services.intake.form import MAX_PHOTO_BYTES, MAX_PHOTOS

MAX_TEXT_PART = 1_200_000  # one field: room for a pasted novel, which the service then refuses by length
MAX_TEXT_TOTAL = 3_000_000
MAX_PARTS = 200
MAX_BODY = MAX_PHOTOS * MAX_PHOTO_BYTES + MAX_TEXT_TOTAL + 1_000_000  # three full-size photos and the text
FILE_FIELD = "photos"


class FormRefused(Exception):
    """The body cannot be read as a form within the limits; `reason` names which limit."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # "too_large" | "malformed"


@dataclass
class Posted:
    """What a form sent: text values by name (in order) and the photo files' bytes (empty choices dropped)."""

    values: dict[str, list[str]] = field(default_factory=dict)
    photos: list[bytes] = field(default_factory=list)

    def get(self, name: str) -> str:
        got = self.values.get(name)
        return got[0] if got else ""

    def all(self, name: str) -> list[str]:
        return list(self.values.get(name, []))


@dataclass
class _Part:
    name: str = ""
    filename: str | None = None
    data: bytearray = field(default_factory=bytearray)
    disposition: bytes = b""
    header_name: bytes = b""
    header_value: bytes = b""


class _Collector:
    """python-multipart callbacks that keep within the limits."""

    def __init__(self, posted: Posted) -> None:
        self.posted = posted
        self.part = _Part()
        self.parts = 0
        self.text_bytes = 0
        self.files_seen = 0

    def on_part_begin(self) -> None:
        self.part = _Part()
        self.parts += 1
        if self.parts > MAX_PARTS:
            raise FormRefused("malformed")

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self.part.header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self.part.header_value += data[start:end]

    def on_header_end(self) -> None:
        if self.part.header_name.strip().lower() == b"content-disposition":
            self.part.disposition = self.part.header_value
        self.part.header_name, self.part.header_value = b"", b""

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self.part.disposition)
        raw_name = options.get(b"name")
        if raw_name is None:
            raise FormRefused("malformed")
        self.part.name = raw_name.decode("utf-8", "replace")
        if b"filename" in options:
            self.part.filename = options[b"filename"].decode("utf-8", "replace")

    def _keep_limit(self) -> int:
        """How many bytes of the current part to keep."""
        if self.part.filename is None:
            return MAX_TEXT_PART + 1
        if self.part.name != FILE_FIELD or len(self.posted.photos) > MAX_PHOTOS:
            return 0  # a file under another name, or one more than the service needs to say "too many"
        return MAX_PHOTO_BYTES + 1  # enough for the service to say "too big"

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        room = self._keep_limit() - len(self.part.data)
        if room > 0:
            self.part.data += data[start : min(end, start + room)]
        if self.part.filename is None:
            self.text_bytes += end - start
            if self.text_bytes > MAX_TEXT_TOTAL:
                raise FormRefused("too_large")

    def on_part_end(self) -> None:
        part = self.part
        if part.filename is None:
            text = bytes(part.data[:MAX_TEXT_PART]).decode("utf-8", "surrogateescape")
            if len(part.data) > MAX_TEXT_PART:
                text += "\ufffd"  # over the field cap: kept visibly longer than any limit, so it is refused
            self.posted.values.setdefault(part.name, []).append(text)
        elif part.name == FILE_FIELD and (part.data or part.filename) and len(self.posted.photos) <= MAX_PHOTOS:
            self.posted.photos.append(bytes(part.data))  # a named empty file too: the service refuses it

    def on_end(self) -> None:
        pass


async def _capped(stream: AsyncIterator[bytes], limit: int) -> AsyncIterator[bytes]:
    seen = 0
    async for chunk in stream:
        seen += len(chunk)
        if seen > limit:
            raise FormRefused("too_large")
        yield chunk


async def read_form(
    content_type: str, content_length: str | None, stream: AsyncIterator[bytes], *, limit: int = MAX_BODY
) -> Posted:
    """A posted form (multipart or urlencoded) within the limits, or FormRefused."""
    try:
        declared = int(content_length) if content_length else None
    except ValueError:
        raise FormRefused("malformed") from None
    if declared is not None and (declared < 0 or declared > limit):
        raise FormRefused("too_large")
    kind, params = parse_options_header(content_type or "")
    posted = Posted()
    body = _capped(stream, limit)
    if kind == b"application/x-www-form-urlencoded":
        raw = bytearray()
        async for chunk in body:
            raw += chunk
            if len(raw) > MAX_TEXT_TOTAL:
                raise FormRefused("too_large")
        text = bytes(raw).decode("utf-8", "surrogateescape")
        for name, value in parse_qsl(text, keep_blank_values=True, max_num_fields=MAX_PARTS, errors="surrogateescape"):
            posted.values.setdefault(name, []).append(value)
        return posted
    boundary = params.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary or len(boundary) > 200:
        raise FormRefused("malformed")
    collector = _Collector(posted)
    callbacks = {
        "on_part_begin": collector.on_part_begin,
        "on_part_data": collector.on_part_data,
        "on_part_end": collector.on_part_end,
        "on_header_field": collector.on_header_field,
        "on_header_value": collector.on_header_value,
        "on_header_end": collector.on_header_end,
        "on_headers_finished": collector.on_headers_finished,
        "on_end": collector.on_end,
    }
    try:
        parser = python_multipart.MultipartParser(boundary, callbacks)  # type: ignore[arg-type]
        async for chunk in body:
            parser.write(chunk)
        parser.finalize()
    except FormParserError:
        raise FormRefused("malformed") from None
    return posted
