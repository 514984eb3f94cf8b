"""CFG-1, 2, 3, 6, 8: production configuration, dependency floor, key hygiene, XSRF, error exposure.

CFG-1 and CFG-3 are proven in tests/test_config.py (13 config assertions; 6 weak keys × 2 key names
refused, the good key accepted); here the app *start* with each weak key is checked as well.
"""

from __future__ import annotations

import logging
import re
import secrets
import subprocess
import sys
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path

import pytest

from scripts.screenshots import LiveServer, free_port, server_env, start_streamlit
from tests.factories import make_tree, make_user
from tests.pages.conftest import page_text

ROOT = Path(__file__).resolve().parents[2]

# CFG-2: advisories from reliability-anchors.md §A1, as (package, first affected, first fixed).
KNOWN_VULNERABLE: list[tuple[str, str, str, str]] = [
    ("streamlit", "0.63.0", "0.81.0", "CVE-2023-27494 reflected XSS"),
    ("streamlit", "0.0.0", "1.11.1", "CVE-2022-35918 component path traversal"),
    ("streamlit", "0.0.0", "1.30.0", "GHSA-8qw9-gf7w-42x5 path traversal follow-up"),
    ("streamlit", "0.0.0", "1.37.0", "CVE-2024-42474 static file traversal (Windows)"),
    ("streamlit", "0.0.0", "1.43.0", "CVE-2025-1684 file_uploader type only client-side"),
    ("streamlit", "0.0.0", "1.53.1", "CVE-2026-10804 weak cache hash"),
    ("streamlit", "0.0.0", "1.54.0", "CVE-2026-33682 UNC-path SSRF (Windows)"),
]
FLOOR = {"streamlit": "1.54.0"}


