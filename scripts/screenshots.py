"""Phone-sized (390x844) screenshots of app pages, taken with Debian's Chromium against a throwaway server.

    .venv/bin/python -m scripts.screenshots [PATH ...] [--user U --password PW] [--base-url URL]

Without --base-url it starts its own server on a fresh SQLite database seeded with demo data (demo users
have the password `demo-pass-2026`; `python manage.py demo-logins` with that server's env lists them).
The server helpers here are shared with tests/e2e/conftest.py.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

if TYPE_CHECKING:
    from playwright.sync_api import Page

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app.py"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE_CONTEXT: dict[str, Any] = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "locale": "zh-CN",
}
DEMO_PASSWORD = "demo-pass-2026"
SCREENSHOT_DIR = ROOT / "artifacts" / "screenshots"
DEFAULT_PATHS = ["/", "/intake?org=V001", "/track", "/board"]
HEALTH_TIMEOUT_S = 30.0


@dataclass
class LiveServer:
    """A running `streamlit run app.py` on loopback with its own database."""

    url: str
    env: dict[str, str]
    db_url: str
    log_path: Path
    process: subprocess.Popen[bytes]
    seeded: bool = True

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_env(tmp: Path, port: int) -> dict[str, str]:
    """os.environ plus a private SQLite database, random keys and fast bcrypt."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=f"sqlite:///{tmp / 'e2e.db'}",
        AUTH_COOKIE_KEY=secrets.token_urlsafe(48),
        DATA_KEY=secrets.token_urlsafe(48),
        MEDIATION_SECRETS_FILE=str(tmp / "none.toml"),
        DEMO_PASSWORD=DEMO_PASSWORD,
        MEDIATION_BCRYPT_ROUNDS="4",
        PUBLIC_BASE_URL=f"http://127.0.0.1:{port}",
        PYTHONUNBUFFERED="1",
    )
    return env


def _manage(env: dict[str, str], *args: str) -> None:
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=240
    )
    if done.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")


def prepare_database(env: dict[str, str], *, cases: int = 300, seed: int = 7) -> bool:
    """Migrate and seed demo data; True once seeded."""
    _manage(env, "init-db")
    _manage(env, "seed-demo", "--cases", str(cases), "--seed", str(seed))
    return True


def start_streamlit(env: dict[str, str], port: int, log_path: Path) -> LiveServer:
    """Start the app (through serve.py, as `make run` does) on 127.0.0.1:port; wait for /_stcore/health ≤ 30 s."""
    url = f"http://127.0.0.1:{port}"
    cmd = [
        sys.executable,
        str(ROOT / "serve.py"),  # app.py with legacy pages/ folder routing off (see serve.py)
        "--server.headless",
        "true",
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
    ]
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
    server = LiveServer(url=url, env=env, db_url=env["DATABASE_URL"], log_path=log_path, process=process)
    deadline = time.monotonic() + HEALTH_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with {process.returncode}:\n{server.log_tail()}")
        with contextlib.suppress(OSError), urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
            if resp.status == 200:
                return server
        time.sleep(0.2)
    server.stop()
    raise RuntimeError(
        f"streamlit did not answer /_stcore/health within {HEALTH_TIMEOUT_S:.0f} s:\n{server.log_tail()}"
    )


def start_live_server(tmp: Path, *, cases: int = 300, seed: int = 7) -> LiveServer:
    """A fresh database (migrated and seeded) and a server on a free port, all under `tmp`."""
    port = free_port()
    env = server_env(tmp, port)
    seeded = prepare_database(env, cases=cases, seed=seed)
    server = start_streamlit(env, port, tmp / "streamlit.log")
    server.seeded = seeded
    return server


@contextlib.contextmanager
def running_server(*, cases: int = 300, seed: int = 7) -> Iterator[LiveServer]:
    with tempfile.TemporaryDirectory(prefix="mh-live-") as tmp:
        server = start_live_server(Path(tmp), cases=cases, seed=seed)
        try:
            yield server
        finally:
            server.stop()


# --- browser helpers ------------------------------------------------------------------------------------

