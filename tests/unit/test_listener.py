"""The HTTP socket ``run`` binds first."""

from __future__ import annotations

import socket

import pytest

from deadlinewatch.web.listener import ListenFailed, bind_listener, dashboard_address, split_listen


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_taken_port_is_a_clear_error_and_a_free_one_is_held() -> None:
    port = free_port()
    held = bind_listener(f"127.0.0.1:{port}")
    try:
        with pytest.raises(ListenFailed) as caught:
            bind_listener(f"127.0.0.1:{port}")
        assert "already in use" in str(caught.value) and "--http" in str(caught.value)
    finally:
        held.close()


def test_localhost_binds_ipv4_and_addresses_are_shown_as_urls() -> None:
    held = bind_listener(f"localhost:{free_port()}")
    try:
        assert held.family == socket.AF_INET
    finally:
        held.close()
    assert split_listen("[::1]:8080") == ("::1", 8080)
    assert dashboard_address("0.0.0.0:8080") == "http://127.0.0.1:8080/"
    assert dashboard_address("[::1]:9000") == "http://[::1]:9000/"
    with pytest.raises(ListenFailed):
        split_listen("8080")
