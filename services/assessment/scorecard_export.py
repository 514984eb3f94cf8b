"""The assessment table an office hands in (目标考核得分表), as xlsx: one sheet per unit kind, units by rank, each
indicator's points, the total, and whether it is published; a second part per unit lists value, target, points."""

from __future__ import annotations

from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from sqlmodel import Session, select

from models import Scorecard
from services.access.authz import Actor
from services.assessment.schemes import indicators_of, scheme_in_area
from services.assessment.scorecards import ranking
from services.ledger.sheet import safe_text

THIN = Side(style="thin")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
KIND_ZH = {
    "town": "乡镇（街道）",
    "village_committee": "村（居）调委会",
    "police_station": "派出所",
    "justice_office": "司法所",
    "court": "人民法庭",
    "coordination": "综治中心",
    "county": "区县",
}
STATUS_ZH = {"computed": "已计算", "reviewed": "已审核", "published": "已公布"}


def export_xlsx(session: Session, *, actor: Actor, scheme_id: int) -> bytes:
    """The scheme's ranked tables (published figures; a unit never published shows its latest computation)."""
    scheme = scheme_in_area(session, actor, scheme_id)
    inds = indicators_of(scheme)
    cards = {c.id: c for c in session.exec(select(Scorecard).where(Scorecard.scheme_id == scheme.id)).all()}
    wb = Workbook()
    wb.remove(wb.active)
    for kind, rows in ranking(session, actor=actor, scheme_id=scheme_id).items():
        ws = wb.create_sheet(KIND_ZH.get(kind, kind)[:30])
        headers = ["名次", "单位", *[f"{i.label}（{i.weight:g}分）" for i in inds], "总分", "状态"]
        ws.append([safe_text(f"{scheme.name}（{scheme.period}，第{scheme.version}版）")])
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(headers))
        ws.cell(1, 1).font = Font(bold=True, size=14)
        ws.cell(1, 1).alignment = Alignment(horizontal="center")
        ws.append(headers)
        for row in rows:
            card = cards[row.card_id]
            lines = {x["key"]: x for x in (card.published_lines if row.total is not None else card.lines)}
            ws.append(
                [
                    row.rank if row.rank is not None else "—",
                    safe_text(row.org_name),
                    *[float(lines[i.key]["points"]) if i.key in lines else None for i in inds],
                    row.total if row.total is not None else row.latest,
                    STATUS_ZH.get("published" if row.total is not None else row.status, row.status),
                ]
            )
        for r in ws.iter_rows(min_row=2, max_row=ws.max_row):
            for c in r:
                c.border = BOX
        for c in ws[2]:
            c.font = Font(bold=True)
            c.alignment = Alignment(wrap_text=True, horizontal="center")
        ws.column_dimensions["B"].width = 22
    if not wb.sheetnames:
        wb.create_sheet("考核")
    buf = BytesIO()
    wb.save(buf)
    return buf.getvalue()
