"""The demo city's organisations: counties, towns, village committees, stationed rooms and partner agencies.

They go through the real service (create_org), so codes, parents and counties are what the app itself makes.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session

from models import Organisation, OrgKind
from services.core.bootstrap import ensure_root_org
from services.demo.vocabulary import (
    COUNTIES,
    OFFICE_HOURS,
    POLICE_ROOM_HOURS,
    PROFESSIONAL,
    TOWN_STEMS,
    VILLAGE_STEMS,
)
from services.roster.orgs import create_org

DEMO_VILLAGE = "V001"  # the village committee the demo sign-ins work around


@dataclass
class Org:
    """What the generator needs of one organisation."""

    id: int
    code: str
    name: str
    kind: str
    county: int
    parent: int
    town: int | None = None
    sector: str | None = None
    place: str = ""  # where its mediations take place
    area: str = ""  # the ID-number area code of its residents


@dataclass
class City:
    """The demo city's organisations, and the partner bodies each county or town hands cases over from."""

    orgs: list[Org] = field(default_factory=list)
    by_code: dict[str, Org] = field(default_factory=dict)
    justice: dict[int, Org] = field(default_factory=dict)
    court: dict[int, Org] = field(default_factory=dict)
    coord: dict[int, Org] = field(default_factory=dict)
    station: dict[int, Org] = field(default_factory=dict)  # town id → police station (or the county's first)
    root_id: int = 0

    def add(self, org: Organisation, town: int | None = None, place: str = "", area: str = "") -> Org:
        """Remember an organisation just created."""
        o = Org(
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


def office_phone(rng: random.Random) -> str:
    """A landline number in the city's area code."""
    return f"0831-{rng.randrange(2_000_000, 8_999_999)}"


def build_city(s: Session, *, rng: random.Random) -> City:
    """3–4 counties, each with towns, village committees, stationed rooms and partner agencies."""
    city = City()
    root = ensure_root_org(s)
    city.root_id = root.id or 0
    town_stems = rng.sample(TOWN_STEMS, len(TOWN_STEMS))
    for ci, (cname, area) in enumerate(rng.sample(COUNTIES, rng.choice((3, 4))), start=1):
        county = create_org(
            s,
            code=f"C{ci:02d}",
            name=cname,
            kind=OrgKind.COUNTY,
            parent=root,
            address=f"{cname}政务中心",
            phone=office_phone(rng),
            hours=OFFICE_HOURS,
        )
        city.add(county, area=area)
        towns = [
            _build_town(s, rng, city, county, area, ti, town_stems.pop()) for ti in range(1, rng.randint(4, 8) + 1)
        ]
        first_station = city.station[towns[0]]
        for t in towns:
            city.station.setdefault(t, first_station)
        _build_county_bodies(s, rng, city, county, area)
    return city


def _build_town(s: Session, rng: random.Random, city: City, county: Organisation, area: str, ti: int, stem: str) -> int:
    """A town (or street) with its committee, villages (or communities) and maybe a police station."""
    cname = county.name
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
        phone=office_phone(rng),
        hours=OFFICE_HOURS,
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
        phone=office_phone(rng),
        hours=OFFICE_HOURS,
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
            phone=office_phone(rng),
            hours=OFFICE_HOURS,
            population=rng.randint(1500, 7000),
        )
        city.add(v, town=tid, place=f"{tname}{vname}", area=area)
    if ti == 1 or rng.random() < 0.6:
        _build_police_station(s, rng, city, town, cname, area, stem)
    return tid


def _build_police_station(
    s: Session, rng: random.Random, city: City, town: Organisation, cname: str, area: str, stem: str
) -> None:
    """The town's police station and the mediation room stationed in it."""
    tname, tc, tid = town.name, town.code, town.id or 0
    ps = create_org(
        s,
        code=f"{tc}PS",
        name=f"{cname}公安局{stem}派出所",
        kind=OrgKind.POLICE_STATION,
        parent=town,
        address=f"{cname}{tname}{stem}派出所",
        phone=office_phone(rng),
    )
    city.station[tid] = city.add(ps, town=tid, area=area)
    pr = create_org(
        s,
        code=f"{tc}PR",
        name=f"{stem}派出所人民调解室",
        kind=OrgKind.POLICE_ROOM,
        parent=ps,
        address=f"{cname}{tname}{stem}派出所一楼",
        phone=office_phone(rng),
        hours=POLICE_ROOM_HOURS,
    )
    city.add(pr, town=tid, place=f"{stem}派出所调解室", area=area)


def _build_county_bodies(s: Session, rng: random.Random, city: City, county: Organisation, area: str) -> None:
    """The county's court (and its room), petition room, professional committees, justice office, centre."""
    cname, cc, cid = county.name, county.code, county.id or 0

    def add(code: str, name: str, kind: str, address: str, place: str = "", **kw: Any) -> Org:
        org = create_org(
            s,
            code=f"{cc}{code}",
            name=name,
            kind=kind,
            parent=kw.pop("parent", county),
            address=address,
            phone=office_phone(rng),
            hours=OFFICE_HOURS,
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
