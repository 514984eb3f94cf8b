"""Demo data: a realistic city of mediation bodies, staff and years of cases, loaded fast and deterministically.

Organisations and the demo sign-ins go through the real services (create_org, create_user). The bulk
(mediators, cases and everything hanging off them) is generated in chunks and written with SQLAlchemy Core
`insert(table)` executemany, one short transaction per chunk, with primary keys assigned from running counters
so child rows never need RETURNING. The same seed (and the same `today`) gives the same data.
"""

from __future__ import annotations

import gc
import math
import multiprocessing
import queue
import random
import secrets
import sys
import time
import traceback
from bisect import bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar, cast

from faker import Faker
from sqlalchemy import Table, bindparam, func, insert, text, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, SQLModel, col, select

from models import (
    Agreement,
    BoardPost,
    Budget,
    Case,
    CaseCounter,
    CaseEvent,
    ChecklistItem,
    ChecklistState,
    FollowUp,
    GradeAudit,
    JudicialConfirmation,
    LedgerEntry,
    MediationSession,
    Mediator,
    MediatorPosting,
    Organisation,
    OrgKind,
    Party,
    PayoutBatch,
    Rating,
    RatingScheme,
    Referral,
    SubsidyClaim,
    SubsidyRate,
    TitleAward,
    TrainingRecord,
    User,
)
from services.access.accounts import check_password_policy, create_user
from services.core import audit
from services.core.bootstrap import ensure_reference_data, ensure_root_org
from services.core.config import ROOT, get_settings
from services.core.db import Database
from services.core.errors import Conflict
from services.core.reference import DEADLINES, RATING_THRESHOLDS, RATING_WEIGHTS
from services.core.security import ID_CHECK, ID_WEIGHTS, blind_index, encrypt_id, mask_id
from services.demo.registers import seed_register_entries
from services.roster.orgs import create_org

LOGINS_FILE = ROOT / "data" / "demo_logins.txt"
DEMO_VILLAGE = "V001"
DEMO_SHARE = 20  # every 20th case is the demo village's (besides its share of the rest)
CHUNK_CASES = 10_000  # ~165k rows of all tables per transaction (fewer commits: less WAL rewriting of index pages)
USE_FORK = True  # generate in a forked child while the parent writes (when there is more than one chunk)
DAY = 86_400.0
YEARS = 3
ID_POOL_CAP = 20_000  # see _IdPool
ROLES = ("mediator", "police", "court", "justice", "coordinator", "admin")
PW_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"
SUCCEEDED = frozenset({"succeeded", "followed_up", "archived"})
TRACK_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # services.intake.tracking's: no 0/O, 1/I/L
TRACK_MULTIPLIER = 7_919_981  # coprime with 31, so case id → code is one-to-one
HANDOVER = {"dispatch_110": "police_handover", "police_referral": "police_handover", "court_entrust": "court_entrust"}

T = TypeVar("T")
Row = dict[str, Any]
Rows = dict[str, list[Row]]
Progress = Callable[[int, int], None]


def seed_demo(
    db: Database,
    *,
    cases: int,
    seed: int,
    if_empty: bool = False,
    password: str | None = None,
    progress: Progress | None = None,
    today: date | None = None,
) -> list[tuple[str, str, str]]:
    """Fill the database with a demo city and `cases` cases; return the demo sign-ins (role, username, password).

    With `if_empty`, a database that already has cases (or the demo city) is left alone and [] is returned.
    """
    if if_empty and _has_data(db):
        return []
    if password is not None:
        check_password_policy(password)
    rng = random.Random(seed)
    fake = Faker("zh_CN")
    fake.seed_instance(seed)
    names = _NamePool(fake)
    with db.write() as s:
        ensure_reference_data(s)
        if s.exec(select(Organisation.id).where(Organisation.code == DEMO_VILLAGE)).first() is not None:
            raise Conflict("error.demo_exists", code=DEMO_VILLAGE)
        city = _build_city(s, rng)
        logins, users = _create_users(s, city, names, password)
        ref = _Reference.load(s)
    end = datetime.combine(today or datetime.now(UTC).date(), datetime.min.time(), UTC)
    gc_was_on = gc.isenabled()
    gc.disable()  # millions of short-lived acyclic rows: collection passes would only cost time
    try:
        ids = _Ids.load(db)
        staff = _insert_staff(db, city, users, names, rng, ids, end)
        gen = _CaseGenerator(rng, names, city, staff, users, ids, end, ref)
        _insert_cases(db, gen, cases, progress)
        _insert_after(db, gen, ref)
    finally:
        if gc_was_on:
            gc.enable()
    if db.dialect == "postgresql":
        _reset_sequences(db)
    with db.write() as s:  # issue 11: a few entries in the starter registers, through the register service
        seed_register_entries(s, users, rng, end.date())
    _write_logins(logins)
    return logins


def read_demo_logins(path: Path | None = None) -> list[tuple[str, str, str]]:
    """The demo sign-ins written by the last seed_demo, or [] when there are none."""
    path = path or LOGINS_FILE
    if not path.is_file():
        return []
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) == 3 and not line.startswith("#"):
            rows.append((parts[0], parts[1], parts[2]))
    return rows


def _has_data(db: Database) -> bool:
    with db.read() as s:
        if s.exec(select(Case.id).limit(1)).first() is not None:
            return True
        return s.exec(select(Organisation.id).where(Organisation.code == DEMO_VILLAGE)).first() is not None


def _write_logins(logins: list[tuple[str, str, str]]) -> None:
    LOGINS_FILE.parent.mkdir(parents=True, exist_ok=True)
    LOGINS_FILE.touch(mode=0o600, exist_ok=True)
    LOGINS_FILE.chmod(0o600)
    body = "# Demo sign-ins (role, username, password); written by `manage.py seed-demo`.\n"
    LOGINS_FILE.write_text(body + "".join(f"{r}\t{u}\t{p}\n" for r, u, p in logins), encoding="utf-8")


def _t(model: type[SQLModel]) -> Table:
    return cast(Table, model.__table__)  # type: ignore[attr-defined]


@dataclass
class _Reference:
    """Reference rows the generator points at: rates, rating scheme, checklist items."""

    rates: dict[tuple[str, str | None], tuple[int, int]]
    scheme_id: int | None
    items: list[int]

    @classmethod
    def load(cls, s: Session) -> _Reference:
        rates = {
            (r.grade, r.org_kind): (r.id or 0, r.amount_fen)
            for r in s.exec(select(SubsidyRate)).all()
            if r.region_org_id is None
        }
        scheme = s.exec(select(RatingScheme.id).order_by(col(RatingScheme.id))).first()
        items = [i for i in s.exec(select(ChecklistItem.id).order_by(col(ChecklistItem.position))).all() if i]
        return cls(rates, scheme, items)


# --------------------------------------------------------------------------------------------------- pools


class _NamePool:
    """Faker names drawn once; picking from the pool is 100× cheaper than calling Faker per party."""

    def __init__(self, fake: Faker, size: int = 4000) -> None:
        self.fake = fake
        self.names = [fake.name() for _ in range(size)]

    def pick(self, rng: random.Random) -> str:
        return self.names[int(rng.random() * len(self.names))]


class _IdPool:
    """Valid GB 11643 ID numbers with their ciphertext, blind index and mask.

    Fernet encryption costs ~15 µs; at a million cases (600k ID numbers) it would dominate, so after
    ID_POOL_CAP distinct numbers the pool hands out earlier ones again: demo parties may share an ID number.
    """

    def __init__(self, key: str, areas: list[str]) -> None:
        self.key, self.areas = key, areas
        self.items: list[tuple[str, str, str]] = []

    def take(self, rng: random.Random, male: bool) -> tuple[str, str, str]:
        if len(self.items) >= ID_POOL_CAP:
            return self.items[int(rng.random() * len(self.items))]
        idn = make_id_number(rng, rng.choice(self.areas), male)
        item = (encrypt_id(idn, self.key), blind_index(idn, self.key), mask_id(idn))
        self.items.append(item)
        return item


def make_id_number(rng: random.Random, area: str, male: bool) -> str:
    """A random resident ID number with a valid birth date, sex digit and GB 11643 checksum."""
    born = date(1950, 1, 1) + timedelta(days=rng.randrange(20_000))
    seq = rng.randrange(0, 999)
    seq = seq | 1 if male else seq & ~1
    body = f"{area}{born:%Y%m%d}{seq:03d}"
    return body + ID_CHECK[sum(int(c) * w for c, w in zip(body, ID_WEIGHTS, strict=True)) % 11]


class _Ids:
    """Running primary-key counters, one per table, starting after what the database holds."""

    def __init__(self, start: dict[str, int]) -> None:
        self.next = start

    @classmethod
    def load(cls, db: Database) -> _Ids:
        start = {}
        with db.read_engine.connect() as c:
            for t in TABLES.values():
                start[t.name] = int(c.execute(sa_select(func.coalesce(func.max(t.c.id), 0))).scalar_one()) + 1
        return cls(start)

    def take(self, table: str) -> int:
        n = self.next[table]
        self.next[table] = n + 1
        return n


# --------------------------------------------------------------------------------------------------- city


@dataclass
class _Org:
    id: int
    code: str
    name: str
    kind: str
    county: int
    parent: int
    town: int | None = None
    sector: str | None = None
    place: str = ""
    area: str = ""


@dataclass
class _City:
    orgs: list[_Org] = field(default_factory=list)
    by_code: dict[str, _Org] = field(default_factory=dict)
    justice: dict[int, _Org] = field(default_factory=dict)
    court: dict[int, _Org] = field(default_factory=dict)
    coord: dict[int, _Org] = field(default_factory=dict)
    station: dict[int, _Org] = field(default_factory=dict)  # town id → police station (or the county's first)
    root_id: int = 0

    def add(self, org: Organisation, town: int | None = None, place: str = "", area: str = "") -> _Org:
        o = _Org(
            org.id or 0,
            org.code,
            org.name,
            org.kind,
            org.county_id or 0,
            org.parent_id or 0,
            town,
            org.sector,
            place,
            area,
        )
        self.orgs.append(o)
        self.by_code[o.code] = o
        return o


