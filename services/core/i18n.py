"""The message catalogue: assets/i18n/*.toml, each key with a zh-CN and an English text."""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any

from services.core.config import ROOT

CATALOGUE_DIR = ROOT / "assets" / "i18n"
LANGUAGES = ("zh-CN", "en")
DEFAULT_LANGUAGE = "zh-CN"
_FIELD = {"zh-CN": "zh", "en": "en"}


@lru_cache(maxsize=1)
def catalogue() -> dict[str, dict[str, str]]:
    """key → {"zh": …, "en": …}, merged from every catalogue file (a duplicate key is an error)."""
    merged: dict[str, dict[str, str]] = {}
    for path in sorted(Path(CATALOGUE_DIR).glob("*.toml")):
        with path.open("rb") as fh:
            for key, entry in tomllib.load(fh).items():
                if key in merged:
                    raise ValueError(f"i18n.E001: key {key!r} is defined twice (second in {path.name})")
                merged[key] = entry
    return merged


def translate(key: str, lang: str = DEFAULT_LANGUAGE, /, **params: Any) -> str:
    """The text for `key` in `lang`, formatted with params; an unknown key shows itself."""
    entry = catalogue().get(key)
    if entry is None:
        return key
    text = entry.get(_FIELD.get(lang, "zh")) or entry.get("zh") or key
    if params:
        try:
            return text.format(**params)
        except (KeyError, IndexError, ValueError):
            return text
    return text


def label(entry_zh: str, entry_en: str, lang: str) -> str:
    """Pick a bilingual data label (dictionaries, roles) for the language."""
    return entry_en if lang == "en" and entry_en else entry_zh
