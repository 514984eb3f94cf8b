from __future__ import annotations

import re

from models import CaseStatus
from models.case import OPEN_WHERE
from services.cases import states, workflow

S = CaseStatus


def test_open_matches_the_open_case_index():
    assert tuple(re.findall(r"'(\w+)'", OPEN_WHERE)) == states.OPEN


def test_closed_is_every_state_but_the_open_ones():
    assert set(states.CLOSED) == set(S) - set(states.OPEN)
    assert set(states.CONCLUDED_OR_REJECTED) <= set(states.CLOSED)


def test_active_leaves_out_only_archived_and_rejected():
    assert set(S) - set(states.ACTIVE) == {S.ARCHIVED, S.REJECTED}


def test_mediating_cases_conclude_into_concluded():
    ends = {t.target for t in workflow.TRANSITIONS if t.sources == frozenset(states.MEDIATING)}
    assert ends == set(states.CONCLUDED)


def test_rateable_cases_were_mediated_to_an_end():
    assert set(states.RATEABLE) == set(states.CLOSED) - {S.REJECTED}
