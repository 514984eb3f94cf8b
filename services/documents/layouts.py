"""The shipped document templates as data: blocks of text with `{{placeholders}}`, laid out by
services/documents/templates.py into assets/templates/<kind>.docx (after the Ministry of Justice's
人民调解文书格式). Edit here, then run `python -m services.documents.templates` and commit both.

Blocks: ("title", text[, size]) · ("number", text) right-aligned reference line · ("heading", text) bold label ·
("para", text) indented body · ("plain", text) · ("right", text) · ("note", text) small print ·
("form", rows[, row height cm]) bordered label/value grid; a row is (label, value) or (label, value, label, value) ·
("table", headers, cells[, weights]) bordered table whose one body row repeats per list item ·
("sign", left, right) unbordered signature lines · ("gap",) an empty line.
"""

from __future__ import annotations

from typing import Any

Block = tuple[Any, ...]

PARTY_HEAD = ("当事人", "姓名", "性别", "公民身份号码", "联系电话", "住址")
PARTY_ROW = (
    "{{party.side}}",
    "{{party.name}}",
    "{{party.gender}}",
    "{{party.id_number}}",
    "{{party.phone}}",
    "{{party.address}}",
)
PARTY_SIGN = ("table", ("当事人", "签名（盖章或按指印）"), ("{{party.side}}　{{party.name}}", ""))
SEAL = [("right", "{{org_name}}（印）"), ("right", "{{signed_date}}")]

