"""The light path in front of Streamlit: /intake and /track for residents, /signin for staff, as plain HTML.

`LightPublic` is a pure ASGI middleware for st.App. A GET or POST of exactly /intake or /track is answered
here with server-rendered HTML (no script, a strict CSP, never cached); everything else — and those two
addresses too for a signed-in staff member (a sign-in cookie naming a live session) or with `?ui=full` — goes
on to Streamlit, whose full pages stay for staff and for assisted entry. The posters' QR codes keep their
address. /signin is the staff sign-in (`web.signin`), which sets the sign-in cookie from the server; a page load
of /login or of a staff page without a live session is sent there first (303, the page kept as `next`), so
the Streamlit front end loads only for someone signed in.

A POST is checked before its body is read: a foreign Origin is refused (the signed one-time form token inside
the form is the main CSRF defence), and the body is read within web.forms' limits. Database work runs in a
worker thread; the event loop never blocks on it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from urllib.parse import parse_qs, urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from services.access import cookie
from services.access.signin import check_session
from services.core.config import get_settings
from services.core.db import Database
from services.core.ratelimit import client_address
from web import intake as light_intake
from web import signin as light_signin
from web import track as light_track
from web.forms import FormRefused, read_form
from web.html import box, esc, page, t
from web.shrink import SCRIPT_CSP

log = logging.getLogger("mediation.web")

PATHS = ("/intake", "/track")
STREAMLIT_PREFIXES = ("/_stcore/", "/static/", "/component/", "/media/", "/app/")  # Streamlit's own, not pages
SIGNIN_FORM_MAX = 16_384  # bytes: a username, a password and three hidden fields
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


def not_found() -> Response:
    """404 for an address that is no page: in Chinese, with the way home."""
    title = t("light.not_found_title")
    body = f"<h1>{esc(title)}</h1>" + box("info", esc(t("light.not_found")))
    return html_response(404, page(title, body + f'<p><a href="/">{esc(t("light.not_found_home"))}</a></p>'))


def redirect(location: str) -> Response:
    return Response(status_code=303, headers={"Location": location, "Cache-Control": "no-store"})


def answer_response(answer: light_signin.Answer, *, status: int | None = None) -> Response:
    """A sign-in answer: the page or the redirect, with its Set-Cookie lines."""
    response = redirect(answer.location) if answer.location else html_response(status or answer.status, answer.body)
    for line in answer.cookies:
        response.headers.append("Set-Cookie", line)
    return response


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


def _alive(db: Database, key: str) -> bool:
    with db.read() as s:
        actor, _ = check_session(s, get_settings(), key=key)
    return actor is not None


class LightPublic:
    """Serve /intake, /track and /signin as light HTML unless the request belongs to the full Streamlit app."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        get_db: Callable[[], Database],
        staff_paths: Callable[[], Collection[str]] = tuple,
        page_paths: Callable[[], Collection[str]] = tuple,
    ) -> None:
        """`get_db`, `staff_paths` (the staff pages' url paths, without a slash) and `page_paths` (every page's;
        none: no page is refused here) are asked at each request."""
        self.app, self.get_db, self.staff_paths, self.page_paths = app, get_db, staff_paths, page_paths

    def unknown_page(self, scope: Scope) -> bool:
        """A browser's page load (GET of HTML) of an address that is no page of the app: Streamlit would open its
        main page under an English "Page not found" box, so it is answered here in Chinese instead."""
        path = str(scope.get("path") or "")
        known = self.page_paths()
        if scope.get("method") != "GET" or not known or path.startswith(STREAMLIT_PREFIXES):
            return False
        first = path.strip("/").split("/")[0]
        if not first or "." in path.rsplit("/", 1)[-1] or first in known or first in ("login", "signin"):
            return False
        return "text/html" in Headers(scope=scope).get("accept", "")

    async def signed_in(self, request: Request) -> bool:
        """A sign-in cookie naming a live session (checked in the database, like every Streamlit rerun)."""
        claims = cookie.read(get_settings(), request.cookies.get(cookie.COOKIE_NAME))
        if claims is None:
            return False
        db = await run_in_threadpool(self.get_db)
        return await run_in_threadpool(_alive, db, claims.session_key)

    def wants_signin(self, scope: Scope) -> bool:
        """A page load (GET) of the sign-in page or of a staff page: sent to /signin unless signed in."""
        path = str(scope.get("path") or "")
        return scope.get("method") == "GET" and (path == "/login" or path.strip("/") in self.staff_paths())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path")
        light = path in PATHS or path == light_signin.PATH
        ours = scope["type"] == "http" and scope.get("method") in ("GET", "POST")
        if ours and self.unknown_page(scope):
            await not_found()(scope, receive, send)
            return
        if not ours or not (light or self.wants_signin(scope)):
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        response: Response | None
        try:
            if path == light_signin.PATH:
                response = await self.signin(request)
            elif not light:
                response = await self.to_signin(request)
            elif request.query_params.get("ui") == "full" or await self.signed_in(request):
                response = None
            else:
                response = await self.answer(request)
        except Exception:  # a translated page with a reference, never a stack trace
            log.exception("light page %s failed", path)
            response = html_response(500, page(t("intake.title"), box("bad", esc(t("light.failed")))))
        if response is None:
            await self.app(scope, receive, send)
            return
        await response(scope, receive, send)

    async def to_signin(self, request: Request) -> Response | None:
        """A staff page or /login loaded without a live session: the light sign-in, keeping where they were going."""
        if await self.signed_in(request):
            return None
        login = request.url.path == "/login"
        target = cookie.HOME if login else request.url.path
        if request.url.query and not login:
            target += f"?{request.url.query}"
        return redirect(cookie.signin_address(target))

    async def signin(self, request: Request) -> Response:
        settings = get_settings()
        pre = request.cookies.get(light_signin.PRE_COOKIE, "")
        if request.method == "GET":
            next_path = (parse_qs(request.url.query, max_num_fields=20).get("next") or [""])[0]
            if await self.signed_in(request):
                return redirect(cookie.safe_next(next_path))
            stale = bool(request.cookies.get(cookie.COOKIE_NAME))
            return answer_response(light_signin.show(settings, next_path, pre, stale_cookie=stale))
        if not same_origin(request.headers):
            return html_response(403, page(t("auth.title"), box("bad", esc(t("auth.page_expired")))))
        length = request.headers.get("content-length")
        try:
            if length is None or not length.isdigit() or int(length) > SIGNIN_FORM_MAX:
                raise FormRefused("too_large")
            posted = await read_form(request.headers.get("content-type", ""), length, request.stream())
        except FormRefused:
            refused = light_signin.show(settings, "", pre, stale_cookie=False, message=t("light.malformed"))
            return answer_response(refused, status=400)
        db, client = await run_in_threadpool(self.get_db), self.client(request)
        return answer_response(await run_in_threadpool(light_signin.submit, db, settings, posted, pre, client))

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
