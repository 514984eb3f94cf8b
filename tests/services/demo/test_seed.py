from __future__ import annotations

import random
import shutil
import stat
from collections import Counter
from datetime import date

import pytest
from sqlalchemy import func, text
from sqlmodel import SQLModel, col, select

from models import (
    Agreement,
    Case,
    CaseCounter,
    CaseStatus,
    LedgerEntry,
    Organisation,
    Party,
    PayoutBatch,
    Role,
    SubsidyClaim,
    User,
    UserRole,
)
from services.access.accounts import load_actor
from services.cases.create import CaseInput, PartyInput, create_case
from services.core.bootstrap import ensure_reference_data
from services.core.config import get_settings
from services.core.db import make_database
from services.core.security import blind_index, decrypt_id, mask_id, valid_id_number, valid_phone, verify_password
from services.demo import seed as demo
from tests.conftest import ENGINES

TODAY = date(2026, 6, 15)
PASSWORD = "demo-passphrase-2026"


@pytest.fixture(autouse=True)
def _small_chunks(monkeypatch, tmp_path):
    """Three chunks for 300 cases, so the forked generator pipeline is exercised; logins go to tmp."""
    monkeypatch.setattr(demo, "CHUNK_CASES", 100)
    monkeypatch.setattr(demo, "LOGINS_FILE", tmp_path / "data" / "demo_logins.txt")


def _seed(db, **kw):
    args = {"cases": 300, "seed": 7, "password": PASSWORD, "today": TODAY, "progress": lambda _d, _t: None}
    return demo.seed_demo(db, **{**args, **kw})


@pytest.fixture(scope="module", params=ENGINES)
def seeded(request, tmp_path_factory):
    """One demo city of 300 cases per engine, shared by the read-only tests of this module (seeding is the slow
    part); the test that adds a case runs last."""
    folder = tmp_path_factory.mktemp("demo")
    if request.param == "sqlite":
        shutil.copy(request.getfixturevalue("sqlite_template"), folder / "demo.db")
        db = make_database(f"sqlite:///{folder / 'demo.db'}")
    else:
        db = make_database(request.getfixturevalue("pg_url"))
        names = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
        with db.write_engine.begin() as c:
            c.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        with db.write() as s:
            ensure_reference_data(s)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(demo, "CHUNK_CASES", 100)
        mp.setattr(demo, "LOGINS_FILE", folder / "data" / "demo_logins.txt")
        logins = _seed(db)
        assert demo.read_demo_logins() == logins
        assert stat.S_IMODE(demo.LOGINS_FILE.stat().st_mode) == 0o600
    yield db, logins
    db.dispose()


def test_seed_demo_builds_a_working_city(seeded):
    db, logins = seeded
    assert [r for r, _, _ in logins] == [*demo.ROLES, "justice", "justice"]
    assert [u for _, u, _ in logins][-2:] == ["approver", "payer"]  # four people take a claim through the ledger
    with db.read() as s:
        statuses = Counter(s.exec(select(Case.status)).all())
        assert set(statuses) == {str(x) for x in CaseStatus}
        assert sum(statuses.values()) == 300
        ok = sum(statuses[x] for x in ("succeeded", "followed_up", "archived"))
        assert 0.8 <= ok / (ok + statuses["failed"]) <= 0.97
        v001 = s.exec(select(Organisation).where(Organisation.code == "V001")).one()
        assert v001.kind == "village_committee" and v001.county_id is not None
        for role, username, password in logins:
            users = s.exec(
                select(User)
                .join(UserRole, col(UserRole.user_id) == col(User.id))
                .join(Role, col(Role.id) == col(UserRole.role_id))
                .where(Role.code == role)
            ).all()
            mine = [u for u in users if u.username == username]
            assert len(mine) == 1 and len(users) == (3 if role == "justice" else 1)
            assert verify_password(password, mine[0].password_hash)
            actor = load_actor(s, users[0].id or 0)
            assert actor is not None and role in actor.roles


def test_seed_demo_timeline_names_every_placeholder(seeded):
    """Every demo event carries what its timeline text names: no raw "{diversion}" or "{reason}" on a case page."""
    from models import CaseEvent
    from services.core.i18n import catalogue, translate

    db, _ = seeded
    with db.read() as s:
        events = s.exec(select(CaseEvent.kind, CaseEvent.data)).all()
    kinds = Counter(kind for kind, _ in events)
    assert kinds["transition.fail"] and kinds["transition.reject"]
    for kind, data in events:
        if f"event.{kind}" in catalogue():
            text = translate(f"event.{kind}", "zh-CN", **{k: str(v) for k, v in (data or {}).items()})
            assert "{" not in text, (kind, data)


def test_seed_demo_if_empty_leaves_a_seeded_db_alone(seeded, capsys):
    db, _ = seeded
    assert demo.seed_demo(db, cases=10, seed=1, if_empty=True) == []
    assert capsys.readouterr() == ("", "")
    assert not demo.LOGINS_FILE.exists()


