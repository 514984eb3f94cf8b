"""AUTH-1..11: forged cookies, sign-out replay, revocation, timeouts, brute force, lockout abuse,
enumeration timing, session isolation, password policy, randomness, concurrent sign-ins.

Already proven elsewhere (see README): AUTH-5 20-thread exact lock (tests/services/access/test_signin.py),
AUTH-2 in Chromium (tests/e2e/test_signin.py). Here the same properties are driven through app.py.
"""

from __future__ import annotations

import ast
import base64
import contextlib
import dataclasses
import json
import re
import secrets
import statistics
import threading
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import jwt
import pytest
from sqlmodel import func, select
from streamlit.runtime.context import ContextProxy

from models import AuditLog, AuthSession, LoginThrottle
from models.base import utc_now
from services.access import accounts
from services.access import signin as auth_service
from services.access.signin import SignInFailed, SignInLocked, authenticate, check_session, session_key, start_session
from services.core.config import Limit, get_settings
from services.core.errors import PermissionDenied
from services.core.security import new_token
from tests.factories import PASSWORD, make_actor, make_tree, make_user
from tests.pages.conftest import page_text

ROOT = Path(__file__).resolve().parents[2]
KEY = get_settings().auth_cookie_key


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _token(username: str, exp: float, key: str = KEY) -> str:
    return jwt.encode({"username": username, "exp_date": exp}, key, algorithm="HS256")


@pytest.fixture
def cookies(monkeypatch) -> dict[str, str]:
    """The browser's cookies as app.py sees them through st.context.cookies (edit the dict per run)."""
    jar: dict[str, str] = {}
    monkeypatch.setattr(ContextProxy, "cookies", property(lambda self: jar))
    return jar


def _signed_in(at) -> bool:
    return at.session_state["auth.actor"] is not None if "auth.actor" in at.session_state else False


_TREES: dict[int, dict] = {}


def _tree(db) -> dict:
    """The test region of this database (built once per test database)."""
    if id(db) not in _TREES:
        with db.write() as s:
            _TREES[id(db)] = make_tree(s)
    return _TREES[id(db)]


@pytest.fixture(autouse=True)
def _forget_trees():
    yield
    _TREES.clear()


def _user(db, name: str, role: str = "mediator", org: str = "v1"):
    tree = _tree(db)
    with db.write() as s:
        return make_user(s, tree[org], [role], username=name)


def _admin(db):
    tree = _tree(db)
    with db.write() as s:
        return make_actor(s, tree["root"], ["admin"])


def _live_cookie(db, user, exp: float | None = None) -> str:
    exp = exp or time.time() + 3600 + secrets.randbelow(10_000) / 7
    with db.write() as s:
        start_session(s, user_id=user.id, key=session_key(user.username, exp), client="t")
    return _token(user.username, exp)