LAYOUTS: dict[str, list[Block]] = {
    "intake": [
        ("title", "人民调解受理登记表"),
        ("number", "编号：{{doc_no}}"),
        (
            "form",
            [
                ("调解组织", "{{org_name}}", "登记日期", "{{received_date}}"),
                ("纠纷类型", "{{category}}", "案件来源", "{{source}}"),
                ("受理日期", "{{accepted_date}}", "登记人", "{{registrar}}"),
            ],
        ),
        ("table", PARTY_HEAD, PARTY_ROW),
        (
            "form",
            [
                ("纠纷发生地点", "{{place}}"),
                ("涉及金额", "{{amount}}", "涉及人数", "{{group_size}}"),
                ("风险提示", "{{risk}}"),
                ("纠纷简要情况", "{{description}}"),
                ("当事人请求事项", "{{request}}"),
                ("受理意见", "{{decision}}"),
                ("承办调解员", "{{mediator_name}}"),
            ],
        ),
        ("sign", "登记人（签名）：", "{{org_name}}（印）"),
    ],
    "session": [
        ("title", "人民调解记录"),
        ("number", "编号：{{case_no}}　第{{session_no}}次调解（共{{session_count}}次）"),
        (
            "form",
            [
                ("调解时间", "{{held_at}}", "调解方式", "{{session_mode}}"),
                ("调解地点", "{{session_place}}", "时长", "{{duration}}"),
                ("纠纷类型", "{{category}}", "调解员", "{{mediator_name}}"),
                ("到场当事人", "{{attended}}"),
                ("参加人员", "{{participants}}"),
            ],
        ),
        ("heading", "调解情况："),
        ("para", "{{notes}}"),
        ("gap",),
        ("note", "以上记录经当事人阅读（或向其宣读）无误后签名。"),
        PARTY_SIGN,
        ("sign", "调解员（签名）：", "记录人（签名）：{{recorder}}"),
    ],
    "agreement": [
        ("title", "人民调解协议书"),
        ("number", "编号：{{doc_no}}"),
        ("table", PARTY_HEAD, PARTY_ROW),
        ("heading", "纠纷主要事实、争议事项："),
        ("para", "{{description}}"),
        ("heading", "经调解，当事人自愿达成如下协议："),
        ("para", "{{terms}}"),
        ("heading", "履行协议的方式、地点、期限："),
        ("para", "{{obligations}}"),
        ("para", "涉及金额：{{amount}}（大写：{{amount_upper}}）；履行期限：{{performance_due}}。"),
        (
            "para",
            "本协议经各方当事人签名（盖章或按指印）、人民调解员签名并加盖人民调解委员会印章后生效。"
            "当事人认为有必要的，可以自本协议生效之日起三十日内共同向人民法院申请司法确认。",
        ),
        ("para", "本协议一式{{copies}}份，当事人、人民调解委员会各持一份。"),
        PARTY_SIGN,
        ("sign", "人民调解员（签名）：", "记录人（签名）："),
        *SEAL,
    ],
    "oral_agreement": [
        ("title", "人民调解口头协议登记表"),
        ("number", "编号：{{doc_no}}"),
        (
            "form",
            [
                ("调解组织", "{{org_name}}", "协议日期", "{{signed_date}}"),
                ("纠纷类型", "{{category}}", "调解员", "{{mediator_name}}"),
            ],
        ),
        ("table", PARTY_HEAD, PARTY_ROW),
        (
            "form",
            [
                ("纠纷简要情况", "{{description}}"),
                ("口头协议内容", "{{terms}}"),
                ("履行方式", "{{obligations}}"),
                ("涉及金额", "{{amount}}", "履行期限", "{{performance_due}}"),
            ],
        ),
        ("note", "口头调解协议自各方当事人达成协议之日起生效。"),
        ("sign", "调解员（签名）：{{mediator_name}}", "登记人（签名）：{{recorder}}"),
    ],
    "performance_certificate": [
        ("title", "自动履行证明书"),
        ("number", "编号：{{doc_no}}"),
        ("plain", "{{party.summary}}"),
        (
            "para",
            "{{applicants}}与{{respondents}}{{category}}一案，经{{org_name}}主持调解，"
            "当事人于{{signed_date}}自愿达成调解协议（编号：{{case_no}}）。",
        ),
        (
            "para",
            "经核实，义务人已于{{performed_date}}按照调解协议的约定自动履行完毕全部义务"
            "（约定履行期限：{{performance_due}}；涉及金额：{{amount}}）。",
        ),
        ("para", "特此证明。"),
        ("gap",),
        ("right", "{{org_name}}（印）"),
        ("right", "{{performed_date}}"),
        ("note", "本证明书依据调解协议自动履行激励机制出具，可作为当事人诚信履约的证明。"),
    ],
    "followup": [
        ("title", "人民调解回访记录"),
        ("number", "编号：{{case_no}}　第{{followup_no}}次回访"),
        (
            "form",
            [
                ("回访日期", "{{followup_date}}", "回访方式", "{{followup_method}}"),
                ("回访人", "{{recorder}}", "调解员", "{{mediator_name}}"),
                ("当事人", "{{parties}}"),
                ("纠纷类型", "{{category}}", "协议日期", "{{signed_date}}"),
                ("协议内容", "{{terms}}"),
                ("履行情况", "{{performance}}", "协议是否得到遵守", "{{agreement_holds}}"),
                ("当事人满意度", "{{satisfaction}}"),
                ("回访情况", "{{followup_note}}"),
            ],
        ),
        ("sign", "回访人（签名）：{{recorder}}", "{{org_name}}"),
    ],
    "confirmation_application": [
        ("title", "司法确认申请书"),
        ("heading", "申请人："),
        ("plain", "{{party.summary}}"),
        ("heading", "请求事项："),
        (
            "para",
            "请求人民法院依法确认申请人于{{signed_date}}经{{org_name}}主持调解达成的人民调解协议"
            "（编号：{{case_no}}）有效。",
        ),
        ("heading", "事实与理由："),
        ("para", "{{description}}"),
        ("para", "经{{org_name}}主持调解，申请人自愿达成如下协议："),
        ("para", "{{terms}}"),
        ("para", "履行方式：{{obligations}}"),
        ("para", "履行期限：{{performance_due}}。"),
        (
            "para",
            "上述调解协议是申请人的真实意思表示，内容不违反法律、行政法规的强制性规定，不损害国家利益、"
            "社会公共利益和他人合法权益。申请人依照《中华人民共和国人民调解法》第三十三条的规定，"
            "自调解协议生效之日起三十日内共同申请司法确认。",
        ),
        ("heading", "申请人承诺："),
        ("para", "一、出于解决纠纷的目的自愿达成调解协议，没有恶意串通、规避法律的行为；"),
        ("para", "二、如果因为该协议内容而给他人造成损害的，愿意承担相应的民事责任和其他法律责任；"),
        ("para", "三、所提交的材料真实、合法。"),
        ("plain", "此致"),
        ("plain", "{{court_name}}"),
        ("note", "附：1. 人民调解协议书；2. 当事人身份信息；3. 证据材料清单及证据材料。"),
        ("table", ("申请人", "签名（盖章或按指印）"), ("{{party.side}}　{{party.name}}", "")),
        ("right", "{{applied_date}}"),
    ],
    "identity_sheet": [
        ("title", "当事人身份信息"),
        ("number", "案件编号：{{case_no}}"),
        ("plain", "案件名称：{{case_name}}"),
        ("table", PARTY_HEAD, PARTY_ROW),
        ("note", "本表由{{org_name}}依据调解档案填写，供{{court_name}}审查使用；当事人身份证明复印件附后。"),
        ("sign", "填表人（签名）：{{mediator_name}}", "{{org_name}}（印）"),
    ],
    "evidence_list": [
        ("title", "证据材料清单"),
        ("number", "案件编号：{{case_no}}"),
        ("plain", "案件名称：{{case_name}}　　共{{evidence_count}}份"),
        (
            "table",
            ("序号", "名称", "类型", "大小", "电子文件", "校验码"),
            ("{{item.no}}", "{{item.name}}", "{{item.note}}", "{{item.size}}", "{{item.file}}", "{{item.sha256}}"),
            (2, 6, 4, 3, 7, 6),
        ),
        ("note", "证据材料的电子文件随本清单提交；校验码为文件 SHA-256 摘要的前16位，用于核对文件未被改动。"),
        ("sign", "提交人（签名）：", "{{org_name}}（印）"),
    ],
    "dossier_cover": [
        ("gap",),
        ("gap",),
        ("gap",),
        ("title", "人民调解卷宗", 28),
        ("gap",),
        ("gap",),
        (
            "form",
            [
                ("调解组织", "{{org_name}}"),
                ("案件编号", "{{case_no}}"),
                ("案件名称", "{{case_name}}"),
                ("纠纷类型", "{{category}}"),
                ("当事人", "{{parties}}"),
                ("调解员", "{{mediator_name}}"),
                ("受理日期", "{{received_date}}"),
                ("结案日期", "{{concluded_date}}"),
                ("调解结果", "{{outcome}}"),
                ("司法确认", "{{confirmation}}"),
                ("立卷人", "{{archivist}}"),
                ("立卷日期", "{{archived_date}}"),
                ("卷内文件", "共{{file_count}}件"),
            ],
            1.2,
        ),
    ],
    "dossier_toc": [
        ("title", "卷内目录"),
        ("number", "案件编号：{{case_no}}"),
        (
            "table",
            ("序号", "文件名称", "日期", "电子文件", "备注"),
            ("{{entry.no}}", "{{entry.title}}", "{{entry.date}}", "{{entry.file}}", "{{entry.note}}"),
            (3, 11, 6, 12, 7),
        ),
        ("note", "本卷共{{file_count}}件，按上列顺序排列。"),
    ],
}

# Relative column widths of a table that names none, by number of columns.
COLUMN_WEIGHTS: dict[int, tuple[int, ...]] = {2: (2, 3), 6: (4, 3, 3, 8, 6, 7)}
