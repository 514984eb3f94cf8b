"""Canary people and cases for the privacy battery: every name, phone, ID number, address and narrative is
unique, so a byte search of a page, export, log or database file finds exactly the data that leaked."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlmodel import Session, col, select

from models import Agreement, Attachment, Case, CaseEvent, FollowUp, MediationSession, Organisation
from services.cases.create import CaseInput, PartyInput, create_case
from services.core.db import Database
from services.core.security import ID_CHECK, ID_WEIGHTS
from services.lowcode.fields import FieldSpec, check_value
from tests.factories import make_tree

SURNAMES = "赵钱孙周吴郑冯陈卫蒋沈韩杨朱秦尤许何吕施"
RARE = "淼垚焱犇骉琦瑾璇璐瑶玥珂琰瑛琪瑜璋璟璞瑄玮珺琛琨璘珩琮瑭璠瓒珣琇"
PHONE_11 = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
ID_18 = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
ID_FIELD = FieldSpec(key="idn", type="id_number", label_zh="证件号", label_en="ID")
OLD = datetime(2019, 3, 1, 2, 0, tzinfo=UTC)  # closed long before any retention period
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde\x00"
    b"\x00\x00\x0cIDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe\x92\xef\x00\x00\x00\x00IEND\xaeB`\x82"
)


def id_number(n: int) -> str:
    born = date(1960, 1, 1) + timedelta(days=n * 7)
    body = f"511524{born:%Y%m%d}{n % 1000:03d}"
    return body + ID_CHECK[sum(int(d) * w for d, w in zip(body, ID_WEIGHTS, strict=True)) % 11]


@dataclass(frozen=True)
class Canary:
    n: int

    @property
    def name(self) -> str:
        return SURNAMES[self.n % 20] + RARE[self.n // 32 % 32] + RARE[self.n % 32]

    @property
    def phone(self) -> str:
        return f"137{self.n:08d}"

    @property
    def id_number(self) -> str:
        return id_number(self.n)

    @property
    def address(self) -> str:
        place = RARE[(self.n * 7) % 32] + RARE[(self.n * 11 + 3) % 32]
        return f"江安县红桥镇{place}村{self.n % 9 + 1}组{self.n + 100}号"

    def values(self) -> list[str]:
        """What must never appear where it must not: full name, phone, ID number, address below county."""
        return [self.name, self.phone, self.id_number, self.address.removeprefix("江安县")]

    def party(self, side: str) -> PartyInput:
        return PartyInput(side=side, name=self.name, phone=self.phone, id_number=self.id_number, address=self.address)


def narrative(a: Canary, b: Canary) -> str:
    return (
        f"{a.name}（电话{a.phone}，身份证号{a.id_number}）与{b.name}（手机{b.phone}）因{a.address}"
        f"门前排水沟发生纠纷，{b.name}住{b.address}。"
    )


def village(db: Database) -> Organisation:
    """The first village committee (the test region of tests/factories.py is made when there is none)."""
    with db.write() as s:
        org = s.exec(
            select(Organisation).where(col(Organisation.kind) == "village_committee").order_by(col(Organisation.id))
        ).first()
        return org if org is not None else make_tree(s)["v1"]


def add_case(s: Session, org_id: int, n: int, *, closed_at: datetime | None, status: str = "succeeded") -> int:
    """A case between canaries 2n and 2n+1 with PII in every free-text place; closed at `closed_at`."""
    a, b = Canary(2 * n), Canary(2 * n + 1)
    text = narrative(a, b)
    case = create_case(
        s,
        actor_id=None,
        data=CaseInput(
            org_id=org_id,
            source="walk_in",
            category="neighbour",
            description=text,
            title=f"{a.name}与{b.name}纠纷",
            request=f"要求{b.name}赔偿，联系{a.phone}",
            place=a.address,
            received_at=closed_at or None,
            custom={"contact": a.phone, "idn": check_value(ID_FIELD, b.id_number, "idn", [])},
            parties=[a.party("applicant"), b.party("respondent")],
        ),
        status="accepted",
    )
    cid = case.id or 0
    s.add(
        MediationSession(
            case_id=cid,
            held_at=closed_at or case.received_at,
            place=b.address,
            participants=f"{a.name}、{b.name}",
            notes=text,
        )
    )
    s.add(
        Agreement(
            case_id=cid,
            kind="written",
            terms=f"{b.name}赔偿{a.name}500元",
            amount_fen=50_000,
            obligations=f"汇至{a.phone}",
        )
    )
    s.add(FollowUp(case_id=cid, note=f"电话{a.phone}回访，{a.name}满意", satisfaction=5))
    s.add(CaseEvent(case_id=cid, kind="note", note=text, data={"respondent": b.name}))
    s.add(
        Attachment(
            case_id=cid,
            kind="photo",
            filename=f"{a.name}.png",
            mime="image/png",
            size=len(PNG),
            sha256="0" * 64,
            content=PNG + a.id_number.encode(),
        )
    )
    if closed_at is not None:
        case.status, case.concluded_at = status, closed_at
        case.outcome_note = f"{a.name}与{b.name}达成协议"
    s.add(case)
    return cid


def seed(db: Database, eligible: int, recent: int, *, start: int = 0) -> tuple[list[int], list[int]]:
    """`eligible` old closed cases and `recent` cases (half open, half closed last month)."""
    org_id = village(db).id or 0
    last_month = datetime.now(UTC) - timedelta(days=30)
    with db.write() as s:
        old = [add_case(s, org_id, start + i, closed_at=OLD) for i in range(eligible)]
        new = [
            add_case(s, org_id, start + eligible + i, closed_at=last_month if i % 2 else None) for i in range(recent)
        ]
    return old, new


def db_bytes(db: Database) -> bytes:
    """The SQLite file and its -wal, as they are on disk."""
    path = db.url.removeprefix("sqlite:///")
    out = b""
    for suffix in ("", "-wal"):
        try:
            with open(path + suffix, "rb") as fh:
                out += fh.read()
        except FileNotFoundError:
            pass
    return out


def forms(value: str) -> list[str]:
    """The value as written and as JSON columns store it (non-ASCII escaped as \\uXXXX)."""
    escaped = json.dumps(value)[1:-1]
    return [value] if escaped == value else [value, escaped]


def hits(blob: bytes | str, people: list[Canary]) -> list[str]:
    """Canary values found in the blob (UTF-8), in either of their stored forms."""
    text = blob.decode("utf-8", "replace") if isinstance(blob, bytes) else blob
    return [v for p in people for v in p.values() if any(f in text for f in forms(v))]


def case_ids(db: Database) -> list[int]:
    with db.read() as s:
        return [i for i in s.exec(select(Case.id)).all() if i]
