from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlmodel import select

from models import AuditLog, LoginThrottle
from models.base import utc_now
from services.access import accounts
from services.access.signin import (
    SignInFailed,
    SignInLocked,
    authenticate,
    check_session,
    end_session,
    session_key,
    start_session,
    unlock,
)
from services.core.config import get_settings
from services.core.errors import ValidationFailed
from tests.factories import PASSWORD, make_actor, make_tree

CJK_PASSPHRASE = "人民调解为人民，矛盾不上交，平安不出事，服务不缺位，这是我们的长口令"  # > 72 bytes


def _user(db, password: str = PASSWORD, username: str = "zhang"):
    with db.write() as s:
        tree = make_tree(s)
        user = accounts.create_user(
            s, username=username, display_name="张调解", password=password, org_code=tree["v1"].code, roles=["mediator"]
        )
        admin = make_actor(s, tree["root"], ["admin"])
    return user, admin


def test_authenticate_long_cjk_passphrase(db):
    assert len(CJK_PASSPHRASE.encode()) > 72
    user, _ = _user(db, password=CJK_PASSPHRASE)
    ok = authenticate(db, get_settings(), username="zhang", password=CJK_PASSPHRASE, client="c1")
    assert ok.user_id == user.id
    with pytest.raises(SignInFailed):
        authenticate(db, get_settings(), username="zhang", password=CJK_PASSPHRASE[:-1], client="c1")


def test_authenticate_same_error_for_unknown_user_and_wrong_password(db):
    _user(db)
    errors = []
    for name in ("zhang", "nobody"):
        with pytest.raises(SignInFailed) as err:
            authenticate(db, get_settings(), username=name, password="wrong password!", client="c2")
        errors.append((err.value.key, err.value.params))
    assert errors[0] == errors[1]


def test_authenticate_parallel_brute_force_locks_exactly(db):
    """AUTH-5: 20 parallel wrong passwords → at most `threshold` password checks, no lost counts."""
    _user(db)
    settings = get_settings()
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(i: int) -> None:
        try:
            authenticate(db, settings, username="zhang", password=f"wrong-{i}-xxxx", client=f"ip{i}")
            result = "ok"
        except SignInLocked:
            result = "locked"
        except SignInFailed:
            result = "failed"
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("ok") == 0
    assert outcomes.count("failed") == settings.lockout_threshold
    assert outcomes.count("locked") == 20 - settings.lockout_threshold
    with db.read() as s:
        row = s.exec(select(LoginThrottle).where(LoginThrottle.key == "user:zhang")).one()
        assert row.failures == settings.lockout_threshold and row.locked_until is not None
    # the right password is refused while locked …
    with pytest.raises(SignInLocked):
        authenticate(db, settings, username="zhang", password=PASSWORD, client="ip-new")
    # … and works after the cool-down
    later = utc_now() + timedelta(minutes=settings.lockout_minutes + 1)
    again = authenticate(db, settings, username="zhang", password=PASSWORD, client="ip-new", now=later)
    assert again.username == "zhang"


def test_unlock_by_admin(db):
    _, admin = _user(db)
    settings = get_settings()
    for i in range(settings.lockout_threshold):
        with pytest.raises(SignInFailed):
            authenticate(db, settings, username="zhang", password=f"bad password {i}", client="x")
    with pytest.raises(SignInLocked):
        authenticate(db, settings, username="zhang", password=PASSWORD, client="x")
    with db.write() as s:
        unlock(s, key="user:zhang", actor=admin)
    assert authenticate(db, settings, username="zhang", password=PASSWORD, client="y").username == "zhang"
    with db.read() as s:
        actions = {a.action for a in s.exec(select(AuditLog)).all()}
    assert {"login.fail", "login.locked", "login.unlock", "login.ok"} <= actions


def test_session_ends_at_signout_disable_and_role_change(db):
    user, admin = _user(db)
    settings = get_settings()
    keys = [session_key("zhang", 1e9 + i) for i in range(3)]
    with db.write() as s:
        for k in keys:
            start_session(s, user_id=user.id, key=k, client="c")
    with db.read() as s:
        actor, _ = check_session(s, settings, key=keys[0])
        assert actor is not None and actor.can("case.view")
    with db.write() as s:
        end_session(s, key=keys[0])
    with db.read() as s:
        assert check_session(s, settings, key=keys[0])[0] is None  # replayed cookie after sign-out
        assert check_session(s, settings, key=keys[1])[0] is not None  # other browser still in
    with db.write() as s:
        accounts.set_roles(s, user_id=user.id, roles=["police"], actor_id=admin.user_id)
    with db.read() as s:
        assert check_session(s, settings, key=keys[1])[0] is None
    with db.write() as s:
        start_session(s, user_id=user.id, key="fresh", client="c")
    with db.read() as s:
        actor, _ = check_session(s, settings, key="fresh")
        assert actor is not None and actor.roles == frozenset({"police"})
    with db.write() as s:
        accounts.set_active(s, user_id=user.id, active=False, actor_id=admin.user_id)
    with db.read() as s:
        assert check_session(s, settings, key="fresh")[0] is None


def test_session_idle_and_absolute_timeouts(db):
    user, _ = _user(db)
    settings = get_settings()
    with db.write() as s:
        start_session(s, user_id=user.id, key="k", client="c")
    with db.read() as s:
        now = utc_now()
        assert check_session(s, settings, key="k", now=now + timedelta(minutes=29))[0] is not None
        assert check_session(s, settings, key="k", now=now + timedelta(minutes=31))[0] is None


