"""Supervision (督办) and graded risk (issue 18).

* `risk_rules` — the four colours (红/橙/黄/蓝) as a versioned rule set: conditions, owning level, response times,
  escalation; registered beside the other rule sets (services/lowcode/rules.py).
* `risk` — a case's level by rule (stored in CaseRisk) and re-grading when the rules change.
* `response` — the response clocks and their escalation, and the joint consultation (会商) a red case needs.
* `orders` — supervision orders: open, progress reports, de-listing and extension requests and decisions.
* `overdue` — the background check: a missed progress report becomes one accountability event (问责).
* `desk` — the supervision desk (督办台账) and a handling body's to-report list; its Excel export.
* `person` — one person's other disputes in the actor's area, matched by blind indexes.
* `figures` — orders opened, on time, overdue, de-listed, time to de-list, accountability events, with formulas.
"""
