"""PUB-1..6: publicity boards publish only consented, de-identified, second-person-approved text.

Also proven elsewhere (see README): the Chromium canary sweep of /board and the big screen
(tests/e2e/test_board_privacy.py), small counts below county level as "<5" (tests/services/board/test_publicity.py).
"""

from __future__ import annotations

import ast
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import func, select

from models import AuditLog, Case
from services.board import posts as B
from services.board import publicity
from services.cases.create import PartyInput
from services.core.errors import NotFound, PermissionDenied, ValidationFailed
from services.core.security import ID_CHECK, ID_WEIGHTS
from tests.factories import make_actor, make_case, make_tree
from tests.pages.conftest import page_text

ROOT = Path(__file__).resolve().parents[2]
ID_RE = re.compile(r"\d{17}[\dXx]")
PHONE_RE = re.compile(r"1[3-9]\d{9}")
SURNAMES = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏陶姜"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰"


def _id(i: int) -> str:
    body = f"51152319{80 + i % 20:02d}{1 + i % 12:02d}{1 + i % 28:02d}{i % 1000:03d}"
    return body + ID_CHECK[sum(int(d) * w for d, w in zip(body, ID_WEIGHTS, strict=True)) % 11]


def _canary(i: int) -> dict[str, str]:
    name = SURNAMES[i % len(SURNAMES)] + GIVEN[i % len(GIVEN)] + GIVEN[(i * 7 + 3) % len(GIVEN)]
    other = SURNAMES[(i + 5) % len(SURNAMES)] + GIVEN[(i + 11) % len(GIVEN)] + "某某"[: i % 2] + "生"
    phone, phone2 = f"139{i:08d}", f"137{i * 3:08d}"
    address = f"红桥镇东村{i % 9 + 1}组{i + 10}号"
    sentence = f"金丝雀句{i:04d}只在档案里"
    narrative = (
        f"{name}（电话{phone}，身份证{_id(i)}）与{other}因{address}的排水沟争执；{name}另留{phone2}，"
        f"{other}身份证{_id(i + 5000)}。{sentence}。"
    )
    return {
        "name": name,
        "other": other,
        "phone": phone,
        "phone2": phone2,
        "address": address,
        "sentence": sentence,
        "narrative": narrative,
    }


def _closed(s, org, c: dict[str, str], *, consent: bool, private: bool) -> Case:
    case = make_case(
        s,
        org,
        description=c["narrative"],
        parties=[
            PartyInput(side="applicant", name=c["name"], phone=c["phone"], address=c["address"]),
            PartyInput(side="respondent", name=c["other"], phone=c["phone2"]),
        ],
    )
    case.status, case.outcome = "succeeded", "succeeded"
    case.publication_consent, case.non_public = consent, private
    s.add(case)
    s.flush()
    return case


@pytest.fixture
def board_world(db):
    with db.write() as s:
        tree = make_tree(s)
        editor = make_actor(s, tree["county"], ["coordinator"])
        approver = make_actor(s, tree["county"], ["coordinator"])
    return tree, editor, approver


def _publish(db, editor, approver, case_id: int) -> int:
    with db.write() as s:
        post = B.draft_typical_case(s, actor=editor, case_id=case_id)
        B.review_typical_case(s, actor=editor, post_id=post.id or 0, title=post.title, body=post.body)
        B.approve_typical_case(s, actor=approver, post_id=post.id or 0)
        return post.id or 0


def _board_text(db, make_app) -> str:
    today = datetime.now(UTC).date()
    with db.read() as s:
        parts = [
            repr(publicity.typical_cases(s, today=today, limit=1000)),
            repr(publicity.texts(s)),
            repr(publicity.honour_roll(s)),
            repr(publicity.org_directory(s)),
            repr(publicity.statistics(s, today=today)),
            repr(publicity.notices(s, today=today)),
        ]
    at = make_app()
    at.run()
    for page in ("pages/public/board.py", "pages/public/big_screen.py", "pages/public/home.py"):
        at.switch_page(page).run()
        assert not at.exception, page
        parts.append(page_text(at))
    return "\n".join(parts)


@pytest.mark.slow
def test_sweep_board_for_canaries(db, make_app, board_world):
    """PUB-1: 200 closed cases with canary names, IDs, phones, addresses and narratives carrying two of each;
    40 published through draft → review → approval. Every board view and service: 0 IDs, 0 phones, 0 full
    names, 0 addresses below county, 0 sentences of unpublished cases."""
    tree, editor, approver = board_world
    canaries = [_canary(i) for i in range(200)]
    with db.write() as s:
        ids = [
            _closed(s, tree["v1" if i % 2 else "v2"], c, consent=i % 4 != 3, private=i % 8 == 5).id
            for i, c in enumerate(canaries)
        ]
    published = [i for i in range(200) if i % 4 != 3 and i % 8 != 5][:40]
    for i in published:
        _publish(db, editor, approver, ids[i])
    text = _board_text(db, make_app)
    hits = [f"id {m}" for m in ID_RE.findall(text)] + [f"phone {m}" for m in PHONE_RE.findall(text)]
    for i, c in enumerate(canaries):
        hits += [f"{i} {k}" for k in ("name", "other", "address") if c[k] in text]
        if i not in published and c["sentence"] in text:
            hits.append(f"{i} unpublished sentence")
    assert hits == []
    assert sum(c["sentence"] in text for c in canaries) == 40  # the published narratives are really there


