"""AppTest of the public intake pages, /track, the staff queue and posters: messages, results, hostile text."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import col, select
from streamlit.runtime.scriptrunner_utils.exceptions import RerunException
from streamlit.runtime.scriptrunner_utils.script_requests import RerunData
from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

from models import Case, FormSpec, Organisation, Party
from models.base import utc_now
from services.cases.workflow import transition
from services.core.config import Limit
from services.intake import pipeline as intake
from services.intake import queue as intake_queue
from services.intake import tracking
from services.intake.form import RESUME_WINDOW, IntakeForm, issue_form_token, resumable
from services.intake.pipeline import IntakeSettings, submit_intake
from tests.factories import make_actor, make_tree, make_user
from tests.pages.conftest import page_text

INTAKE, TRACK, QUEUE = "pages/public/intake.py", "pages/public/track.py", "pages/staff/intake_queue.py"
DIRECTORY, POSTERS = "pages/public/intake_directory.py", "pages/staff/posters.py"
MARKUP_KINDS = ("title", "header", "subheader", "markdown", "caption", "info", "warning", "error", "success")

# INP-1: script tags, SQL, bidi and zero-width characters, formulas, paths, markdown, overlong text.
HOSTILE: list[str] = [
    "<script>alert('x')</script>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "javascript:alert(document.cookie)",
    "[点我](javascript:alert(1))",
    "![](http://evil.example/p.png)",
    '<iframe src="http://evil.example"></iframe>',
    "**粗体** _斜体_ `代码` ~~删除~~",
    ":red[红色] :material/home: $x^2$",
    "<b onmouseover=alert(1)>悬停</b>",
    '"><script>alert(1)</script>',
    "{{7*7}} ${7*7} <%= 7*7 %>",
    "' OR 1=1--",
    '\'); DROP TABLE "case";--',
    "1; SELECT pg_sleep(5)",
    "张三' AND '1'='1",
    "\\'; exec xp_cmdshell('dir')--",
    "\u202e正常文本反转",
    "零\u200b宽\u200c字\u200d符\ufeff",
    "组合 e\u0301\u0301\u0301",
    "ｆｕｌｌ－ｗｉｄｔｈ １２３",
    "👨\u200d👩\u200d👧 家庭",
    "𠀀𠀁𠀂 扩展B",
    "\x00NUL字符",
    "\u2066隔离\u2069 \u202a嵌入\u202c",
    "ＡＢＣ\u3000全角空格",
    "Ω≈ç√∫ µ≤≥÷",
    "长" * 10_000,
    "x" * 100_000,
    "a" * 5000,
    "=1+1",
    "+SUM(A1:A2)",
    "-2+3",
    "@SUM(1,1)",
    "\t=cmd|' /C calc'!A0",
    '=HYPERLINK("http://evil.example","点击")',
    "../../etc/passwd",
    "..\\..\\windows\\win.ini",
    "file:///etc/passwd",
    "\r\n换行\r\n注入",
    "第一行\n第二行",
    "# 标题\n- 列表\n> 引用",
    "<!-- 注释 -->",
    "&lt;script&gt; &amp; &#x3C;",
    "%00%0d%0a",
    "None",
    "A" * 51,
    "\u0000\u001b[31m红\u001b[0m",
    "<style>body{display:none}</style>",
    "data:text/html;base64,PHNjcmlwdD4=",
]
TEXT_FIELDS = {  # widget key → form field, and whether the field keeps line breaks
    "intake.applicant_name": ("applicant_name", False),
    "intake.description": ("description", True),
    "intake.place": ("place", False),
    "intake.request": ("request", True),
    "intake.respondent_name": ("respondent_name", False),
    "intake.respondent_address": ("respondent_address", False),
}


@pytest.fixture
def tree(db, monkeypatch):
    monkeypatch.setenv("MEDIATION_INTAKE_MIN_SECONDS", "0")
    monkeypatch.setenv("MEDIATION_INTAKE_CLIENT_LIMIT", "1000/600")
    with db.write() as s:
        return make_tree(s)


def open_intake(make_app, code="V1", token=None, **kw):
    at = make_app(query=({"org": code} if code is not None else {}) | ({"t": token} if token else {}), **kw)
    at.run()
    at.switch_page(INTAKE).run()
    assert not at.exception
    return at


def fill(at, **values):
    defaults = {
        "intake.applicant_name": "张三",
        "intake.applicant_phone": "13812345678",
        "intake.description": "邻居家排水沟堵塞，雨水流进我家院子。",
    }
    for key, value in {**defaults, **values}.items():
        widget = at.text_area(key=key) if key in ("intake.description", "intake.request") else at.text_input(key=key)
        widget.input(value)
    at.checkbox(key="intake.consent").check()
    return at


def markup(at) -> list[str]:
    return [str(e.value) for kind in MARKUP_KINDS for e in getattr(at, kind)]


def test_intake_unknown_or_missing_code_shows_the_directory(db, tree, make_app):
    with db.write() as s:
        s.get(Organisation, tree["v2"].id).active = False
    for code, expected in (
        ("NOPE", "找不到编号为“NOPE”的调解组织"),
        ("V2", "找不到编号为“V2”"),
        ("CT1", "找不到编号为“CT1”"),
        (None, "请扫描调解组织张贴的二维码"),
    ):
        at = open_intake(make_app, code)
        text = page_text(at)
        assert expected in text and "选择调解组织" in text and "Traceback" not in text
        assert "东村调委会" in [link.label for link in at.get("page_link")]
        assert "intake.applicant_name" not in [w.key for w in at.text_input]


def test_intake_shows_a_message_under_each_wrong_field(db, tree, make_app):
    at = open_intake(make_app)
    assert "东村调委会" in page_text(at) and "红桥镇东村村委会" in page_text(at)
    at.text_input(key="intake.applicant_phone").input("12345")
    at.text_input(key="intake.applicant_id").input("110105194912310021")
    at.button(key="intake.submit").click().run()
    errors = [e.value for e in at.error]
    assert errors.count("请填写此项。") == 2  # name, what happened
    for message in (
        "手机号码格式不正确（11位，以1开头）。",
        "身份证号码不正确，请核对（18位，含校验位）。",
        "请阅读并勾选同意个人信息处理说明。",
        "有 5 处需要修改，请查看上面的红色提示。",
    ):
        assert message in errors
    assert at.text_input(key="intake.applicant_phone").value == "12345"  # nothing typed is lost
    with db.read() as s:
        assert s.exec(select(Case)).first() is None


def test_intake_submit_shows_code_once_for_double_tap_and_rerun(db, tree, make_app):
    at = fill(open_intake(make_app))
    at.button(key="intake.submit").click().run()
    code = at.metric[0].value
    assert len(code) == 14 and "申请已提交。" in page_text(at)
    at.run()  # a rerun (or the second tap arriving) shows the same result and files nothing new
    assert at.metric[0].value == code
    at.switch_page(TRACK).run()  # away and back: the result is still there, not a fresh form
    at.switch_page(INTAKE).run()
    assert at.metric[0].value == code
    with db.read() as s:
        cases = s.exec(select(Case)).all()
    assert len(cases) == 1 and cases[0].tracking_code == code.replace("-", "")
    at.button(key="intake.another").click().run()
    assert at.text_input(key="intake.applicant_name").value == "" and not at.metric


@pytest.mark.parametrize("stop_after", ["saving", "before saving"])
def test_a_rerun_arriving_while_sending_loses_nothing(db, tree, make_app, monkeypatch, stop_after):
    """Streamlit checks for a pending rerun at every session-state access: a second tap (or, before the cookie
    moved to the server, the cookie component's first value) arriving while the case is saved stops the script
    after the row is written and before the page keeps the result (LOAD-2 on a loaded machine: 20 rows, 19 codes
    shown). The page finds the result by its form token instead; and a stop before saving leaves the form as
    typed, nothing filed."""
    real = intake.submit_intake

    def interrupted(*args, **kwargs):
        if stop_after == "saving":
            real(*args, **kwargs)
        ctx = get_script_run_ctx()  # the pending rerun is of this page, with no click in it
        raise RerunException(RerunData(query_string=ctx.query_string, page_script_hash=ctx.page_script_hash))

    monkeypatch.setattr(intake, "submit_intake", interrupted)
    at = fill(open_intake(make_app))
    at.button(key="intake.submit").click().run()
    assert not at.exception
    with db.read() as s:
        filed = s.exec(select(Case)).all()
    if stop_after == "saving":
        assert len(filed) == 1 and at.metric[0].value == tracking.format_code(filed[0].tracking_code or "")
    else:
        assert filed == [] and not at.metric and at.text_input(key="intake.applicant_name").value == "张三"


def test_a_session_lost_after_sending_shows_the_result_again_from_the_address(db, tree, make_app):
    """A phone whose connection (and Streamlit session) dropped while the case was filed comes back with a new
    session and only its address: the form token kept there brings back the same tracking code, not a new form."""
    at = fill(open_intake(make_app))
    token = at.query_params["t"][0] if isinstance(at.query_params["t"], list) else at.query_params["t"]
    at.button(key="intake.submit").click().run()
    code = at.metric[0].value
    fresh = open_intake(make_app, token=token)
    assert fresh.metric[0].value == code and "申请已提交。" in page_text(fresh)
    forged = open_intake(make_app, token=token[:-2] + "xx")
    assert not forged.metric and forged.query_params["t"] != token  # a forged token: a new form, a new token
    with db.read() as s:
        assert len(s.exec(select(Case)).all()) == 1
    fresh.button(key="intake.another").click().run()  # "send another" forgets the old token
    assert not fresh.metric and "t" in fresh.query_params and fresh.query_params["t"] != token


def test_an_old_form_address_gets_a_new_form(db, tree, make_app):
    """Past the resume window a kept address is a new form: a reopened or shared link shows no earlier result."""
    at = fill(open_intake(make_app, token=issue_form_token(utc_now() - timedelta(minutes=50))))
    at.button(key="intake.submit").click().run()
    token = at.query_params["t"]
    token = token[0] if isinstance(token, list) else token
    assert at.metric and resumable(token) and not resumable(token, utc_now() + timedelta(minutes=11))
    old = open_intake(make_app, token=issue_form_token(utc_now() - RESUME_WINDOW - timedelta(minutes=1)))
    assert not old.metric and "intake.applicant_name" in [w.key for w in old.text_input]


def test_intake_english(db, tree, make_app):
    at = open_intake(make_app, lang="en")
    assert "Apply for mediation" in page_text(at)
    assert "Send application" in [b.label for b in at.button]


def test_intake_renders_and_stores_custom_fields(db, tree, make_app):
    with db.write() as s:
        s.add(
            FormSpec(
                code="intake",
                version=2,
                title_zh="扫码申请表",
                title_en="Intake",
                fields=[
                    {
                        "key": "households",
                        "type": "number",
                        "label_zh": "涉及户数",
                        "label_en": "Households",
                        "required": True,
                    },
                    {
                        "key": "village",
                        "type": "choice",
                        "label_zh": "所在村组",
                        "label_en": "Group",
                        "options": [{"code": "g1", "label_zh": "一组", "label_en": "Group 1"}],
                    },
                    {"key": "urgent", "type": "yes_no", "label_zh": "是否紧急", "label_en": "Urgent"},
                ],
            )
        )
    at = fill(open_intake(make_app))
    at.button(key="intake.submit").click().run()
    assert "请填写此项。" in [e.value for e in at.error]
    at.number_input(key="intake.custom.households").set_value(3)
    at.selectbox(key="intake.custom.village").select("g1")
    at.radio(key="intake.custom.urgent").set_value("yes")
    at.button(key="intake.submit").click().run()
    assert not at.exception and at.metric
    with db.read() as s:
        assert s.exec(select(Case.custom)).one() == {"households": 3, "village": "g1", "urgent": True}


@pytest.mark.slow
def test_hostile_strings_are_stored_exactly_or_refused_and_shown_as_text(db, tree, make_app):
    limits = {
        "applicant_name": 50,
        "respondent_name": 50,
        "description": 5000,
        "request": 2000,
        "place": 200,
        "respondent_address": 200,
    }
    at = open_intake(make_app)
    stored: list[tuple[int, str]] = []
    for i, payload in enumerate(HOSTILE):
        fill(at, **dict.fromkeys(TEXT_FIELDS, payload), **{"intake.applicant_phone": f"1380000{i:04d}"})
        at.button(key="intake.submit").click().run()
        assert not at.exception, (i, at.exception)
        expect = {}
        for field, multiline in TEXT_FIELDS.values():
            value = payload if multiline else payload.strip()
            bad = any((ord(ch) < 32 and ch not in "\t\n\r") or ord(ch) == 127 for ch in value) or (
                not multiline and any(ch in value for ch in "\t\n\r")
            )
            expect[field] = None if bad or len(value) > limits[field] else value
        refused = {f for f, v in expect.items() if v is None}
        if refused:
            errors = [e.value for e in at.error]
            assert len(errors) == len(refused) + 1, (i, errors)  # one message per refused field + the summary
            assert not at.metric
            continue
        assert at.metric, (i, [e.value for e in at.error])
        with db.read() as s:
            case = s.exec(select(Case).order_by(col(Case.id).desc())).first()
            parties = {p.side: p for p in s.exec(select(Party).where(Party.case_id == case.id)).all()}
        got = {
            "applicant_name": parties["applicant"].name,
            "description": case.description,
            "place": case.place,
            "request": case.request,
            "respondent_name": parties["respondent"].name,
            "respondent_address": parties["respondent"].address,
        }
        assert got == {f: ("" if not v.strip() else v) for f, v in expect.items()}, i
        stored.append((case.id, payload))
        at.button(key="intake.another").click().run()
    assert len(stored) >= 35  # most payloads are kept as typed; the rest were refused above

    # every view of them renders text, never markdown or HTML
    with db.write() as s:
        user = make_user(s, tree["v1"], ["mediator"])
    staff = make_app(user=user)
    staff.run()
    staff.switch_page(QUEUE).run()
    for case_id, payload in stored[:12]:
        staff.session_state["intake_queue.selected"] = case_id
        staff.run()
        assert not staff.exception
        texts = [t.value for t in staff.text]
        assert payload in texts or payload.strip() in texts
        if len(payload.strip()) > 3:
            assert all(payload.strip() not in m for m in markup(staff)), payload


def test_hostile_strings_in_phone_and_id_fields_are_refused(db, tree, make_app):
    at = open_intake(make_app)
    for payload in HOSTILE[:20]:
        fill(
            at,
            **{"intake.applicant_phone": payload, "intake.applicant_id": payload, "intake.respondent_phone": payload},
        )
        at.button(key="intake.submit").click().run()
        errors = [e.value for e in at.error]
        assert errors.count("手机号码格式不正确（11位，以1开头）。") == 2 and not at.metric, payload
    with db.read() as s:
        assert s.exec(select(Case)).first() is None


def _submitted_case(db, *, phone="13812345678", text="邻居家排水沟堵塞，雨水流进我家院子"):
    form = IntakeForm(
        org_code="V1",
        form_token=issue_form_token(utc_now() - timedelta(seconds=30)),
        applicant_name="张三",
        applicant_phone=phone,
        description=text,
        consent=True,
    )
    return submit_intake(db, form, client="c", settings=IntakeSettings(0, Limit(1000, 600), Limit(1000, 3600)))


def test_track_page_status_errors_and_advice_as_text(db, tree, make_app):
    result = _submitted_case(db)
    at = make_app(query={"code": result.tracking_code.lower()})
    at.run()
    at.switch_page(TRACK).run()
    assert at.text_input(key="track.code").value == result.tracking_code  # prefilled from the QR link
    at.text_input(key="track.last4").input("0000")
    at.button(key="track.submit").click().run()
    assert "查询码或手机号码后四位不正确，请核对后再试。" in [e.value for e in at.error]
    at.text_input(key="track.last4").input("5678")
    at.button(key="track.submit").click().run()
    text = page_text(at)
    assert "待受理" in text and "东村调委会" in [t.value for t in at.text] and "张三" not in text
    with db.write() as s:
        actor = make_actor(s, tree["v1"], ["mediator"])
        intake_queue.reject(
            s,
            actor=actor,
            case_id=result.case_id,
            reason="not_suitable",
            advice="![x](http://evil.example/p.png) <script>alert(1)</script>",
        )
    at.button(key="track.submit").click().run()
    assert "![x](http://evil.example/p.png) <script>alert(1)</script>" in [t.value for t in at.text]
    assert all("evil.example" not in m for m in markup(at))
    assert "不予受理。理由：不属于人民调解范围" in page_text(at)


def test_track_page_rating_once_after_closing(db, tree, make_app):
    result = _submitted_case(db)
    with db.write() as s:
        actor = make_actor(s, tree["v1"], ["mediator"])
        transition(s, actor=actor, case_id=result.case_id, action="accept")
        transition(s, actor=actor, case_id=result.case_id, action="withdraw")
    at = make_app()
    at.run()
    at.switch_page(TRACK).run()
    at.text_input(key="track.code").input(result.tracking_code)
    at.text_input(key="track.last4").input("5678")
    at.button(key="track.submit").click().run()
    at.button(key="track.rate").click().run()
    assert "请选择1到5颗星。" in [e.value for e in at.error]
    at.feedback(key="track.stars").set_value(4)
    at.text_area(key="track.comment").input("调解员很耐心")
    at.button(key="track.rate").click().run()
    assert not at.exception and "感谢您的评价。" in page_text(at)
    assert "track.rate" not in [b.key for b in at.button]


def test_intake_queue_page_lists_and_accepts(db, tree, make_app):
    first = _submitted_case(db)
    _submitted_case(db, phone="13900001111", text="优惠 http://a.example 和 www.b.example")  # quarantined
    with db.write() as s:
        user = make_user(s, tree["v1"], ["mediator"])
    at = make_app(user=user)
    at.run()
    at.switch_page(QUEUE).run()
    assert not at.exception
    text = page_text(at)
    assert "待受理申请" in text and r"张某 138\*\*\*\*5678" in text and "13812345678" not in text
    assert list(at.segmented_control(key="intake_queue.view").options) == ["新申请 1", "疑似无效 1"]
    at.button(key=f"intake_queue.open.{first.case_id}").click().run()
    assert "邻居家排水沟堵塞，雨水流进我家院子" in [t.value for t in at.text]
    at.button(key="intake_queue.do_accept").click().run()
    assert not at.exception and "已受理。" in page_text(at)
    with db.read() as s:
        assert s.get(Case, first.case_id).status == "accepted"


def test_intake_queue_page_refuses_other_roles(db, tree, make_app):
    with db.write() as s:
        user = make_user(s, tree["police"], ["police"])
    at = make_app(user=user)
    at.run()
    with pytest.raises(ValueError):  # not registered for this role
        at.switch_page(QUEUE)


def test_posters_page_renders_preview_and_downloads(db, tree, make_app):
    with db.write() as s:
        user = make_user(s, tree["v1"], ["mediator"])
    at = make_app(user=user)
    at.run()
    at.switch_page(POSTERS).run()
    assert not at.exception
    assert [b.key for b in at.get("download_button")] == ["posters.png", "posters.pdf", "posters.county"]
    assert at.selectbox(key="posters.org").options[:1] == ["东村调委会 (V1)"]
    assert "/intake?org=V1" in " ".join(t.value for t in at.text)


def test_directory_page_search(db, tree, make_app):
    at = make_app()
    at.run()
    at.switch_page(DIRECTORY).run()
    labels = [link.label for link in at.get("page_link")]
    assert "东村调委会" in labels and "红桥派出所调解室" in labels
    at.text_input(key="directory.search").input("西村").run()
    assert [link.label for link in at.get("page_link")] == ["西村调委会"]


def test_home_links_to_apply_and_track(db, tree, make_app):
    at = make_app()
    at.run()
    labels = [link.label for link in at.get("page_link")]
    assert "申请调解" in labels and "查询进度" in labels
    assert intake.INTAKE_KINDS  # the registry and services agree on what takes public intake
