"""What de-identification missed when tried (issue 23): a non-party's name in the narrative, WeChat and QQ ids,
e-mail addresses, bank-card numbers and car plates — and ordinary words that must stay as written."""

from __future__ import annotations

import pytest

from services.privacy.patterns import luhn, other_names
from services.privacy.redact import CARD, PLATE, QQ, WECHAT, Person, leaks, marked_segments, masked, redact, redact_text

PARTIES = [Person("张三丰", "红桥镇东村3组12号"), Person("李四")]


def test_redact_text_hides_a_neighbours_name_in_the_narrative():
    story = "张三丰与李四争执时，邻居王建国说他亲眼看见了；后来王建国又到村委会作证，建国说得很清楚。"
    out = redact_text(story, PARTIES)
    assert "王建国" not in out and "建国" not in out
    assert "邻居王某说" in out and "张某" in out and "李某" in out


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("证人李秀英、王芳作证", ["李秀英", "王芳"]),
        ("包工头刘德华拖欠工资", ["刘德华"]),
        ("其丈夫陈志强和儿子陈小明到场", ["陈志强", "陈小明"]),
        ("对方名叫欧阳娜娜", ["欧阳娜娜"]),
        ("村干部与房东赵丽说明情况", ["赵丽"]),
    ],
)
def test_find_other_names_after_relation_words(text: str, names: list[str]):
    assert other_names(text) == names
    out = redact_text(text)
    assert not any(n in out for n in names)


@pytest.mark.parametrize(
    "text",
    [
        "邻居关系紧张，村长高度重视",
        "组长陈述了事情经过",
        "邻居曾经多次协商",
        "邻居们都来了，朋友介绍了情况",
        "双方邻居于是达成协议",
        "证人证言一致，村民代表到场",
        "邻居王某说他看见了",
        "邻居向村委会反映，丈夫许诺还钱",
        "邻居于今年搬走，邻居向他借钱",
    ],
)
def test_redact_text_keeps_ordinary_words_after_relation_words(text: str):
    assert other_names(text) == []
    assert redact_text(text) == text


@pytest.mark.parametrize(
    ("text", "secret", "label"),
    [
        ("加我微信号zhangsan_88联系", "zhangsan_88", WECHAT),
        ("微信：wxid_abc123xyz", "wxid_abc123xyz", WECHAT),
        ("VX：Li-Si2024 已加好友", "Li-Si2024", WECHAT),
        ("微信号是13812345678", "13812345678", WECHAT),
        ("QQ号：123456", "123456", QQ),
        ("扣扣 987654321 联系", "987654321", QQ),
        ("ＱＱ：５５５６６６", "555666", QQ),
    ],
)
def test_redact_text_hides_wechat_and_qq_ids(text: str, secret: str, label: str):
    out = redact_text(text)
    assert secret not in out and label in out
    assert leaks(text)  # the last check before publishing sees it too
    assert leaks(out) == []


@pytest.mark.parametrize(
    "text",
    [
        "邮箱：zhang.san@163.com",
        "邮箱 ZhangSan＠163．COM",
        "发到 li_si+work @ qq.com 了",
        "邮箱zhangsan(at)163.com",
    ],
)
def test_redact_text_hides_email_addresses(text: str):
    out = redact_text(text)
    assert "（邮箱已隐去）" in out and "163" not in out and "qq" not in out.lower()


@pytest.mark.parametrize(
    "card",
    ["6222021234567890128", "6217 0000 1234 5670", "6222-0212-3456-7890-128", "4111111111111111"],
)
def test_redact_text_hides_bank_card_numbers(card: str):
    digits = card.replace(" ", "").replace("-", "")
    assert luhn(digits)
    out = redact_text(f"赔偿款转入其银行卡{card}，当日到账。")
    assert CARD in out and not any(ch.isdigit() for ch in out)


def test_redact_text_hides_card_after_card_word_without_luhn():
    out = redact_text("账号：6222 0212 3456 7890 123")
    assert out == f"账号：{CARD}"


def test_redact_text_tells_id_numbers_from_cards():
    out = redact_text("身份证511523199001011234")
    assert "证件号已隐去" in out and CARD not in out


@pytest.mark.parametrize(
    "plate", ["川A12345", "川A·12345", "川Q·D12345", "川AD12345", "川AF1234D", "渝B 12345", "川a12345", "川A1234学"]
)
def test_redact_text_hides_car_plates(plate: str):
    out = redact_text(f"张三丰驾驶{plate}小车与李四的电动车相撞。", PARTIES)
    assert PLATE in out and plate not in out and "12345" not in out


def test_redact_lists_each_replacement_for_the_approver():
    done = redact("邻居王建国说，张三丰电话13812345678，微信号zs_2026。", PARTIES)
    pairs = {(c.original, c.replacement) for c in done.changes}
    assert ("王建国", "王某") in pairs and ("张三丰", "张某") in pairs
    assert ("13812345678", "（电话已隐去）") in pairs
    assert any(c.original.startswith("微信号") and WECHAT in c.replacement for c in done.changes)
    segments = marked_segments(done.text, done.marks)
    assert "".join(s for s, _ in segments) == done.text
    assert {s for s, marked in segments if marked} >= {"王某", "张某", "（电话已隐去）", WECHAT}
    assert masked("13812345678") == "138****5678" and masked("王建国") == "王建国"