def _forgeries(db, user) -> dict[str, list[str]]:
    good_exp = time.time() + 3600
    kinds: dict[str, list[str]] = {
        k: [] for k in ("wrong_key", "alg_none", "expired", "no_user", "tampered", "no_session")
    }
    for i in range(10):
        exp = good_exp + i
        kinds["wrong_key"].append(_token(user.username, exp, key="x" * 40 + str(i)))
        claims = _b64({"username": user.username, "exp_date": exp})
        kinds["alg_none"].append(f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{claims}.")
        old = time.time() - 60 - i
        with db.write() as s:  # even with a live row, an expired token is refused
            start_session(s, user_id=user.id, key=session_key(user.username, old), client="t")
        kinds["expired"].append(_token(user.username, old))
        kinds["no_user"].append(_token(f"ghost{i}", exp))
        head, _, sig = _live_cookie(db, user).split(".")
        kinds["tampered"].append(f"{head}.{_b64({'username': 'admin_boss', 'exp_date': exp})}.{sig}")
        kinds["no_session"].append(_token(user.username, exp + 0.5))
    return kinds


def test_refuse_forged_cookies(db, make_app, cookies):
    """AUTH-1: 6 kinds × 10 forged cookies → 0/60 sign-ins; a genuine cookie with a live session works."""
    user = _user(db, "forge_target")
    _user(db, "admin_boss", role="admin", org="root")
    results: Counter[str] = Counter()
    for kind, tokens in _forgeries(db, user).items():
        at = make_app()
        for token in tokens:
            cookies["mh_auth"] = token
            at.run()
            assert not at.exception
            results[kind] += _signed_in(at)
    assert sum(results.values()) == 0, results
    cookies["mh_auth"] = _live_cookie(db, user)
    at = make_app()
    at.run()
    assert _signed_in(at) and at.session_state["auth.actor"].username == "forge_target"


@pytest.mark.slow
def test_refuse_cookie_replay_after_signout(db, make_app, cookies):
    """AUTH-2: sign in by cookie, press 退出登录, replay the same cookie in a fresh session → 0/20."""
    user = _user(db, "replayer")
    replayed = 0
    for _ in range(20):
        cookies["mh_auth"] = _live_cookie(db, user)
        at = make_app()
        at.run()
        assert _signed_in(at)
        at.sidebar.button(key="nav.signout").click().run()
        assert not _signed_in(at)
        fresh = make_app()
        fresh.run()
        replayed += _signed_in(fresh)
    assert replayed == 0


def test_end_other_sessions_on_disable_role_and_password_change(db, make_app):
    """AUTH-3: 10 users × 2 open sessions; disable / role change / password change → both out at next rerun."""
    admin = _admin(db)
    users = [_user(db, f"rev{i}") for i in range(10)]
    apps = []
    for u in users:
        for j in range(2):
            key = new_token()
            with db.write() as s:
                start_session(s, user_id=u.id, key=key, client=f"b{j}")
            at = make_app()
            at.session_state["auth.session_key"] = key
            at.run()
            assert _signed_in(at)
            apps.append((u, at))
    with db.write() as s:
        for i, u in enumerate(users):
            if i < 4:
                accounts.set_active(s, user_id=u.id, active=False, actor_id=admin.user_id)
            elif i < 7:
                accounts.set_roles(s, user_id=u.id, roles=["police"], actor_id=admin.user_id)
            else:
                accounts.set_password(s, user_id=u.id, password="a brand new passphrase", actor_id=admin.user_id)
    still_in = 0
    for _, at in apps:
        at.run()
        still_in += _signed_in(at)
    assert still_in == 0
    # a role change is effective at the next sign-in: the new role, not the old one
    fresh = make_app()
    key = new_token()
    with db.write() as s:
        start_session(s, user_id=users[5].id, key=key, client="new")
    fresh.session_state["auth.session_key"] = key
    fresh.run()
    assert fresh.session_state["auth.actor"].roles == frozenset({"police"})


def test_expire_sessions_at_idle_and_absolute_limits(db):
    """AUTH-4: 20 sessions; idle 30 min and absolute 12 h with an injected clock → refused after, never before."""
    user = _user(db, "sleepy")
    settings = get_settings()
    t0 = utc_now()
    keys = [new_token() for _ in range(20)]
    with db.write() as s:
        for k in keys:
            start_session(s, user_id=user.id, key=k, client="c")
    idle = timedelta(minutes=settings.session_idle_minutes)
    before = after = 0
    with db.read() as s:
        for k in keys[:10]:
            before += check_session(s, settings, key=k, now=t0 + idle - timedelta(seconds=5))[0] is None
            after += check_session(s, settings, key=k, now=t0 + idle + timedelta(seconds=5))[0] is not None
    # keep the other 10 busy (touched every 20 minutes) up to and past the absolute limit
    clock = t0
    absolute = t0 + timedelta(hours=settings.session_absolute_hours)
    while clock + timedelta(minutes=20) < absolute:
        clock += timedelta(minutes=20)
        with db.write() as s:
            for k in keys[10:]:
                assert check_session(s, settings, key=k, now=clock)[0] is not None
                auth_service.touch_session(s, key=k, now=clock)
    with db.read() as s:
        for k in keys[10:]:
            before += check_session(s, settings, key=k, now=absolute - timedelta(seconds=5))[0] is None
            after += check_session(s, settings, key=k, now=absolute + timedelta(seconds=5))[0] is not None
    assert (before, after) == (0, 0)


@pytest.mark.slow
def test_lock_after_five_checks_under_1000_parallel_guesses(db, monkeypatch):
    """AUTH-5: 20 threads × 50 wrong passwords → ≤ 5 bcrypt checks, counter exactly 5, 0 crashes, 0 sign-ins."""
    _user(db, "bruteme")
    settings = get_settings()
    checks = Counter()
    real = auth_service.verify_password
    lock = threading.Lock()

    def counting(*a, **k):
        with lock:
            checks["n"] += 1
        return real(*a, **k)

    monkeypatch.setattr(auth_service, "verify_password", counting)
    outcomes: Counter[str] = Counter()

    def worker(w: int) -> None:
        for i in range(50):
            try:
                authenticate(db, settings, username="bruteme", password=f"guess {w} {i}", client=f"10.0.0.{w}")
                r = "ok"
            except SignInLocked:
                r = "locked"
            except SignInFailed:
                r = "failed"
            except Exception as exc:
                r = f"crash {type(exc).__name__}"
            with lock:
                outcomes[r] += 1

    threads = [threading.Thread(target=worker, args=(w,)) for w in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(outcomes.values()) == 1000
    assert outcomes["ok"] == 0 and not [k for k in outcomes if k.startswith("crash")], outcomes
    assert checks["n"] <= settings.lockout_threshold
    with db.read() as s:
        row = s.exec(select(LoginThrottle).where(LoginThrottle.key == "user:bruteme")).one()
    assert row.failures == settings.lockout_threshold
    assert row.locked_until is not None and row.locked_until <= utc_now() + timedelta(minutes=settings.lockout_minutes)


def test_recover_from_malicious_lockout_of_ten_users(db):
    """AUTH-6: 10 locked usernames; each gets in after an admin unlock (5) or the cool-down (5); all logged."""
    settings = get_settings()
    names = [f"victim{i}" for i in range(10)]
    for n in names:
        _user(db, n)
    admin = _admin(db)
    for n in names:
        for i in range(settings.lockout_threshold):
            with pytest.raises(SignInFailed):
                authenticate(db, settings, username=n, password=f"attacker {i}", client=f"evil-{n}")
        with pytest.raises(SignInLocked):
            authenticate(db, settings, username=n, password=PASSWORD, client="office-pc")
    with db.read() as s:
        assert {lk.key for lk in auth_service.list_locks(s)} >= {f"user:{n}" for n in names}  # admin's lock list
    with db.read() as s:  # the unlock service checks the permission itself, not only its page
        mediator = accounts.load_actor(s, _user(db, "not_admin").id)
        with pytest.raises(PermissionDenied):
            auth_service.unlock(s, key=f"user:{names[0]}", actor=mediator)
    with db.write() as s:
        for n in names[:5]:
            auth_service.unlock(s, key=f"user:{n}", actor=admin)
    later = utc_now() + timedelta(minutes=settings.lockout_minutes, seconds=5)
    for i, n in enumerate(names):
        ok = authenticate(db, settings, username=n, password=PASSWORD, client="office-pc", now=None if i < 5 else later)
        assert ok.username == n
    with db.read() as s:
        n_locked = s.exec(select(func.count()).select_from(AuditLog).where(AuditLog.action == "login.locked")).one()
        n_unlock = s.exec(select(func.count()).select_from(AuditLog).where(AuditLog.action == "login.unlock")).one()
    assert n_locked == 10 and n_unlock == 5


@pytest.mark.slow
def test_same_time_and_message_for_unknown_and_known_users(db, monkeypatch):
    """AUTH-7: 200 unknown vs 200 wrong-password sign-ins at bcrypt cost 8 → median difference < 50 ms, 1 message."""
    monkeypatch.setenv("MEDIATION_BCRYPT_ROUNDS", "8")
    get_settings.cache_clear()
    settings = dataclasses.replace(get_settings(), lockout_threshold=10**6, signin_client_limit=Limit(10**6, 900))
    v1 = _tree(db)["v1"].code
    with db.write() as s:
        accounts.create_user(s, username="known", display_name="k", password=PASSWORD, org_code=v1, roles=["mediator"])
    times: dict[str, list[float]] = {"known": [], "unknown": []}
    messages: set[tuple[str, str]] = set()
    for i in range(200):
        for who in ("known", "unknown"):
            name = who if who == "known" else f"nobody{i}"
            t0 = time.perf_counter()
            with pytest.raises(SignInFailed) as err:
                authenticate(db, settings, username=name, password=f"wrong {i}", client=f"c{i % 7}")
            times[who].append(time.perf_counter() - t0)
            messages.add((err.value.key, json.dumps(err.value.params, sort_keys=True)))
    diff = abs(statistics.median(times["known"]) - statistics.median(times["unknown"]))
    assert diff < 0.050, diff
    assert len(messages) == 1


def _scan_module_mutables(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    found = []
    for node in tree.body:
        if isinstance(node, ast.Assign | ast.AnnAssign):
            value = node.value
            if isinstance(value, ast.List | ast.Dict | ast.Set | ast.ListComp | ast.DictComp | ast.SetComp) or (
                isinstance(value, ast.Call)
                and getattr(value.func, "id", "") in ("list", "dict", "set", "defaultdict", "Counter")
            ):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                found += [f"{path.relative_to(ROOT)}:{getattr(t, 'id', '?')}" for t in targets]
    return found


# Reviewed process-wide caches: keyed by database URL and organisation/scope, never by who asks alone.
MUTABLE_ALLOW = {"services/stats/scope.py:_areas", "services/stats/scope.py:_cache"}
# Page scripts (pages/public, pages/staff) are re-executed per run in their own namespace, so only
# imported modules can hold process-wide state.
IMPORTED = ("services", "models", "pages/ui", "pages/nav")


def test_keep_no_per_user_state_in_modules_or_caches():
    """AUTH-8 (static): module-level mutable containers only on the reviewed list; every st.cache_data
    function that reads PII tables takes an actor/user/org argument."""
    found = []
    for folder in IMPORTED:
        for path in sorted((ROOT / folder).rglob("*.py")):
            found += [
                f
                for f in _scan_module_mutables(path)
                if f not in MUTABLE_ALLOW
                and not f.endswith(":__all__")
                and not f.rsplit(":", 1)[1].lstrip("_").isupper()
            ]
    assert found == [], f"module-level mutable state: {found}"
    unsafe = []
    for path in sorted((ROOT / "pages").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef) and any("cache_data" in ast.unparse(d) for d in node.decorator_list):
                args = {a.arg for a in node.args.args + node.args.kwonlyargs}
                body = ast.unparse(node)
                if any(w in body for w in ("Party", "party", "list_cases", "case_view")) and not args & {
                    "actor",
                    "user_id",
                    "org_id",
                    "_actor",
                    "actor_id",
                }:
                    unsafe.append(f"{path.relative_to(ROOT)}:{node.name}")
    assert unsafe == []


@pytest.mark.slow
def test_isolate_two_users_over_100_interleaved_reruns(db, make_app):
    """AUTH-8: two users of two orgs in parallel AppTests, 100 interleaved reruns → 0 values of one in the other."""
    a = _user(db, "iso_alpha_东村", org="v1")
    b = _user(db, "iso_beta_西村", org="v2")
    apps = {}
    for u in (a, b):
        key = new_token()
        with db.write() as s:
            start_session(s, user_id=u.id, key=key, client=u.username)
        at = make_app()
        at.session_state["auth.session_key"] = key
        apps[u.username] = at
    leaks = 0
    for i in range(50):
        for me, other in ((a, b), (b, a)):
            at = apps[me.username]
            if i == 0:
                at.run()
                at.switch_page("pages/staff/account.py")
            at.run()
            seen = page_text(at) + repr(at.session_state["auth.actor"])
            leaks += other.username in seen
            assert me.username in seen
    assert leaks == 0


def _passwords_50() -> list[str]:
    cjk = "人民调解为人民矛盾不上交平安不出事服务不缺位"
    out = [
        ("A" * 32 + secrets.token_hex(16))[:64],
        (cjk * 3)[:64],
        "😀😃😄😁😆😅🤣😂 emoji only pass",
        "    spaces    ",
        "no composition at all",
        "ÄÖÜ ß ñ ç — ünïcödé",
        "Z" * 256,
    ]
    out += [f"密码短语{i}号：{'调解' * (i % 5 + 2)}" for i in range(20)]
    out += [f"{secrets.token_urlsafe(12)} {'🙂' * (i % 3)}" for i in range(23)]
    return out


def test_accept_any_characters_and_refuse_common_passwords(db):
    """AUTH-9: 50 passwords (64 ASCII, 64 CJK, emoji, spaces) register and sign in; every entry of
    assets/common_passwords.txt that meets the length rule is refused; no hint field anywhere."""
    settings = get_settings()
    pws = _passwords_50()
    assert len(pws) == 50 and len(pws[1]) == 64 and len(pws[1].encode()) == 192
    v1 = _tree(db)["v1"].code
    with db.write() as s:
        for i, pw in enumerate(pws):
            accounts.create_user(s, username=f"pw{i}", display_name="p", password=pw, org_code=v1, roles=["mediator"])
    signed = sum(
        authenticate(db, settings, username=f"pw{i}", password=pw, client=f"c{i}").user_id > 0
        for i, pw in enumerate(pws)
    )
    assert signed == 50
    common = [
        ln.strip()
        for ln in (ROOT / "assets" / "common_passwords.txt").read_text().splitlines()
        if ln.strip() and not ln.startswith("#")
    ]
    assert len(common) >= 1000
    refused = 0
    for pw in common:
        for variant in (pw, pw.upper()):
            try:
                accounts.check_password_policy(variant)
            except Exception as err:
                refused += getattr(err, "key", "") in ("error.password_common", "error.password_short")
    assert refused == 2 * len(common)
    password_forms = ["pages/ui/auth.py", "pages/public/signin.py", "pages/staff/account.py"]
    hint = [f for f in password_forms if "hint" in (ROOT / f).read_text().lower()]
    hint += [
        p.name
        for p in (ROOT / "assets" / "i18n").glob("*.toml")
        if re.search(r'^"[^"]*password[^"]*hint', p.read_text(), re.M)
    ]
    assert hint == []


AUTH_CODE = [
    "services/access/signin.py",
    "services/access/accounts.py",
    "services/core/security.py",
    "pages/ui/auth.py",
    "services/intake/tracking.py",
    "services/cases/party_links.py",
    "services/intake/pipeline.py",
    "services/privacy/reveal.py",
]


def test_draw_secrets_only_from_csprng():
    """AUTH-10: 0 uses of `random` in auth and token code; 10,000 tokens unique and ≥ 128 bits."""
    uses = []
    for rel in AUTH_CODE:
        path = ROOT / rel
        if not path.exists():
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = [a.name for a in node.names] + [getattr(node, "module", "") or ""]
                if "random" in names or any(n.startswith("random.") for n in names):
                    uses.append(f"{rel}:{node.lineno}")
    assert uses == []
    draws = [new_token() for _ in range(10_000)]
    assert len(set(draws)) == 10_000
    assert min(len(base64.urlsafe_b64decode(d + "=" * (-len(d) % 4))) for d in draws) * 8 >= 128
    # the cookie's only secret is the HMAC: its key is ≥ 32 bytes and the server-side session id never leaves
    assert len(KEY.encode()) >= 32


@pytest.mark.slow
def test_keep_store_exact_under_concurrent_signins(db):
    """AUTH-11: 20 threads × 25 (20 sign-in + sign-out, 5 failures on a shared account) → 0 errors, exact counts."""
    settings = dataclasses.replace(get_settings(), lockout_threshold=10**6)
    for w in range(5):
        _user(db, f"conc{w}")
    _user(db, "shared_target")
    errors: list[str] = []
    lock = threading.Lock()

    def worker(w: int) -> None:
        for i in range(25):
            try:
                if i % 5 == 4:
                    with contextlib.suppress(SignInFailed):
                        authenticate(db, settings, username="shared_target", password="nope nope", client=f"w{w}")
                    continue
                ok = authenticate(db, settings, username=f"conc{w % 5}", password=PASSWORD, client=f"w{w}")
                key = new_token()
                with db.write() as s:
                    start_session(s, user_id=ok.user_id, key=key, client=f"w{w}")
                with db.write() as s:
                    auth_service.end_session(s, key=key)
            except Exception as exc:
                with lock:
                    errors.append(repr(exc))

    threads = [threading.Thread(target=worker, args=(w,)) for w in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with db.read() as s:

        def count(action: str) -> int:
            return s.exec(select(func.count()).select_from(AuditLog).where(AuditLog.action == action)).one()

        assert (count("login.ok"), count("logout"), count("login.fail")) == (400, 400, 100)
        assert s.exec(select(func.count()).select_from(AuthSession)).one() == 400
        row = s.exec(select(LoginThrottle).where(LoginThrottle.key == "user:shared_target")).one()
        assert row.failures == 100
