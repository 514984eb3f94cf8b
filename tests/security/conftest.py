"""The security battery reuses the AppTest factory of tests/pages (real app.py, real session rows)."""

from __future__ import annotations

from tests.pages.conftest import make_app  # noqa: F401  (fixture re-export)
