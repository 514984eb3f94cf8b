"""KPIs as data (DESIGN.md §7): an id, names, the formula text the UI shows, and one SQL aggregate each.

A count KPI is a predicate on one case row — the same predicate counts it (`count(*) FILTER (WHERE …)`)
and lists exactly the cases it counts (the drill-down). A ratio KPI divides two count KPIs. Every KPI of a
scan is computed by one statement of conditional aggregates. The predicates read the columns the
database keeps on the case (outcome, agreement_kind, performance, confirmed, satisfaction; migration
0006_stats), so the headline reads one covering index and never joins.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, true
from sqlmodel import col

from models import Case, CaseStatus
from services.cases import warnings
from services.core.reference import GROUP_DISPUTE_MIN_PEOPLE

S = CaseStatus
Predicate = Callable[[date], ColumnElement[bool]]
MAIN, RISK = "main", "risk"  # which scan computes the KPI: the covering month index, or the high-risk index


@dataclass(frozen=True)
class Kpi:
    """One indicator. `where` (count/sum) or `ratio` (numerator id, denominator id) defines it."""

    id: str
    name_zh: str
    name_en: str
    formula_zh: str
    formula_en: str
    kind: str = "count"  # count / sum / ratio
    where: Predicate | None = None
    ratio: tuple[str, str] | None = None
    summed: str | None = None  # the case column a `sum` KPI adds up
    scan: str = MAIN
    unit: str = "cases"  # cases / people / percent / score
    headline: bool = True  # shown among the dashboard's numbers
    better: str | None = None  # "up" / "down": which change is good news (None: neither)

    def name(self, lang: str) -> str:
        return self.name_en if lang == "en" else self.name_zh

    def formula(self, lang: str) -> str:
        return self.formula_en if lang == "en" else self.formula_zh


def _succeeded(_: date | None = None) -> ColumnElement[bool]:
    return col(Case.outcome) == "succeeded"


def _mediated(_: date) -> ColumnElement[bool]:
    return col(Case.outcome).in_(("succeeded", "failed"))


def _accepted(_: date) -> ColumnElement[bool]:
    return and_(col(Case.status) != S.SUBMITTED, or_(col(Case.outcome).is_(None), col(Case.outcome) != "rejected"))


def _performance_due(today: date) -> ColumnElement[bool]:
    determined = or_(
        col(Case.performance_due).is_(None), col(Case.performance_due) < today, col(Case.performance) != "pending"
    )
    return and_(_succeeded(), col(Case.agreement_kind).is_not(None), determined)


def _fulfilled(_: date) -> ColumnElement[bool]:
    return and_(_succeeded(), col(Case.agreement_kind).is_not(None), col(Case.performance) == "fulfilled")


flagged = warnings.flagged  # the case carries a risk flag (one definition, services/cases/warnings.py)


def overdue_parts(today: date) -> dict[str, ColumnElement[bool]]:
    """The three ways a case is overdue, as services/cases/warnings.py defines them."""
    parts = warnings.warning_parts(today)
    return {k: parts[k] for k in warnings.OVERDUE}


def _overdue(today: date) -> ColumnElement[bool]:
    return warnings.overdue_clause(today)


KPIS: tuple[Kpi, ...] = (
    Kpi(
        "received",
        "登记纠纷数",
        "Disputes received",
        "期间内登记（接收）的全部纠纷，按登记日期统计",
        "Every dispute registered in the period, by date received",
        where=lambda _: true(),
    ),
    Kpi(
        "accepted",
        "受理数",
        "Accepted",
        "已受理的纠纷（不含待受理和不予受理）",
        "Disputes accepted (not those still waiting or rejected)",
        where=_accepted,
    ),
    Kpi(
        "mediated",
        "调解终结数",
        "Mediated to an outcome",
        "调解成功数 + 调解不成功数",
        "succeeded + failed",
        where=_mediated,
    ),
    Kpi(
        "succeeded",
        "调解成功数",
        "Succeeded",
        "达成调解协议（书面或口头）的纠纷",
        "Disputes settled by a written or oral agreement",
        where=_succeeded,
        better="up",
    ),
    Kpi(
        "failed",
        "调解不成功数",
        "Failed",
        "调解不成功、已引导至诉讼、仲裁、行政或信访渠道的纠纷",
        "Mediation failed; diverted to court, arbitration, administration or petition",
        where=lambda _: col(Case.outcome) == "failed",
        better="down",
    ),
    Kpi(
        "withdrawn",
        "撤回数",
        "Withdrawn",
        "受理后当事人撤回申请的纠纷",
        "Accepted, then withdrawn by the applicant",
        where=lambda _: col(Case.outcome) == "withdrawn",
        headline=False,
    ),
    Kpi(
        "rejected",
        "不予受理数",
        "Rejected",
        "决定不予受理的纠纷",
        "Disputes not accepted for mediation",
        where=lambda _: col(Case.outcome) == "rejected",
        headline=False,
    ),
    Kpi(
        "in_progress",
        "在办数",
        "In progress",
        "尚未结案的纠纷（含待受理）",
        "Not concluded yet (including those waiting to be accepted)",
        where=lambda _: col(Case.outcome).is_(None),
        headline=False,
    ),
    Kpi(
        "success_rate",
        "调解成功率",
        "Success rate",
        "调解成功数 ÷（调解成功数 + 调解不成功数）；不予受理、撤回和在办的纠纷不计入分母",
        "succeeded ÷ (succeeded + failed); rejected, withdrawn and open cases are not in the denominator",
        kind="ratio",
        ratio=("succeeded", "mediated"),
        unit="percent",
        better="up",
    ),
    Kpi(
        "performance_due",
        "应履行数",
        "Performance due",
        "履行期限已过（或已有履行结果）的调解成功案件",
        "Succeeded cases whose performance deadline has passed (or whose performance is already recorded)",
        where=_performance_due,
        headline=False,
    ),
    Kpi(
        "fulfilled",
        "已履行数",
        "Fulfilled",
        "协议已全部履行的调解成功案件",
        "Succeeded cases whose agreement is fully performed",
        where=_fulfilled,
        headline=False,
        better="up",
    ),
    Kpi(
        "performance_rate",
        "履行率",
        "Performance rate",
        "已履行数 ÷ 应履行数（履行期限已过的调解成功案件）",
        "fulfilled ÷ succeeded cases whose performance is due",
        kind="ratio",
        ratio=("fulfilled", "performance_due"),
        unit="percent",
        better="up",
    ),
    Kpi(
        "confirmed",
        "司法确认数",
        "Judicially confirmed",
        "调解协议经人民法院司法确认的调解成功案件",
        "Succeeded cases whose agreement a court confirmed",
        where=lambda _: and_(_succeeded(), col(Case.confirmed).is_(True)),
        better="up",
    ),
    Kpi(
        "confirmation_rate",
        "司法确认率",
        "Confirmation rate",
        "司法确认数 ÷ 调解成功数",
        "confirmed ÷ succeeded",
        kind="ratio",
        ratio=("confirmed", "succeeded"),
        unit="percent",
        better="up",
    ),
    Kpi(
        "on_the_spot",
        "随手调件数",
        "On-the-spot (随手调)",
        "现场登记、当场调处的纠纷",
        "Disputes registered and handled on the spot",
        where=lambda _: col(Case.on_the_spot).is_(True),
        better="up",
    ),
    Kpi(
        "oral_agreements",
        "口头协议数",
        "Oral agreements",
        "以口头协议结案的调解成功案件",
        "Succeeded cases closed with an oral agreement",
        where=lambda _: and_(_succeeded(), col(Case.agreement_kind) == "oral"),
        better="up",
    ),
    Kpi(
        "pre_litigation_succeeded",
        "诉前委托调解成功数",
        "Pre-litigation successes",
        "人民法院诉前委托调解且调解成功的纠纷",
        "Court-entrusted pre-litigation cases that succeeded",
        where=lambda _: and_(_succeeded(), col(Case.pre_litigation).is_(True)),
        better="up",
    ),
    Kpi(
        "screening_prevented",
        "排查化解数",
        "Prevented by screening",
        "来源为矛盾纠纷排查且调解成功的纠纷",
        "Disputes found by screening visits and settled",
        where=lambda _: and_(_succeeded(), col(Case.source) == "screening"),
        better="up",
    ),
    Kpi(
        "group_disputes",
        "群体性纠纷数",
        "Group disputes",
        f"涉及人数 ≥ {GROUP_DISPUTE_MIN_PEOPLE} 人的纠纷",
        f"Disputes involving {GROUP_DISPUTE_MIN_PEOPLE} people or more",
        where=lambda _: col(Case.group_size) >= GROUP_DISPUTE_MIN_PEOPLE,
        better="down",
    ),
    Kpi(
        "group_people",
        "群体性纠纷涉及人数",
        "People in group disputes",
        "群体性纠纷涉及人数之和",
        "Sum of the people involved in group disputes",
        kind="sum",
        where=lambda _: col(Case.group_size) >= GROUP_DISPUTE_MIN_PEOPLE,
        summed="group_size",
        unit="people",
        better="down",
    ),
    Kpi(
        "high_risk",
        "期内高风险纠纷数",
        "High-risk disputes received",
        "统计期间内登记、被标记为高风险（群体性、暴力倾向、自伤风险、可能民转刑、越级上访等）的纠纷，不论现在是否办结；"
        "当前的高风险预警见“预警与超期”",
        "Disputes received in the period and flagged high-risk (group, violence, self-harm, civil-to-criminal, "
        "petition upwards), concluded or not; the warnings now are under “Warnings and overdue cases”",
        where=lambda _: col(Case.risk_level) == "high",
        scan=RISK,
        better="down",
    ),
    Kpi(
        "civil_to_criminal",
        "民转刑风险纠纷数",
        "Civil-to-criminal risks",
        "标记为“可能民转刑”风险的纠纷",
        "Disputes flagged at risk of civil-to-criminal escalation",
        where=lambda _: flagged("escalation"),
        scan=RISK,
        better="down",
    ),
    Kpi(
        "rated",
        "回访评价数",
        "Follow-ups rated",
        "回访时给出满意度评分（1–5分）的案件",
        "Cases rated 1–5 at the follow-up visit",
        where=lambda _: col(Case.satisfaction).is_not(None),
        headline=False,
    ),
    Kpi(
        "satisfied",
        "满意件数",
        "Satisfied",
        "回访评分为 4 或 5 分的案件",
        "Cases rated 4 or 5 at follow-up",
        where=lambda _: col(Case.satisfaction) >= 4,
        headline=False,
    ),
    Kpi(
        "satisfaction_points",
        "满意度评分合计",
        "Satisfaction points",
        "回访满意度评分之和",
        "Sum of the follow-up scores",
        kind="sum",
        where=lambda _: col(Case.satisfaction).is_not(None),
        summed="satisfaction",
        unit="score",
        headline=False,
    ),
    Kpi(
        "satisfaction",
        "平均满意度",
        "Average satisfaction",
        "回访满意度评分之和 ÷ 回访评价数（满分 5 分）",
        "sum of follow-up scores ÷ follow-ups rated (out of 5)",
        kind="ratio",
        ratio=("satisfaction_points", "rated"),
        unit="score",
        better="up",
    ),
    Kpi(
        "satisfaction_rate",
        "满意率",
        "Satisfaction rate",
        "评分 4–5 分的回访数 ÷ 回访评价数",
        "follow-ups rated 4–5 ÷ follow-ups rated",
        kind="ratio",
        ratio=("satisfied", "rated"),
        unit="percent",
        better="up",
    ),
    Kpi(
        "overdue",
        "期内登记现超期数",
        "Received, now overdue",
        "统计期间内登记、现在超期的纠纷：超过受理期限仍待受理、超过办结期限仍在调解、超过回访期限仍未回访",
        "Received in the period and overdue now: still waiting past the acceptance deadline, open past the "
        "conclusion deadline, or not followed up in time",
        where=_overdue,
        better="down",
    ),
)
BY_ID: dict[str, Kpi] = {k.id: k for k in KPIS}
DECLINE = Kpi(
    "decline_rate",
    "下降率",
    "Decline rate",
    "（上期数 − 本期数）÷ 上期数；上期可为上一周期或上年同期",
    "(previous − current) ÷ previous; previous is the period before or the same period last year",
    kind="decline",
    unit="percent",
    headline=False,
)


def get(kpi_id: str) -> Kpi:
    """The KPI with this id (a KeyError names an unknown one)."""
    return DECLINE if kpi_id == DECLINE.id else BY_ID[kpi_id]


def counted(scan: str | None = None) -> list[Kpi]:
    """The KPIs computed by SQL (count and sum), optionally of one scan."""
    return [k for k in KPIS if k.kind in ("count", "sum") and (scan is None or k.scan == scan)]


def predicate(kpi_id: str, today: date) -> ColumnElement[bool]:
    """The cases a count KPI counts; for a ratio, those its numerator counts."""
    kpi = BY_ID[kpi_id]
    if kpi.ratio is not None:
        return predicate(kpi.ratio[0], today)
    assert kpi.where is not None
    return kpi.where(today)


def aggregate(kpi: Kpi, today: date) -> ColumnElement[Any]:
    """The SQL aggregate of a count or sum KPI, labelled with its id."""
    assert kpi.where is not None
    if kpi.id == "received":
        return func.count().label(kpi.id)
    if kpi.kind == "sum":
        column = getattr(Case, kpi.summed or "")
        return func.coalesce(func.sum(column).filter(kpi.where(today)), 0).label(kpi.id)
    return func.count().filter(kpi.where(today)).label(kpi.id)


def ratio(numerator: float, denominator: float) -> float | None:
    """numerator ÷ denominator, or None when there is nothing to divide by."""
    return numerator / denominator if denominator else None


def decline_rate(previous: float, current: float) -> float | None:
    """(previous − current) ÷ previous: positive when the count fell; None without a previous count."""
    return (previous - current) / previous if previous else None


def values(raw: Mapping[str, float]) -> dict[str, float | None]:
    """Every KPI's value from the counted aggregates (ratios divided here, never averaged across groups)."""
    out: dict[str, float | None] = {k: float(raw.get(k, 0) or 0) for k in (x.id for x in counted())}
    for k in KPIS:
        if k.ratio is not None:
            out[k.id] = ratio(out[k.ratio[0]] or 0, out[k.ratio[1]] or 0)
    return out


def rounded(value: float | None, kpi: Kpi) -> float | int | None:
    """Counts as integers, rates and scores as fractions rounded to 4 places (the machine-readable form)."""
    if value is None:
        return None
    return int(value) if kpi.kind in ("count", "sum") else round(value, 4)
