"""De-identification of free text: names by surname, and every phone, ID, address, plate and e-mail."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from services.privacy.redact import Person, leaks, pseudonyms, redact_text, surname

PEOPLE = [Person("张三丰", "四川省江安县红桥镇东村3组12号"), Person("李四"), Person("张伟"), Person("欧阳娜娜")]
PHONE_11 = re.compile(r"1[3-9]\d{9}")
ID_18 = re.compile(r"\d{17}[\dXx]")


def test_redact_text_names_by_surname_everywhere():
    out = redact_text("张三丰与李四争吵，三丰说张伟和欧阳娜娜都在场，娜娜作证。张 三 丰后来道歉。", PEOPLE)
    assert "三丰" not in out and "李四" not in out and "娜娜" not in out and "张伟" not in out
    assert "张某" in out and "李某" in out and "欧阳某" in out and "张某某" in out


def test_redact_text_numbers_every_occurrence():
    text = (
        "电话13812345678，又打138 1234 5678和+86-139-0000-1111，座机0831-1234567、(0831)7654321；"
        "身份证511523199001011234、51152319900101123x、旧证511523900101123；１３８１２３４５６７８。"
    )
    out = redact_text(text, PEOPLE)
    assert not re.search(r"\d{7,}", out.replace(" ", "").replace("-", ""))
    assert leaks(out) == []


def test_redact_text_addresses_plates_emails():
    text = "张三丰住红桥镇东村3组12号，李四住人民路15号阳光小区3栋2单元501室，车牌川Q·12345和川QA1234，邮箱zs@qq.com。"
    out = redact_text(text, PEOPLE)
    for bad in ("东村", "3组", "人民路", "阳光小区", "501", "12345", "A1234", "qq.com"):
        assert bad not in out
    assert "红桥镇东村3组12号" not in redact_text("地址：江安县红桥镇东村3组12号", PEOPLE)


def test_redact_text_keeps_dates_and_amounts():
    out = redact_text("2026-03-05达成协议，赔偿2000元。", PEOPLE)
    assert "2026-03-05" in out and "2000元" in out


def test_pseudonyms_distinguish_same_surname():
    names = pseudonyms([Person("王一二"), Person("王三四"), Person("司马光明")])
    assert names == {"王一二": "王某", "王三四": "王某某", "司马光明": "司马某"}
    assert surname("欧阳娜娜") == "欧阳"


digits = st.text(alphabet="0123456789", min_size=9, max_size=9)
seps = st.sampled_from(["", " ", "-", "\u200b", "·"])
filler = st.text(alphabet="的了在和与因为纠纷调解协议赔偿邻居，。、：", max_size=12)


@settings(max_examples=150, deadline=None)
@given(prefix=filler, suffix=filler, body=digits, sep=seps, second=st.sampled_from("3456789"))
def test_redact_text_hostile_mobiles(prefix: str, suffix: str, body: str, sep: str, second: str):
    phone = "1" + second + body
    spaced = sep.join([phone[:3], phone[3:7], phone[7:]])
    out = redact_text(f"{prefix}{spaced}{suffix}{phone}", [])
    assert phone not in out.replace(" ", "").replace("-", "").replace("·", "")
    assert not PHONE_11.search(out)


@settings(max_examples=150, deadline=None)
@given(
    prefix=filler,
    body=st.text(alphabet="0123456789", min_size=17, max_size=17),
    last=st.sampled_from(list("0123456789Xx")),
    wide=st.booleans(),
)
def test_redact_text_hostile_ids(prefix: str, body: str, last: str, wide: bool):
    idn = body + last
    shown = "".join(chr(ord(c) + 0xFEE0) for c in idn) if wide else idn  # full-width look-alikes
    out = redact_text(f"{prefix}身份证号{shown}，{prefix}", [])
    assert not ID_18.search(out) and body[:15] not in out


@settings(max_examples=100, deadline=None)
@given(given_name=st.text(alphabet="淼鑫垚焱犇骉晶磊森", min_size=2, max_size=2), prefix=filler, suffix=filler)
def test_redact_text_hostile_names(given_name: str, prefix: str, suffix: str):
    name = "钱" + given_name
    out = redact_text(f"{prefix}{name}{suffix}{given_name}。{' '.join(name)}", [Person(name)])
    assert given_name not in out and name not in out
