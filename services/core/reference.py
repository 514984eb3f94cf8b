"""Default reference data: dictionaries, subsidy rates, deadlines, rating scheme, checklist (all editable)."""

from __future__ import annotations

from datetime import date

CATEGORIES: list[tuple[str, str, str]] = [
    ("marriage_family", "婚姻家庭纠纷", "Marriage and family"),
    ("neighbour", "邻里纠纷", "Neighbours"),
    ("housing_land", "房屋宅基地纠纷", "Housing and homestead"),
    ("forest_land", "山林土地纠纷", "Forest and farmland"),
    ("contract", "合同纠纷", "Contract"),
    ("loan", "借贷纠纷", "Loans and debts"),
    ("business", "生产经营纠纷", "Production and business"),
    ("damages", "损害赔偿纠纷", "Compensation for damage"),
    ("labour", "劳动争议纠纷", "Labour (incl. unpaid migrant wages)"),
    ("medical", "医疗纠纷", "Medical"),
    ("traffic", "道路交通事故纠纷", "Road traffic accident"),
    ("land_acquisition", "征地拆迁纠纷", "Land acquisition and demolition"),
    ("environment", "环境污染纠纷", "Environmental pollution"),
    ("property_mgmt", "物业纠纷", "Property management"),
    ("consumer", "消费纠纷", "Consumer"),
    ("public_order", "治安案件民事赔偿", "Civil compensation in public-order cases"),
    ("criminal_reconciliation", "刑事和解", "Criminal reconciliation"),
    ("other", "其他纠纷", "Other"),
]
SECTOR_OF = {
    "medical": "medical",
    "labour": "labour",
    "traffic": "traffic",
    "marriage_family": "family",
    "property_mgmt": "property",
    "environment": "environment",
    "consumer": "consumer",
}

SOURCES: list[tuple[str, str, str]] = [
    ("qr", "扫码申请", "QR code (online)"),
    ("walk_in", "来访", "Walk-in"),
    ("phone", "来电", "Phone call"),
    ("dispatch_110", "110移交", "110 dispatch hand-over"),
    ("police_referral", "派出所移交", "Police-station referral"),
    ("court_entrust", "法院委托", "Court entrustment (pre-litigation)"),
    ("petition", "信访", "Petition office"),
    ("screening", "排查", "Screening visit"),
    ("on_the_spot", "随手调", "On-the-spot"),
]

GRADES: list[tuple[str, str, str]] = [
    ("simple", "简易", "Simple"),
    ("standard", "一般", "Standard"),
    ("complex", "复杂", "Complex"),
    ("major", "重大", "Major"),
]

REJECT_REASONS: list[tuple[str, str, str]] = [
    ("not_suitable", "不属于人民调解范围", "Not suitable for people's mediation"),
    ("duplicate", "重复申请", "Duplicate"),
    ("spam", "无效或骚扰信息", "Spam or abuse"),
    ("in_litigation", "已进入诉讼或仲裁程序", "Already in court or arbitration"),
]

DIVERSIONS: list[tuple[str, str, str]] = [
    ("litigation", "引导诉讼", "Litigation"),
    ("arbitration", "引导仲裁", "Arbitration"),
    ("administrative", "行政处理", "Administrative handling"),
    ("petition", "信访渠道", "Petition"),
]

RISK_FLAGS: list[tuple[str, str, str]] = [
    ("group", "群体性纠纷", "Group dispute"),
    ("violence", "有暴力倾向", "Threat of violence"),
    ("self_harm", "有自伤自杀风险", "Risk of self-harm"),
    ("escalation", "可能民转刑", "Risk of civil-to-criminal escalation"),
    ("petition_up", "可能越级上访", "Petition to higher levels"),
]

SUPERVISION_REASONS: list[tuple[str, str, str]] = [  # why a case is put under supervision (督办, issue 18)
    ("not_accepted", "应受理未受理", "Should have been accepted, was not"),
    ("not_handled", "应办理未办理", "Should have been handled, was not"),
    ("overdue", "超期未结", "Overdue, not concluded"),
    ("protracted", "久调不结", "Mediated for too long without result"),
    ("repeat_visits", "重复来访", "Repeated visits"),
    ("group", "群体性", "Group dispute"),
    ("assigned_above", "上级交办", "Assigned from above"),
]

DICTIONARIES: dict[str, list[tuple[str, str, str]]] = {
    "category": CATEGORIES,
    "source": SOURCES,
    "grade": GRADES,
    "reject_reason": REJECT_REASONS,
    "diversion": DIVERSIONS,
    "risk_flag": RISK_FLAGS,
    "supervision_reason": SUPERVISION_REASONS,
}

RATES_FROM = date(2020, 1, 1)
# (grade, org_kind or None, amount in fen)
SUBSIDY_RATES: list[tuple[str, str | None, int]] = [
    ("simple", None, 6_000),
    ("standard", None, 10_000),
    ("complex", None, 15_000),
    ("simple", "petition_room", 150_000),
    ("standard", "petition_room", 150_000),
    ("complex", "petition_room", 150_000),
]
AWARD_CAP_FEN = 200_000

DEADLINES = {"accept_days": 3, "conclude_days": 30, "followup_days": 15}
GROUP_DISPUTE_MIN_PEOPLE = 5

RATING_WEIGHTS = {
    "cases": 20,
    "success_rate": 25,
    "performance_rate": 15,
    "confirmation_rate": 10,
    "satisfaction": 15,
    "training": 10,
    "complaints": 5,
}
RATING_THRESHOLDS = {"5": 90, "4": 80, "3": 70, "2": 60}
RATING_MIN_CASES = 5

CHECKLIST: list[tuple[str, str, str]] = [
    ("unified_name", "名称统一", "Unified name"),
    ("sign", "标牌统一", "Sign"),
    ("seal", "印章统一", "Seal"),
    ("documents", "文书统一", "Standard documents"),
    ("ledgers", "台账规范", "Ledgers kept"),
    ("premises", "场所固定", "Fixed premises"),
    ("pub_org", "公开调解组织", "Organisation published"),
    ("pub_rules", "公开调解制度", "Rules published"),
    ("pub_mediators", "公开调解员名单", "Mediator list published"),
    ("pub_process", "公开调解流程", "Process published"),
    ("pub_rights", "公开当事人权利义务", "Parties' rights published"),
    ("pub_phone", "公开监督电话", "Supervision phone published"),
]