def test_seed_demo_parties_and_ledger_are_consistent(seeded):
    db, _ = seeded
    key = get_settings().data_key
    with db.read() as s:
        parties = s.exec(select(Party)).all()
        assert len(parties) == 600
        with_id = [p for p in parties if p.id_number_enc]
        assert 0.2 < len(with_id) / len(parties) < 0.4
        for p in with_id:
            idn = decrypt_id(p.id_number_enc or "", [key])
            assert valid_id_number(idn)
            assert p.id_number_masked == mask_id(idn) and p.id_number_index == blind_index(idn, key)
        assert all(valid_phone(p.phone) for p in parties if p.phone)
        live = Counter(
            s.exec(select(SubsidyClaim.case_id).where(col(SubsidyClaim.status).not_in(["rejected", "reversed"]))).all()
        )
        assert live and max(live.values()) == 1
        paid = s.exec(select(func.sum(LedgerEntry.amount_fen)).where(LedgerEntry.action == "pay")).one()
        batches = s.exec(select(func.sum(PayoutBatch.total_fen)).where(PayoutBatch.status == "paid")).one()
        assert paid and paid == batches
        oral = s.exec(
            select(Agreement.kind)
            .join(Case, col(Case.id) == col(Agreement.case_id))
            .where(col(Case.on_the_spot).is_(True))
        ).all()
        assert oral and set(oral) == {"oral"}


def test_seed_demo_counters_continue_the_sequence(seeded):
    db, _ = seeded
    with db.read() as s:
        numbers = s.exec(select(Case.case_no, Case.org_id)).all()
        assert len({n for n, _ in numbers}) == len(numbers)
        last: dict[tuple[int, int], int] = {}
        for no, org in numbers:
            year, _, n = no.split("-")
            last[(org, int(year))] = max(last.get((org, int(year)), 0), int(n))
        counters = {(c.org_id, c.year): c.last for c in s.exec(select(CaseCounter)).all()}
        assert counters == last
        v001 = s.exec(select(Organisation).where(Organisation.code == "V001")).one()
    with db.write() as s:
        case = create_case(
            s,
            data=CaseInput(
                org_id=v001.id or 0,
                source="walk_in",
                category="neighbour",
                description="新登记的纠纷",
                parties=[PartyInput("applicant", "张三")],
            ),
            actor_id=None,
        )
    assert case.case_no not in {n for n, _ in numbers}
    assert "-V001-" in case.case_no


def test_seed_demo_is_deterministic(tmp_path, sqlite_template, monkeypatch):
    runs = []
    for i, fork in enumerate((True, True, False)):
        monkeypatch.setattr(demo, "USE_FORK", fork)
        path = tmp_path / f"d{i}.db"
        shutil.copy(sqlite_template, path)
        db = make_database(f"sqlite:///{path}")
        _seed(db, password=None)
        with db.read() as s:
            runs.append(
                (
                    s.exec(select(Case.case_no).order_by(col(Case.id))).all(),
                    s.exec(select(Party.name).order_by(col(Party.id)).limit(20)).all(),
                    s.exec(select(Case.received_at, Case.status).order_by(col(Case.id))).all(),
                )
            )
        db.dispose()
    assert runs[0] == runs[1] == runs[2]


def test_encoder_writes_what_core_would(sqlite_db, monkeypatch):
    """The SQLite fast path (compiled Core insert + bind processors) stores values that read back unchanged."""
    monkeypatch.setattr(demo, "USE_FORK", False)
    kept: dict[str, list[dict]] = {}
    encode = demo._Encoder.encode

    def keep(self, out):
        for name, rows in out.items():
            kept.setdefault(name, []).extend(dict(r) for r in rows[:20])
        return encode(self, out)

    monkeypatch.setattr(demo._Encoder, "encode", keep)
    _seed(sqlite_db, cases=150)
    with sqlite_db.read_engine.connect() as c:
        for name, rows in kept.items():
            table = demo.TABLES[name]
            stored = {
                r.id: r._mapping for r in c.execute(table.select().where(table.c.id.in_([x["id"] for x in rows])))
            }
            for row in rows:
                for k, v in row.items():
                    assert stored[row["id"]][k] == v, (name, k)


def test_tracking_code_is_unique_and_readable():
    codes = {demo.tracking_code(i) for i in range(1, 20001)}
    assert len(codes) == 20000
    assert all(len(c) == 12 and set(c) <= set(demo.TRACK_ALPHABET) for c in codes)


def test_make_id_number_is_valid():
    rng = random.Random(3)
    for male in (True, False) * 50:
        idn = demo.make_id_number(rng, "511502", male)
        assert valid_id_number(idn) and int(idn[16]) % 2 == (1 if male else 0)


def test_seed_demo_refuses_weak_password(sqlite_db):
    with pytest.raises(ValueError):
        _seed(sqlite_db, password="short")
