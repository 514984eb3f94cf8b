"""The demo case generator: cases in chronological order with their parties, hand-overs, timeline and sessions.

Every draw comes from one random stream in a fixed order, so the same seed (and the same end) gives the same data.
"""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta
from typing import Any

from models import OrgKind
from services.core.reference import DEADLINES
from services.core.security import blind_index
from services.demo import outcomes
from services.demo.city import DEMO_VILLAGE
from services.demo.draws import Picker, choose
from services.demo.people import IdPool, NamePool, mobile_phone
from services.demo.tables import Row, Rows, empty_case_rows
from services.demo.timeline import DAY, SUCCEEDED, draw_life, utc, utc_date
from services.demo.vocabulary import (
    CASE_VOLUME,
    CATEGORIES_BY_KIND,
    CATEGORY_LABELS,
    DRAWS,
    FIRST_SESSION_NOTES,
    GRADE_WEIGHTS,
    LATER_SESSION_NOTES,
    MONEY,
    NOTES,
    SOURCES_BY_KIND,
    describe,
)
from services.demo.world import CaseDraw, Tallies, World

DEMO_SHARE = 20  # every 20th case is the demo village's (besides its share of the rest)
TRACK_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # services.intake.tracking's: no 0/O, 1/I/L
TRACK_MULTIPLIER = 7_919_981  # coprime with 31, so case id → code is one-to-one
HANDOVER = {"dispatch_110": "police_handover", "police_referral": "police_handover", "court_entrust": "court_entrust"}
REGRADED = {"simple": "standard", "standard": "simple", "complex": "standard", "major": "complex"}
ACTION_OF = {"succeeded": "succeed", "failed": "fail", "withdrawn": "withdraw"}
CONSENT_HASH, CONSENT_PERCENT = 2_654_435_761, 8  # Knuth's multiplicative hash of the case id: ~8 % of succeeded

GeneratorState = tuple[Tallies, dict[str, int], Any]


def tracking_code(case_id: int) -> str:
    """A 12-character code in the public alphabet (services.intake.tracking), unique per case id and random-looking."""
    n, digits = case_id * TRACK_MULTIPLIER % len(TRACK_ALPHABET) ** 12, []
    for _ in range(12):
        n, d = divmod(n, len(TRACK_ALPHABET))
        digits.append(TRACK_ALPHABET[d])
    return "".join(digits)


def publication_consent(c: CaseDraw) -> Row:
    """About 8 % of succeeded cases agreed to publication as a typical case: online when it came by QR code,
    else recorded in writing or orally when it closed. Taken from the case id, not the random stream, so adding it
    changed no other draw."""
    consented = (
        c.life.status in SUCCEEDED
        and c.life.concluded is not None
        and (c.id * CONSENT_HASH) % 2**32 % 100 < CONSENT_PERCENT
    )
    if not consented:
        return {
            "publication_consent": False,
            "publication_consent_at": None,
            "publication_consent_by": None,
            "publication_consent_how": None,
        }
    online = c.source == "qr"
    return {
        "publication_consent": True,
        "publication_consent_at": c.received_at if online else utc(c.life.concluded),
        "publication_consent_by": None if online else c.actor,
        "publication_consent_how": "online" if online else ("written", "oral")[c.id % 2],
    }


def pick_diversion(r: random.Random, category: str) -> str:
    """Where a failed case was sent: labour disputes often to arbitration."""
    if category == "labour" and r.random() < 0.5:
        return "arbitration"
    return choose(r, DRAWS["diversion"])


def pick_reject(r: random.Random, source: str) -> str:
    """Why a case was not accepted: online requests are often spam or duplicates."""
    return choose(r, DRAWS["reject_online" if source == "qr" else "reject"])


