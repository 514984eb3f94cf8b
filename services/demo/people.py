"""The demo city's people: names, ID numbers and phones, the demo sign-ins, mediators and their training."""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from faker import Faker
from sqlmodel import Session

from models import User
from services.access.accounts import create_user
from services.core.db import Database
from services.core.security import ID_CHECK, ID_WEIGHTS, blind_index, encrypt_id, mask_id
from services.demo.bulk import write_rows
from services.demo.city import DEMO_VILLAGE, City, Org
from services.demo.draws import choose
from services.demo.tables import TABLES, IdCounters, Row, Rows
from services.demo.timeline import YEARS
from services.demo.vocabulary import DRAWS, SELF_STUDY_ORGANISER, SPECIALTIES, STAFF_MIX, TRAINING_TOPICS

ROLES = ("mediator", "police", "court", "justice", "coordinator", "admin")
# the justice office's approver and payer: claimant, auditor (justice), approver and payer are four people
JUSTICE_STAFF = ("approver", "payer")
READABLE_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"  # no l, o, 0, 1: demo passwords read out loud
ID_POOL_CAP = 20_000  # distinct ID numbers before IdPool hands out earlier ones again


class NamePool:
    """Faker names drawn once; picking from the pool is 100× cheaper than calling Faker per party."""

    def __init__(self, fake: Faker, size: int = 4000) -> None:
        self.fake = fake
        self.names = [fake.name() for _ in range(size)]

    def pick(self, rng: random.Random) -> str:
        """One name of the pool."""
        return self.names[int(rng.random() * len(self.names))]


class IdPool:
    """Valid GB 11643 ID numbers with their ciphertext, blind index and mask.

    Fernet encryption costs ~15 µs; at a million cases (600k ID numbers) it would dominate, so after
    ID_POOL_CAP distinct numbers the pool hands out earlier ones again: demo parties may share an ID number.
    """

    def __init__(self, key: str, areas: list[str]) -> None:
        self.key, self.areas = key, areas
        self.items: list[tuple[str, str, str]] = []

    def take(self, rng: random.Random, male: bool) -> tuple[str, str, str]:
        """(ciphertext, blind index, mask) of an ID number of a man or a woman."""
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


def mobile_phone(rng: random.Random) -> str:
    """A valid-looking mainland mobile number."""
    return f"1{'3456789'[int(rng.random() * 7)]}{int(rng.random() * 1e9):09d}"


def _readable_password() -> str:
    return "-".join("".join(secrets.choice(READABLE_ALPHABET) for _ in range(4)) for _ in range(4))


def create_sign_ins(
    s: Session, *, city: City, names: NamePool, password: str | None
) -> tuple[list[tuple[str, str, str]], dict[str, User]]:
    """One sign-in per role, each in the organisation that role works from (around the demo village)."""
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
    for username in JUSTICE_STAFF:
        pw = password or _readable_password()
        users[username] = create_user(
            s,
            username=username,
            display_name=names.fake.name(),
            password=pw,
            org_code=homes["justice"],
            roles=["justice"],
        )
        logins.append(("justice", username, pw))
    return logins, users


@dataclass
class Staff:
    """The mediators written, by organisation, with what later rows need of them."""

    by_org: dict[int, list[int]] = field(default_factory=dict)
    names: dict[int, str] = field(default_factory=dict)
    employment: dict[int, str] = field(default_factory=dict)
    county: dict[int, int] = field(default_factory=dict)
    training_hours: dict[int, float] = field(default_factory=dict)  # last year's, a rating metric


def insert_staff(
    db: Database,
    *,
    city: City,
    users: dict[str, User],
    names: NamePool,
    rng: random.Random,
    ids: IdCounters,
    end: datetime,
) -> Staff:
    """Mediators in every mediation body, their postings and training records."""
    staff = Staff()
    out: Rows = {"trainingsession": [], "mediator": [], "mediatorposting": [], "trainingrecord": []}
    sessions = _training_sessions(city, rng, ids, end, out["trainingsession"]) if "trainingsession" in TABLES else {}
    for org in city.orgs:
        lo, hi, kinds = STAFF_MIX.get(org.kind, (0, -1, ()))
        for i in range(rng.randint(lo, hi) if hi >= 0 else 0):
            mediator = _mediator(rng, ids, org, kinds[i] if i < len(kinds) else rng.choice(kinds), names, end)
            if org.code == DEMO_VILLAGE and i == 0:
                me = users["mediator"]
                mediator.update(user_id=me.id, name=me.display_name, employment="full_time")
            mid, started = mediator["id"], mediator["start_date"]
            out["mediator"].append(mediator)
            out["mediatorposting"].append(
                {"id": ids.take("mediatorposting"), "mediator_id": mid, "org_id": org.id, "start": started, "end": None}
            )
            staff.training_hours[mid] = _training(
                rng, ids, mid, city.justice[org.county].name, end, sessions.get(org.county, []), out["trainingrecord"]
            )
            staff.by_org.setdefault(org.id, []).append(mid)
            staff.names[mid] = mediator["name"]
            staff.employment[mid] = mediator["employment"]
            staff.county[mid] = org.county
    write_rows(db, tables={k: v for k, v in out.items() if v})
    return staff


def _mediator(rng: random.Random, ids: IdCounters, org: Org, employment: str, names: NamePool, end: datetime) -> Row:
    """A mediator of `org`, certified on the day they started."""
    mid = ids.take("mediator")
    name = names.pick(rng)
    started = date(rng.randint(2008, end.year - 1), rng.randint(1, 12), rng.randint(1, 28))
    specialties = [org.sector] if org.sector else rng.sample(SPECIALTIES, rng.randint(1, 3))
    return {
        "id": mid,
        "user_id": None,
        "org_id": org.id,
        "name": name,
        "gender": rng.choice(("男", "女")),
        "phone": mobile_phone(rng),
        "employment": employment,
        "specialties": specialties,
        "certificate_no": f"川调证{started.year}{mid:05d}",
        "start_date": started,
        "status": "active",
        "stars": None,
        "photo": None,
        "created_at": end,
    }


def _training_sessions(
    city: City, rng: random.Random, ids: IdCounters, end: datetime, rows: list[Row]
) -> dict[int, list[Row]]:
    """Four trainings a year held by each county's justice bureau (courses, expert lectures, meetings)."""
    by_county: dict[int, list[Row]] = {}
    for county, office in sorted(city.justice.items()):
        for year in range(end.year - YEARS, end.year + 1):
            for _ in range(4):
                held = date(year, rng.randint(1, 12), rng.randint(1, 28))
                if held >= end.date():
                    continue
                kind = choose(rng, DRAWS["training_kind"])
                row = {
                    "id": ids.take("trainingsession"),
                    "org_id": office.id,
                    "held_on": held,
                    "topic": rng.choice(TRAINING_TOPICS),
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
    rng: random.Random, ids: IdCounters, mid: int, organiser: str, end: datetime, sessions: list[Row], rows: list[Row]
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
                picks.append((held, rng.choice(TRAINING_TOPICS), float(rng.choice((2, 4, 8))), None))
    for held, title, h, session in picks:
        hours += h if held.year == end.year - 1 else 0.0
        row = {
            "id": ids.take("trainingrecord"),
            "mediator_id": mid,
            "held_on": held,
            "title": title,
            "hours": h,
            "organiser": organiser if session else SELF_STUDY_ORGANISER,
        }
        if linked:
            row.update(session_id=session["id"] if session else None, kind=session["kind"] if session else "self_study")
        rows.append(row)
    return hours
