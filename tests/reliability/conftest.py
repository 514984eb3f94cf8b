"""The page-test fixture `make_app` for the battery's AppTests (they bring their own SQLite `db`)."""

from tests.pages.conftest import make_app  # noqa: F401 - re-exported fixture