class CaseGenerator:
    """Cases in chronological order with every row that hangs off them."""

    def __init__(self, world: World, names: NamePool) -> None:
        self.world, self.names = world, names
        city, rng = world.city, world.rng
        self.id_pool = IdPool(world.key, sorted({o.area for o in city.orgs if o.area}))
        self.demo_org = city.by_code[DEMO_VILLAGE].id
        self.first_station = {o.county: o for o in reversed(city.orgs) if o.kind == OrgKind.POLICE_STATION}
        mediating = [o for o in city.orgs if o.id in world.staff.by_org]
        weights = [
            rng.lognormvariate(0, 0.8) * CASE_VOLUME[o.kind] * (4.0 if o.code == DEMO_VILLAGE else 1.0)
            for o in mediating
        ]
        self.pick_org = Picker(mediating, weights)
        self.pick_source = {k: Picker(list(v), list(v.values())) for k, v in SOURCES_BY_KIND.items()}
        self.pick_category = {k: Picker(list(v), list(v.values())) for k, v in CATEGORIES_BY_KIND.items()}
        self.pick_grade = Picker(list(GRADE_WEIGHTS), list(GRADE_WEIGHTS.values()))
        world.batches = outcomes.payout_batches(world)

    def state(self) -> GeneratorState:
        """What a forked generator hands back: the tallies, the id counters and the random state."""
        return self.world.tallies, self.world.ids.next, self.world.rng.getstate()

    def restore(self, state: GeneratorState) -> None:
        """Continue from the state a forked generator handed back."""
        self.world.tallies, self.world.ids.next = state[0], state[1]
        self.world.rng.setstate(state[2])

    def empty(self) -> Rows:
        """A new chunk of case rows."""
        return empty_case_rows()

    def case(self, received: float, out: Rows, open_as: str | None = None) -> None:
        """One case received at `received` (epoch seconds) and every row hanging off it; `open_as` keeps it open."""
        c = self._draw(received, open_as)
        row = self._case_row(c)
        out["case"].append(row)  # the facts the 0006 triggers copy onto the case are written with it (outcomes.py)
        self._parties(c, out)
        if c.source in HANDOVER:
            self._referral(c, out)
        agreement = outcomes.agreement(self.world, c, out, row) if c.succeeded else None
        self._events(c, agreement, out, codes={"fail": row["diversion"], "reject": row["reject_reason"]})
        if c.life.sessions:
            self._sessions(c, out)
        if c.audited is not None and c.audit_at is not None:
            outcomes.grade_and_claim(self.world, c, c.audited, c.audit_at, out)
        if (m := self.world.last_year_metrics(c.mediator, c.life)) is not None:
            m.cases += 1
            m.succeeded += c.succeeded
            m.failed += c.life.status == "failed"

    def _draw(self, received: float, open_as: str | None) -> CaseDraw:
        """Where the case went, how it came and ran, who its parties are, what it was about and graded."""
        w, r = self.world, self.world.rng
        cid = w.ids.take("case")
        # the demo sign-ins' village gets a steady share and the newest open cases, whatever the dates drawn
        demo = open_as is not None or cid % DEMO_SHARE == 0
        org = w.org_by_id[self.demo_org] if demo else self.pick_org(r)
        source = self.pick_source[org.kind](r)
        category = self.pick_category[org.sector or org.kind](r)
        on_spot = source == "on_the_spot" and open_as is None
        if source == "on_the_spot" and not on_spot:
            source = "walk_in"
        lf = draw_life(r, w.end_ts, received, source, category, on_spot, open_as)
        mediators = w.staff.by_org[org.id]
        mediator = mediators[int(r.random() * len(mediators))] if lf.accepted else None
        a, b = self.names.pick(r), self.names.pick(r)
        group = r.random() < 0.02 and not on_spot
        flags = (["group"] if group else []) + ([choose(r, DRAWS["risk_flag"])] if r.random() < 0.03 else [])
        amount = int(r.lognormvariate(math.log(8000), 1.1)) * 100 if category in MONEY else 0
        succeeded = lf.status in SUCCEEDED
        grade = "simple" if on_spot else (self.pick_grade(r) if succeeded else None)
        audit_at = (lf.concluded or 0) + r.uniform(2, 12) * DAY if succeeded else None
        audited = grade if audit_at is not None and audit_at <= w.end_ts and r.random() > 0.02 else None
        if audited and r.random() < 0.05:
            audited = REGRADED[audited]
        actor = w.user["mediator"] if org.id == self.demo_org else None
        return CaseDraw(
            id=cid,
            org=org,
            source=source,
            category=category,
            on_spot=on_spot,
            life=lf,
            received_at=datetime.fromtimestamp(received, UTC),
            mediator=mediator,
            applicant=a,
            respondent=b,
            group=group,
            flags=flags,
            amount=amount,
            grade=grade,
            audited=audited,
            audit_at=audit_at,
            actor=actor,
        )

    def _case_row(self, c: CaseDraw) -> Row:
        """The case itself, numbered in its organisation's yearly sequence."""
        r, lf, org, rdt = self.world.rng, c.life, c.org, c.received_at
        counters = self.world.tallies.counters
        n = counters[(org.id, rdt.year)] = counters.get((org.id, rdt.year), 0) + 1
        desc, request = describe(c.category, c.applicant, c.respondent, org.place, c.amount // 100)
        return {
            "id": c.id,
            "case_no": f"{rdt.year}-{org.code}-{n:05d}",
            "tracking_code": tracking_code(c.id) if c.source == "qr" else None,
            "form_token": None,
            "org_id": org.id,
            "county_id": org.county,
            "mediator_id": c.mediator,
            "source": c.source,
            "category": c.category,
            "status": lf.status,
            "title": f"{c.applicant[0]}某与{c.respondent[0]}某{CATEGORY_LABELS[c.category]}",
            "description": desc,
            "place": org.place,
            "request": request,
            "amount_fen": c.amount,
            "group_size": r.randint(5, 60) if c.group else 0,
            "risk_level": "high" if c.flags else "none",
            "risk_flags": c.flags,
            "grade_proposed": c.grade,
            "grade_audited": c.audited,
            "on_the_spot": c.on_spot,
            "pre_litigation": c.source == "court_entrust",
            "outcome_note": NOTES["on_the_spot_outcome"] if c.on_spot else "",
            "diversion": pick_diversion(r, c.category) if lf.status == "failed" else None,
            "reject_reason": pick_reject(r, c.source) if lf.rejected else None,
            "received_at": rdt,
            "received_month": rdt.year * 100 + rdt.month,
            "accepted_at": utc(lf.accepted),
            "concluded_at": utc(lf.concluded),
            "archived_at": utc(lf.archived),
            "accept_due": (rdt + timedelta(days=DEADLINES["accept_days"])).date(),
            "conclude_due": utc_date((lf.accepted or lf.received + 3 * DAY) + 30 * DAY),
            "custom": {},
            # the newest agreement's and follow-up's facts (0006 triggers), filled in by outcomes.agreement
            "agreement_kind": None,
            "performance": None,
            "performance_due": None,
            "confirmed": False,
            "satisfaction": None,
            "created_by": c.actor if c.source != "qr" else None,
            "version": 1,
            **publication_consent(c),
        }

    def _parties(self, c: CaseDraw, out: Rows) -> None:
        """The applicant and the respondent, some with a phone and an ID number."""
        w, r = self.world, self.world.rng
        village = c.org.kind == OrgKind.VILLAGE_COMMITTEE
        for side, name, with_phone in (("applicant", c.applicant, 0.95), ("respondent", c.respondent, 0.6)):
            male = r.random() < 0.55
            phone = mobile_phone(r) if r.random() < with_phone else ""
            enc, idx, masked = self.id_pool.take(r, male) if r.random() < 0.3 else (None, None, None)
            out["party"].append(
                {
                    "id": w.ids.take("party"),
                    "case_id": c.id,
                    "side": side,
                    "kind": "person",
                    "name": name,
                    "gender": "男" if male else "女",
                    "phone": phone,
                    "phone_index": blind_index(phone, w.key, "phone") if phone else None,
                    "id_number_enc": enc,
                    "id_number_index": idx,
                    "id_number_masked": masked,
                    "address": f"{c.org.place}{r.randint(1, 12)}组" if village else "",
                    "created_at": c.received_at,
                }
            )

    def _referral(self, c: CaseDraw, out: Rows) -> None:
        """The hand-over a police station or court made (公调对接 / 诉调对接)."""
        w, org, lf = self.world, c.org, c.life
        police = c.source != "court_entrust"
        if not police:
            sender = w.city.court[org.county]
        elif org.kind == OrgKind.POLICE_ROOM:
            sender = w.org_by_id[org.parent]
        else:
            sender = w.city.station[org.town] if org.town else self.first_station[org.county]
        decided = lf.accepted or lf.rejected
        out["referral"].append(
            {
                "id": w.ids.take("referral"),
                "case_id": c.id,
                "from_org_id": sender.id,
                "to_org_id": org.id,
                "kind": HANDOVER[c.source],
                "note": NOTES["police_handover" if police else "court_entrust"],
                "status": "pending" if decided is None else ("returned" if lf.rejected else "accepted"),
                "reason": NOTES["referral_returned"] if lf.rejected else "",
                "sent_by": w.user["police" if police else "court"],
                "sent_at": utc(lf.received),
                "decided_by": c.actor if decided else None,
                "decided_at": utc(decided),
            }
        )

    def _events(self, c: CaseDraw, agreement: tuple[int, str] | None, out: Rows, codes: dict[str, str | None]) -> None:
        """The timeline as services.cases.workflow writes it: `created`, then one `transition.<action>` per move."""
        lf = c.life
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
                data = {"source": c.source}
            elif to == "succeeded" and agreement is not None:
                data = {"agreement_id": agreement[0], "grade": c.grade, "kind": agreement[1]}
            elif kind == "transition.fail" and codes["fail"]:
                data = {"diversion": codes["fail"]}  # as services.cases.workflow records it: the timeline names it
            elif kind == "transition.reject" and codes["reject"]:
                data = {"reason": codes["reject"]}
            out["caseevent"].append(
                {
                    "id": self.world.ids.take("caseevent"),
                    "case_id": c.id,
                    "at": utc(at),
                    "actor_id": c.actor,
                    "kind": kind,
                    "from_status": frm,
                    "to_status": to,
                    "note": "",
                    "data": data,
                }
            )

    def _sessions(self, c: CaseDraw, out: Rows) -> None:
        """The mediation sessions: the first when mediation started, maybe a last one when it concluded."""
        w, r = self.world, self.world.rng
        who = f"{c.applicant}、{c.respondent}、调解员{w.staff.names.get(c.mediator or 0, '')}"
        for i, at in enumerate(c.life.sessions):
            notes = LATER_SESSION_NOTES if i else FIRST_SESSION_NOTES
            out["mediationsession"].append(
                {
                    "id": w.ids.take("mediationsession"),
                    "case_id": c.id,
                    "held_at": utc(at),
                    "place": c.org.place,
                    "participants": who,
                    "notes": notes[int(r.random() * len(notes))],
                    "online": r.random() < 0.05,
                    "meeting_url": "",
                    "duration_minutes": r.randint(20, 180),
                    "attended": [],
                    "recorded_by": c.actor,
                    "created_at": utc(at),
                }
            )
