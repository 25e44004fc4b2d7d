"""Which proxy a URL goes through: HTTPS_PROXY / HTTP_PROXY / ALL_PROXY and NO_PROXY."""

from __future__ import annotations

from deadlinewatch.proxies import ProxySettings

ENV = {"HTTPS_PROXY": "http://proxy:3128", "HTTP_PROXY": "http://plain:8080"}


def test_scheme_picks_the_proxy_and_upper_case_wins() -> None:
    settings = ProxySettings.from_env({**ENV, "https_proxy": "http://lower:1"})
    assert settings.for_url("https://slack.com/api/chat.postMessage") == "http://proxy:3128"
    assert settings.for_url("http://feeds.example.org/rss") == "http://plain:8080"
    assert (
        ProxySettings.from_env({"https_proxy": "http://lower:1"}).for_url("https://x.org") == "http://lower:1"
    )
    assert ProxySettings.from_env({}).for_url("https://slack.com/") is None
    every = ProxySettings.from_env({"ALL_PROXY": "http://all:1"})
    assert every.for_url("https://a.org") == every.for_url("http://a.org") == "http://all:1"


def test_no_proxy_forms() -> None:
    settings = ProxySettings.from_env(
        {**ENV, "NO_PROXY": "localhost, .internal.example, example.net,10.0.0.0/8, 192.168.1.5,host:8443 ::1"}
    )
    direct = [
        "http://localhost:8080/x",
        "https://hooks.internal.example/a",
        "https://internal.example/a",
        "https://example.net/",
        "https://api.example.net/",
        "http://10.1.2.3/feed",
        "http://192.168.1.5/",
        "https://host:8443/",
        "http://[::1]:9000/",
    ]
    proxied = [
        "https://slack.com/api/",
        "https://notexample.net/",
        "http://11.0.0.1/",
        "http://192.168.1.6/",
        "https://host/",  # port 443, not 8443
        "https://example.net.evil.org/",
    ]
    assert [u for u in direct if settings.for_url(u) is not None] == []
    assert [u for u in proxied if settings.for_url(u) is None] == []


def test_a_star_sends_everything_direct() -> None:
    settings = ProxySettings.from_env({**ENV, "no_proxy": "*"})
    assert settings.for_url("https://slack.com/api/") is None
    assert not ProxySettings.from_env({"NO_PROXY": "*"}).any
