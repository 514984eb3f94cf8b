"""The payout sheet (补贴发放表) as xlsx in the finance office's layout: Chinese headers, yuan with two decimals."""

from __future__ import annotations

from decimal import Decimal
from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.worksheet.worksheet import Worksheet
from sqlmodel import Session

from services.access.authz import Actor
from services.core import clock
from services.core.reference import GRADES
from services.ledger.payout import BatchSummary, batch_summary

YUAN = "#,##0.00"
KIND_ZH = {"subsidy": "个案补贴", "award": "一事一奖"}
GRADE_ZH = {code: zh for code, zh, _ in GRADES}
THIN = Side(style="thin")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
SUMMARY_HEADERS = (
    "序号",
    "调解员",
    "所属调解组织",
    "案件数",
    "个案补贴（元）",
    "一事一奖（元）",
    "合计（元）",
    "领款人签字",
)
DETAIL_HEADERS = ("序号", "案件编号", "调解员", "所属调解组织", "补贴类别", "难度等级", "金额（元）")
ORG_HEADERS = ("序号", "调解组织", "案件数", "金额（元）")


def yuan(fen: int) -> Decimal:
    """Exact yuan from integer fen (no float on the way)."""
    return Decimal(fen) / 100


def safe_text(value: str) -> str:
    """Text that a spreadsheet will not run as a formula (CSV/Excel injection)."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _table(
    ws: Worksheet,
    title: str,
    subtitle: str,
    headers: tuple[str, ...],
    rows: list[list[object]],
    money_cols: set[int],
    total: list[object],
) -> None:
    ws.append([title])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(headers))
    ws["A1"].font = Font(bold=True, size=14)
    ws["A1"].alignment = Alignment(horizontal="center")
    ws.append([subtitle])
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=len(headers))
    ws.append(list(headers))
    for row in [*rows, total]:
        ws.append([safe_text(v) if isinstance(v, str) else v for v in row])
    for r in ws.iter_rows(min_row=3, max_row=ws.max_row, max_col=len(headers)):
        for cell in r:
            cell.border = BOX
            if cell.row == 3 or cell.row == ws.max_row:
                cell.font = Font(bold=True)
            if cell.column in money_cols and cell.row > 3:
                cell.number_format = YUAN
    for i, width in enumerate((6, 14, 22, 10, 14, 14, 14, 14)[: len(headers)], start=1):
        ws.column_dimensions[chr(64 + i)].width = width
    ws.freeze_panes = "A4"


def build_workbook(summary: BatchSummary) -> Workbook:
    """Three sheets: per mediator (with a signature column), every claim, and per organisation."""
    wb = Workbook()
    paid = clock.format_local_date(summary.paid_at) or "未发放"
    subtitle = f"批次号：{summary.code}　发放日期：{paid}　单位：元"
    payees = summary.payees()
    ws = wb.active
    ws.title = "发放汇总"
    rows: list[list[object]] = [
        [i, p.mediator_name, p.org_name, p.cases, yuan(p.subsidy_fen), yuan(p.award_fen), yuan(p.total_fen), ""]
        for i, p in enumerate(payees, start=1)
    ]
    total = [
        "合计",
        "",
        "",
        sum(p.cases for p in payees),
        yuan(sum(p.subsidy_fen for p in payees)),
        yuan(sum(p.award_fen for p in payees)),
        yuan(summary.total_fen),
        "",
    ]
    _table(ws, f"{summary.region_name}人民调解补贴发放表", subtitle, SUMMARY_HEADERS, rows, {5, 6, 7}, total)
    ws.append([])
    ws.append(["制表人：", "", "审核人：", "", "负责人：", "", "日期："])

    detail = wb.create_sheet("发放明细")
    lines = [
        [
            i,
            ln.case_no,
            ln.mediator_name,
            ln.org_name,
            KIND_ZH.get(ln.kind, ln.kind),
            GRADE_ZH.get(ln.grade, ln.grade),
            yuan(ln.amount_fen),
        ]
        for i, ln in enumerate(summary.lines, start=1)
    ]
    _table(
        detail,
        "补贴发放明细",
        subtitle,
        DETAIL_HEADERS,
        lines,
        {7},
        ["合计", "", "", "", f"{len(lines)} 件", "", yuan(summary.total_fen)],
    )

    orgs = wb.create_sheet("按组织汇总")
    org_rows: list[list[object]] = [[i, name, n, yuan(fen)] for i, (name, n, fen) in enumerate(summary.orgs(), 1)]
    _table(
        orgs,
        "按调解组织汇总",
        subtitle,
        ORG_HEADERS,
        org_rows,
        {4},
        ["合计", "", sum(n for _, n, _ in summary.orgs()), yuan(summary.total_fen)],
    )
    return wb


def payout_workbook(session: Session, *, actor: Actor, batch_id: int) -> bytes:
    """The payout sheet of a batch as xlsx bytes."""
    summary = batch_summary(session, actor=actor, batch_id=batch_id)
    buffer = BytesIO()
    build_workbook(summary).save(buffer)
    return buffer.getvalue()
