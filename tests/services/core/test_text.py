from __future__ import annotations

from services.core.text import escape_like, escape_markdown


def test_escape_markdown_neutralises_markup():
    assert escape_markdown("![x](http://e/p.png) **b** :red[c] $x$ a=b") == (
        r"\!\[x\]\(http\:\/\/e\/p\.png\) \*\*b\*\* \:red\[c\] \$x\$ a\=b".replace(r"\/", "/")
    )


def test_escape_markdown_leaves_chinese_text_alone():
    assert escape_markdown("红桥镇人民调解委员会") == "红桥镇人民调解委员会"


def test_escape_like_matches_wildcards_literally():
    assert escape_like(r"50%_a\b") == r"50\%\_a\\b"