def _phone_office(rng: random.Random) -> str:
    return f"0831-{rng.randrange(2_000_000, 8_999_999)}"


HOURS = "周一至周五 8:30-12:00 14:00-17:30"


def _build_city(s: Session, rng: random.Random) -> _City:
    """3–4 counties, each with towns, village committees, stationed rooms and partner agencies."""
    city = _City()
    root = ensure_root_org(s)
    city.root_id = root.id or 0
    town_stems = rng.sample(TOWN_STEMS, len(TOWN_STEMS))
    for ci, (cname, area) in enumerate(rng.sample(COUNTIES, rng.choice((3, 4))), start=1):
        cc = f"C{ci:02d}"
        county = create_org(
            s,
            code=cc,
            name=cname,
            kind=OrgKind.COUNTY,
            parent=root,
            address=f"{cname}政务中心",
            phone=_phone_office(rng),
            hours=HOURS,
        )
        city.add(county, area=area)
        towns = [
            _build_town(s, rng, city, county, cname, area, ti, town_stems.pop())
            for ti in range(1, rng.randint(4, 8) + 1)
        ]
        first_station = city.station[towns[0]]
        for t in towns:
            city.station.setdefault(t, first_station)
        _build_county_bodies(s, rng, city, county, cname, area)
    return city


def _build_town(
    s: Session, rng: random.Random, city: _City, county: Organisation, cname: str, area: str, ti: int, stem: str
) -> int:
    street = cname.endswith("区") and ti <= 2
    tname = stem + ("街道" if street else "镇")
    tc = f"{county.code}T{ti:02d}"
    town = create_org(
        s,
        code=tc,
        name=tname,
        kind=OrgKind.TOWN,
        parent=county,
        address=f"{cname}{tname}人民政府",
        phone=_phone_office(rng),
        hours=HOURS,
    )
    tid = town.id or 0
    city.add(town, town=tid, area=area)
    m = create_org(
        s,
        code=f"{tc}M",
        name=f"{tname}人民调解委员会",
        kind=OrgKind.TOWN_COMMITTEE,
        parent=town,
        address=f"{cname}{tname}司法所",
        phone=_phone_office(rng),
        hours=HOURS,
    )
    city.add(m, town=tid, place=f"{tname}司法所调解室", area=area)
    for vi, vstem in enumerate(rng.sample(VILLAGE_STEMS, rng.randint(5, 12)), start=1):
        vname = vstem + ("社区" if street else "村")
        code = DEMO_VILLAGE if DEMO_VILLAGE not in city.by_code else f"{tc}V{vi:02d}"
        v = create_org(
            s,
            code=code,
            name=f"{tname}{vname}人民调解委员会",
            kind=OrgKind.VILLAGE_COMMITTEE,
            parent=town,
            address=f"{cname}{tname}{vname}便民服务中心",
            phone=_phone_office(rng),
            hours=HOURS,
            population=rng.randint(1500, 7000),
        )
        city.add(v, town=tid, place=f"{tname}{vname}", area=area)
    if ti == 1 or rng.random() < 0.6:
        ps = create_org(
            s,
            code=f"{tc}PS",
            name=f"{cname}公安局{stem}派出所",
            kind=OrgKind.POLICE_STATION,
            parent=town,
            address=f"{cname}{tname}{stem}派出所",
            phone=_phone_office(rng),
        )
        city.station[tid] = city.add(ps, town=tid, area=area)
        pr = create_org(
            s,
            code=f"{tc}PR",
            name=f"{stem}派出所人民调解室",
            kind=OrgKind.POLICE_ROOM,
            parent=ps,
            address=f"{cname}{tname}{stem}派出所一楼",
            phone=_phone_office(rng),
            hours="白天坐班、夜间值守",
        )
        city.add(pr, town=tid, place=f"{stem}派出所调解室", area=area)
    return tid


def _build_county_bodies(
    s: Session, rng: random.Random, city: _City, county: Organisation, cname: str, area: str
) -> None:
    cc, cid = county.code, county.id or 0

    def add(code: str, name: str, kind: str, address: str, place: str = "", **kw: Any) -> _Org:
        org = create_org(
            s,
            code=f"{cc}{code}",
            name=name,
            kind=kind,
            parent=kw.pop("parent", county),
            address=address,
            phone=_phone_office(rng),
            hours=HOURS,
            **kw,
        )
        return city.add(org, place=place, area=area)

    court = add("CT", f"{cname}人民法院", OrgKind.COURT, f"{cname}法院路1号")
    city.court[cid] = court
    add(
        "CR",
        f"{cname}人民法院驻庭调解室",
        OrgKind.COURT_ROOM,
        f"{cname}人民法院诉讼服务中心",
        place=f"{cname}人民法院诉讼服务中心",
        parent=s.get(Organisation, court.id),
    )
    add(
        "PT",
        f"{cname}信访事项人民调解委员会",
        OrgKind.PETITION_ROOM,
        f"{cname}信访局接待大厅",
        place=f"{cname}信访局接待大厅",
    )
    for sector, suffix, label in PROFESSIONAL:
        add(
            suffix,
            f"{cname}{label}人民调解委员会",
            OrgKind.PROFESSIONAL,
            f"{cname}{label}调解中心",
            place=f"{cname}{label}调解中心",
            sector=sector,
        )
    city.justice[cid] = add("J", f"{cname}司法局", OrgKind.JUSTICE_OFFICE, f"{cname}司法局")
    city.coord[cid] = add("CO", f"{cname}社会矛盾纠纷调处化解中心", OrgKind.COORDINATION, f"{cname}综治中心")


def _readable_password() -> str:
    return "-".join("".join(secrets.choice(PW_ALPHABET) for _ in range(4)) for _ in range(4))


def _create_users(
    s: Session, city: _City, names: _NamePool, password: str | None
) -> tuple[list[tuple[str, str, str]], dict[str, User]]:
    """One sign-in per role, each in the organisation that role works from (around village V001)."""
    v = city.by_code[DEMO_VILLAGE]
    homes = {
        "mediator": v.code,
        "police": city.station[v.town or 0].code,
        "court": city.court[v.county].code,
        "justice": city.justice[v.county].code,
        "coordinator": city.coord[v.county].code,
        "admin": "ROOT",
    }
    logins, users = [], {}
    for role in ROLES:
        pw = password or _readable_password()
        users[role] = create_user(
            s, username=role, display_name=names.fake.name(), password=pw, org_code=homes[role], roles=[role]
        )
        logins.append((role, role, pw))
    return logins, users


# --------------------------------------------------------------------------------------------------- staff


@dataclass
class _Staff:
    by_org: dict[int, list[int]] = field(default_factory=dict)
    names: dict[int, str] = field(default_factory=dict)
    employment: dict[int, str] = field(default_factory=dict)
    county: dict[int, int] = field(default_factory=dict)
    training_hours: dict[int, float] = field(default_factory=dict)


def _insert_staff(
    db: Database, city: _City, users: dict[str, User], names: _NamePool, rng: random.Random, ids: _Ids, end: datetime
) -> _Staff:
    """Mediators in every mediation body, their postings and training records."""
    staff = _Staff()
    out: Rows = {"trainingsession": [], "mediator": [], "mediatorposting": [], "trainingrecord": []}
    sessions = _training_sessions(city, rng, ids, end, out["trainingsession"]) if "trainingsession" in TABLES else {}
    for org in city.orgs:
        lo, hi, kinds = STAFF_MIX.get(org.kind, (0, -1, ()))
        for i in range(rng.randint(lo, hi) if hi >= 0 else 0):
            mid = ids.take("mediator")
            employment, name, user_id = (kinds[i] if i < len(kinds) else rng.choice(kinds)), names.pick(rng), None
            if org.code == DEMO_VILLAGE and i == 0:
                user_id, name, employment = users["mediator"].id, users["mediator"].display_name, "full_time"
            started = date(rng.randint(2008, end.year - 1), rng.randint(1, 12), rng.randint(1, 28))
            spec = [org.sector] if org.sector else rng.sample(SPECIALTIES, rng.randint(1, 3))
            out["mediator"].append(
                {
                    "id": mid,
                    "user_id": user_id,
                    "org_id": org.id,
                    "name": name,
                    "gender": rng.choice(("男", "女")),
                    "phone": _mobile(rng),
                    "employment": employment,
                    "specialties": spec,
                    "certificate_no": f"川调证{started.year}{mid:05d}",
                    "start_date": started,
                    "status": "active",
                    "stars": None,
                    "photo": None,
                    "created_at": end,
                }
            )
            out["mediatorposting"].append(
                {"id": ids.take("mediatorposting"), "mediator_id": mid, "org_id": org.id, "start": started, "end": None}
            )
            staff.training_hours[mid] = _training(
                rng, ids, mid, city.justice[org.county].name, end, sessions.get(org.county, []), out["trainingrecord"]
            )
            staff.by_org.setdefault(org.id, []).append(mid)
            staff.names[mid], staff.employment[mid], staff.county[mid] = name, employment, org.county
    _write_rows(db, {k: v for k, v in out.items() if v})
    return staff


def _training_sessions(
    city: _City, rng: random.Random, ids: _Ids, end: datetime, rows: list[Row]
) -> dict[int, list[Row]]:
    """Four trainings a year held by each county's justice bureau (courses, expert lectures, meetings)."""
    by_county: dict[int, list[Row]] = {}
    for county, office in sorted(city.justice.items()):
        for year in range(end.year - YEARS, end.year + 1):
            for _ in range(4):
                held = date(year, rng.randint(1, 12), rng.randint(1, 28))
                if held >= end.date():
                    continue
                kind = _choose(rng, (("organised", 0.7), ("expert_lecture", 0.2), ("meeting", 0.1)))
                row = {
                    "id": ids.take("trainingsession"),
                    "org_id": office.id,
                    "held_on": held,
                    "topic": rng.choice(TRAININGS),
                    "hours": float(rng.choice((4, 8, 8, 16))),
                    "kind": kind,
                    "organiser": office.name,
                    "place": f"{office.name}会议室",
                    "created_at": datetime.combine(held, datetime.min.time(), UTC),
                }
                rows.append(row)
                by_county.setdefault(county, []).append(row)
    return by_county