def _v(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", text)[:3])


def _pins() -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        m = re.match(r"^([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?==([^\s#;]+)", line.strip())
        if m:
            pins[m.group(1).lower()] = m.group(2)
    return pins


def test_pin_every_runtime_dependency_exactly() -> None:
    lines = [
        ln.strip()
        for ln in (ROOT / "requirements.txt").read_text().splitlines()
        if ln.strip() and not ln.strip().startswith("#")
    ]
    assert len(_pins()) == len(lines), [ln for ln in lines if "==" not in ln]


def test_pin_above_floor_and_known_vulnerable_ranges() -> None:
    """CFG-2: streamlit ≥ 1.54.0; no pin (and no installed version) inside a known vulnerable range."""
    pins = _pins()
    assert _v(pins["streamlit"]) >= _v(FLOOR["streamlit"])
    hits = []
    for pkg, first, fixed, what in KNOWN_VULNERABLE:
        for source, ver in (("pin", pins.get(pkg)), ("installed", version(pkg))):
            if ver and _v(first) <= _v(ver) < _v(fixed):
                hits.append(f"{pkg} {source} {ver}: {what}, fixed in {fixed}")
    assert hits == []
    assert version("streamlit") == pins["streamlit"], "the venv runs what requirements.txt pins"


@pytest.mark.parametrize(
    "weak",
    [
        "",
        "some_key",
        "some_signature_key",
        "streamlit_auth_signature_key",
        "secretkey",
        "abcdef",
        "short-but-random-Zq81",
    ],
)
def test_refuse_app_start_with_weak_cookie_key(weak: str, db, make_app, monkeypatch) -> None:
    """CFG-3: app.py stops with a clear message (no navigation, no sign-in form) on a weak key."""
    monkeypatch.setenv("AUTH_COOKIE_KEY", weak)
    at = make_app()
    at.run()
    assert not at.exception
    assert "cfg.E00" in page_text(at)
    assert not at.text_input


def test_start_app_with_good_key(db, make_app, monkeypatch) -> None:
    monkeypatch.setenv("AUTH_COOKIE_KEY", secrets.token_urlsafe(32))
    at = make_app()
    at.run()
    assert not at.exception and "cfg.E00" not in page_text(at)


# --- CFG-6: XSRF on the upload endpoint of a live server -------------------------------------------


@pytest.fixture(scope="module")
def bare_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The app on a free loopback port over an empty migrated database (no demo data: fast)."""
    tmp = tmp_path_factory.mktemp("cfg6")
    port = free_port()
    env = server_env(tmp, port)
    subprocess.run(
        [sys.executable, "manage.py", "init-db"], cwd=ROOT, env=env, check=True, capture_output=True, timeout=120
    )
    server = start_streamlit(env, port, tmp / "streamlit.log")
    yield server
    server.stop()


def _put(url: str, headers: dict[str, str]) -> int:
    body = (
        b'--BOUNDARY\r\nContent-Disposition: form-data; name="file"; filename="x.pdf"\r\n'
        b"Content-Type: application/pdf\r\n\r\n%PDF-1.4 evil %%EOF\r\n--BOUNDARY--\r\n"
    )
    req = urllib.request.Request(
        url, data=body, method="PUT", headers={"Content-Type": "multipart/form-data; boundary=BOUNDARY", **headers}
    )
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status
    except urllib.error.HTTPError as err:
        return err.code


def _xsrf_cookie(base: str) -> str:
    with urllib.request.urlopen(base + "/_stcore/health", timeout=10) as resp:
        cookies = resp.headers.get_all("Set-Cookie") or []
    return next((c.split(";")[0].split("=", 1)[1] for c in cookies if c.startswith("_streamlit_xsrf=")), "")


@pytest.mark.slow
def test_refuse_upload_without_valid_xsrf(bare_server: LiveServer) -> None:
    """CFG-6: 10 × no token, 10 × mismatching token, 10 × foreign Origin → 30/30 HTTP 403."""
    base = bare_server.url
    good = _xsrf_cookie(base)
    assert good, "/_stcore/health sets the _streamlit_xsrf cookie"
    codes: list[int] = []
    for i in range(10):
        url = f"{base}/_stcore/upload_file/{uuid.uuid4()}/{uuid.uuid4()}"
        codes.append(_put(url, {}))
        codes.append(_put(url, {"Cookie": f"_streamlit_xsrf={good}", "X-Xsrftoken": f"2|{i:08x}|{'0' * 32}|1"}))
        codes.append(_put(url, {"Origin": "https://evil.example", "Referer": "https://evil.example/x"}))
    assert codes == [403] * 30
    # control: with the matching cookie and header the request passes XSRF and is refused later (no session)
    assert (
        _put(f"{base}/_stcore/upload_file/{uuid.uuid4()}/f", {"Cookie": f"_streamlit_xsrf={good}", "X-Xsrftoken": good})
        != 403
    )


# --- CFG-8: forced exceptions never show a traceback, path, SQL or canary -------------------------

CANARY = "CANARY-张三丰-13900001111-110101199003071234"
FORCED: list[tuple[str, BaseException]] = [
    ("key", KeyError(f"missing {CANARY}")),
    ("value", ValueError(f"bad value {CANARY}")),
    ("type", TypeError(f"unsupported {CANARY}")),
    ("zero", ZeroDivisionError("division by zero")),
    ("attr", AttributeError(f"'NoneType' has no attribute {CANARY}")),
    ("runtime", RuntimeError(f"SELECT * FROM party WHERE name = '{CANARY}'")),
    ("timeout", TimeoutError("read timed out /work/main/services/core/db.py")),
    ("index", IndexError("list index out of range")),
    ("assert", AssertionError(f"validation bug {CANARY}")),
]


def _db_down() -> BaseException:
    from sqlalchemy.exc import OperationalError

    return OperationalError(f"SELECT * FROM party WHERE phone='{CANARY}'", {}, Exception("connection refused"))


LEAK = re.compile(r"Traceback|File \"|/work/|\.py\b|SELECT |FROM party|CANARY|13900001111|110101199003071234")


@pytest.mark.parametrize("kind", [k for k, _ in FORCED] + ["db_down"])
def test_hide_forced_exception_details(kind: str, db, make_app, monkeypatch, caplog) -> None:
    """CFG-8: 10 exception kinds raised inside the workbench service → page text has none of the details, but a
    translated message with a reference that the server log has too (with the error's type, not its message)."""
    from streamlit import config as st_config

    import services.cases.workbench as wb

    exc = _db_down() if kind == "db_down" else dict(FORCED)[kind]
    assert st_config.get_option("client.showErrorDetails") in ("none", False, "false")

    def boom(*_a, **_k):
        raise exc

    for name in [
        n
        for n in dir(wb)
        if not n.startswith("_")
        and callable(getattr(wb, n))
        and getattr(getattr(wb, n), "__module__", "") == wb.__name__
    ]:
        monkeypatch.setattr(wb, name, boom)
    with db.write() as s:
        user = make_user(s, make_tree(s)["v1"], ["mediator"], username=f"cfg8_{kind}")
    at = make_app(user=user)
    at.run()
    with caplog.at_level(logging.ERROR, logger="mediation.app"):
        at.switch_page("pages/staff/workbench.py").run()
    shown = page_text(at) + "\n".join(f"{e.message}\n{e.stack_trace}" for e in at.exception)
    assert not LEAK.search(shown), shown[:500]
    assert not at.exception
    ref = re.search(r"参考号 ([0-9a-f]{8})", shown)
    assert ref, shown[:500]  # it did fail, with a translated message
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert f"ref={ref.group(1)} type={type(exc).__name__}" in logged
    assert not re.search(r"CANARY|13900001111|110101199003071234|FROM party", logged)
