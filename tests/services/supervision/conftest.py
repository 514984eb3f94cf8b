"""The AppTest fixture of tests/pages, for the supervision page tests here."""

from tests.pages.conftest import make_app  # noqa: F401
