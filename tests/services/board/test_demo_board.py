"""The demo city has typical cases to work with (issue 23): some closed cases consented to publication, so the
county coordinator can pick one, and the seeded typical cases were approved by a second person, so the public
board's typical-case tab is not empty."""

from __future__ import annotations

import shutil
from datetime import date

import pytest
from sqlalchemy import func
from sqlmodel import col, select

from models import Case, User
from services.access.accounts import load_actor
from services.board import posts as B
from services.board import publicity as PUB
from services.cases import states
from services.core.db import make_database
from services.demo import seed as demo

TODAY = date(2026, 6, 15)


@pytest.fixture(scope="module")
def demo_db(sqlite_template, tmp_path_factory):
    folder = tmp_path_factory.mktemp("board-demo")
    shutil.copy(sqlite_template, folder / "demo.db")
    db = make_database(f"sqlite:///{folder / 'demo.db'}")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(demo, "LOGINS_FILE", folder / "logins.txt")
        demo.seed_demo(
            db, cases=600, seed=7, password="demo-passphrase-2026", today=TODAY, progress=lambda _d, _t: None
        )
    yield db
    db.dispose()


def test_demo_has_consenting_cases_the_coordinator_can_pick(demo_db):
    with demo_db.read() as s:
        succeeded = s.exec(
            select(func.count()).where(col(Case.status).in_(("succeeded", "followed_up", "archived")))
        ).one()
        consenting = s.exec(select(Case).where(Case.publication_consent == True)).all()  # noqa: E712
        assert 0.04 * succeeded <= len(consenting) <= 0.12 * succeeded
        assert all(c.status in states.PUBLISHABLE and c.publication_consent_how for c in consenting)
        assert all(c.publication_consent_at is not None for c in consenting)
        user = s.exec(select(User).where(User.username == "coordinator")).one()
        coordinator = load_actor(s, user.id or 0)
        assert coordinator is not None
        assert B.pickable_cases(s, actor=coordinator)  # the fault: 0 of the demo cases could be chosen


def test_demo_public_board_shows_typical_cases(demo_db):
    with demo_db.read() as s:
        assert len(PUB.typical_cases(s, today=TODAY)) == 2
