"""The light public path's plumbing (issue 24): the capped form reader, compression and caching on the wire, and
the /track page's sections (the place a later part of the page plugs in)."""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import pytest

from services.intake.form import MAX_PHOTO_BYTES, MAX_PHOTOS
from services.intake.tracking import TrackView
from web import forms, track, wire


async def _stream(*chunks: bytes) -> AsyncIterator[bytes]:
    for c in chunks:
        yield c


def read(body: bytes, content_type: str, length: str | None = "auto", *, split: int = 7000) -> forms.Posted:
    declared = str(len(body)) if length == "auto" else length
    chunks = [body[i : i + split] for i in range(0, len(body), split)]
    return asyncio.run(forms.read_form(content_type, declared, _stream(*chunks)))


def part(name: str, data: bytes, filename: str | None = None) -> bytes:
    disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename is not None else "")
    return f"--B\r\nContent-Disposition: {disposition}\r\n\r\n".encode() + data + b"\r\n"


MP = "multipart/form-data; boundary=B"


def test_read_text_fields_and_photos():
    body = part("applicant_name", "张三".encode()) + part("photos", b"\xff\xd8jpeg", "a.jpg") + b"--B--\r\n"
    posted = read(body, MP)
    assert posted.get("applicant_name") == "张三" and posted.photos == [b"\xff\xd8jpeg"]


def test_skip_empty_file_input_and_files_under_other_names():
    body = part("photos", b"", "") + part("other", b"x" * 100, "x.bin") + b"--B--\r\n"
    posted = read(body, MP)
    assert posted.photos == [] and posted.values == {}


def test_keep_an_oversized_photo_only_up_to_one_byte_past_the_limit():
    body = part("photos", b"\xff" * (MAX_PHOTO_BYTES + 5000), "big.jpg") + b"--B--\r\n"
    posted = read(body, MP, split=1 << 20)
    assert [len(p) for p in posted.photos] == [MAX_PHOTO_BYTES + 1]  # the service refuses it as too big


def test_keep_one_photo_more_than_allowed_and_no_further():
    body = b"".join(part("photos", b"p%d" % i, f"{i}.jpg") for i in range(MAX_PHOTOS + 3)) + b"--B--\r\n"
    assert len(read(body, MP).photos) == MAX_PHOTOS + 1  # enough for "at most 3", not a memory sink


def test_read_urlencoded_with_invalid_utf8_as_unpaired_surrogates():
    posted = read(b"code=AB%FFCD&last4=1234", "application/x-www-form-urlencoded")
    assert posted.get("code") == "AB\udcffCD"  # the services refuse unpaired surrogates: nothing is silently changed


@pytest.mark.parametrize(
    ("body", "content_type", "length", "reason"),
    [
        (b"x", MP, str(forms.MAX_BODY + 1), "too_large"),
        (b"x" * 10, MP, "-1", "too_large"),
        (b"x", MP, "ten", "malformed"),
        (b"{}", "application/json", "auto", "malformed"),
        (b"--B\r\nno headers\r\n\r\n", "multipart/form-data", "auto", "malformed"),
        (b"".join(part(f"f{i}", b"v") for i in range(forms.MAX_PARTS + 1)) + b"--B--\r\n", MP, "auto", "malformed"),
    ],
    ids=["declared-too-large", "negative", "not-a-number", "json", "no-boundary", "too-many-parts"],
)
def test_refuse_bodies_outside_the_limits(body, content_type, length, reason):
    with pytest.raises(forms.FormRefused) as err:
        read(body, content_type, length)
    assert err.value.reason == reason


def test_refuse_a_body_longer_than_it_declared_past_the_cap(monkeypatch):
    monkeypatch.setattr(forms, "MAX_BODY", 1000)
    with pytest.raises(forms.FormRefused):
        asyncio.run(forms.read_form(MP, "10", _stream(b"x" * 600, b"y" * 600)))


# --- the wire ---------------------------------------------------------------------------------------------------


def serve(
    app: Any, path: str = "/x", accept: str = "gzip, br", method: str = "GET"
) -> tuple[int, dict[str, str], bytes]:
    scope = {"type": "http", "method": method, "path": path, "headers": [(b"accept-encoding", accept.encode())]}
    out: dict[str, Any] = {"body": b""}

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            out["status"] = message["status"]
            out["headers"] = {k.decode(): v.decode() for k, v in message["headers"]}
        else:
            out["body"] += message.get("body", b"")

    asyncio.run(app(scope, receive, send))
    return out["status"], out["headers"], out["body"]