def _training(
    rng: random.Random, ids: _Ids, mid: int, organiser: str, end: datetime, sessions: list[Row], rows: list[Row]
) -> float:
    """Attendance of the county's sessions plus some self-study; returns last year's hours (a rating metric)."""
    hours = 0.0
    linked = "session_id" in TABLES["trainingrecord"].c
    picks: list[tuple[date, str, float, Row | None]] = [
        (s["held_on"], s["topic"], s["hours"], s) for s in sessions if rng.random() < 0.55
    ]
    for year in range(end.year - YEARS, end.year + 1):
        for _ in range(rng.randint(0, 2 if linked else 3)):
            held = date(year, rng.randint(1, 12), rng.randint(1, 28))
            if held < end.date():
                picks.append((held, rng.choice(TRAININGS), float(rng.choice((2, 4, 8))), None))
    for held, title, h, session in picks:
        hours += h if held.year == end.year - 1 else 0.0
        row = {
            "id": ids.take("trainingrecord"),
            "mediator_id": mid,
            "held_on": held,
            "title": title,
            "hours": h,
            "organiser": organiser if session else "自学",
        }
        if linked:
            row.update(session_id=session["id"] if session else None, kind=session["kind"] if session else "self_study")
        rows.append(row)
    return hours


def _mobile(rng: random.Random) -> str:
    return f"1{'3456789'[int(rng.random() * 7)]}{int(rng.random() * 1e9):09d}"


# --------------------------------------------------------------------------------------------------- cases


class _Picker:
    """Weighted choice by bisection over cumulative weights (cheaper than random.choices per call)."""

    def __init__(self, items: list[Any], weights: list[float]) -> None:
        self.items, self.cum, acc = items, [], 0.0
        for w in weights:
            acc += w
            self.cum.append(acc)
        self.total = acc

    def __call__(self, rng: random.Random) -> Any:
        return self.items[min(bisect_right(self.cum, rng.random() * self.total), len(self.items) - 1)]


@dataclass
class _Life:
    """Milestones of one case (epoch seconds); status is the last one reached before the end of the data."""

    received: float
    status: str = "submitted"
    accepted: float | None = None
    rejected: float | None = None
    started: float | None = None
    concluded: float | None = None
    followed: float | None = None
    archived: float | None = None
    sessions: list[float] = field(default_factory=list)


@dataclass
class _Stats:
    """What later rows need: last year's metrics per mediator, spend per county-year, batch totals, counters."""

    mediated: dict[int, list[float]] = field(default_factory=dict)
    spend: dict[tuple[int, int], int] = field(default_factory=dict)
    batches: dict[int, int] = field(default_factory=dict)
    counters: dict[tuple[int, int], int] = field(default_factory=dict)


# Parents before children (the write order inside a chunk).
CASE_TABLES = (
    Case,
    Party,
    Referral,
    CaseEvent,
    MediationSession,
    Agreement,
    JudicialConfirmation,
    FollowUp,
    GradeAudit,
    SubsidyClaim,
    LedgerEntry,
)
BULK_TABLES = (
    *CASE_TABLES,
    Mediator,
    MediatorPosting,
    TrainingRecord,
    PayoutBatch,
    CaseCounter,
    Budget,
    Rating,
    TitleAward,
    ChecklistState,
    BoardPost,
)
TABLES = {_t(m).name: _t(m) for m in BULK_TABLES}
# Tables newer than this module's first version are used when the models have them.
TABLES.update({n: SQLModel.metadata.tables[n] for n in ("trainingsession",) if n in SQLModel.metadata.tables})


