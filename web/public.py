"""The light public path in front of Streamlit: /intake and /track as plain HTML for residents.

`LightPublic` is a pure ASGI middleware for st.App. A GET or POST of exactly /intake or /track is answered
here with server-rendered HTML (no script, a strict CSP, never cached); everything else — and those two
addresses too for a signed-in staff member (their sign-in cookie is present) or with `?ui=full` — goes on to
Streamlit, whose full pages stay for staff and for assisted entry. The posters' QR codes keep their address.

A POST is checked before its body is read: a foreign Origin is refused (the signed one-time form token inside
the form is the main CSRF defence), and the body is read within web.forms' limits. Database work runs in a
worker thread; the event loop never blocks on it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from services.core.config import get_settings
from services.core.db import Database
from services.core.ratelimit import client_address
from web import intake as light_intake
from web import track as light_track
from web.forms import FormRefused, read_form
from web.html import box, esc, page, t
from web.shrink import SCRIPT_CSP

log = logging.getLogger("mediation.web")

PATHS = ("/intake", "/track")
CSP = (
    f"default-src 'none'; script-src {SCRIPT_CSP}; style-src 'unsafe-inline'; img-src data: blob:; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


def html_response(status: int, body: str) -> Response:
    return HTMLResponse(body.encode("utf-8"), status_code=status, headers=HEADERS)


def same_origin(headers: Headers) -> bool:
    """No Origin, an opaque one (`null`: what a browser sends under Referrer-Policy no-referrer) or one naming
    this host or the public one. Only a named foreign site is refused here; the signed token does the rest."""
    origin = headers.get("origin")
    if origin is None or origin.strip() == "null":
        return True
    host = (urlsplit(origin).hostname or "").lower()
    own = {(headers.get("host") or "").split(":")[0].lower(), (urlsplit(get_settings().public_base_url).hostname or "")}
    forwarded = headers.get("x-forwarded-host")
    if forwarded:
        own.add(forwarded.split(":")[0].lower())
    return bool(host) and host in own


class LightPublic:
    """Serve /intake and /track as light HTML unless the request belongs to the full Streamlit app."""

    def __init__(
        self, app: ASGIApp, *, get_db: Callable[[], Database], staff_cookie: Callable[[], str] = lambda: ""
    ) -> None:
        """`get_db` and `staff_cookie` (the sign-in cookie's name) are asked at each request, not at start."""
        self.app, self.get_db, self.staff_cookie = app, get_db, staff_cookie

    def wants_full(self, request: Request) -> bool:
        cookie = self.staff_cookie()
        return request.query_params.get("ui") == "full" or bool(cookie and request.cookies.get(cookie))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") not in PATHS or scope.get("method") not in ("GET", "POST"):
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        if self.wants_full(request):
            await self.app(scope, receive, send)
            return
        try:
            response = await self.answer(request)
        except Exception:  # a translated page with a reference, never a stack trace
            log.exception("light page %s failed", scope.get("path"))
            response = html_response(500, page(t("intake.title"), box("bad", esc(t("light.failed")))))
        await response(scope, receive, send)

    def client(self, request: Request) -> str:
        peer = request.client.host if request.client else ""
        return client_address(peer, request.headers.get("x-forwarded-for", ""), get_settings().trusted_proxies)

    async def answer(self, request: Request) -> Response:
        query = parse_qs(request.url.query, max_num_fields=20)
        code = light_intake.clean_code((query.get("org") or [""])[0])
        is_intake = request.url.path == "/intake"
        if request.method == "GET":
            if is_intake:
                db = await run_in_threadpool(self.get_db)  # the first call may migrate: not on the event loop
                status, body = await run_in_threadpool(light_intake.show_form, db, code)
            else:
                status, body = light_track.show((query.get("code") or [""])[0])
            return html_response(status, body)
        if not same_origin(request.headers):
            return html_response(403, page(t("intake.title"), box("bad", esc(t("light.foreign_origin")))))
        try:
            posted = await read_form(
                request.headers.get("content-type", ""), request.headers.get("content-length"), request.stream()
            )
        except FormRefused as err:
            status = 413 if err.reason == "too_large" else 400
            return html_response(status, light_intake.refused(code if is_intake else "", err.reason))
        db, client = await run_in_threadpool(self.get_db), self.client(request)
        if is_intake:
            status, body = await run_in_threadpool(light_intake.submit, db, code, posted, client)
        else:
            status, body = await run_in_threadpool(light_track.post, db, posted, client)
        return html_response(status, body)
