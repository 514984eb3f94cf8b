"""Deployment tests: app instances started through serve.py on loopback, behind deploy/nginx.conf.

Every test here is marked `slow` and `e2e` (it drives Debian's Chromium) and runs after the rest of the
suite. Without nginx or Chromium the tests are skipped with the reason; `make test-deps` installs both.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from scripts.screenshots import CHROMIUM, ROOT, LiveServer, free_port, server_env, start_streamlit

DEPLOY_DIR = Path(__file__).resolve().parent
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
TEMPLATE = ROOT / "deploy" / "nginx.conf"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark tests/deploy as slow + e2e, skip them without nginx or Chromium, and run them last."""
    mine = [i for i in items if DEPLOY_DIR in Path(str(i.path)).resolve().parents]
    for item in mine:
        item.add_marker(pytest.mark.slow)
        item.add_marker(pytest.mark.e2e)
        if not Path(NGINX).exists():
            item.add_marker(pytest.mark.skip(reason="nginx not found: run `make test-deps` as root"))
        if not CHROMIUM.exists():
            item.add_marker(pytest.mark.skip(reason=f"{CHROMIUM} not found: run `make test-deps` as root"))
    items[:] = [i for i in items if i not in mine] + mine


@dataclass
class Nginx:
    """A running nginx from deploy/nginx.conf under a temporary prefix."""

    url: str  # https://127.0.0.1:PORT
    http_url: str
    prefix: Path
    process: subprocess.Popen[bytes]
    upstreams: list[str] = field(default_factory=list)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)

    def access_log(self) -> list[str]:
        path = self.prefix / "access.log"
        return path.read_text(encoding="utf-8").splitlines() if path.exists() else []


def self_signed_cert(directory: Path) -> tuple[Path, Path]:
    """A throwaway certificate for 127.0.0.1 (the browser is told to accept it)."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return cert, key


def render_nginx(
    prefix: Path, upstream_ports: list[int], http_port: int, https_port: int, *, sticky: bool = True
) -> Path:
    """deploy/nginx.conf with loopback ports filled in; sticky=False drops the hash (CFG-9's negative case)."""
    cert, key = self_signed_cert(prefix)
    for sub in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (prefix / sub).mkdir(exist_ok=True)
    text = TEMPLATE.read_text(encoding="utf-8")
    if not sticky:
        assert "hash $mh_route consistent;" in text
        text = text.replace("hash $mh_route consistent;", "# round robin: no affinity")
    lines = "\n        ".join(f"server 127.0.0.1:{p} max_fails=2 fail_timeout=10s;" for p in upstream_ports)
    values = {
        "PREFIX": str(prefix),
        "UPSTREAMS": lines,
        "HTTP_PORT": f"127.0.0.1:{http_port}",
        "HTTPS_PORT": f"127.0.0.1:{https_port}",
        "SERVER_NAME": "127.0.0.1",
        "TLS_CERT": str(cert),
        "TLS_KEY": str(key),
        "HTTPS_REDIRECT_PORT": f":{https_port}",
    }
    out = []
    for line in text.splitlines():
        if not line.lstrip().startswith("#"):  # the header comment names the placeholders
            for name, value in values.items():
                line = line.replace(f"@{name}@", value)
            assert not re.search(r"@[A-Z_]+@", line), f"a placeholder was left unfilled: {line}"
        out.append(line)
    text = "\n".join(out) + "\n"
    conf = prefix / "nginx.conf"
    conf.write_text(text, encoding="utf-8")
    return conf


def start_nginx(prefix: Path, upstream_ports: list[int], *, sticky: bool = True, https_port: int = 0) -> Nginx:
    """nginx in the foreground as the current user (pid, logs and temp files under prefix); start the
    instances first: nginx is ready when /_stcore/health answers through it."""
    prefix.mkdir(parents=True, exist_ok=True)
    http_port, https_port = free_port(), https_port or free_port()
    conf = render_nginx(prefix, upstream_ports, http_port, https_port, sticky=sticky)
    globals_ = "daemon off;" + (" user root;" if os.geteuid() == 0 else "")
    test = subprocess.run(
        [NGINX, "-t", "-p", str(prefix), "-e", str(prefix / "error.log"), "-c", str(conf), "-g", globals_],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert test.returncode == 0, f"nginx -t failed:\n{test.stderr}"
    with (prefix / "nginx.out").open("ab") as out:
        process = subprocess.Popen(
            [NGINX, "-p", str(prefix), "-e", str(prefix / "error.log"), "-c", str(conf), "-g", globals_],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    server = Nginx(
        f"https://127.0.0.1:{https_port}",
        f"http://127.0.0.1:{http_port}",
        prefix,
        process,
        [f"127.0.0.1:{p}" for p in upstream_ports],
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError, urllib.error.URLError):
            if fetch(server.url + "/_stcore/health").status == 200:
                return server
        if process.poll() is not None:
            break
        time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"nginx did not come up:\n{(prefix / 'error.log').read_text(errors='replace')}")


@dataclass
class Response:
    status: int
    headers: dict[str, str]  # lower-case names; repeated headers joined with "\n"
    body: bytes


def fetch(url: str, *, cookie: str = "", method: str = "GET", data: bytes | None = None) -> Response:
    """One request without redirects or certificate checks; HTTP errors are returned, not raised."""
    ctx = ssl.create_default_context()
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: object, **kwargs: object) -> None:
            return None

    opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=ctx), NoRedirect)
    req = urllib.request.Request(url, method=method, data=data, headers={"Cookie": cookie} if cookie else {})
    try:
        with opener.open(req, timeout=15) as resp:
            status, raw, body = resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as err:
        status, raw, body = err.code, err.headers, err.read()
    headers: dict[str, str] = {}
    for name, value in raw.items():
        key = name.lower()
        headers[key] = f"{headers[key]}\n{value}" if key in headers else value
    return Response(status, headers, body)