def test_password_policy(db):
    with db.write() as s:
        tree = make_tree(s)
        for bad in ("short", "password", "12345678"):
            with pytest.raises(ValidationFailed):
                accounts.create_user(
                    s, username=f"u{bad}", display_name="x", password=bad, org_code="V1", roles=["mediator"]
                )
        for good in ("correct horse battery", "人民调解为人民服务", "🙂 emoji pass 🙂", " spaces  inside "):
            accounts.create_user(
                s,
                username=f"g{len(good)}{good[:2]}",
                display_name="x",
                password=good,
                org_code=tree["v1"].code,
                roles=["mediator"],
            )


def test_verify_password_unknown_user_costs_as_much_as_a_real_check():
    """AUTH-7: the dummy check for an unknown user runs at the configured cost, not a cheap one."""
    import time

    from services.core.security import hash_password, verify_password

    real = hash_password("some passphrase here", rounds=10)
    verify_password("warm up", None, rounds=10)

    def median(fn) -> float:
        times = []
        for _ in range(3):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
        return sorted(times)[1]

    known = median(lambda: verify_password("wrong passphrase", real, rounds=10))
    unknown = median(lambda: verify_password("wrong passphrase", None, rounds=10))
    assert 0.5 < unknown / known < 2.0


def _township(db, mediators: int):
    with db.write() as s:
        tree = make_tree(s)
        for i in range(mediators):
            accounts.create_user(
                s,
                username=f"m{i:02d}",
                display_name=f"调解员{i}",
                password=PASSWORD,
                org_code=tree["v1"].code,
                roles=["mediator"],
            )


def test_sixty_good_sign_ins_from_one_office_address_lock_nobody_out(db):
    """A township office behind one NAT address: 30 mediators sign in twice a morning, with a few typos."""
    _township(db, 30)
    settings = get_settings()
    now = utc_now()
    office = "203.0.113.7"
    for round_ in range(2):
        for i in range(30):
            at = now + timedelta(minutes=round_ * 180, seconds=i * 10)
            if i % 10 == 3:  # a typo first, then the right password
                with pytest.raises(SignInFailed):
                    authenticate(db, settings, username=f"m{i:02d}", password="wrong pass", client=office, now=at)
            ok = authenticate(db, settings, username=f"m{i:02d}", password=PASSWORD, client=office, now=at)
            assert ok.username == f"m{i:02d}"
    with db.read() as s:
        assert not [r for r in s.exec(select(LoginThrottle)).all() if r.locked_until is not None]


def test_ten_guesses_at_one_account_lock_that_account_only(db):
    _township(db, 2)
    settings = get_settings()
    outcomes = []
    for i in range(10):
        try:
            authenticate(db, settings, username="m00", password=f"guess {i}", client="198.51.100.1")
            outcomes.append("failed")
        except SignInLocked:
            outcomes.append("locked")
        except SignInFailed:
            outcomes.append("failed")
    assert outcomes == ["failed"] * settings.lockout_threshold + ["locked"] * (10 - settings.lockout_threshold)
    with pytest.raises(SignInLocked):
        authenticate(db, settings, username="m00", password=PASSWORD, client="198.51.100.2")
    # the same address still signs its other mediator in: its failures are far below the address limit
    assert authenticate(db, settings, username="m01", password=PASSWORD, client="198.51.100.1").username == "m01"


def test_many_failures_from_one_address_lock_it_for_a_sliding_window_only(db):
    _township(db, 1)
    settings = get_settings()
    limit = settings.signin_client_limit
    now = utc_now()
    for i in range(limit.max_hits):  # many different (unknown) accounts: the address is what guesses
        with pytest.raises(SignInFailed):
            authenticate(db, settings, username=f"guess{i}", password="x" * 8, client="192.0.2.9", now=now)
    with pytest.raises(SignInLocked) as err:
        authenticate(db, settings, username="m00", password=PASSWORD, client="192.0.2.9", now=now)
    assert err.value.params["minutes"] == limit.window_s // 60
    assert authenticate(db, settings, username="m00", password=PASSWORD, client="192.0.2.10", now=now)
    with db.read() as s:
        row = s.exec(select(LoginThrottle).where(LoginThrottle.key == "client:192.0.2.9")).one()
        assert row.locked_until is not None
    # the failures slide out of the window: the address signs in again without anyone unlocking it
    later = now + timedelta(seconds=limit.window_s + 61)
    assert authenticate(db, settings, username="m00", password=PASSWORD, client="192.0.2.9", now=later)


def test_admin_unlock_of_an_address_lets_it_sign_in_at_once(db):
    _, admin = _user(db)
    settings = get_settings()
    for i in range(settings.signin_client_limit.max_hits):
        with pytest.raises(SignInFailed):
            authenticate(db, settings, username=f"nobody{i}", password="x" * 8, client="192.0.2.50")
    with pytest.raises(SignInLocked):
        authenticate(db, settings, username="zhang", password=PASSWORD, client="192.0.2.50")
    with db.write() as s:
        unlock(s, key="client:192.0.2.50", actor=admin)
    assert authenticate(db, settings, username="zhang", password=PASSWORD, client="192.0.2.50").username == "zhang"
