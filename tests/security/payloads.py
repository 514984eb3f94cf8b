"""The INP-1 payload corpus (50 strings): markup, SQL, unicode edge cases, overlong text, formulas, paths."""

from __future__ import annotations

XSS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "[点我](javascript:alert(1))",
    "![](http://evil.example/p.png)",
    "<iframe src=//evil.example></iframe>",
    '"><script>alert(document.cookie)</script>',
    '<a href="javascript:alert(1)">x</a>',
    "{{7*7}} ${7*7} <%= 7*7 %>",
    "**粗体** _斜体_ # 标题 `code`",
    ":red[红字] :material/warning:",
    "<style>body{display:none}</style>",
]
SQL = [
    "' OR 1=1--",
    '\'); DROP TABLE "case";--',
    "1; SELECT pg_sleep(5)--",
    '" OR ""="',
    "%' AND 1=1 --",
    "admin'--",
    '1 UNION SELECT password_hash FROM "user"--',
]
UNICODE = [
    "\u202e歹徒已付款\u202c",
    "零\u200b宽\u200d字\ufeff符",
    "e\u0301\u0301\u0301 组合符号",
    "１２３４５６ 全角数字",
    "👨‍👩‍👧‍👦 家庭 emoji",
    "𠀀𠀁𪚥 扩展B区",
    "ǅ ß ﬁ Ⅻ",
    "阿依古丽·买买提",
    "\u3000全角空格\u3000",
    "\ud800 孤立代理",
    "NUL\x00字符",
    "响铃\x07与退格\x08",
    "换行\r\n回车\t制表",
]
OVERLONG = ["长" * 10_000, "a" * 100_000, "x" * 1_000_000]
FORMULA = [
    "=1+1",
    "+1+1",
    "-1+1",
    "@SUM(A1:A2)",
    '\t=HYPERLINK("http://evil.example","点")',
    "=cmd|' /C calc'!A0",
    "\r=1+2",
    "＝1+1",
]
PATHS = [
    "../../etc/passwd",
    "..\\..\\windows\\win.ini",
    "%2e%2e%2fsecrets.toml",
    "/etc/shadow",
    "\\\\host\\share\\x",
    "file:///etc/passwd",
    "名称.pdf:evil.exe",
]

PAYLOADS: list[str] = XSS + SQL + UNICODE + OVERLONG + FORMULA + PATHS
assert len(PAYLOADS) == 50, len(PAYLOADS)
