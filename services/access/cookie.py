"""The sign-in cookie: a JWT (HS256 over the username and an expiry) naming one server-side session.

The light sign-in route (`web.signin`) sets it from the server as an HttpOnly cookie, so no browser component
has to write it; the Streamlit frame (`pages.ui.auth`) and the light path read it. The cookie proves nothing on
its own: it signs someone in only while the session it names is alive in the database
(`signin.check_session`), so signing out, disabling the account or changing the password ends it at once.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

import jwt

from services.access.signin import session_key
from services.core.config import Settings

COOKIE_NAME = "mh_auth"
COOKIE_HOURS = 12  # the cookie's own lifetime; the session's idle and absolute limits apply inside it
SIGNIN_PATH = "/signin"  # the light sign-in page (web.signin), which sets this cookie
HOME = "/workbench"  # where signing in goes when no (acceptable) page was asked for
MAX_LENGTH = 512  # a genuine token is about 150 characters; anything longer is not decoded at all


@dataclass(frozen=True)
class Claims:
    username: str
    exp: float

    @property
    def session_key(self) -> str:
        return session_key(self.username, self.exp)


def issue(settings: Settings, username: str, *, now: float | None = None) -> tuple[str, Claims]:
    """A new cookie value for `username` and its claims (whose `session_key` names the session to start)."""
    claims = Claims(username=username, exp=(now or time.time()) + COOKIE_HOURS * 3600)
    token = jwt.encode({"username": username, "exp_date": claims.exp}, settings.auth_cookie_key, algorithm="HS256")
    return token, claims


def read(settings: Settings, raw: object, *, now: float | None = None) -> Claims | None:
    """The claims of a genuine, unexpired cookie value; None for anything else (forged, expired, malformed)."""
    if not isinstance(raw, str) or not raw or len(raw) > MAX_LENGTH:
        return None
    try:
        claims = jwt.decode(raw, settings.auth_cookie_key, algorithms=["HS256"])
    except jwt.PyJWTError:
        return None
    username, exp = claims.get("username"), claims.get("exp_date")
    if not isinstance(username, str) or not isinstance(exp, int | float) or isinstance(exp, bool):
        return None
    if exp < (now or time.time()):
        return None
    return Claims(username=username, exp=float(exp))


def header(value: str, *, max_age: int, secure: bool) -> str:
    """A Set-Cookie value: HttpOnly (no script reads it), SameSite=Strict, the whole site; `max_age` 0 deletes."""
    flags = f"Path=/; Max-Age={max(0, max_age)}; HttpOnly; SameSite=Strict"
    return f"{COOKIE_NAME}={value}; {flags}{'; Secure' if secure else ''}"


def safe_next(raw: str) -> str:
    """A path of this site to go to after signing in; anything else (another site, a scheme, odd characters)
    becomes the workbench."""
    value = (raw or "").strip()
    parts = urlsplit(value)
    if (
        not value.startswith("/")
        or value.startswith(("//", "/\\"))
        or parts.scheme
        or parts.netloc
        or len(value) > 300
        or any(ord(c) < 0x20 or c in "\\<>\"'` " for c in value)
        or parts.path.startswith(SIGNIN_PATH)
    ):
        return HOME
    return value


def signin_address(next_path: str) -> str:
    """The light sign-in page, going on to `next_path` afterwards."""
    return f"{SIGNIN_PATH}?next={quote(safe_next(next_path), safe='/')}"