class _CaseGenerator:
    """Cases in chronological order with every row that hangs off them."""

    def __init__(
        self,
        rng: random.Random,
        names: _NamePool,
        city: _City,
        staff: _Staff,
        users: dict[str, User],
        ids: _Ids,
        end: datetime,
        ref: _Reference,
    ) -> None:
        self.rng, self.names, self.city, self.staff, self.ids, self.ref = rng, names, city, staff, ids, ref
        self.user = {role: u.id or 0 for role, u in users.items()}
        self.end, self.end_dt, self.last_year = end.timestamp(), end, end.year - 1
        self.key = get_settings().data_key
        self.id_pool = _IdPool(self.key, sorted({o.area for o in city.orgs if o.area}))
        self.stats = _Stats()
        self.demo_org = city.by_code[DEMO_VILLAGE].id
        self.org_by_id = {o.id: o for o in city.orgs}
        self.first_station = {o.county: o for o in reversed(city.orgs) if o.kind == OrgKind.POLICE_STATION}
        mediating = [o for o in city.orgs if o.id in staff.by_org]
        weights = [
            rng.lognormvariate(0, 0.8) * KIND_VOLUME[o.kind] * (4.0 if o.code == DEMO_VILLAGE else 1.0)
            for o in mediating
        ]
        self.pick_org = _Picker(mediating, weights)
        self.pick_source = {k: _Picker(list(v), list(v.values())) for k, v in SOURCES_BY_KIND.items()}
        self.pick_cat = {k: _Picker(list(v), list(v.values())) for k, v in categories_by_kind().items()}
        self.pick_grade = _Picker(["simple", "standard", "complex", "major"], [55, 32, 11, 2])
        ledger = _t(LedgerEntry).c
        self.ledger_steps = "from_status" in ledger  # the ledger's who/what columns (migration 0004)
        self.claim_rate = "rate_id" in _t(SubsidyClaim).c
        self.batch_rows = self._batches()

    def state(self) -> tuple[_Stats, dict[str, int], Any]:
        return self.stats, self.ids.next, self.rng.getstate()

    def restore(self, state: tuple[_Stats, dict[str, int], Any]) -> None:
        self.stats, self.ids.next = state[0], state[1]
        self.rng.setstate(state[2])

    def empty(self) -> Rows:
        return {_t(m).name: [] for m in CASE_TABLES}

    # ---- timeline
    def life(self, received: float, source: str, category: str, on_spot: bool, open_as: str | None = None) -> _Life:
        """Draw the case's milestones; stop at the first one that lies after the end of the data."""
        r, end = self.rng, self.end
        lf = _Life(received)
        if open_as is not None:  # one of the newest cases, kept open in the given state
            if open_as != "submitted":
                lf.accepted, lf.status = min(end, received + 3600), "accepted"
            if open_as == "in_mediation":
                lf.started, lf.status = min(end, received + 7200), "in_mediation"
                lf.sessions.append(lf.started)
            return lf
        if on_spot:
            lf.accepted, lf.concluded, lf.status = received, received + r.uniform(600, 5400), "succeeded"
            lf.sessions.append(received)
        elif not self._mediate(lf, source, category):
            return lf
        t = (lf.concluded or received) + r.uniform(2, 15) * DAY
        if r.random() < 0.1 or t > end:
            return lf
        lf.followed, lf.status = t, "followed_up"
        t += r.uniform(5, 60) * DAY
        if r.random() < 0.08 or t > end:
            return lf
        lf.archived, lf.status = t, "archived"
        return lf

    def _mediate(self, lf: _Life, source: str, category: str) -> bool:
        """Accept (or reject), start, conclude; True when the case succeeded."""
        r, end = self.rng, self.end
        t = lf.received + min(r.expovariate(1 / (0.6 * DAY)), 6 * DAY)
        if t > end:
            return False
        if r.random() < (0.08 if source == "qr" else 0.02):
            lf.rejected, lf.status = t, "rejected"
            return False
        lf.accepted, lf.status = t, "accepted"
        t_start = t + r.expovariate(1 / (1.5 * DAY))
        if r.random() < 0.004 or t_start > end:
            return False
        if r.random() < 0.012:
            lf.concluded, lf.status = min(end, t + r.uniform(0.5, 8) * DAY), "withdrawn"
            return False
        lf.started, lf.status = t_start, "in_mediation"
        lf.sessions.append(t_start)
        t_end = t_start + min(r.lognormvariate(math.log(5), 0.9), 150) * DAY
        if r.random() < 0.006 or t_end > end:
            return False
        if t_end - t_start > 4 * DAY and r.random() < 0.35:
            lf.sessions.append(t_end)
        lf.concluded = t_end
        if r.random() < 0.015:
            lf.status = "withdrawn"
        elif r.random() > SUCCESS.get(category, 0.92) * (0.82 if source == "petition" else 1.0):
            lf.status = "failed"
        else:
            lf.status = "succeeded"
        return lf.status == "succeeded"

    def _batches(self) -> dict[tuple[int, int], Row]:
        """One payout batch per county and quarter, paid 20 days after the quarter ends."""
        out: dict[tuple[int, int], Row] = {}
        first = self.end_dt.year - YEARS
        extra = "paid_by" in _t(PayoutBatch).c
        for county in sorted(self.city.justice):
            cc = next(o.code for o in self.city.orgs if o.id == county)
            for q in range((self.end_dt.year - first + 1) * 4):
                year, quarter = first + q // 4, q % 4 + 1
                qend = datetime(year + (quarter == 4), (quarter * 3) % 12 + 1, 1, tzinfo=UTC)
                paid = qend + timedelta(days=20)
                if qend - timedelta(days=92) > self.end_dt:
                    continue
                done = paid <= self.end_dt
                row = {
                    "id": self.ids.take("payoutbatch"),
                    "code": f"PB-{cc}-{paid:%Y%m%d}-01",
                    "region_org_id": county,
                    "total_fen": 0,
                    "status": "paid" if done else "open",
                    "notice_until": (paid + timedelta(days=6)).date() if done else None,
                    "created_by": self.user["justice"],
                    "created_at": qend,
                    "paid_at": paid if done else None,
                    "_pay": paid.timestamp(),
                }
                if extra:
                    row.update(
                        notice_from=paid.date() if done else None,
                        paid_by=self.user["justice"] if done else None,
                        published_by=self.user["justice"] if done else None,
                    )
                out[(county, year * 10 + quarter)] = row
        return out

    # ---- one case
    def case(self, received: float, out: Rows, open_as: str | None = None) -> None:
        r = self.rng
        cid = self.ids.take("case")
        # the demo sign-ins' village gets a steady share and the newest open cases, whatever the dates drawn
        demo = open_as is not None or cid % DEMO_SHARE == 0
        org = self.org_by_id[self.demo_org] if demo else self.pick_org(r)
        source = self.pick_source[org.kind](r)
        category = self.pick_cat[org.sector or org.kind](r)
        on_spot = source == "on_the_spot" and open_as is None
        if source == "on_the_spot" and not on_spot:
            source = "walk_in"
        lf = self.life(received, source, category, on_spot, open_as)
        rdt = datetime.fromtimestamp(received, UTC)
        n = self.stats.counters[(org.id, rdt.year)] = self.stats.counters.get((org.id, rdt.year), 0) + 1
        mediators = self.staff.by_org[org.id]
        mediator = mediators[int(r.random() * len(mediators))] if lf.accepted else None
        a, b = self.names.pick(r), self.names.pick(r)
        group = r.random() < 0.02 and not on_spot
        flags = (["group"] if group else []) + ([pick_flag(r)] if r.random() < 0.03 else [])
        amount = int(r.lognormvariate(math.log(8000), 1.1)) * 100 if category in MONEY else 0
        succeeded = lf.status in SUCCEEDED
        grade = "simple" if on_spot else (self.pick_grade(r) if succeeded else None)
        audit_at = (lf.concluded or 0) + r.uniform(2, 12) * DAY if succeeded else None
        audited = grade if audit_at is not None and audit_at <= self.end and r.random() > 0.02 else None
        if audited and r.random() < 0.05:
            audited = {"simple": "standard", "standard": "simple", "complex": "standard", "major": "complex"}[audited]
        desc, request = describe(category, a, b, org.place, amount // 100)
        actor = self.user["mediator"] if org.id == self.demo_org else None
        row: Row = {
            "id": cid,
            "case_no": f"{rdt.year}-{org.code}-{n:05d}",
            "tracking_code": tracking_code(cid) if source == "qr" else None,
            "form_token": None,
            "org_id": org.id,
            "county_id": org.county,
            "mediator_id": mediator,
            "source": source,
            "category": category,
            "status": lf.status,
            "title": f"{a[0]}某与{b[0]}某{LABEL[category]}",
            "description": desc,
            "place": org.place,
            "request": request,
            "amount_fen": amount,
            "group_size": r.randint(5, 60) if group else 0,
            "risk_level": "high" if flags else "none",
            "risk_flags": flags,
            "grade_proposed": grade,
            "grade_audited": audited,
            "on_the_spot": on_spot,
            "pre_litigation": source == "court_entrust",
            "outcome_note": "当场达成口头协议" if on_spot else "",
            "diversion": pick_diversion(r, category) if lf.status == "failed" else None,
            "reject_reason": pick_reject(r, source) if lf.rejected else None,
            "received_at": rdt,
            "received_month": rdt.year * 100 + rdt.month,
            "accepted_at": _dt(lf.accepted),
            "concluded_at": _dt(lf.concluded),
            "archived_at": _dt(lf.archived),
            "accept_due": (rdt + timedelta(days=DEADLINES["accept_days"])).date(),
            "conclude_due": datetime.fromtimestamp((lf.accepted or received + 3 * DAY) + 30 * DAY, UTC).date(),
            "custom": {},
            "created_by": actor if source != "qr" else None,
            "version": 1,
        }
        out["case"].append(row)  # facts the stats triggers copy onto the case (0006) are left to them
        self._parties(cid, a, b, org, rdt, out)
        if source in HANDOVER:
            self._referral(cid, org, source, lf, actor, out)
        agreement = self._agreement(cid, lf, org, on_spot, grade, amount, actor, mediator, out) if succeeded else None
        self._events(
            cid,
            lf,
            actor,
            source,
            grade,
            agreement,
            out,
            codes={"fail": row["diversion"], "reject": row["reject_reason"]},
        )
        if lf.sessions:
            self._sessions(cid, lf, org, a, b, mediator, actor, out)
        if audited is not None and audit_at is not None:
            self._grade_and_claim(cid, org, grade or audited, audited, audit_at, mediator, actor, out)
        if mediator is not None and lf.concluded and _year(lf.concluded) == self.last_year:
            m = self.stats.mediated.setdefault(mediator, [0, 0, 0, 0, 0, 0, 0])
            m[0] += 1
            m[1] += succeeded
            m[2] += lf.status == "failed"

    def _parties(self, cid: int, a: str, b: str, org: _Org, rdt: datetime, out: Rows) -> None:
        r = self.rng
        rows = out["party"]
        for side, name, with_phone in (("applicant", a, 0.95), ("respondent", b, 0.6)):
            male = r.random() < 0.55
            phone = _mobile(r) if r.random() < with_phone else ""
            enc, idx, masked = self.id_pool.take(r, male) if r.random() < 0.3 else (None, None, None)
            rows.append(
                {
                    "id": self.ids.take("party"),
                    "case_id": cid,
                    "side": side,
                    "kind": "person",
                    "name": name,
                    "gender": "男" if male else "女",
                    "phone": phone,
                    "phone_index": blind_index(phone, self.key, "phone") if phone else None,
                    "id_number_enc": enc,
                    "id_number_index": idx,
                    "id_number_masked": masked,
                    "address": f"{org.place}{r.randint(1, 12)}组" if org.kind == OrgKind.VILLAGE_COMMITTEE else "",
                    "created_at": rdt,
                }
            )

    def _referral(self, cid: int, org: _Org, source: str, lf: _Life, actor: int | None, out: Rows) -> None:
        """The hand-over a police station or court made (公调对接 / 诉调对接)."""
        police = source != "court_entrust"
        if not police:
            sender = self.city.court[org.county]
        elif org.kind == OrgKind.POLICE_ROOM:
            sender = self.org_by_id[org.parent]
        else:
            sender = self.city.station[org.town] if org.town else self.first_station[org.county]
        decided = lf.accepted or lf.rejected
        out["referral"].append(
            {
                "id": self.ids.take("referral"),
                "case_id": cid,
                "from_org_id": sender.id,
                "to_org_id": org.id,
                "kind": HANDOVER[source],
                "note": "经当事人同意移交调解" if police else "诉前委托调解",
                "status": "pending" if decided is None else ("returned" if lf.rejected else "accepted"),
                "reason": "不属于人民调解受理范围" if lf.rejected else "",
                "sent_by": self.user["police" if police else "court"],
                "sent_at": _dt(lf.received),
                "decided_by": actor if decided else None,
                "decided_at": _dt(decided),
            }
        )

    def _events(
        self,
        cid: int,
        lf: _Life,
        actor: int | None,
        source: str,
        grade: str | None,
        agreement: tuple[int, str] | None,
        out: Rows,
        codes: dict[str, str | None],
    ) -> None:
        """The timeline as services.cases.workflow writes it: `created`, then one `transition.<action>` per move."""
        rows = out["caseevent"]
        conclusion = "succeeded" if lf.status in SUCCEEDED else lf.status
        before_end = "in_mediation" if lf.started else "accepted"
        steps: tuple[tuple[float | None, str, str | None, str], ...] = (
            (lf.received, "created", None, "submitted"),
            (lf.rejected, "transition.reject", "submitted", "rejected"),
            (lf.accepted, "transition.accept", "submitted", "accepted"),
            (lf.started, "transition.start", "accepted", "in_mediation"),
            (lf.concluded, f"transition.{ACTION_OF.get(conclusion, conclusion)}", before_end, conclusion),
            (lf.followed, "transition.follow_up", "succeeded", "followed_up"),
            (lf.archived, "transition.archive", "followed_up", "archived"),
        )
        for at, kind, frm, to in steps:
            if at is None:
                continue
            data: dict[str, Any] = {}
            if kind == "created":
                data = {"source": source}
            elif to == "succeeded" and agreement is not None:
                data = {"agreement_id": agreement[0], "grade": grade, "kind": agreement[1]}
            elif kind == "transition.fail" and codes["fail"]:
                data = {"diversion": codes["fail"]}  # as services.cases.workflow records it: the timeline names it
            elif kind == "transition.reject" and codes["reject"]:
                data = {"reason": codes["reject"]}
            rows.append(
                {
                    "id": self.ids.take("caseevent"),
                    "case_id": cid,
                    "at": _dt(at),
                    "actor_id": actor,
                    "kind": kind,
                    "from_status": frm,
                    "to_status": to,
                    "note": "",
                    "data": data,
                }
            )

    def _sessions(
        self, cid: int, lf: _Life, org: _Org, a: str, b: str, mediator: int | None, actor: int | None, out: Rows
    ) -> None:
        r = self.rng
        who = f"{a}、{b}、调解员{self.staff.names.get(mediator or 0, '')}"
        for i, at in enumerate(lf.sessions):
            out["mediationsession"].append(
                {
                    "id": self.ids.take("mediationsession"),
                    "case_id": cid,
                    "held_at": _dt(at),
                    "place": org.place,
                    "participants": who,
                    "notes": SESSION_NOTES[i > 0][int(r.random() * 4)],
                    "online": r.random() < 0.05,
                    "meeting_url": "",
                    "duration_minutes": r.randint(20, 180),
                    "attended": [],
                    "recorded_by": actor,
                    "created_at": _dt(at),
                }
            )

    def _agreement(
        self,
        cid: int,
        lf: _Life,
        org: _Org,
        on_spot: bool,
        grade: str | None,
        amount: int,
        actor: int | None,
        mediator: int | None,
        out: Rows,
    ) -> tuple[int, str]:
        """The agreement, its performance, maybe a judicial confirmation, and the follow-up visit."""
        r, end = self.rng, self.end
        concluded = lf.concluded or lf.received
        oral = on_spot or (grade == "simple" and r.random() < 0.3)
        paid = int(amount * r.uniform(0.4, 1.0)) // 100 * 100
        due = concluded + (r.uniform(0, 60) * DAY if paid else 0)
        perf, perf_at = "pending", None
        if due <= end:
            perf = _choose(r, (("fulfilled", 0.86), ("partly", 0.07), ("breached", 0.04), ("pending", 0.03)))
            perf_at = _dt(due) if perf in ("fulfilled", "partly") else None
        aid = self.ids.take("agreement")
        out["agreement"].append(
            {
                "id": aid,
                "case_id": cid,
                "version": 1,
                "kind": "oral" if oral else "written",
                "terms": agreement_terms(paid // 100, oral),
                "amount_fen": paid,
                "obligations": "按约定期限履行" if paid else "双方互相谅解，不再追究",
                "performance_due": _date(due),
                "signed_at": _dt(concluded),
                "performance": perf,
                "performance_at": perf_at,
                "recorded_by": actor,
            }
        )
        if not oral and r.random() < (0.3 if org.kind == OrgKind.COURT_ROOM else 0.07):
            self._confirmation(cid, org, concluded, actor, mediator, lf, out)
        if perf == "fulfilled" and mediator is not None:
            self._metric(mediator, lf, 3)
        sat = _choose(r, ((5, 0.55), (4, 0.3), (3, 0.1), (2, 0.03), (1, 0.02))) if lf.followed else None
        out["followup"].append(
            {
                "id": self.ids.take("followup"),
                "case_id": cid,
                "due": _date(concluded + DEADLINES["followup_days"] * DAY),
                "done_at": _dt(lf.followed),
                "method": "visit" if r.random() < 0.3 else "phone",
                "satisfaction": sat,
                "agreement_holds": (perf != "breached") if lf.followed else None,
                "note": "当事人表示协议已履行，对调解工作满意" if sat and sat >= 4 else "",
                "recorded_by": actor if lf.followed else None,
            }
        )
        if sat is not None and mediator is not None:
            self._metric(mediator, lf, 5, sat)
            self._metric(mediator, lf, 6)
        return aid, "oral" if oral else "written"

    def _confirmation(
        self, cid: int, org: _Org, concluded: float, actor: int | None, mediator: int | None, lf: _Life, out: Rows
    ) -> None:
        r, end = self.rng, self.end
        applied = concluded + r.uniform(1, 10) * DAY
        decided = applied + r.uniform(3, 20) * DAY
        if applied > end:
            return
        done = decided <= end
        result = ("confirmed" if r.random() < 0.95 else "rejected") if done else "pending"
        out["judicialconfirmation"].append(
            {
                "id": self.ids.take("judicialconfirmation"),
                "case_id": cid,
                "court_org_id": self.city.court[org.county].id,
                "applied_at": _dt(applied),
                "applied_by": actor,
                "result": result,
                "ruling_no": f"({_year(decided)})川15{org.county % 100:02d}民特{cid % 9000 + 1}号" if done else "",
                "decided_at": _dt(decided) if done else None,
                "decided_by": self.user["court"] if done else None,
                "note": "",
            }
        )
        if mediator is not None and result == "confirmed":
            self._metric(mediator, lf, 4)

    def _metric(self, mediator: int, lf: _Life, slot: int, value: float = 1) -> None:
        if lf.concluded and _year(lf.concluded) == self.last_year:
            self.stats.mediated.setdefault(mediator, [0, 0, 0, 0, 0, 0, 0])[slot] += value

    def _grade_and_claim(
        self,
        cid: int,
        org: _Org,
        proposed: str,
        audited: str,
        audit_at: float,
        mediator: int | None,
        actor: int | None,
        out: Rows,
    ) -> None:
        """等级审核 by the police station (stationed rooms) or the justice office, then the subsidy claim."""
        police = org.kind == OrgKind.POLICE_ROOM
        out["gradeaudit"].append(
            {
                "id": self.ids.take("gradeaudit"),
                "case_id": cid,
                "proposed": proposed,
                "audited": audited,
                "auditor_id": self.user["police" if police else "justice"],
                "auditor_org_id": org.parent if police else self.city.justice[org.county].id,
                "note": "" if proposed == audited else "依据调解难度核定等级",
                "at": _dt(audit_at),
            }
        )
        claimed = audit_at + self.rng.uniform(0, 5) * DAY
        if claimed <= self.end:
            self._claim(cid, org, audited, claimed, mediator, actor, out)

    def _claim(
        self, cid: int, org: _Org, grade: str, claimed: float, mediator: int | None, actor: int | None, out: Rows
    ) -> None:
        """Claim → audit → approve → paid in the county's quarterly batch, as far as time allows."""
        r, end = self.rng, self.end
        major = grade == "major"
        rate_id, fen = self.ref.rates.get((grade, org.kind)) or self.ref.rates.get((grade, None)) or (None, 0)
        if major:
            rate_id, fen = None, r.randrange(500, 2001) * 100
        held = r.random() < 0.01
        t = claimed + r.uniform(3, 15) * DAY
        stages = [("claim", claimed, "", "claimed")]
        stages += (
            [("hold", claimed, "claimed", "held")]
            if held
            else [("audit", t, "claimed", "audited"), ("approve", t + r.uniform(2, 10) * DAY, "audited", "approved")]
        )
        stages = [s for s in stages if s[1] <= end]
        batch = None
        if stages[-1][0] == "approve":
            appr = datetime.fromtimestamp(stages[-1][1], UTC)
            brow = self.batch_rows[(org.county, appr.year * 10 + (appr.month - 1) // 3 + 1)]
            batch = brow["id"]
            self.stats.batches[batch] = self.stats.batches.get(batch, 0) + fen
            if brow["_pay"] <= end:
                stages.append(("pay", brow["_pay"], "approved", "paid"))
                key = (org.county, _year(brow["_pay"]))
                self.stats.spend[key] = self.stats.spend.get(key, 0) + fen
        claim_id = self.ids.take("subsidyclaim")
        row = {
            "id": claim_id,
            "case_id": cid,
            "kind": "award" if major else "subsidy",
            "mediator_id": mediator,
            "org_id": org.id,
            "county_id": org.county,
            "grade": grade,
            "amount_fen": fen,
            "status": stages[-1][3],
            "hold_reason": "协议书缺少当事人签名" if held else "",
            "claimed_by": actor,
            "claimed_at": _dt(claimed),
            "batch_id": batch,
        }
        if self.claim_rate:
            row["rate_id"] = rate_id
        out["subsidyclaim"].append(row)
        justice, office = self.user["justice"], self.city.justice[org.county].id
        for action, at, frm, to in stages:
            entry = {
                "id": self.ids.take("ledgerentry"),
                "claim_id": claim_id,
                "action": action,
                "amount_fen": fen,
                "reverses_id": None,
                "actor_id": actor if action in ("claim", "hold") else justice,
                "note": "",
                "at": _dt(at),
            }
            if self.ledger_steps:
                entry.update(
                    actor_org_id=org.id if action in ("claim", "hold") else office,
                    from_status=frm,
                    to_status=to,
                    batch_id=batch if action == "pay" else None,
                    budget_override=False,
                )
            out["ledgerentry"].append(entry)


def tracking_code(case_id: int) -> str:
    """A 12-character code in the public alphabet (services.intake.tracking), unique per case id and random-looking."""
    n, digits = case_id * TRACK_MULTIPLIER % len(TRACK_ALPHABET) ** 12, []
    for _ in range(12):
        n, d = divmod(n, len(TRACK_ALPHABET))
        digits.append(TRACK_ALPHABET[d])
    return "".join(digits)


def _dt(ts: float | None) -> datetime | None:
    return None if ts is None else datetime.fromtimestamp(ts, UTC)


def _date(ts: float) -> date:
    return datetime.fromtimestamp(ts, UTC).date()


def _year(ts: float) -> int:
    return datetime.fromtimestamp(ts, UTC).year


def _choose(rng: random.Random, pairs: tuple[tuple[T, float], ...]) -> T:
    x = rng.random()
    for value, p in pairs:
        x -= p
        if x < 0:
            return value
    return pairs[-1][0]


def _daily_counts(total: int, end: datetime, rng: random.Random) -> Iterator[tuple[float, int]]:
    """Cases per day over the last YEARS years: ~25% yearly growth, winter peaks, quiet Sundays."""
    days = YEARS * 365
    start = end - timedelta(days=days)
    weights = []
    for d in range(days):
        day = start + timedelta(days=d)
        w = 1.25 ** (d / 365) * SEASON[day.month - 1] * (0.65 if day.weekday() == 6 else 1.0)
        weights.append(w * rng.uniform(0.85, 1.15))
    scale = total / sum(weights)
    exact = [w * scale for w in weights]
    counts = [int(x) for x in exact]
    for i in sorted(range(days), key=lambda i: exact[i] - counts[i], reverse=True)[: total - sum(counts)]:
        counts[i] += 1
    for d, n in enumerate(counts):
        yield (start + timedelta(days=d)).timestamp(), n


def _produce(gen: _CaseGenerator, total: int, enc: _Encoder) -> Iterator[tuple[int, Encoded]]:
    """(cases, encoded rows) chunks in chronological order; office hours 08:00–21:00 Beijing time (00–13 UTC)."""
    out, pending = gen.empty(), 0
    # The newest three cases stay open, so even a tiny demo shows every state.
    last = {total - 3: "in_mediation", total - 2: "accepted", total - 1: "submitted"} if total >= 10 else {}
    i = 0
    for day, n in _daily_counts(total, gen.end_dt, gen.rng):
        for ts in sorted(day + gen.rng.uniform(0, 13 * 3600) for _ in range(n)):
            gen.case(ts, out, last.get(i))
            i += 1
        pending += n
        if pending >= CHUNK_CASES:
            yield pending, enc.encode(out)
            out, pending = gen.empty(), 0
    if pending:
        yield pending, enc.encode(out)


def _forked(gen: _CaseGenerator, total: int, enc: _Encoder) -> Iterator[tuple[int, Encoded]]:
    """Run _produce in a forked child so generating chunk k+1 overlaps writing chunk k (2 cores → ~1.6×)."""
    ctx = multiprocessing.get_context("fork")
    q: Any = ctx.Queue(maxsize=2)
    proc = ctx.Process(target=_child, args=(gen, total, enc, q), daemon=True)
    proc.start()
    try:
        while True:
            try:
                kind, payload = q.get(timeout=5)
            except queue.Empty:
                if not proc.is_alive():
                    raise RuntimeError("the demo data generator stopped unexpectedly") from None
                continue
            if kind == "chunk":
                yield payload
            elif kind == "done":
                gen.restore(payload)
                return
            else:
                raise RuntimeError(f"the demo data generator failed:\n{payload}")
    finally:
        if proc.is_alive() and q.empty():
            proc.join(timeout=10)
        if proc.is_alive():
            proc.terminate()
        proc.join()


def _child(gen: _CaseGenerator, total: int, enc: _Encoder, q: Any) -> None:
    try:
        for item in _produce(gen, total, enc):
            q.put(("chunk", item))
        q.put(("done", gen.state()))
    except BaseException:  # reported to the parent, which raises it
        q.put(("error", traceback.format_exc()))


def _insert_cases(db: Database, gen: _CaseGenerator, total: int, progress: Progress | None) -> None:
    """Generate and write the cases chunk by chunk, one short transaction per chunk."""
    bar = progress or _stderr_bar(total)
    _write_rows(db, {"payoutbatch": [{k: v for k, v in b.items() if k != "_pay"} for b in gen.batch_rows.values()]})
    fork = USE_FORK and total > CHUNK_CASES and "fork" in multiprocessing.get_all_start_methods()
    enc = _Encoder(db.write_engine.dialect)
    done = 0
    for n, chunk in _forked(gen, total, enc) if fork else _produce(gen, total, enc):
        enc.write(db, chunk)
        done += n
        bar(done, total)
    if done < total or total == 0:
        bar(total, total)


def _write_rows(db: Database, out: Rows) -> None:
    """One transaction: Core executemany per table, in the order given (parents first)."""
    with db.write_engine.begin() as c:
        for name, rows in out.items():
            if rows:
                c.execute(insert(TABLES[name]), rows)


Encoded = dict[str, Any]


@dataclass
class _Plan:
    """A compiled Core `insert(table)` for one set of columns, with each column's bind processor."""

    sql: str
    keys: list[str]
    processors: list[Any]
    constants: dict[str, Any]

    def row(self, r: Row) -> tuple[Any, ...]:
        c = self.constants
        return tuple(
            [
                (p(v) if p is not None else v)
                for p, v in zip(self.processors, [r[k] if k in r else c[k] for k in self.keys], strict=True)
            ]
        )


class _Encoder:
    """Rows → what the writer sends. On SQLite: the Core-compiled INSERT and positional tuples already passed
    through the columns' own bind processors (done in the generator process, so the writer only runs the DBAPI
    executemany). On PostgreSQL: the row dicts, written with Core `insert(table)` executemany."""

    def __init__(self, dialect: Any) -> None:
        self.dialect = dialect
        self.sqlite = dialect.name == "sqlite"
        self.plans: dict[tuple[str, tuple[str, ...]], _Plan] = {}

    def plan(self, name: str, keys: tuple[str, ...]) -> _Plan:
        plan = self.plans.get((name, keys))
        if plan is None:
            table = TABLES[name]
            constants = {
                c.key: cast(Any, c.default).arg
                for c in table.columns
                if c.key not in keys and c.default is not None and c.default.is_scalar
            }
            compiled = insert(table).compile(dialect=self.dialect, column_keys=[*keys, *constants])
            order = list(compiled.positiontup or [])
            procs = [table.c[k].type.bind_processor(self.dialect) for k in order]
            plan = self.plans[(name, keys)] = _Plan(str(compiled), order, procs, constants)
        return plan

    def encode(self, out: Rows) -> Encoded:
        if not self.sqlite:
            return {name: rows for name, rows in out.items() if rows}
        encoded: Encoded = {}
        for name, rows in out.items():
            if rows:
                plan = self.plan(name, tuple(rows[0]))
                encoded[name] = (plan.sql, [plan.row(r) for r in rows])
        return encoded

    def write(self, db: Database, chunk: Encoded) -> None:
        """One short transaction per chunk."""
        with db.write_engine.begin() as c:
            for name, item in chunk.items():
                if self.sqlite:
                    c.exec_driver_sql(item[0], item[1])
                else:
                    c.execute(insert(TABLES[name]), item)


def _stderr_bar(total: int) -> Progress:
    started = time.perf_counter()

    def show(done: int, total_: int) -> None:
        if total_ <= 0:
            return
        filled = int(30 * done / total_)
        rate = done / max(time.perf_counter() - started, 1e-6)
        end = "\n" if done >= total_ else ""
        sys.stderr.write(
            f"\rseeding cases [{'#' * filled}{'.' * (30 - filled)}] {done:,}/{total_:,} {rate:,.0f}/s{end}"
        )
        sys.stderr.flush()

    return show


# --------------------------------------------------------------------------------------------------- after


def _insert_after(db: Database, gen: _CaseGenerator, ref: _Reference) -> None:
    """Counters, batch totals, budgets, ratings, titles, checklists and board posts, in one transaction."""
    st = gen.stats
    ratings, stars = _ratings(gen, ref.scheme_id)
    out: Rows = {
        "casecounter": [
            {"id": gen.ids.take("casecounter"), "org_id": org, "year": year, "last": last}
            for (org, year), last in sorted(st.counters.items())
        ],
        "budget": _budgets(gen),
        "rating": ratings,
        "titleaward": _awards(gen, ratings),
        "checkliststate": _checklists(gen, ref.items),
        "boardpost": _posts(gen),
    }
    tb, tm = TABLES["payoutbatch"], TABLES["mediator"]
    totals = [{"b_id": b["id"], "b_total": st.batches.get(b["id"], 0)} for b in gen.batch_rows.values()]
    with db.write_engine.begin() as c:
        for name, rows in out.items():
            if rows:
                c.execute(insert(TABLES[name]), rows)
        c.execute(update(tb).where(tb.c.id == bindparam("b_id")).values(total_fen=bindparam("b_total")), totals)
        c.execute(tb.delete().where(tb.c.id.in_([t["b_id"] for t in totals if not t["b_total"]])))
        if stars:
            c.execute(update(tm).where(tm.c.id == bindparam("m_id")).values(stars=bindparam("m_stars")), stars)
    with db.write() as s:
        audit.record(
            s,
            action="demo.seed",
            actor_id=gen.user["admin"],
            entity="case",
            cases=sum(st.counters.values()),
            orgs=len(gen.city.orgs),
        )


def _budgets(gen: _CaseGenerator) -> list[Row]:
    """Per county and year: the subsidy line 20% above what was paid, an award line, full-time salaries."""
    rows = []
    for county in sorted(gen.city.justice):
        staff = gen.staff
        full_time = sum(1 for m, e in staff.employment.items() if e == "full_time" and staff.county[m] == county)
        for year in range(gen.end_dt.year - YEARS, gen.end_dt.year + 1):
            spent = gen.stats.spend.get((county, year), 0)
            subsidy = max(1_000_000, math.ceil(spent * 1.2 / 1_000_000) * 1_000_000)
            for line, fen in (("case_subsidy", subsidy), ("award", 5_000_000), ("salary", full_time * 5_800_000)):
                rows.append(
                    {
                        "id": gen.ids.take("budget"),
                        "region_org_id": county,
                        "year": year,
                        "line": line,
                        "amount_fen": fen,
                    }
                )
    return rows


def _ratings(gen: _CaseGenerator, scheme_id: int | None) -> tuple[list[Row], list[Row]]:
    """Last year's star rating per eligible mediator: proposed from metrics, approved (a few overridden)."""
    if scheme_id is None:
        return [], []
    rows, stars = [], []
    decided = datetime(gen.end_dt.year, 1, 20, tzinfo=UTC)
    w, r = RATING_WEIGHTS, gen.rng
    for mid, (cases, ok, failed, fulfilled, confirmed, sat, sat_n) in sorted(gen.stats.mediated.items()):
        if cases < 5:
            continue
        hours = gen.staff.training_hours[mid]
        rates = {
            "success_rate": ok / max(ok + failed, 1),
            "performance_rate": fulfilled / max(ok, 1),
            "confirmation_rate": confirmed / max(ok, 1),
            "satisfaction": sat / max(sat_n, 1),
        }
        score = (
            w["cases"] * min(cases / 40, 1)
            + w["success_rate"] * rates["success_rate"]
            + w["performance_rate"] * min(rates["performance_rate"], 1)
            + w["confirmation_rate"] * min(rates["confirmation_rate"] / 0.1, 1)
            + w["satisfaction"] * min(rates["satisfaction"] / 4.5, 1)
            + w["training"] * min(hours / 16, 1)
            + w["complaints"]
        )
        proposed = next((int(k) for k, v in sorted(RATING_THRESHOLDS.items(), reverse=True) if score >= v), 1)
        override = r.random() < 0.05
        approved = max(1, min(5, proposed + (1 if r.random() < 0.5 else -1))) if override else proposed
        metrics = {"cases": cases, **{k: round(v, 3) for k, v in rates.items()}, "training_hours": hours}
        rows.append(
            {
                "id": gen.ids.take("rating"),
                "scheme_id": scheme_id,
                "subject": "mediator",
                "mediator_id": mid,
                "org_id": None,
                "period": str(gen.last_year),
                "score": round(score, 1),
                "proposed_stars": proposed,
                "approved_stars": approved,
                "status": "overridden" if override else "approved",
                "override_reason": "结合群众回访及年度考核意见调整" if override else "",
                "metrics": metrics,
                "decided_by": gen.user["justice"],
                "decided_at": decided,
                "created_at": decided,
            }
        )
        stars.append({"m_id": mid, "m_stars": approved})
    return rows, stars


def _awards(gen: _CaseGenerator, ratings: list[Row]) -> list[Row]:
    at = datetime(gen.end_dt.year, 2, 1, tzinfo=UTC)
    best = sorted(ratings, key=lambda x: (-x["score"], x["mediator_id"]))[:3]
    rooms = [*[o for o in gen.city.orgs if o.kind == OrgKind.POLICE_ROOM][:1], gen.city.by_code[DEMO_VILLAGE]]
    picks = [("调解能手", b["mediator_id"], None) for b in best] + [("优秀调解室", None, o.id) for o in rooms]
    return [
        {
            "id": gen.ids.take("titleaward"),
            "title": title,
            "period": str(gen.last_year),
            "mediator_id": mid,
            "org_id": org,
            "awarded_by": gen.user["justice"],
            "at": at,
        }
        for title, mid, org in picks
    ]


def _checklists(gen: _CaseGenerator, items: list[int]) -> list[Row]:
    """Last year's standardisation checklist for about 40% of the village committees (always V001)."""
    r = gen.rng
    at = datetime(gen.end_dt.year, 1, 10, tzinfo=UTC)
    rows = []
    for v in gen.city.orgs:
        if v.kind != OrgKind.VILLAGE_COMMITTEE or (v.code != DEMO_VILLAGE and r.random() > 0.4):
            continue
        for item in items:
            met = r.random() < 0.8
            rows.append(
                {
                    "id": gen.ids.take("checkliststate"),
                    "org_id": v.id,
                    "item_id": item,
                    "period": str(gen.last_year),
                    "met": met,
                    "evidence_note": "已现场核查" if met else "待整改",
                    "evidence_photo": None,
                    "checked_by": gen.user["justice"],
                    "at": at,
                }
            )
    return rows


def _posts(gen: _CaseGenerator) -> list[Row]:
    published = gen.end_dt - timedelta(days=30)
    return [
        {
            "id": gen.ids.take("boardpost"),
            "kind": kind,
            "org_id": gen.city.root_id,
            "case_id": None,
            "title": title,
            "body": body,
            "language": "zh-CN",
            "position": pos,
            "status": "published",
            "publish_from": published.date(),
            "publish_until": None,
            "reviewed_by": gen.user["coordinator"],
            "created_by": gen.user["coordinator"],
            "created_at": published,
            "published_at": published,
        }
        for pos, (kind, title, body) in enumerate(BOARD_POSTS)
    ]


def _reset_sequences(db: Database) -> None:
    """After explicit-id inserts, move each PostgreSQL sequence past the highest id."""
    with db.write_engine.begin() as c:
        for name in TABLES:
            c.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('\"{name}\"', 'id'), max(id)) "  # noqa: S608
                    f'FROM "{name}" HAVING max(id) IS NOT NULL'
                )
            )


# --------------------------------------------------------------------------------------------------- text
# Names are invented; the area codes are real Yibin ones so generated ID numbers look local.

COUNTIES = [
    ("金沙区", "511502"),
    ("临江区", "511503"),
    ("青山县", "511523"),
    ("竹海县", "511524"),
    ("石城县", "511525"),
]
TOWN_STEMS = [
    "柏溪",
    "观音",
    "白花",
    "石门",
    "龙头",
    "双龙",
    "高场",
    "蕨溪",
    "安边",
    "孔滩",
    "李庄",
    "南广",
    "思坡",
    "宋家",
    "金坪",
    "菜坝",
    "赵场",
    "牛喜",
    "泥溪",
    "横江",
    "古罗",
    "复龙",
    "合什",
    "龙华",
    "梅硐",
    "晏阳",
    "红桥",
    "留耕",
    "铁清",
    "大观",
    "沙坪",
    "新市",
    "中都",
    "富荣",
    "书楼",
    "太平",
    "仙临",
    "长兴",
    "江北",
    "落润",
    "罗龙",
    "庆符",
]
VILLAGE_STEMS = [
    "新民",
    "红星",
    "桂花",
    "团结",
    "光明",
    "胜利",
    "和平",
    "幸福",
    "长江",
    "金竹",
    "石桥",
    "龙泉",
    "永兴",
    "双河",
    "黄桷",
    "青龙",
    "白果",
    "柑子",
    "杨柳",
    "水井",
    "凤凰",
    "银杏",
    "茶园",
    "大田",
    "高峰",
    "新华",
    "建设",
    "向阳",
    "丰收",
    "民主",
    "先锋",
    "临江",
    "鱼泉",
    "松林",
    "枣林",
    "同心",
    "复兴",
    "玉屏",
    "天池",
    "马鞍",
]
PROFESSIONAL = [
    ("medical", "MED", "医疗纠纷"),
    ("labour", "LAB", "劳动争议"),
    ("traffic", "TRF", "道路交通事故"),
    ("family", "FAM", "婚姻家庭纠纷"),
    ("property", "PRP", "物业纠纷"),
]
STAFF_MIX: dict[str, tuple[int, int, tuple[str, ...]]] = {
    OrgKind.VILLAGE_COMMITTEE: (3, 6, ("part_time", "part_time", "invited", "part_time")),
    OrgKind.TOWN_COMMITTEE: (2, 4, ("full_time", "part_time", "part_time")),
    OrgKind.POLICE_ROOM: (3, 5, ("stationed", "stationed", "full_time", "stationed")),
    OrgKind.COURT_ROOM: (3, 5, ("stationed", "invited", "stationed", "invited")),
    OrgKind.PETITION_ROOM: (2, 4, ("full_time", "invited", "invited")),
    OrgKind.PROFESSIONAL: (3, 5, ("full_time", "invited", "invited", "part_time")),
}
SPECIALTIES = [
    "marriage_family",
    "neighbour",
    "housing_land",
    "forest_land",
    "loan",
    "contract",
    "damages",
    "labour",
    "traffic",
    "property_mgmt",
]
TRAININGS = [
    "人民调解法律实务培训",
    "矛盾纠纷排查化解技巧",
    "民法典婚姻家庭编专题培训",
    "调解文书制作规范",
    "心理疏导与沟通技巧",
    "公调对接工作规范",
    "诉调对接与司法确认实务",
    "农民工工资纠纷调处实务",
]
KIND_VOLUME: dict[str, float] = {
    OrgKind.VILLAGE_COMMITTEE: 1.0,
    OrgKind.TOWN_COMMITTEE: 2.0,
    OrgKind.POLICE_ROOM: 9.0,
    OrgKind.COURT_ROOM: 10.0,
    OrgKind.PETITION_ROOM: 4.0,
    OrgKind.PROFESSIONAL: 4.0,
}
SOURCES_BY_KIND: dict[str, dict[str, float]] = {
    OrgKind.VILLAGE_COMMITTEE: {
        "walk_in": 33,
        "on_the_spot": 22,
        "screening": 15,
        "phone": 14,
        "qr": 12,
        "petition": 2,
        "police_referral": 2,
    },
    OrgKind.TOWN_COMMITTEE: {
        "walk_in": 40,
        "phone": 15,
        "qr": 12,
        "screening": 10,
        "petition": 8,
        "police_referral": 8,
        "on_the_spot": 7,
    },
    OrgKind.POLICE_ROOM: {"dispatch_110": 55, "police_referral": 33, "walk_in": 8, "on_the_spot": 4},
    OrgKind.COURT_ROOM: {"court_entrust": 88, "walk_in": 12},
    OrgKind.PETITION_ROOM: {"petition": 88, "walk_in": 12},
    OrgKind.PROFESSIONAL: {"walk_in": 40, "phone": 18, "qr": 14, "police_referral": 14, "court_entrust": 14},
}
ZIPF_ORDER = [
    "neighbour",
    "marriage_family",
    "housing_land",
    "damages",
    "loan",
    "forest_land",
    "contract",
    "labour",
    "business",
    "property_mgmt",
    "traffic",
    "consumer",
    "public_order",
    "land_acquisition",
    "environment",
    "medical",
    "criminal_reconciliation",
    "other",
]
SUCCESS = {
    "medical": 0.82,
    "land_acquisition": 0.72,
    "labour": 0.86,
    "environment": 0.8,
    "contract": 0.88,
    "loan": 0.88,
    "business": 0.88,
}
MONEY = frozenset(
    {
        "loan",
        "contract",
        "damages",
        "labour",
        "traffic",
        "medical",
        "business",
        "consumer",
        "land_acquisition",
        "public_order",
        "criminal_reconciliation",
        "property_mgmt",
    }
)
LABEL = {
    "marriage_family": "婚姻家庭纠纷",
    "neighbour": "邻里纠纷",
    "housing_land": "房屋宅基地纠纷",
    "forest_land": "山林土地纠纷",
    "contract": "合同纠纷",
    "loan": "借贷纠纷",
    "business": "生产经营纠纷",
    "damages": "损害赔偿纠纷",
    "labour": "劳动争议纠纷",
    "medical": "医疗纠纷",
    "traffic": "道路交通事故纠纷",
    "land_acquisition": "征地拆迁纠纷",
    "environment": "环境污染纠纷",
    "property_mgmt": "物业纠纷",
    "consumer": "消费纠纷",
    "public_order": "治安案件民事赔偿",
    "criminal_reconciliation": "刑事和解",
    "other": "其他纠纷",
}
ACTION_OF = {"succeeded": "succeed", "failed": "fail", "withdrawn": "withdraw"}
SEASON = [1.3, 1.15, 0.95, 0.95, 1.0, 1.0, 1.05, 1.0, 0.95, 0.85, 0.95, 1.2]


def categories_by_kind() -> dict[str, dict[str, float]]:
    """Category weights per organisation kind (or professional sector): Zipf-like for committees."""
    zipf = {c: 1 / (i + 1) ** 1.05 for i, c in enumerate(ZIPF_ORDER)}
    zipf["other"] = 0.08
    return {
        OrgKind.VILLAGE_COMMITTEE: zipf,
        OrgKind.TOWN_COMMITTEE: zipf,
        OrgKind.POLICE_ROOM: {
            "public_order": 30,
            "neighbour": 25,
            "damages": 15,
            "traffic": 10,
            "marriage_family": 8,
            "loan": 5,
            "criminal_reconciliation": 4,
            "consumer": 3,
        },
        OrgKind.COURT_ROOM: {
            "loan": 30,
            "contract": 25,
            "marriage_family": 15,
            "damages": 10,
            "housing_land": 8,
            "labour": 7,
            "traffic": 5,
        },
        OrgKind.PETITION_ROOM: {
            "land_acquisition": 25,
            "labour": 25,
            "housing_land": 15,
            "forest_land": 10,
            "environment": 10,
            "other": 15,
        },
        "medical": {"medical": 96, "other": 4},
        "labour": {"labour": 96, "other": 4},
        "traffic": {"traffic": 96, "other": 4},
        "family": {"marriage_family": 96, "other": 4},
        "property": {"property_mgmt": 96, "other": 4},
    }


def pick_flag(r: random.Random) -> str:
    return _choose(r, (("escalation", 0.35), ("violence", 0.25), ("petition_up", 0.25), ("self_harm", 0.15)))


def pick_diversion(r: random.Random, category: str) -> str:
    if category == "labour" and r.random() < 0.5:
        return "arbitration"
    return _choose(r, (("litigation", 0.65), ("administrative", 0.2), ("petition", 0.1), ("arbitration", 0.05)))


def pick_reject(r: random.Random, source: str) -> str:
    if source == "qr":
        return _choose(r, (("spam", 0.35), ("duplicate", 0.3), ("not_suitable", 0.25), ("in_litigation", 0.1)))
    return _choose(r, (("not_suitable", 0.6), ("in_litigation", 0.3), ("duplicate", 0.1)))


STORIES = {
    "marriage_family": ("{a}与{b}因家庭琐事及子女抚养问题多次争吵，{a}要求{b}承担抚养费。", "请求调解抚养费及探望安排"),
    "neighbour": (
        "{a}与邻居{b}因房屋排水沟堵塞、污水流入{a}院坝发生争执，双方言语冲突。",
        "请求{b}疏通排水沟并恢复原状",
    ),
    "housing_land": (
        "{a}与{b}因宅基地界址不清发生争议，{b}新建围墙占用{a}宅基地约两米。",
        "请求确认界址并拆除越界部分",
    ),
    "forest_land": ("{a}与{b}因承包山林边界不清，{b}砍伐了争议地块林木。", "请求确认山林边界并赔偿林木损失"),
    "contract": ("{a}为{b}承建房屋，双方因工程质量和尾款结算发生纠纷，尾款{amt}元未付。", "请求{b}支付工程尾款{amt}元"),
    "loan": ("{b}向{a}借款{amt}元，约定一年内归还，到期后{b}以资金困难为由拖延。", "请求{b}归还借款{amt}元"),
    "business": ("{a}与{b}合伙经营养殖场，因利润分配及亏损分担发生纠纷。", "请求清算合伙账目"),
    "damages": ("{b}饲养的牲畜毁坏{a}家庄稼，{a}要求赔偿损失{amt}元，{b}认为金额过高。", "请求{b}赔偿损失{amt}元"),
    "labour": ("{a}等人在{b}承包的工地务工，工程完工后{b}拖欠工资{amt}元。", "请求{b}支付拖欠工资{amt}元"),
    "medical": ("{a}家属认为医院在诊疗过程中存在过错，导致病情加重，要求赔偿{amt}元。", "请求医院赔偿医疗损害{amt}元"),
    "traffic": (
        "{b}驾驶车辆与{a}驾驶的电动车相撞，{a}受伤住院，双方就赔偿数额协商未果。",
        "请求{b}赔偿医疗费、误工费等{amt}元",
    ),
    "land_acquisition": ("{a}对房屋征收补偿面积认定有异议，与项目实施方{b}多次协商未果。", "请求重新核定补偿面积"),
    "environment": ("{b}经营的石材加工点粉尘和噪音影响{a}等住户正常生活。", "请求{b}整改并赔偿损失"),
    "property_mgmt": (
        "{a}以小区电梯长期故障为由拒交物业费，物业服务企业负责人{b}要求补缴。",
        "请求物业公司维修电梯并减免部分费用",
    ),
    "consumer": ("{a}在{b}经营的门店购买的家电出现质量问题，要求退货被拒。", "请求退货退款{amt}元"),
    "public_order": ("{a}与{b}因口角发生推搡，{a}受轻微伤，派出所出警后移交调解。", "请求{b}赔偿医药费、误工费{amt}元"),
    "criminal_reconciliation": ("{b}因琐事致{a}轻伤，双方愿意就民事赔偿进行和解。", "请求{b}赔礼道歉并赔偿{amt}元"),
    "other": ("{a}与{b}因共用道路通行问题发生矛盾。", "请求协调通行问题"),
}


def describe(category: str, a: str, b: str, place: str, yuan: int) -> tuple[str, str]:
    """A short account of the dispute and the applicant's request."""
    story, request = STORIES[category]
    where = f"（{place}）" if place else ""
    return story.format(a=a, b=b, amt=yuan) + where, request.format(b=b, amt=yuan)


SESSION_NOTES = (
    (
        "调解员分别听取双方陈述，释明相关法律规定，双方同意继续协商。",
        "背靠背分别做双方思想工作，初步缩小分歧。",
        "组织双方面对面调解，梳理争议焦点，明确各自诉求。",
        "实地查看现场，核实相关事实后进行调解。",
    ),
    (
        "再次组织双方调解，就履行方式达成一致。",
        "邀请村（社区）干部共同参与调解，双方各让一步。",
        "结合现场查看情况和法律规定提出调解方案，双方接受。",
        "经多轮协商，双方就赔偿金额和履行期限达成一致。",
    ),
)


def agreement_terms(yuan: int, oral: bool) -> str:
    if yuan:
        body = f"一方于约定期限内一次性支付另一方{yuan}元，双方就本纠纷再无其他争议。"
    else:
        body = "双方互谅互让，按调解方案恢复原状，今后和睦相处，不再因此事发生争执。"
    return ("口头协议：" if oral else "经调解，双方自愿达成如下协议：") + body


BOARD_POSTS: list[tuple[str, str, str]] = [
    (
        "rules",
        "人民调解的原则",
        "依据《中华人民共和国人民调解法》，人民调解委员会调解民间纠纷，应当遵循下列原则：\n"
        "（一）在当事人自愿、平等的基础上进行调解；\n"
        "（二）不违背法律、法规和国家政策；\n"
        "（三）尊重当事人的权利，不得因调解而阻止当事人依法通过仲裁、行政、司法等途径维护自己的权利。\n"
        "人民调解委员会调解民间纠纷，不收取任何费用。坚持“调解优先、能调则调”，把矛盾纠纷化解在基层、"
        "化解在萌芽状态。",
    ),
    (
        "rules",
        "受理范围",
        "人民调解委员会受理公民之间、公民与法人和其他组织之间涉及民事权利义务的民间纠纷，主要包括：婚姻家庭、"
        "邻里、房屋宅基地、山林土地、合同、借贷、损害赔偿、劳动争议（含拖欠农民工工资）、医疗、道路交通事故、"
        "物业、消费等纠纷，以及派出所移交的治安案件民事赔偿、人民法院委托的诉前调解案件。\n"
        "已经进入诉讼、仲裁程序，或者法律、法规规定只能由专门机关管辖处理的纠纷，不属于人民调解的受理范围，"
        "调解组织将告知当事人依法选择其他途径解决。",
    ),
    (
        "rules",
        "调解流程",
        "1. 申请：当事人可扫描调解室二维码在线申请，也可来访、来电申请；调解组织也可以主动调解。\n"
        "2. 受理：一般在3日内决定是否受理；不予受理的，告知理由和其他解决途径。\n"
        "3. 调解：调解员听取陈述、查明事实、讲解法律和政策，在双方自愿的基础上提出调解方案，"
        "一般在受理后30日内调结。\n"
        "4. 协议：达成协议的，制作调解协议书；简单纠纷可以达成口头协议，调解员记录协议内容。\n"
        "5. 司法确认：双方认为有必要的，可以自调解协议生效之日起三十日内共同向人民法院申请司法确认。\n"
        "6. 回访：协议达成后15日内电话或上门回访，了解履行情况和当事人满意度。\n"
        "7. 归档：调解结束后立卷归档，做到一案一卷。",
    ),
    (
        "rules",
        "当事人的权利和义务",
        "在人民调解活动中，当事人享有下列权利：选择或者接受人民调解员；接受调解、拒绝调解或者要求终止调解；"
        "要求调解公开进行或者不公开进行；自主表达意愿、自愿达成调解协议。\n"
        "当事人应当履行下列义务：如实陈述纠纷事实；遵守调解现场秩序，尊重人民调解员；尊重对方当事人行使权利。\n"
        "经人民调解委员会调解达成的调解协议，具有法律约束力，当事人应当按照约定履行。",
    ),
    (
        "rules",
        "公调对接、诉调对接工作机制",
        "派出所接处警中适宜调解的民间纠纷和轻微治安案件，经当事人同意，移交驻派出所人民调解室调解；"
        "驻所调解室实行白天坐班、夜间值守。人民法院对适宜调解的案件，经当事人同意，委托驻庭调解室或辖区调解组织"
        "开展诉前调解。对进入人民调解流程的案件，公安机关不停止调查取证工作。调解成功的案件按规定审核等级、"
        "发放个案补贴。",
    ),
    (
        "supervision",
        "监督渠道",
        "对调解工作有意见或建议的，可以向县（区）司法局反映，或拨打12348公共法律服务热线。"
        "我们将在收到后及时核查处理并答复。",
    ),
    (
        "typical_case",
        "典型案例：一条排水沟引发的邻里纠纷",
        "张某与李某系同村邻居。李某翻修房屋时填埋了两家共用的排水沟，雨季污水流入张某院坝，双方多次争吵，"
        "矛盾有激化趋势。村调委会调解员接到反映后当天上门，查看现场、分别听取双方意见，并邀请村干部共同参与调解。"
        "调解员从相邻关系的法律规定和邻里情谊两方面释法说理，双方最终达成协议：李某出资重新修建排水沟，"
        "张某协助施工。回访时排水沟已修好，双方表示满意。\n"
        "典型意义：小纠纷及时介入、就地化解，避免了邻里矛盾升级。",
    ),
    (
        "typical_case",
        "典型案例：拖欠农民工工资纠纷诉前调解",
        "王某等12名务工人员在刘某承包的工地务工，工程完工后被拖欠工资。王某等人向人民法院起诉，"
        "法院经当事人同意委托驻庭调解室进行诉前调解。调解员联系发包方和劳务负责人核对工资台账，"
        "促成三方签订调解协议，约定分两期付清工资，并共同向人民法院申请司法确认。协议已按期履行完毕。\n"
        "典型意义：诉调对接让群众少跑路、快拿钱，司法确认保障了协议的执行力。",
    ),
]
