"""The demo vocabulary (services/demo/vocabulary.toml) covers everything the generator draws, in the app's codes."""

from __future__ import annotations

import math

from models import OrgKind
from services.core import reference
from services.demo.vocabulary import (
    CASE_VOLUME,
    CATEGORIES_BY_KIND,
    CATEGORY_LABELS,
    DRAWS,
    GRADE_WEIGHTS,
    MONEY,
    PROFESSIONAL,
    SATISFACTION,
    SOURCES_BY_KIND,
    STAFF_MIX,
    STORIES,
    SUCCESS_RATES,
    agreement_terms,
    describe,
)


def codes(dictionary: list[tuple[str, str, str]]) -> set[str]:
    return {code for code, _, _ in dictionary}


def test_vocabulary_describes_every_category_drawn():
    drawn = {c for weights in CATEGORIES_BY_KIND.values() for c in weights}
    assert drawn == set(CATEGORY_LABELS) == set(STORIES)
    assert drawn >= MONEY | set(SUCCESS_RATES)
    for category in drawn:
        account, request = describe(category, "张三", "李四", "新民村", 1200)
        assert "{" not in account + request and account.endswith("（新民村）")


def test_vocabulary_weighs_every_mediating_kind():
    assert set(STAFF_MIX) == set(CASE_VOLUME) == set(SOURCES_BY_KIND) <= set(OrgKind)
    sectors = {sector for sector, _, _ in PROFESSIONAL}
    assert set(CATEGORIES_BY_KIND) == (set(STAFF_MIX) - {OrgKind.PROFESSIONAL}) | sectors
    assert all(lo <= hi and employment for lo, hi, employment in STAFF_MIX.values())


def test_vocabulary_uses_the_reference_codes():
    assert set(CATEGORY_LABELS) <= codes(reference.CATEGORIES)
    assert {s for weights in SOURCES_BY_KIND.values() for s in weights} <= codes(reference.SOURCES)
    assert set(GRADE_WEIGHTS) == codes(reference.GRADES)
    assert {c for name in ("reject", "reject_online") for c, _ in DRAWS[name]} <= codes(reference.REJECT_REASONS)
    assert {c for c, _ in DRAWS["diversion"]} <= codes(reference.DIVERSIONS)
    assert {c for c, _ in DRAWS["risk_flag"]} <= codes(reference.RISK_FLAGS)


def test_vocabulary_probabilities_add_up_to_one():
    for name, pairs in {**DRAWS, "satisfaction": SATISFACTION}.items():
        assert math.isclose(sum(p for _, p in pairs), 1.0), name
    assert [score for score, _ in SATISFACTION] == [5, 4, 3, 2, 1]


def test_agreement_terms_name_the_amount_paid():
    assert "1200元" in agreement_terms(1200, oral=False)
    assert agreement_terms(0, oral=True).startswith("口头协议：")