_SETTLED_JS = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  return !!app && app.getAttribute('data-test-script-state') === 'notRunning'
      && app.getAttribute('data-test-connection-state') === 'CONNECTED';
}"""


def wait_for_app(page: Page, timeout_ms: int = 60_000) -> None:
    """Wait until the app is connected and its script has finished, and stays so for half a second."""
    page.wait_for_selector('[data-testid="stApp"]', timeout=timeout_ms)
    deadline = time.monotonic() + timeout_ms / 1000
    while True:
        page.wait_for_function(_SETTLED_JS, timeout=max(1000, int((deadline - time.monotonic()) * 1000)))
        page.wait_for_timeout(500)  # a component or a callback may trigger one more rerun
        if page.evaluate(_SETTLED_JS) or time.monotonic() > deadline:
            return


def horizontal_overflow(page: Page) -> int:
    """How many CSS pixels the document is wider than the viewport (0 = no horizontal scroll)."""
    return int(page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth"))


def save_screenshot(page: Page, name: str, directory: Path = SCREENSHOT_DIR, *, strict: bool = True) -> Path:
    """Full-page PNG at directory/<name>.png; a page that scrolls sideways fails (strict) or warns."""
    overflow = horizontal_overflow(page)
    message = f"{name}: page is {overflow}px wider than the viewport (horizontal scroll)"
    if strict:
        assert overflow <= 1, message
    elif overflow > 1:
        print(f"warning: {message}", file=sys.stderr)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', name).strip('_') or 'page'}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


SIGN_IN_TIMEOUT_S = 60  # bcrypt at the production cost on a busy 2-core CI machine


def sign_in(page: Page, base_url: str, user: str, password: str, path: str = "/workbench") -> None:
    """Sign in through the real form: a staff page loaded signed out is sent to the light /signin, whose answer
    sets the sign-in cookie and comes back to that page (a public `path` goes to the form directly)."""
    page.goto(base_url + path)
    form = page.locator("form[action='/signin']")
    if not form.count():
        page.goto(f"{base_url}/signin?next={quote(path, safe='/')}")
    form.locator("input[name=username]").fill(user)
    form.locator("input[name=password]").fill(password)
    with page.expect_navigation(timeout=SIGN_IN_TIMEOUT_S * 1000):
        form.locator("button[type=submit]").click()
    if urlsplit(page.url).path == "/signin":
        refusal = page.locator(".box.bad")
        said = refusal.first.inner_text() if refusal.count() else "no message"
        raise AssertionError(f"sign-in as {user!r} refused: {said}")
    wait_for_app(page)


def desktop_context(viewport: str) -> dict[str, Any]:
    """A desktop browser context of viewport "WIDTHxHEIGHT" (e.g. 1366x900, 1920x1080)."""
    width, height = (int(v) for v in viewport.lower().split("x"))
    return {"viewport": {"width": width, "height": height}, "device_scale_factor": 1, "locale": "zh-CN"}


def _shoot(
    base_url: str,
    paths: list[str],
    out: Path,
    user: str | None,
    password: str | None,
    login_path: str,
    viewport: str | None = None,
) -> list[Path]:
    from playwright.sync_api import sync_playwright

    shots = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(**(desktop_context(viewport) if viewport else PHONE_CONTEXT))
        page = context.new_page()
        if user:
            sign_in(page, base_url, user, password or "", login_path)
        for path in paths:
            page.goto(base_url + path)
            if not page.locator("body > main").count():  # the light public pages are plain HTML, no app to wait for
                wait_for_app(page)
            with contextlib.suppress(Exception):  # fragments still loading: their grey placeholders
                page.wait_for_function("() => !document.querySelector('[data-testid=\"stSkeleton\"]')", timeout=30_000)
            name = ("signed_in_" if user else "") + (path.strip("/").replace("?", "_").replace("=", "_") or "home")
            name += f"_{viewport}" if viewport else ""
            if page.get_by_text("Page not found").count():
                print(f"warning: {path} is not a registered page", file=sys.stderr)
            shots.append(save_screenshot(page, name, out, strict=False))
        browser.close()
    return shots


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", default=DEFAULT_PATHS, help="URL paths, e.g. / /board '/intake?org=V001'")
    parser.add_argument("--user", help="sign in first as this user (through the real form)")
    parser.add_argument("--password", default=None, help=f"password for --user (default {DEMO_PASSWORD})")
    parser.add_argument("--login-path", default="/workbench", help="staff URL that shows the sign-in form")
    parser.add_argument("--base-url", help="shoot an already running server instead of starting one")
    parser.add_argument("--out", type=Path, default=SCREENSHOT_DIR)
    parser.add_argument("--cases", type=int, default=300, help="demo cases to seed in the throwaway server")
    parser.add_argument("--viewport", help="a desktop window WIDTHxHEIGHT (e.g. 1366x900) instead of the phone")
    args = parser.parse_args(argv)
    if not CHROMIUM.exists():
        print(
            f"{CHROMIUM} not found; install it with `apt-get install -y chromium` (or `make test-deps`)",
            file=sys.stderr,
        )
        return 2
    password = args.password if args.password is not None else DEMO_PASSWORD
    if args.base_url:
        shots = _shoot(
            args.base_url.rstrip("/"), args.paths, args.out, args.user, password, args.login_path, args.viewport
        )
    else:
        with running_server(cases=args.cases) as server:
            shots = _shoot(server.url, args.paths, args.out, args.user, password, args.login_path, args.viewport)
    for path in shots:
        print(path)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
