"""``/metrics`` parsed with prometheus_client's own parser: what each family says, ledger gauges
from the leader only, what the dispatcher and the HTTP middleware count."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample
from test_web_support import NOW, SIGNING_SECRET, TOKEN, client_for, make_runtime

from deadlinewatch.domain.events import Reminder
from deadlinewatch.domain.model import EventKind
from deadlinewatch.domain.notifications import Notice
from deadlinewatch.services.dispatch import failing_state_key
from deadlinewatch.storage import SourceState, Store, new_notifications
from deadlinewatch.telemetry import ServiceTelemetry
from deadlinewatch.web.runtime import StaticRuntime


def _scrape(runtime: StaticRuntime) -> tuple[dict[str, str], dict[str, str], list[Sample]]:
    client = client_for(runtime)
    client.get("/api/commitments")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    assert TOKEN not in response.text and SIGNING_SECRET not in response.text
    helps: dict[str, str] = {}
    kinds: dict[str, str] = {}
    samples: list[Sample] = []
    for family in text_string_to_metric_families(response.text):
        helps[family.name] = family.documentation
        kinds[family.name] = family.type
        samples.extend(family.samples)
    return helps, kinds, samples


def _value(samples: list[Sample], name: str, **labels: str) -> float:
    found = [
        s.value for s in samples if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())
    ]
    assert len(found) == 1, (name, labels, found)
    return found[0]


def _ledger(store: Store) -> None:
    """Three rows due at NOW - 10 min (one of them failed), one held until tomorrow."""
    for subject, channel, send_at in (
        ("syria-draft-constitution", "console", NOW - timedelta(minutes=10)),
        ("weapons-withdrawal", "console", NOW - timedelta(minutes=5)),
        ("syria-elections", "slack", NOW - timedelta(minutes=10)),
        ("syria-detainee-releases", "console", NOW + timedelta(days=1)),
    ):
        notice = Notice(
            "desk",
            (channel,),
            EventKind.REMINDER,
            subject,
            send_at,
            send_at,
            Reminder("2016-09-30T00:00:00Z", "30d"),
        )
        store.insert_notifications(new_notifications(notice), now=NOW)
    claimed = store.claim_due(NOW, 10, 60, "owner")
    [slack] = [r for r in claimed if r.channel == "slack"]
    store.mark_failed(slack.id, "channel_not_found", NOW, owner="owner")
    store.set_state(failing_state_key("slack"), {"since": "x", "error": "channel_not_found"}, NOW)
    store.release_claims([r.id for r in claimed if r.channel != "slack"], "owner", NOW)
    store.save_source_state(SourceState("un-news", consecutive_failures=4, failing=True, updated_at=NOW))


def test_every_family_says_what_it_is(store: Store, tmp_path: Path) -> None:
    _ledger(store)
    telemetry = ServiceTelemetry()
    telemetry.delivered("console", "sent", 0.3)
    telemetry.delivered("console", "sent", 1.5)
    telemetry.delivered("slack", "retry")
    telemetry.source_polled("un-news", "updated", True, NOW)
    telemetry.source_polled("un-news", "failed", False, NOW)
    telemetry.config_loaded("0123456789abcdef", NOW)
    telemetry.watch_scheduler(lambda: (NOW + timedelta(minutes=1), 0.25))
    helps, kinds, samples = _scrape(make_runtime(store, tmp_path, service_telemetry=telemetry))
    for name, text in helps.items():
        assert len(text) > 15, (name, text)  # a sentence, not a placeholder
    assert _value(samples, "deadlinewatch_deliveries_total", channel="console", outcome="sent") == 2
    assert _value(samples, "deadlinewatch_deliveries_total", channel="slack", outcome="retry") == 1
    assert kinds["deadlinewatch_delivery_latency_seconds"] == "histogram"
    assert _value(samples, "deadlinewatch_delivery_latency_seconds_bucket", channel="console", le="1.0") == 1
    assert _value(samples, "deadlinewatch_delivery_latency_seconds_count", channel="console") == 2
    assert _value(samples, "deadlinewatch_source_polls_total", source="un-news", outcome="failed") == 1
    assert (
        _value(samples, "deadlinewatch_source_last_success_timestamp_seconds", source="un-news")
        == NOW.timestamp()
    )
    assert _value(samples, "deadlinewatch_config_info", sha256="0123456789abcdef") == 1
    assert _value(samples, "deadlinewatch_config_last_load_timestamp_seconds") == NOW.timestamp()
    assert (
        _value(samples, "deadlinewatch_next_wakeup_timestamp_seconds")
        == (NOW + timedelta(minutes=1)).timestamp()
    )
    assert _value(samples, "deadlinewatch_scheduler_lag_seconds") == 0.25
    # the ledger, read at scrape time (this runtime leads)
    assert _value(samples, "deadlinewatch_leader") == 1
    assert _value(samples, "deadlinewatch_database_up") == 1
    assert _value(samples, "deadlinewatch_notifications", state="pending") == 3
    assert _value(samples, "deadlinewatch_notifications", state="failed") == 1
    assert _value(samples, "deadlinewatch_outbox_due", channel="console") == 2
    assert _value(samples, "deadlinewatch_outbox_held", channel="console") == 1
    assert _value(samples, "deadlinewatch_notifications_failed", channel="slack") == 1
    assert _value(samples, "deadlinewatch_outbox_oldest_due_age_seconds") == 600
    assert _value(samples, "deadlinewatch_channel_failing", channel="slack") == 1
    assert _value(samples, "deadlinewatch_channel_failing", channel="console") == 0
    assert _value(samples, "deadlinewatch_source_failing", source="un-news") == 1
    assert _value(samples, "deadlinewatch_source_consecutive_failures", source="un-news") == 4
    # the service's state and the commitments
    assert _value(samples, "deadlinewatch_config_loaded") == 1
    assert _value(samples, "deadlinewatch_scheduler_running") == 1
    assert _value(samples, "deadlinewatch_commitments", status="missed") == 1
    assert _value(samples, "deadlinewatch_commitments_overdue") == 1
    # HTTP, process and build
    assert (
        _value(
            samples, "deadlinewatch_http_requests_total", method="GET", route="/api/commitments", status="200"
        )
        == 1
    )
    assert (
        _value(
            samples,
            "deadlinewatch_http_request_duration_seconds_count",
            method="GET",
            route="/api/commitments",
        )
        == 1
    )
    assert _value(samples, "process_resident_memory_bytes") > 0
    build = [s for s in samples if s.name == "deadlinewatch_build_info"]
    assert build and build[0].labels["version"]


def test_a_follower_leaves_the_ledger_to_the_leader(store: Store, tmp_path: Path) -> None:
    _ledger(store)
    _, kinds, samples = _scrape(make_runtime(store, tmp_path, leader=False))
    assert _value(samples, "deadlinewatch_leader") == 0
    assert _value(samples, "deadlinewatch_database_up") == 1
    for name in ("deadlinewatch_notifications", "deadlinewatch_outbox_due", "deadlinewatch_channel_failing"):
        assert name not in kinds


def test_extra_runtime_samples_keep_their_labels_and_skip_bad_names(store: Store, tmp_path: Path) -> None:
    runtime = make_runtime(
        store,
        tmp_path,
        extra_metrics={
            "claims_total": 12,
            'claims_total{channel="console"}': 12,
            "deadlinewatch_in_flight": 3.5,
            "bad name{": 1,
            "deliveries_total": 99,  # a built-in family: left out
        },
    )
    runtime.service_telemetry.delivered("console", "sent", 0.1)
    _, kinds, samples = _scrape(runtime)
    assert kinds["deadlinewatch_claims"] == "counter"
    assert _value(samples, "deadlinewatch_claims_total", channel="console") == 12
    assert _value(samples, "deadlinewatch_in_flight") == 3.5
    assert _value(samples, "deadlinewatch_deliveries_total", channel="console", outcome="sent") == 1
    assert not any(s.name.startswith("bad") for s in samples)


@pytest.mark.parametrize("outcome", ["sent", "retry", "failed", "dropped"])
def test_outcomes_are_the_dispatchers(outcome: str) -> None:
    from deadlinewatch.telemetry import DeliveryOutcome

    assert outcome in vars(DeliveryOutcome).values()
