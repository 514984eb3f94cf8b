"""What the redactor looks for besides the parties themselves: other people's names in a narrative (a neighbour,
a witness, a foreman), WeChat and QQ ids, and bank-card numbers.

Names of people who are not parties are found only where Chinese writes a person: after a relation or role word
(邻居、证人、包工头…) or 名叫/姓名, as a common surname and one or two given characters, and then in a list after
such a name (邻居王建国、李秀英). Ordinary words that begin with a surname character (关系, 高度, 陈述, 曾经…)
are not names, and surnames that are mostly prepositions or word starts (向, 于, 文, 常, 安…) are left out.
"""

from __future__ import annotations

import re

from services.core.security import valid_id_number

COMMON_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔"
    "钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔汤岳柳葛"
    "牛洪伍聂殷庞倪祝翟蒙鲁郭饶颜"
)
COMPOUND = "欧阳|司马|诸葛|上官|东方|皇甫|尉迟|公孙|慕容|令狐|长孙|夏侯|宇文|司徒|申屠|南宫|端木|独孤|西门|呼延"
ROLE_WORDS = (
    "邻居|邻里|隔壁|朋友|好友|同事|同学|同乡|工友|室友|证人|见证人|亲戚|村民|居民|组长|村长|队长|社长|书记|主任|"
    "网格员|老板娘|老板|包工头|工头|负责人|经理|会计|出纳|司机|房东|租客|房客|业主|店主|雇主|师傅|医生|护士|律师|"
    "老师|丈夫|妻子|老婆|老公|前夫|前妻|儿子|女儿|儿媳|女婿|父亲|母亲|爸爸|妈妈|哥哥|弟弟|姐姐|妹妹|叔叔|阿姨|"
    "舅舅|舅妈|姑姑|姑父|姨父|伯伯|婶婶|爷爷|奶奶|外公|外婆|侄子|侄女|外甥|孙子|孙女|代理人|监护人|介绍人|中间人|"
    "担保人|保证人|出借人|借款人|承包人|发包人|名叫|叫做|姓名|名字叫|一位叫|一个叫"
)
# characters that end a name: function words, verbs that follow a name in a narrative, and 某 (already hidden)
NOT_GIVEN = set(
    "某他她它我你您咱在住于的地得和与及或到从是了向将把被给对就也都而为曾已因称说讲道表认反看听见等家们去来过前后时当正回告打找"
    "劝拉报提指介主作证出让叫帮这那此其之所以并且还又再才很不没无有要会能可想请一二三四五六七八九十两几个位名"
)
# two-character words (written one after another) that start with a surname character but are not names
_NOT_NAMES_TEXT = (
    "许诺任由任凭钱包马路方才周转高额高空高速黄色白白毛巾夏收田间林业江湖石料金条严厉万般"
    "关系高度高兴高低高价方面方式方法方案向前向后于是余款余额金额钱款钱财马上万元石头江边林地白天黄金程序"
    "时间周围周末周边田地田里安全安排路上常常常年陈述陈列曾经曾多曾在曾与曾向曾于史上夏天龙头毛病孔洞洪水"
    "文件文字齐全康复温度易于施工章程雷雨段时严重严格任何任务任意苏醒谢谢许多许可何时何处何况孙子孙女宋体"
    "唐突韩国杜绝叶子程度丁点钟点钟头陆续陆地范围范本金钱金融石块夏季付款付清付钱付费方便方向白色江水段落"
    "陶瓷顾及顾客毛钱万一万分钱数武力武器戴上莫名岳父岳母庞大齐心符合颜色尚未尚且路人路面双方"
)
NOT_NAMES = {_NOT_NAMES_TEXT[i : i + 2] for i in range(0, len(_NOT_NAMES_TEXT), 2)}
_SURNAME = rf"(?:{COMPOUND}|[{COMMON_SURNAMES}])"
_GIVEN = r"[\u4e00-\u9fff]"
_AFTER_ROLE = re.compile(rf"(?:{ROLE_WORDS})[是为:：\s]{{0,2}}({_SURNAME}{_GIVEN}{{1,2}})")
_LISTED = re.compile(rf"^[、，,和及与跟同]({_SURNAME}{_GIVEN}{{1,2}})")

# a WeChat id after 微信/vx/wx (group 1); a bare wxid_… anywhere; a QQ number after QQ/扣扣 (group 1)
WECHAT = re.compile(
    r"(?:微信号?|微信账号|vx号?|VX号?|wx号?|WX号?|weixin|WeChat|wechat)(?:号码|id|ID)?[:：是为\s]{0,3}"
    r"([A-Za-z][-_A-Za-z0-9]{4,29}|1[3-9]\d{9}|\d{5,12})(?![-_A-Za-z0-9])"
)
WXID = re.compile(r"(?<![A-Za-z0-9_])wxid_[A-Za-z0-9_]{4,30}")
QQ = re.compile(r"(?:QQ|qq|Qq|扣扣)(?:群)?(?:号码|号)?[:：是为\s]{0,3}([1-9]\d{4,11})(?!\d)")
_CARD_WORDS = re.compile(r"(?:银行卡|卡号|账号|帐号|账户|帐户|银行账户|收款账户)[号码]{0,2}[:：为是\s]{0,3}$")
CARD_RUN = re.compile(r"(?<!\d)(?<!\d[\s\-])\d(?:[\s\-]?\d){11,22}(?!\d)")


def _trim_given(candidate: str) -> str:
    """The name in a surname + one or two following characters: the second given character only if it is no
    function word or verb."""
    sur = next((s for s in COMPOUND.split("|") if candidate.startswith(s)), candidate[:1])
    given = candidate[len(sur) :]
    if given[:1] in NOT_GIVEN or candidate[: len(sur) + 1] in NOT_NAMES:
        return ""
    if len(given) == 2 and given[1] in NOT_GIVEN:
        given = given[:1]
    return sur + given


def other_names(text: str) -> list[str]:
    """Names of people written into the text after a relation or role word (and those listed beside them)."""
    found: list[str] = []
    for m in _AFTER_ROLE.finditer(text):
        name, end = _trim_given(m.group(1)), m.start(1)
        while name:
            if name not in found:
                found.append(name)
            end += len(name)
            nxt = _LISTED.match(text[end:])
            if nxt is None:
                break
            end += 1
            name = _trim_given(nxt.group(1))
    return found


def luhn(digits: str) -> bool:
    """The Luhn check of a bank-card number."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def card_kind(run: str, before: str) -> str | None:
    """'card' when a digit run is a bank-card number (16–19 digits passing Luhn, or any 12–19 digits after a word
    such as 银行卡号), 'id' when it is a valid ID number; None otherwise (left to the other patterns)."""
    digits = re.sub(r"\D", "", run)
    if len(digits) == 18 and valid_id_number(digits):
        return "id"
    if 12 <= len(digits) <= 19 and _CARD_WORDS.search(before[-12:]):
        return "card"
    return "card" if 16 <= len(digits) <= 19 and luhn(digits) else None
