"""The app's own log lines reach standard error at INFO, once each, however often logging is configured."""

from __future__ import annotations

import logging

import pytest

from services.core import logs as applog


def test_configure_logs_info_lines_once(capsys: pytest.CaptureFixture[str]) -> None:
    logger = applog.configure()
    applog.configure()
    try:
        logging.getLogger("mediation.retention").info("retention run: eligible=%d", 3)
        logging.getLogger("mediation.retention").debug("not shown")
        err = capsys.readouterr().err
    finally:
        for h in [h for h in logger.handlers if getattr(h, "_mediation", False)]:
            logger.removeHandler(h)
        logger.setLevel(logging.NOTSET)
    assert err.count("retention run: eligible=3") == 1
    assert "INFO mediation.retention" in err and "not shown" not in err
