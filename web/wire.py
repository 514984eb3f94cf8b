"""The app over the wire: text responses compressed, fingerprinted static files compressed once and cached.

`Compress` is a pure ASGI middleware. It gzips (brotli when the `brotli` module is installed and the browser
asks for it) every text-like response of at least MIN_SIZE bytes that is not already encoded — Streamlit's
own static files included, which Streamlit serves uncompressed. A response marked `immutable` (Streamlit's
hashed bundles) is compressed once per (path, ETag, encoding) and then served from memory. Partial content,
304s, media and WebSocket traffic pass through untouched.
"""

from __future__ import annotations

import gzip
import importlib
import re
import threading
from collections import OrderedDict
from collections.abc import MutableMapping
from typing import Any

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MIN_SIZE = 512
MAX_BUFFER = 8 * 1024 * 1024  # bigger bodies stream through uncompressed
CACHE_BYTES = 24 * 1024 * 1024
TEXT_TYPES = (
    "text/",
    "application/javascript",
    "application/json",
    "application/manifest+json",
    "application/xml",
    "image/svg+xml",
    "application/wasm",
    "font/ttf",
    "font/otf",
    "application/vnd.ms-fontobject",
)
SKIP_PREFIXES = ("/media/", "/_stcore/stream", "/_stcore/upload_file")
# A custom component's files (none is used since the sign-in cookie moved to the server): Streamlit gzips them and marks
# them only "public". They are compressed here instead (brotli when asked), and a file whose name carries its
# content hash (2.23c6e063.chunk.js) is cached for a year like Streamlit's own bundles.
COMPONENT_PREFIX = "/component/"
HASHED_NAME = re.compile(r"\.[0-9a-f]{8}\.chunk\.(js|css)$")

try:
    _brotli: Any = importlib.import_module("brotli")
except ImportError:  # not installed: gzip only
    _brotli = None


def choose_encoding(accept: str) -> str | None:
    """'br' or 'gzip' from an Accept-Encoding header (q=0 honoured), else None."""
    offered: dict[str, float] = {}
    for item in accept.lower().split(","):
        name, _, params = item.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        offered[name.strip()] = q
    if _brotli is not None and offered.get("br", 0) > 0:
        return "br"
    if offered.get("gzip", 0) > 0:
        return "gzip"
    return None


def compress(body: bytes, encoding: str, *, best: bool = False) -> bytes:
    if encoding == "br" and _brotli is not None:
        return bytes(_brotli.compress(body, quality=11 if best else 5))
    return gzip.compress(body, compresslevel=9 if best else 6, mtime=0)


class _Cache:
    """Compressed immutable bodies, least recently used out first, bounded by total size."""

    def __init__(self, limit: int = CACHE_BYTES) -> None:
        self.limit, self.size = limit, 0
        self.items: OrderedDict[tuple[str, str, str], bytes] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: tuple[str, str, str]) -> bytes | None:
        with self.lock:
            body = self.items.get(key)
            if body is not None:
                self.items.move_to_end(key)
            return body

    def put(self, key: tuple[str, str, str], body: bytes) -> None:
        with self.lock:
            if key in self.items or len(body) > self.limit // 4:
                return
            self.items[key] = body
            self.size += len(body)
            while self.size > self.limit:
                _, old = self.items.popitem(last=False)
                self.size -= len(old)


def compressible(headers: Headers, status: int) -> bool:
    if status in (204, 206, 304) or status < 200 or "content-encoding" in headers:
        return False
    kind = headers.get("content-type", "").lower()
    if kind.startswith("text/event-stream"):  # a stream must not wait for its end
        return False
    length = headers.get("content-length")
    if length is not None and length.isdigit() and not MIN_SIZE <= int(length) <= MAX_BUFFER:
        return False
    return kind.startswith(TEXT_TYPES)


