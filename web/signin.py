"""The staff sign-in as one light page: /signin in plain HTML (a few KB), the sign-in cookie set by the server.

GET shows the form; POST signs in through `services.access.signin.authenticate` — the same throttle per account
and per address, the same one message for an unknown user and a wrong password — starts the server-side
session and answers 303 to `next` (a path of this site only) with the sign-in cookie (`services.access.cookie`:
HttpOnly, SameSite=Strict, Secure behind https). No Streamlit front end loads before the password is checked,
and no browser component writes the cookie (the one that did weighed 1 MB on every signed-in first load).

Login CSRF: the form carries a signed, time-limited token and repeats a random value that GET put in a
SameSite=Strict cookie of this path only; a form posted from another site brings neither. The password is never
echoed back; the username is kept on a refusal.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass, field

from services.access import cookie
from services.access import signin as auth_service
from services.core.config import Settings
from services.core.db import Database
from services.core.errors import DomainError, ValidationFailed
from services.intake.form import form_shown_at, issue_form_token
from web.forms import Posted
from web.html import box, esc, page, t

PATH = cookie.SIGNIN_PATH
PRE_COOKIE = "mh_signin"
PRE_MAX_AGE = 7200
MAX_USERNAME = 60
MAX_PASSWORD = 256


@dataclass
class Answer:
    """What the route sends: a status, an HTML body (empty for a redirect), where to go and cookies to set."""

    status: int
    body: str = ""
    location: str = ""
    cookies: list[str] = field(default_factory=list)


def _pre_cookie(value: str, *, secure: bool, max_age: int = PRE_MAX_AGE) -> str:
    tail = "; Secure" if secure else ""
    return f"{PRE_COOKIE}={value}; Path={PATH}; Max-Age={max_age}; HttpOnly; SameSite=Strict{tail}"


def render(next_path: str, pre: str, *, username: str = "", message: str = "", info: str = "") -> str:
    notes = (box("bad", esc(message)) if message else "") + (box("info", esc(info)) if info else "")
    form = (
        f'<form method="post" action="{esc(PATH)}" autocomplete="on">'
        f'<input type="hidden" name="token" value="{esc(issue_form_token())}">'
        f'<input type="hidden" name="pre" value="{esc(pre)}">'
        f'<input type="hidden" name="next" value="{esc(cookie.safe_next(next_path))}">'
        f'<label for="username">{esc(t("auth.username"))}</label>'
        f'<input type="text" id="username" name="username" value="{esc(username)}" maxlength="{MAX_USERNAME}" '
        f'autocomplete="username" autocapitalize="none" spellcheck="false" required>'
        f'<label for="password">{esc(t("auth.password"))}</label>'
        f'<input type="password" id="password" name="password" maxlength="{MAX_PASSWORD}" '
        f'autocomplete="current-password" required>'
        f'<button type="submit">{esc(t("auth.submit"))}</button></form>'
    )
    body = f'<h1>{esc(t("auth.title"))}</h1><p class="muted">{esc(t("app.title"))}</p>{notes}{form}'
    return page(t("auth.title"), body)


def show(
    settings: Settings, next_path: str, pre_cookie: str, *, stale_cookie: bool, message: str = "", info: str = ""
) -> Answer:
    """The form; a pre-sign-in value is kept from the browser's cookie or drawn anew, and a sign-in cookie whose
    session has ended (signed out, expired) is deleted on the way."""
    secure = _secure(settings)
    pre = pre_cookie if _well_formed(pre_cookie) else secrets.token_urlsafe(18)
    cookies = [_pre_cookie(pre, secure=secure)]
    if stale_cookie:
        cookies.append(cookie.header("", max_age=0, secure=secure))
    return Answer(200, render(next_path, pre, message=message, info=info), cookies=cookies)


def submit(db: Database, settings: Settings, posted: Posted, pre_cookie: str, client: str) -> Answer:
    """Check the form and the password; signed in: the cookie and a redirect, else the form with one message."""
    username = _text(posted.get("username")).strip()[:MAX_USERNAME]
    password = _text(posted.get("password"))[:MAX_PASSWORD]
    next_path = cookie.safe_next(posted.get("next"))
    secure = _secure(settings)
    pre = posted.get("pre")

    def again(status: int, key: str, **params: object) -> Answer:
        fresh = pre_cookie if _well_formed(pre_cookie) else secrets.token_urlsafe(18)
        body = render(next_path, fresh, username=username, message=t(key, **params))
        return Answer(status, body, cookies=[_pre_cookie(fresh, secure=secure)])

    if not (_well_formed(pre) and _well_formed(pre_cookie) and hmac.compare_digest(pre, pre_cookie)):
        return again(403, "auth.page_expired")
    try:
        form_shown_at(posted.get("token"))
    except ValidationFailed:
        return again(403, "auth.page_expired")
    if not username or not password:
        return again(400, "error.signin_empty")
    try:
        result = auth_service.authenticate(db, settings, username=username, password=password, client=client)
    except DomainError as err:
        return again(401 if isinstance(err, auth_service.SignInFailed) else 429, err.key, **err.params)
    token, claims = cookie.issue(settings, result.username)
    with db.write() as s:
        auth_service.start_session(s, user_id=result.user_id, key=claims.session_key, client=client)
    return Answer(
        303,
        location=next_path,
        cookies=[
            cookie.header(token, max_age=cookie.COOKIE_HOURS * 3600, secure=secure),
            _pre_cookie("", secure=secure, max_age=0),
        ],
    )


def _text(value: str) -> str:
    """What a browser cannot have sent as UTF-8 (a lone surrogate from undecodable bytes) becomes U+FFFD: such a
    name matches no account and is refused like any wrong one, never an error of the database."""
    return value.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


def _well_formed(value: str) -> bool:
    return 16 <= len(value or "") <= 64 and all(c.isalnum() or c in "-_" for c in value)


def _secure(settings: Settings) -> bool:
    return settings.public_base_url.lower().startswith("https://")
