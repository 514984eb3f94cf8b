"""What follows a demo case's success: the agreement, a judicial confirmation, the follow-up visit, the grade
audit and the subsidy claim with its ledger entries, paid in the county's quarterly payout batch."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from models import LedgerEntry, OrgKind, PayoutBatch, SubsidyClaim
from services.core.reference import DEADLINES
from services.demo.draws import choose
from services.demo.tables import Row, Rows, table_of
from services.demo.timeline import DAY, YEARS, utc, utc_date, utc_year
from services.demo.vocabulary import AGREEMENT, DRAWS, NOTES, SATISFACTION, agreement_terms
from services.demo.world import CaseDraw, World

# Columns newer than the generator's first version are filled when the tables have them.
BATCH_STEPS = "paid_by" in table_of(PayoutBatch).c
CLAIM_RATE = "rate_id" in table_of(SubsidyClaim).c
LEDGER_STEPS = "from_status" in table_of(LedgerEntry).c  # the ledger's who/what columns (migration 0004)


def payout_batches(w: World) -> dict[tuple[int, int], Row]:
    """One payout batch per county and quarter, paid 20 days after the quarter ends."""
    out: dict[tuple[int, int], Row] = {}
    first = w.end.year - YEARS
    for county in sorted(w.city.justice):
        cc = next(o.code for o in w.city.orgs if o.id == county)
        for q in range((w.end.year - first + 1) * 4):
            year, quarter = first + q // 4, q % 4 + 1
            qend = datetime(year + (quarter == 4), (quarter * 3) % 12 + 1, 1, tzinfo=UTC)
            paid = qend + timedelta(days=20)
            if qend - timedelta(days=92) > w.end:
                continue
            done = paid <= w.end
            row = {
                "id": w.ids.take("payoutbatch"),
                "code": f"PB-{cc}-{paid:%Y%m%d}-01",
                "region_org_id": county,
                "total_fen": 0,
                "status": "paid" if done else "open",
                "notice_until": (paid + timedelta(days=6)).date() if done else None,
                "created_by": w.user["justice"],
                "created_at": qend,
                "paid_at": paid if done else None,
                "_pay": paid.timestamp(),  # not a column: when the batch pays, for the claims
            }
            if BATCH_STEPS:
                row.update(
                    notice_from=paid.date() if done else None,
                    paid_by=w.user["payer"] if done else None,
                    published_by=w.user["justice"] if done else None,
                )
            out[(county, year * 10 + quarter)] = row
    return out


def agreement(w: World, c: CaseDraw, out: Rows, case_row: Row) -> tuple[int, str]:
    """The agreement, its performance, maybe a judicial confirmation, and the follow-up visit; (id, kind).

    What the 0006 triggers copy onto the case (the newest agreement's kind, performance and deadline, whether a
    court confirmed it, the newest follow-up's satisfaction) is written into `case_row` here, so a bulk load may
    leave those per-row triggers off (services.demo.bulk.derivations_suspended)."""
    r, lf = w.rng, c.life
    concluded = lf.concluded or lf.received
    oral = c.on_spot or (c.grade == "simple" and r.random() < 0.3)
    paid = int(c.amount * r.uniform(0.4, 1.0)) // 100 * 100
    due = concluded + (r.uniform(0, 60) * DAY if paid else 0)
    performance, performed_at = "pending", None
    if due <= w.end_ts:
        performance = choose(r, DRAWS["performance"])
        performed_at = utc(due) if performance in ("fulfilled", "partly") else None
    aid = w.ids.take("agreement")
    out["agreement"].append(
        {
            "id": aid,
            "case_id": c.id,
            "version": 1,
            "kind": "oral" if oral else "written",
            "terms": agreement_terms(paid // 100, oral),
            "amount_fen": paid,
            "obligations": AGREEMENT["obligations_paid" if paid else "obligations_unpaid"],
            "performance_due": utc_date(due),
            "signed_at": utc(concluded),
            "performance": performance,
            "performance_at": performed_at,
            "recorded_by": c.actor,
        }
    )
    case_row.update(agreement_kind="oral" if oral else "written", performance=performance)
    case_row["performance_due"] = out["agreement"][-1]["performance_due"]
    if not oral and r.random() < (0.3 if c.org.kind == OrgKind.COURT_ROOM else 0.07):
        case_row["confirmed"] = _confirmation(w, c, concluded, out)
    if performance == "fulfilled" and (m := w.last_year_metrics(c.mediator, lf)) is not None:
        m.fulfilled += 1
    case_row["satisfaction"] = _follow_up(w, c, concluded, performance, out)
    return aid, "oral" if oral else "written"


def _follow_up(w: World, c: CaseDraw, concluded: float, performance: str, out: Rows) -> int | None:
    """The follow-up visit or call, done when the case was followed up; its satisfaction score."""
    r, lf = w.rng, c.life
    sat = choose(r, SATISFACTION) if lf.followed else None
    out["followup"].append(
        {
            "id": w.ids.take("followup"),
            "case_id": c.id,
            "due": utc_date(concluded + DEADLINES["followup_days"] * DAY),
            "done_at": utc(lf.followed),
            "method": "visit" if r.random() < 0.3 else "phone",
            "satisfaction": sat,
            "agreement_holds": (performance != "breached") if lf.followed else None,
            "note": NOTES["follow_up_satisfied"] if sat and sat >= 4 else "",
            "recorded_by": c.actor if lf.followed else None,
        }
    )
    if sat is not None and (m := w.last_year_metrics(c.mediator, lf)) is not None:
        m.satisfaction += sat
        m.surveyed += 1
    return sat


def _confirmation(w: World, c: CaseDraw, concluded: float, out: Rows) -> bool:
    """The application to the county court for judicial confirmation, and its ruling when made; confirmed?"""
    r = w.rng
    applied = concluded + r.uniform(1, 10) * DAY
    decided = applied + r.uniform(3, 20) * DAY
    if applied > w.end_ts:
        return False
    done = decided <= w.end_ts
    result = ("confirmed" if r.random() < 0.95 else "rejected") if done else "pending"
    county = c.org.county
    out["judicialconfirmation"].append(
        {
            "id": w.ids.take("judicialconfirmation"),
            "case_id": c.id,
            "court_org_id": w.city.court[county].id,
            "applied_at": utc(applied),
            "applied_by": c.actor,
            "result": result,
            "ruling_no": f"({utc_year(decided)})川15{county % 100:02d}民特{c.id % 9000 + 1}号" if done else "",
            "decided_at": utc(decided) if done else None,
            "decided_by": w.user["court"] if done else None,
            "note": "",
        }
    )
    if result == "confirmed" and (m := w.last_year_metrics(c.mediator, c.life)) is not None:
        m.confirmed += 1
    return result == "confirmed"


def grade_and_claim(w: World, c: CaseDraw, audited: str, audit_at: float, out: Rows) -> None:
    """等级审核 by the police station (stationed rooms) or the justice office, then the subsidy claim."""
    org = c.org
    police = org.kind == OrgKind.POLICE_ROOM
    proposed = c.grade or audited
    out["gradeaudit"].append(
        {
            "id": w.ids.take("gradeaudit"),
            "case_id": c.id,
            "proposed": proposed,
            "audited": audited,
            "auditor_id": w.user["police" if police else "justice"],
            "auditor_org_id": org.parent if police else w.city.justice[org.county].id,
            "note": "" if proposed == audited else NOTES["grade_changed"],
            "at": utc(audit_at),
        }
    )
    claimed = audit_at + w.rng.uniform(0, 5) * DAY
    if claimed <= w.end_ts:
        _claim(w, c, audited, claimed, out)


def _claim(w: World, c: CaseDraw, grade: str, claimed: float, out: Rows) -> None:
    """Claim → audit → approve → paid in the county's quarterly batch, as far as time allows."""
    r, org = w.rng, c.org
    major = grade == "major"
    rates = w.ref.rates
    rate_id, fen = rates.get((grade, org.kind)) or rates.get((grade, None)) or (None, 0)
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
    stages = [s for s in stages if s[1] <= w.end_ts]
    batch = None
    if stages[-1][0] == "approve":
        approved = datetime.fromtimestamp(stages[-1][1], UTC)
        brow = w.batches[(org.county, approved.year * 10 + (approved.month - 1) // 3 + 1)]
        batch = brow["id"]
        w.tallies.batches[batch] = w.tallies.batches.get(batch, 0) + fen
        if brow["_pay"] <= w.end_ts:
            stages.append(("pay", brow["_pay"], "approved", "paid"))
            key = (org.county, utc_year(brow["_pay"]))
            w.tallies.spend[key] = w.tallies.spend.get(key, 0) + fen
    claim_id = w.ids.take("subsidyclaim")
    row = {
        "id": claim_id,
        "case_id": c.id,
        "kind": "award" if major else "subsidy",
        "mediator_id": c.mediator,
        "org_id": org.id,
        "county_id": org.county,
        "grade": grade,
        "amount_fen": fen,
        "status": stages[-1][3],
        "hold_reason": NOTES["claim_held"] if held else "",
        "claimed_by": c.actor,
        "claimed_at": utc(claimed),
        "batch_id": batch,
    }
    if CLAIM_RATE:
        row["rate_id"] = rate_id
    out["subsidyclaim"].append(row)
    _ledger_entries(w, c, claim_id, fen, batch, stages, out)


def _ledger_entries(
    w: World,
    c: CaseDraw,
    claim_id: int,
    fen: int,
    batch: int | None,
    stages: list[tuple[str, float, str, str]],
    out: Rows,
) -> None:
    """One ledger entry per stage the claim went through: the claimer's own, then the justice office's."""
    justice, office = w.user["justice"], w.city.justice[c.org.county].id
    step_actor = {"approve": w.user["approver"], "pay": w.user["payer"]}  # four people, as the office rule says
    for action, at, frm, to in stages:
        entry = {
            "id": w.ids.take("ledgerentry"),
            "claim_id": claim_id,
            "action": action,
            "amount_fen": fen,
            "reverses_id": None,
            "actor_id": c.actor if action in ("claim", "hold") else step_actor.get(action, justice),
            "note": "",
            "at": utc(at),
        }
        if LEDGER_STEPS:
            entry.update(
                actor_org_id=c.org.id if action in ("claim", "hold") else office,
                from_status=frm,
                to_status=to,
                batch_id=batch if action == "pay" else None,
                budget_override=False,
            )
        out["ledgerentry"].append(entry)