def responder(body: bytes, content_type: str = "application/javascript", **extra: str) -> Any:
    calls = {"n": 0}

    async def app(scope: Any, receive: Any, send: Any) -> None:
        calls["n"] += 1
        headers = [(b"content-type", content_type.encode()), (b"content-length", str(len(body)).encode())]
        headers += [(k.replace("_", "-").encode(), v.encode()) for k, v in extra.items()]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        half = len(body) // 2
        await send({"type": "http.response.body", "body": body[:half], "more_body": True})
        await send({"type": "http.response.body", "body": body[half:]})

    app.calls = calls  # type: ignore[attr-defined]
    return app


JS = b"function streamlit(){return 42};\n" * 2000


def test_gzip_text_and_say_vary(monkeypatch):
    monkeypatch.setattr(wire, "_brotli", None)
    status, headers, body = serve(wire.Compress(responder(JS)))
    assert status == 200 and headers["content-encoding"] == "gzip" and "Accept-Encoding" in headers["vary"]
    assert gzip.decompress(body) == JS and int(headers["content-length"]) == len(body) < len(JS) / 10


def test_compress_an_immutable_file_once(monkeypatch):
    inner = responder(JS, etag='"abc"', cache_control="public, immutable, max-age=31536000")
    app = wire.Compress(inner)
    calls = []
    monkeypatch.setattr(wire, "compress", lambda raw, enc, best=False: calls.append(best) or gzip.compress(raw))
    first = serve(app, "/static/js/index.abc.js")
    second = serve(app, "/static/js/index.abc.js")
    assert first[2] == second[2] and calls == [True]  # the second answer came from memory
    assert first[1]["etag"] == 'W/"abc"'


@pytest.mark.parametrize(
    ("kind", "extra", "accept", "path"),
    [
        ("image/png", {}, "gzip", "/x.png"),
        ("font/woff2", {}, "gzip", "/f.woff2"),
        ("application/javascript", {"content_encoding": "gzip"}, "gzip", "/a.js"),
        ("application/javascript", {}, "identity", "/a.js"),
        ("application/javascript", {}, "gzip;q=0", "/a.js"),
        ("text/html", {}, "gzip", "/media/file.html"),
        ("text/event-stream", {}, "gzip", "/_stcore/agent/mcp"),
    ],
    ids=["png", "woff2", "already-encoded", "identity", "q0", "media", "event-stream"],
)
def test_pass_through_what_must_not_be_compressed(kind, extra, accept, path):
    _, headers, body = serve(wire.Compress(responder(JS, kind, **extra)), path, accept)
    assert body == JS and headers.get("content-encoding", "") == extra.get("content_encoding", "")


def test_leave_small_replies_alone():
    _, headers, body = serve(wire.Compress(responder(b"ok", "application/json")))
    assert body == b"ok" and "content-encoding" not in headers


def test_prefer_brotli_when_installed(monkeypatch):
    class FakeBrotli:
        @staticmethod
        def compress(data: bytes, quality: int) -> bytes:
            return b"BR" + data[:10]

    monkeypatch.setattr(wire, "_brotli", FakeBrotli)
    assert wire.choose_encoding("gzip, deflate, br") == "br"
    assert wire.choose_encoding("gzip, br;q=0") == "gzip"
    _, headers, body = serve(wire.Compress(responder(JS)))
    assert headers["content-encoding"] == "br" and body.startswith(b"BR")


# --- /track's sections ------------------------------------------------------------------------------------------

VIEW = TrackView(
    code="ABCD-EFGH-JKMN",
    status="accepted",
    category="neighbour",
    received_on=date(2026, 12, 1),
    org_name="西村调委会<b>",
    org_address="",
    org_phone="0831-1",
    org_hours="",
    next_step="accepted",
    due=date(2026, 12, 31),
    overdue=False,
    reject_reason=None,
    advice="",
    diversion=None,
    can_rate=False,
    rated=False,
)


def test_render_each_section_and_escape_stored_text():
    page = track.render(track.TrackPage(code=VIEW.code, view=VIEW, labels={"category": {"neighbour": "邻里纠纷"}}))
    assert "已受理" in page and "邻里纠纷" in page and "2026-12-31" in page
    assert "西村调委会&lt;b&gt;" in page and "西村调委会<b>" not in page


def test_a_new_section_is_one_function(monkeypatch):
    monkeypatch.setattr(track, "SECTIONS", [*track.SECTIONS, lambda p, v: f'<p id="next-visit">{v.code}</p>'])
    page = track.render(track.TrackPage(code=VIEW.code, view=VIEW))
    assert '<p id="next-visit">ABCD-EFGH-JKMN</p>' in page


def test_define_every_catalogue_key_the_light_pages_use():
    """Each t("…") literal under web/ has zh and en texts (tests/test_i18n.py reads pages/ and services/ only)."""
    import ast
    from pathlib import Path

    from services.core.i18n import catalogue

    root = Path(wire.__file__).resolve().parent
    used = set()
    for path in sorted(root.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "t" and node.args:
                first = node.args[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    used.add(first.value)
    assert len(used) > 40
    assert sorted(used - set(catalogue())) == []
