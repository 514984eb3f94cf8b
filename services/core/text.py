"""Making user text inert where it meets a syntax: Streamlit's markdown, and SQL LIKE patterns."""

from __future__ import annotations

import re

MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~:$=])")


def escape_markdown(value: str) -> str:
    """Backslash-escape every character Streamlit's markdown gives a meaning (links, images, colours, maths)."""
    return MARKDOWN_SPECIAL.sub(r"\\\1", value)


def escape_like(value: str) -> str:
    """Escape LIKE's wildcards so user text matches only itself; use with `escape="\\\\"`."""
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
