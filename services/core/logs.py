"""The app's own log lines (loggers under `mediation.`) on standard error, at INFO, one line each.

Without this only warnings reach the server log (Python's last-resort handler), so the retention run report
and key rotation counts were lost. Streamlit configures only its own `streamlit` logger.
Log lines carry ids and counts, never personal data (tests/privacy/test_logs.py)."""

from __future__ import annotations

import logging
import sys

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure(level: int = logging.INFO) -> logging.Logger:
    """Attach one stderr handler to the `mediation` logger (again: nothing more is attached)."""
    logger = logging.getLogger("mediation")
    logger.setLevel(level)
    if not any(getattr(h, "_mediation", False) for h in logger.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(FORMAT))
        handler._mediation = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
    return logger
