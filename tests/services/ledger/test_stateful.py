"""LED-3: a Hypothesis state machine drives claim / audit / approve / reject / pay / reverse / replay by several
people in any order, and after every step checks what must always hold:

* paid ⇒ approved ⇒ audited (and the steps happened in that order);
* per case, net paid ≤ its rate (or the award cap), never below zero; at most one live claim per case;
* the one who claimed (or will be paid) never audited or approved it;
* the balance the office sees equals the sum of the money rows, and what the model expects;
* no ledger row is ever changed or removed.
SQLite only: the engines agree on everything here, and the concurrency tests cover PostgreSQL.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test
from sqlmodel import select

from models import LedgerEntry, SubsidyClaim
from models.ledger import ClaimStatus
from services.core.db import make_database
from services.core.errors import DomainError
from services.ledger import claims as ledger
from services.ledger import payout as ledger_payout
from services.ledger.policy import award_cap_fen
from services.ledger.views import list_claims
from tests.ledger_factories import World, make_world, succeeded_case, unique_parties

PEOPLE = ("mediator", "mediator2", "auditor", "approver", "payer")
NEXT = {
    "claimed": ("audit", "auditor"),
    "held": ("release", "auditor"),
    "audited": ("approve", "approver"),
    "approved": ("batch", "payer"),
}
SOURCES = {
    "audit": {"claimed"},
    "release": {"held"},
    "approve": {"audited"},
    "reverse": {"paid"},
    "reject": {"claimed", "held", "audited", "approved"},
}
GRADES = ("simple", "standard", "complex", "major", "standard")
FAST_DIR = "/dev/shm" if Path("/dev/shm").is_dir() else None  # memory-backed scratch space
SETTINGS = settings(
    max_examples=40,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def _world_file(template: Path) -> tuple[Path, World, list[int], int]:
    """Build the staff and cases once; every example starts from a copy of this file."""
    path = Path(tempfile.mkdtemp(prefix="ledger-sm-", dir=FAST_DIR)) / "world.sqlite"
    shutil.copy(template, path)
    db = make_database(f"sqlite:///{path}")
    shared = unique_parties()  # two of the cases look like one dispute split in two
    with db.write() as s:
        world = make_world(s)
        cases = [
            succeeded_case(
                s,
                world.tree["v1" if i % 2 == 0 else "v2"],
                grade=g,
                mediator_id=world.mediator_id if i % 2 == 0 else world.mediator2_id,
                auditor=world.auditor,
                category="loan",
                parties=shared if i in (1, 3) else None,
            ).id
            for i, g in enumerate(GRADES)
        ]
        cap = award_cap_fen(s)
    db.dispose()
    return path, world, cases, cap


def _machine(template: Path) -> type[RuleBasedStateMachine]:
    world_path, world, cases, cap = _world_file(template)

    class LedgerMachine(RuleBasedStateMachine):
        scratch = world_path.parent

        @initialize()
        def open_world(self) -> None:
            self.tmp = Path(tempfile.mkdtemp(prefix="ledger-sm-", dir=FAST_DIR))
            shutil.copy(world_path, self.tmp / "db.sqlite")
            self.db = make_database(f"sqlite:///{self.tmp / 'db.sqlite'}")
            self.world, self.cases, self.cap = world, cases, cap
            self.people = {p: getattr(world, p) for p in PEOPLE}
            self.expected_balance = 0
            self.seen: dict[int, tuple[object, ...]] = {}
            self.last: tuple[str, tuple[object, ...]] | None = None

        def teardown(self) -> None:
            if hasattr(self, "db"):
                self.db.dispose()
                shutil.rmtree(self.tmp, ignore_errors=True)

        # ---- helpers
        def _claims(self) -> list[SubsidyClaim]:
            with self.db.read() as s:
                return list(s.exec(select(SubsidyClaim).order_by(SubsidyClaim.id)).all())

        def _pick(self, n: int, status: str | None) -> int | None:
            """The n-th claim in `status` (aimed at the step that fits), or among all claims (None)."""
            claims = [c for c in self._claims() if status is None or c.status == status]
            return claims[n % len(claims)].id if claims else None

        def _run(self, name: str, *args: object) -> object:
            """Call one service step in its own write transaction; a refusal is a legitimate outcome."""
            self.last = (name, args)
            try:
                with self.db.write() as s:
                    result = getattr(self, f"_do_{name}")(s, *args)
            except DomainError as err:
                event(f"{name}: {err.key}")
                return None
            event(f"{name}: done")
            return result

        def _do_claim(self, s, who, case_id, award_fen):  # type: ignore[no-untyped-def]
            if award_fen:
                return ledger.request_award(
                    s, actor=self.people[who], case_id=case_id, amount_fen=award_fen, reason="化解重大纠纷，涉及多户"
                )
            return ledger.claim_case(s, actor=self.people[who], case_id=case_id)

        def _do_audit(self, s, who, claim_id):  # type: ignore[no-untyped-def]
            return ledger.audit_claim(s, actor=self.people[who], claim_id=claim_id)

        def _do_release(self, s, who, claim_id):  # type: ignore[no-untyped-def]
            return ledger.release_hold(s, actor=self.people[who], claim_id=claim_id, note="已核实，非拆分")

        def _do_approve(self, s, who, claim_id):  # type: ignore[no-untyped-def]
            return ledger.approve_claim(s, actor=self.people[who], claim_id=claim_id)

        def _do_reject(self, s, who, claim_id):  # type: ignore[no-untyped-def]
            return ledger.reject_claim(s, actor=self.people[who], claim_id=claim_id, reason="材料不全，退回")

        def _do_batch(self, s, who):  # type: ignore[no-untyped-def]
            return ledger_payout.create_batch(s, actor=self.people[who], region_org_id=self.world.tree["county"].id)

        def _do_pay(self, s, who, batch_id):  # type: ignore[no-untyped-def]
            result = ledger_payout.mark_batch_paid(s, actor=self.people[who], batch_id=batch_id)
            self.expected_balance += result.paid_fen
            return result

        def _do_reverse(self, s, who, claim_id):  # type: ignore[no-untyped-def]
            entry = ledger.reverse_payment(s, actor=self.people[who], claim_id=claim_id, reason="等级有误，冲正")
            self.expected_balance += entry.amount_fen
            return entry

        # ---- rules: `advance` walks a claim along the chain with the right people; `attempt` lets anyone
        # try any step on any claim (most are refused, which is the point)
        @rule(
            who=st.sampled_from(PEOPLE),
            case=st.integers(0, len(GRADES) - 1),
            aim=st.booleans(),
            award=st.integers(-10, 250_000),
        )
        def claim(self, who: str, case: int, aim: bool, award: int) -> None:
            if aim:
                who = "mediator" if case % 2 == 0 else "mediator2"
            self._run("claim", who, self.cases[case], award if GRADES[case] == "major" else None)

        @rule(n=st.integers(0, 20))
        def advance(self, n: int) -> None:
            claims = [c for c in self._claims() if c.status in NEXT]
            if claims:
                self._next_step(claims[n % len(claims)])

        @rule()
        def advance_all(self) -> None:
            """Every claim one step further (a busy afternoon at the justice office)."""
            for claim in [c for c in self._claims() if c.status in NEXT]:
                self._next_step(claim)

        def _next_step(self, claim: SubsidyClaim) -> None:
            action, who = NEXT[claim.status]
            if action == "batch":
                self.batch_and_pay(who)
            else:
                self._run(action, who, claim.id)

        @rule(
            action=st.sampled_from(("audit", "release", "approve", "reject", "reverse")),
            who=st.sampled_from((*PEOPLE, "auditor", "approver")),
            n=st.integers(0, 20),
            status=st.sampled_from((None, *ClaimStatus)),
        )
        def attempt(self, action: str, who: str, n: int, status: str | None) -> None:
            if (claim_id := self._pick(n, status)) is not None:
                self._run(action, who, claim_id)

        @rule(action=st.sampled_from(sorted(SOURCES)), n=st.integers(0, 20))
        def out_of_order(self, action: str, n: int) -> None:
            """The right person tries a step on a claim that is not ready for it (or long past it)."""
            claims = [c for c in self._claims() if c.status not in SOURCES[action]]
            if claims:
                self._run(
                    action, "approver" if action in ("approve", "reverse") else "auditor", claims[n % len(claims)].id
                )

        @rule(who=st.sampled_from(PEOPLE))
        def batch_and_pay(self, who: str) -> None:
            batch = self._run("batch", who)
            if batch is not None:
                self._run("pay", who, batch.id)  # type: ignore[attr-defined]

        @rule(n=st.integers(0, 20), status=st.sampled_from(("paid", "claimed", "held", "audited")))
        def correct(self, n: int, status: str) -> None:
            """The office puts a mistake right: reverse a payment, or reject a claim not yet paid."""
            if (claim_id := self._pick(n, status)) is not None:
                self._run("reverse" if status == "paid" else "reject", "approver", claim_id)

        @rule()
        def replay(self) -> None:
            """A double click, a rerun or a retry of whatever was just done."""
            if self.last is not None:
                self._run(self.last[0], *self.last[1])

        # ---- invariants (one read of everything after every step)
        @invariant()
        def ledger_invariants(self) -> None:
            if not hasattr(self, "db"):
                return
            with self.db.read() as s:
                entries = s.exec(select(LedgerEntry).order_by(LedgerEntry.id)).all()
                claims = {c.id: c for c in s.exec(select(SubsidyClaim)).all()}
                reported = list_claims(s, actor=self.world.auditor).paid_net_fen
            self._check_chain(entries, claims)
            self._check_money(entries, claims, reported)
            now = {e.id: tuple(e.model_dump().values()) for e in entries}
            for entry_id, values in self.seen.items():
                assert now.get(entry_id) == values, f"ledger row {entry_id} changed or vanished"
            self.seen = now

        def _check_chain(self, entries: list[LedgerEntry], claims: dict[int | None, SubsidyClaim]) -> None:
            """paid ⇒ approved ⇒ audited, in that order; claimer and payee never reviewed; four different people
            claim, audit, approve and pay (the default duty rule); status = last step."""
            steps: dict[int, dict[str, LedgerEntry]] = {}
            for e in entries:
                steps.setdefault(e.claim_id, {})[e.action] = e
            payee_user = {
                self.world.mediator_id: self.world.mediator.user_id,
                self.world.mediator2_id: self.world.mediator2.user_id,
            }
            for cid, claim in claims.items():
                got = steps[cid or 0]
                if claim.status in ("paid", "reversed"):
                    assert got["pay"].id > got["approve"].id > got["audit"].id > got["claim"].id
                if "approve" in got:
                    assert "audit" in got and got["approve"].id > got["audit"].id
                for act in ("audit", "approve", "release"):
                    if act in got:
                        assert got[act].actor_id not in (claim.claimed_by, payee_user.get(claim.mediator_id))
                people = [got[a].actor_id for a in ("claim", "audit", "approve", "pay") if a in got]
                assert len(people) == len(set(people)), "one person did two steps the office keeps apart"
                assert max(got.values(), key=lambda e: e.id or 0).to_status == claim.status

        def _check_money(
            self, entries: list[LedgerEntry], claims: dict[int | None, SubsidyClaim], reported: int
        ) -> None:
            """Net paid per case within its rate or the cap; one live claim per case; balance = Σ rows = model."""
            money = [e for e in entries if e.action in ("pay", "reverse")]
            net: dict[int, int] = {}
            for e in money:
                case_id = claims[e.claim_id].case_id
                net[case_id] = net.get(case_id, 0) + e.amount_fen
            for case_id, fen in net.items():
                limit = max(c.amount_fen for c in claims.values() if c.case_id == case_id)
                assert 0 <= fen <= limit <= max(self.cap, 15_000)
            live = [c.case_id for c in claims.values() if c.status not in ("rejected", "reversed")]
            assert len(live) == len(set(live))
            assert sum(e.amount_fen for e in money) == reported == self.expected_balance

    return LedgerMachine


def test_ledger_invariants_hold_in_any_order(sqlite_template):
    machine = _machine(sqlite_template)
    try:
        run_state_machine_as_test(machine, settings=SETTINGS)
    finally:
        shutil.rmtree(machine.scratch, ignore_errors=True)