def test_refuse_cases_without_consent_or_with_objection(db, board_world):
    """PUB-2: 100 closed cases (50 without separate consent, 50 with 不公开 asked) → 0 pickable, 0 drafted."""
    tree, editor, _ = board_world
    with db.write() as s:
        ids = [_closed(s, tree["v1"], _canary(i), consent=i >= 50, private=i >= 50).id for i in range(100)]
    with db.read() as s:
        assert not {p.case_id for p in B.pickable_cases(s, actor=editor, limit=500)} & set(ids)
    refused = 0
    for case_id in ids:
        try:
            with db.write() as s:
                B.draft_typical_case(s, actor=editor, case_id=case_id)
        except ValidationFailed as err:
            refused += err.key == "error.board_case_private"
    assert refused == 100


def test_keep_board_code_away_from_case_models():
    """PUB-4 (code scan): the board's service and pages import no Case/Party model and no case service."""
    files = [
        "services/board/publicity.py",
        "pages/public/board.py",
        "pages/public/big_screen.py",
        "pages/ui/board_view.py",
        "pages/ui/big_screen_view.py",
    ]
    bad = []
    for rel in files:
        for node in ast.walk(ast.parse((ROOT / rel).read_text())):
            if isinstance(node, ast.ImportFrom):
                names = {a.name for a in node.names}
                if node.module == "models" and names & {"Case", "Party", "CaseEvent", "Attachment"}:
                    bad.append(f"{rel}: {names}")
                if node.module in ("services", None) and names & {"cases", "case_view", "case_record", "reveal"}:
                    bad.append(f"{rel}: {names}")
    assert bad == []


def test_publish_only_after_preview_by_a_second_person(db, board_world):
    """PUB-5: 20 publish actions: each needs the reviewed (previewed) text and an approver other than the
    reviewer; the public rendering equals the reviewed text exactly."""
    tree, editor, approver = board_world
    with db.write() as s:
        ids = [_closed(s, tree["v1"], _canary(300 + i), consent=True, private=False).id for i in range(20)]
    ok = 0
    today = datetime.now(UTC).date()
    for case_id in ids:
        with db.write() as s:
            post = B.draft_typical_case(s, actor=editor, case_id=case_id)
            post_id = post.id or 0
            with pytest.raises(ValidationFailed):
                B.approve_typical_case(s, actor=approver, post_id=post_id)  # no preview/review yet
        with db.write() as s:
            reviewed = B.review_typical_case(s, actor=editor, post_id=post_id, title=post.title, body=post.body)
            preview = publicity.preview(reviewed)
        with pytest.raises(PermissionDenied), db.write() as s:
            B.approve_typical_case(s, actor=editor, post_id=post_id)  # the reviewer cannot approve
        with db.write() as s:
            B.approve_typical_case(s, actor=approver, post_id=post_id)
        with db.read() as s:
            shown = next(p for p in publicity.typical_cases(s, today=today, limit=100) if p.id == post_id)
        ok += (shown.title, shown.body) == (preview.title, preview.body)
    assert ok == 20


def test_unpublish_from_every_view_at_once(db, make_app, board_world):
    """PUB-6: 20 published cases withdrawn → gone from the service and the board page at the next run,
    20 audit rows; an editor of another county cannot withdraw them (NotFound)."""
    tree, editor, approver = board_world
    with db.write() as s:
        ids = [_closed(s, tree["v1"], _canary(400 + i), consent=True, private=False).id for i in range(20)]
        from services.roster.orgs import create_org

        far_county = create_org(s, code="C9", name="远方县", kind="county", parent=tree["root"])
        outsider = make_actor(s, far_county, ["coordinator"])
    posts = [_publish(db, editor, approver, cid) for cid in ids]
    for post_id in posts:
        with pytest.raises(NotFound), db.write() as s:
            B.unpublish(s, actor=outsider, post_id=post_id)
    sentences = [_canary(400 + i)["sentence"] for i in range(20)]
    assert all(x in _board_text(db, make_app) for x in sentences[:5])
    for post_id in posts:
        with db.write() as s:
            B.unpublish(s, actor=editor, post_id=post_id, reason="当事人要求")
    text = _board_text(db, make_app)
    assert not [x for x in sentences if x in text]
    with db.read() as s:
        n = s.exec(select(func.count()).select_from(AuditLog).where(AuditLog.action == "board.unpublish")).one()
    assert n == 20
