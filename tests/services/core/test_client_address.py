"""The client address behind a proxy: X-Forwarded-For is believed only from a trusted proxy."""

from __future__ import annotations

import pytest

from services.core.config import ConfigError, load_settings
from services.core.ratelimit import client_address

LOOPBACK = ("127.0.0.1", "::1")


def test_a_forged_forwarded_header_from_a_client_is_ignored():
    assert client_address("203.0.113.5", "1.2.3.4", LOOPBACK) == "203.0.113.5"


def test_behind_the_trusted_proxy_the_forwarded_client_is_used():
    assert client_address("127.0.0.1", "203.0.113.5", LOOPBACK) == "203.0.113.5"


def test_a_client_cannot_prepend_an_address_through_an_appending_proxy():
    # the client sent "X-Forwarded-For: 9.9.9.9"; a proxy that appends adds the real address on the right
    assert client_address("127.0.0.1", "9.9.9.9, 203.0.113.5", LOOPBACK) == "203.0.113.5"
    assert client_address("10.0.0.2", "9.9.9.9, 203.0.113.5, 10.0.0.3", ("10.0.0.0/8",)) == "203.0.113.5"


def test_no_header_and_no_proxy_gives_the_peer_or_unknown():
    assert client_address("127.0.0.1", "", LOOPBACK) == "127.0.0.1"
    assert client_address("", "", ()) == "unknown"
    assert client_address("127.0.0.1", "203.0.113.5", ()) == "127.0.0.1"


def test_trusted_proxies_setting_is_checked_and_none_trusts_nobody(tmp_path):
    base = {"MEDIATION_SECRETS_FILE": str(tmp_path / "none.toml")}
    assert load_settings(base).trusted_proxies == LOOPBACK
    assert load_settings(base | {"MEDIATION_TRUSTED_PROXIES": "none"}).trusted_proxies == ()
    assert load_settings(base | {"MEDIATION_TRUSTED_PROXIES": "10.0.0.0/8, 127.0.0.1"}).trusted_proxies == (
        "10.0.0.0/8",
        "127.0.0.1",
    )
    with pytest.raises(ConfigError, match="MEDIATION_TRUSTED_PROXIES"):
        load_settings(base | {"MEDIATION_TRUSTED_PROXIES": "nginx.local"})
