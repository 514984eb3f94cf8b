"""Committee (organisation) ratings: its cases' metrics plus the standardisation checklist with evidence."""

from __future__ import annotations

import pytest
from sqlmodel import col, select

from models import Rating
from services.core.errors import PermissionDenied, ValidationFailed
from services.rating import runs as rating
from services.rating.card import evidence, get_card
from services.rating.checklist import evidence_photo, list_items, org_checklist, save_item, set_state
from tests.services.rating.data import TODAY, make_world

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def test_committee_card_by_hand(db):
    """V1 in 2025: A's cases (10 mediated, 8 succeeded) and D's 6 succeeded ones (D has left; the cases stay
    the committee's) → 16 mediated, 14 succeeded; 6 due, 2 fulfilled; 1 confirmed; satisfaction (5+4+2+3+1)/5.
    Checklist: items 1–10 met, 11 not met, 12 unchecked; then item 10 is switched off → 9 of 11 points."""
    w = make_world(db)
    v1 = w.orgs["v1"].id
    with db.write() as s:
        items = list_items(s, actor=w.justice)
        assert len(items) == 12
        for item in items[:10]:
            set_state(s, actor=w.justice, org_id=v1, item_id=item.id, period="2025", met=True, note="现场核查")
        set_state(s, actor=w.justice, org_id=v1, item_id=items[10].id, period="2025", met=False, note="未公开")
        photo_row = set_state(
            s, actor=w.coordinator, org_id=v1, item_id=items[0].id, period="2025", met=True, note="", photo=PNG
        )
        it = items[9]
        save_item(
            s,
            actor=w.justice,
            item_id=it.id,
            code=it.code,
            label_zh=it.label_zh,
            label_en=it.label_en,
            points=it.points,
            active=False,
        )
    with db.write() as s:
        run = rating.compute_ratings(s, actor=w.justice, subject="organisation", period="2025", today=TODAY)
    assert (run.subjects, run.rated) == (3, 2)  # V1, V2 and the police room (no cases: not rated)
    with db.read() as s:
        r = s.exec(select(Rating).where(Rating.org_id == v1).order_by(col(Rating.id).desc())).first()
        card = get_card(s, actor=w.justice, rating_id=r.id)
        met = evidence(s, actor=w.justice, rating_id=r.id, part="checklist")
        assert evidence_photo(s, actor=w.justice, state_id=photo_row.state_id) == PNG
        states = org_checklist(s, actor=w.justice, org_id=v1, period="2025")
    lines = {x.metric: x for x in card.lines}
    assert lines["cases"].value == 16 and lines["cases"].points == pytest.approx(15 * 16 / 60)
    assert lines["success_rate"].value == pytest.approx(14 / 16)
    assert lines["performance_rate"].value == pytest.approx(2 / 6)
    assert lines["confirmation_rate"].value == pytest.approx(1 / 14)
    assert lines["confirmation_rate"].points == pytest.approx(5 * (1 / 14) / 0.1, abs=1e-4)
    assert lines["satisfaction"].value == pytest.approx(3.0)
    assert lines["checklist"].value == pytest.approx(9 / 11)
    expected = 4 + 17.5 + 5 + 5 * (1 / 14) / 0.1 + 10 + 30 * 9 / 11
    assert card.score == pytest.approx(round(expected, 2)) and card.proposed == 2
    assert met.matches and met.count == 9 and {i.label for i in met.items} == {i.label_zh for i in items[:9]}
    assert len(states) == 11 and [x.met for x in states][8:] == [True, False, None]
    assert states[0].has_photo


def test_checklist_needs_evidence_and_scope(db):
    w = make_world(db)
    with db.read() as s:
        item = list_items(s, actor=w.justice)[0]
    with db.write() as s, pytest.raises(ValidationFailed) as err:
        set_state(s, actor=w.justice, org_id=w.orgs["v1"].id, item_id=item.id, period="2025", met=True, note=" ")
    assert err.value.key == "error.rating_evidence_required"
    with db.write() as s, pytest.raises(ValidationFailed) as err:
        set_state(
            s,
            actor=w.justice,
            org_id=w.orgs["v1"].id,
            item_id=item.id,
            period="2025",
            met=True,
            note="",
            photo=b"<svg/>",
        )
    assert err.value.key == "error.rating_photo"
    with db.write() as s, pytest.raises(ValidationFailed):  # a justice office is not a mediation organisation
        set_state(s, actor=w.justice, org_id=w.orgs["justice"].id, item_id=item.id, period="2025", met=False, note="")
    with db.write() as s, pytest.raises(PermissionDenied):  # another county's committee
        set_state(s, actor=w.justice, org_id=w.orgs["v3"].id, item_id=item.id, period="2025", met=False, note="")
    with db.write() as s, pytest.raises(PermissionDenied):
        save_item(s, actor=w.coordinator, code="x", label_zh="新", label_en="New", points=1)
    with db.write() as s:
        added = save_item(
            s, actor=w.justice, code="pub_fees", label_zh="公开不收费承诺", label_en="No-fee pledge", points=2
        )
    assert added.position == 12