def instance_env(base: dict[str, str], *, database_url: str, public_url: str, cookie_secret: str) -> dict[str, str]:
    """One instance's environment: what every instance shares, plus the public address at the proxy."""
    host, _, port = public_url.removeprefix("https://").partition(":")
    return {
        **base,
        "DATABASE_URL": database_url,
        "PUBLIC_BASE_URL": public_url,
        "STREAMLIT_SERVER_COOKIE_SECRET": cookie_secret,
        "STREAMLIT_BROWSER_SERVER_ADDRESS": host,
        "STREAMLIT_BROWSER_SERVER_PORT": port or "443",
    }


def start_instances(env: dict[str, str], count: int, tmp: Path) -> list[LiveServer]:
    """`count` app processes through serve.py on free loopback ports, all with the same environment."""
    servers: list[LiveServer] = []
    try:
        for n in range(count):
            servers.append(start_streamlit(env, free_port(), tmp / f"instance{n + 1}.log"))
    except Exception:
        for s in servers:
            s.stop()
        raise
    return servers


def base_env(tmp: Path) -> dict[str, str]:
    """server_env() (random keys, fast bcrypt, no secrets file) for a cluster under tmp."""
    env = server_env(tmp, 0)
    env["STREAMLIT_SERVER_COOKIE_SECRET"] = secrets.token_urlsafe(48)
    return env


@contextlib.contextmanager
def fresh_pg_database() -> Iterator[str]:
    """A new PostgreSQL database beside TEST_DATABASE_URL's (skip when unset), dropped afterwards."""
    url = os.environ.get("TEST_DATABASE_URL", "")
    if not url.startswith("postgresql"):
        pytest.skip("TEST_DATABASE_URL is unset: several instances need one PostgreSQL (see deploy/README.md)")
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"mh_deploy_{secrets.token_hex(4)}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