class Compress:
    """gzip/brotli for text responses; immutable ones compressed once and served from memory."""

    def __init__(self, app: ASGIApp, cache_bytes: int = CACHE_BYTES) -> None:
        self.app = app
        self.cache = _Cache(cache_bytes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path", "").startswith(SKIP_PREFIXES):
            await self.app(scope, receive, send)
            return
        encoding = choose_encoding(Headers(scope=scope).get("accept-encoding", ""))
        if encoding is None or scope.get("method") == "HEAD":
            await self.app(scope, receive, send)
            return
        if scope.get("path", "").startswith(COMPONENT_PREFIX):  # Streamlit answers plain; compressed below
            headers = [(k, v) for k, v in scope.get("headers", []) if k.lower() != b"accept-encoding"]
            scope = {**scope, "headers": headers}
        await _Responder(self, scope, encoding, send).run(receive)


class _Responder:
    def __init__(self, owner: Compress, scope: Scope, encoding: str, send: Send) -> None:
        self.owner, self.scope, self.encoding, self.send = owner, scope, encoding, send
        self.start: MutableMapping[str, Any] | None = None
        self.chunks: list[bytes] = []
        self.size = 0
        self.passing = False  # decided not to compress: forward as is
        self.key: tuple[str, str, str] | None = None

    async def run(self, receive: Receive) -> None:
        await self.owner.app(self.scope, receive, self.on_send)

    async def on_send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            path = self.scope.get("path", "")
            component = path.startswith(COMPONENT_PREFIX) and int(message["status"]) == 200
            if component and not path.endswith((".html", "/")):
                fixed = MutableHeaders(raw=list(message.get("headers", [])))
                hashed = HASHED_NAME.search(path) is not None
                fixed["cache-control"] = "public, max-age=31536000, immutable" if hashed else "public, max-age=86400"
                message = {**message, "headers": fixed.raw}
                self.key = (path, "component", self.encoding)  # one package version per server: compress once
            headers = Headers(raw=message.get("headers", []))
            if not compressible(headers, int(message["status"])):
                self.passing = True
                await self.send(message)
                return
            self.start = message
            etag = headers.get("etag", "")
            if etag and "immutable" in headers.get("cache-control", ""):
                self.key = (self.scope.get("path", ""), etag, self.encoding)
            return
        if message["type"] != "http.response.body" or self.passing:
            await self.send(message)
            return
        body = message.get("body", b"")
        self.chunks.append(body)
        self.size += len(body)
        if self.size > MAX_BUFFER:  # too big to hold: send what we have uncompressed and stream the rest
            self.passing = True
            assert self.start is not None
            await self.send(self.start)
            await self.send({"type": "http.response.body", "body": b"".join(self.chunks), "more_body": True})
            self.chunks = []
            if not message.get("more_body", False):
                await self.send({"type": "http.response.body", "body": b"", "more_body": False})
            return
        if message.get("more_body", False):
            return
        await self.finish(b"".join(self.chunks))

    async def finish(self, raw: bytes) -> None:
        assert self.start is not None
        headers = MutableHeaders(raw=list(self.start.get("headers", [])))
        vary = headers.get("vary", "")
        if "accept-encoding" not in vary.lower():
            headers["vary"] = f"{vary}, Accept-Encoding" if vary else "Accept-Encoding"
        if len(raw) < MIN_SIZE:
            await self.send({**self.start, "headers": headers.raw})
            await self.send({"type": "http.response.body", "body": raw})
            return
        body = self.owner.cache.get(self.key) if self.key else None
        if body is None:
            body = compress(raw, self.encoding, best=self.key is not None)
            if self.key is not None:
                self.owner.cache.put(self.key, body)
        headers["content-encoding"] = self.encoding
        headers["content-length"] = str(len(body))
        if "etag" in headers:  # a different representation: a weak validator, so a proxy never mixes them up
            etag = headers["etag"]
            headers["etag"] = etag if etag.startswith("W/") else f"W/{etag}"
        await self.send({**self.start, "headers": headers.raw})
        await self.send({"type": "http.response.body", "body": body})
