"""Intake under load (INT-1, INT-3): 20 concurrent clients, and double taps, reruns and resubmits of 50 forms."""

from __future__ import annotations

import statistics
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlmodel import func, select

from models import Case, CaseEvent
from models.base import utc_now
from services.core.config import Limit
from services.intake import pipeline as intake
from services.intake.form import IntakeForm, issue_form_token
from services.intake.pipeline import IntakeSettings, submit_intake
from tests.factories import make_tree

CLIENTS, PER_CLIENT = 20, 10
# Within limits: each client sends exactly its allowance; the organisation's limit is not the subject here.
SETTINGS = IntakeSettings(min_seconds=3, client=Limit(PER_CLIENT, 600), org=Limit(10_000, 3600))
TOPICS = [
    "排水沟堵塞",
    "宅基地边界",
    "借款不还",
    "拖欠工资",
    "噪音扰民",
    "宠物伤人",
    "婚姻财产",
    "交通事故赔偿",
    "物业收费",
    "山林界址",
]


def form(n: int, **overrides) -> IntakeForm:
    values = {
        "org_code": ("V1", "V2", "P1")[n % 3],
        "form_token": issue_form_token(utc_now() - timedelta(seconds=30)),
        "applicant_name": f"申请人{n}",
        "applicant_phone": f"139{n:08d}",
        "consent": True,
        "description": f"第{n}号申请：{TOPICS[n % 10]}，{n * 7919 % 100003}元，{TOPICS[(n // 10) % 10]}。",
        "category": "neighbour",
        "place": f"东村{n % 9}组",
    }
    values.update(overrides)
    return IntakeForm(**values)


def cases(db) -> int:
    with db.read() as s:
        return int(s.exec(select(func.count()).select_from(Case)).one())


@pytest.mark.slow
def test_200_submissions_from_20_concurrent_clients(db, capsys):
    with db.write() as s:
        make_tree(s)
    latencies: list[float] = []
    errors: list[BaseException] = []
    results = []
    lock = threading.Lock()

    def client(c: int) -> None:
        for i in range(PER_CLIENT):
            f = form(c * PER_CLIENT + i)
            started = time.perf_counter()
            try:
                r = submit_intake(db, f, client=f"198.51.100.{c}", settings=SETTINGS)
            except BaseException as exc:
                with lock:
                    errors.append(exc)
                continue
            with lock:
                latencies.append(time.perf_counter() - started)
                results.append(r)

    wall = time.perf_counter()
    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        list(pool.map(client, range(CLIENTS)))
    wall = time.perf_counter() - wall
    p95 = statistics.quantiles(latencies, n=20)[-1] * 1000 if len(latencies) > 1 else float("nan")
    with capsys.disabled():
        print(
            f"\nINT-1 [{db.dialect}] {len(results)} ok, {len(errors)} errors in {wall:.1f} s; latency p50 "
            f"{statistics.median(latencies) * 1000:.0f} ms, p95 {p95:.0f} ms, max {max(latencies) * 1000:.0f} ms"
        )
    assert errors == []
    assert cases(db) == CLIENTS * PER_CLIENT
    assert len({r.case_id for r in results}) == len({r.tracking_code for r in results}) == CLIENTS * PER_CLIENT
    assert all(r.outcome == "created" for r in results)
    with db.read() as s:  # INT-4: no false positives among ordinary submissions
        flagged = s.exec(select(func.count()).select_from(CaseEvent).where(CaseEvent.kind == "intake.quarantined"))
        assert flagged.one() == 0


@pytest.mark.slow
def test_50_forms_double_tap_rerun_and_resubmit_make_50_cases(db):
    with db.write() as s:
        make_tree(s)
    forms = [form(n) for n in range(50)]
    outcomes: dict[int, list[intake.IntakeResult]] = {n: [] for n in range(50)}
    errors: list[BaseException] = []
    lock = threading.Lock()

    def tap(n: int, barrier: threading.Barrier, f: IntakeForm) -> None:
        barrier.wait()
        try:
            r = submit_intake(db, f, client=f"203.0.113.{n}", settings=SETTINGS)
        except BaseException as exc:
            with lock:
                errors.append(exc)
            return
        with lock:
            outcomes[n].append(r)

    for start in range(0, 50, 10):  # double tap: both submits of a form start together, 10 forms at a time
        threads = []
        for n in range(start, start + 10):
            barrier = threading.Barrier(2)
            threads += [threading.Thread(target=tap, args=(n, barrier, forms[n])) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    for n, f in enumerate(forms):  # a rerun sends the same form again
        outcomes[n].append(submit_intake(db, f, client=f"203.0.113.{n}", settings=SETTINGS))
    for n, f in enumerate(forms):  # back, edit, and submit the old page again: same token, other values
        edited = form(n, form_token=f.form_token, description="改过的内容：" + f.description, place="别处")
        outcomes[n].append(submit_intake(db, edited, client=f"203.0.113.{n}", settings=SETTINGS))
    assert errors == []
    assert cases(db) == 50
    assert all(len(rs) == 4 and len(set(rs)) == 1 and rs[0].outcome == "created" for rs in outcomes.values())
    with db.read() as s:
        stored = Counter(s.exec(select(Case.form_token)).all())
    assert set(stored) == {f.form_token for f in forms} and set(stored.values()) == {1}
