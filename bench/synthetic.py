"""Synthetic configs for the benchmarks: N commitments over every due form, in zones with DST."""

from __future__ import annotations

import random
from pathlib import Path

ZONES = ["Europe/Berlin", "America/Santiago", "Asia/Damascus", "Europe/Kyiv", "UTC", "America/New_York"]
FORMS = [
    lambda r: f"2026-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}",
    lambda r: f'"2026-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}T{r.randint(0, 23):02d}:30"',
    lambda r: f"2026-W{r.randint(1, 52):02d}",
    lambda r: f"{r.choice(['early', 'mid', 'late'])} 2026-{r.randint(1, 12):02d}",
    lambda r: f"2026-{r.randint(1, 12):02d}",
    lambda r: f"2026-Q{r.randint(1, 4)}",
    lambda r: "asap",
]


def write_config(folder: Path, commitments: int, subscriptions: int = 3, seed: int = 7) -> Path:
    """A config folder with ``commitments`` commitments spread over 100 agreements."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    lines = [
        "timezone: UTC",
        "channels: {desk: {type: console}, mail: {type: console}}",
        "policies:",
        "  default: {remind_before: [30d, 7d, 1d], repeat_overdue_every: 7d, escalate_after: 14d}",
        "  urgent: {remind_before: [2d, 6h], grace: 1d, repeat_overdue_every: 2d}",
        "agreements:",
    ]
    for a in range(100):
        zone = ZONES[a % len(ZONES)]
        lines.append(
            f"  - {{id: ag{a}, title: Agreement {a}, announced: 2025-12-01, "
            f"parties: [P{a % 7}, Q{a % 5}], timezone: {zone}}}"
        )
    lines.append("commitments:")
    for c in range(commitments):
        form = FORMS[c % len(FORMS)](rng)
        policy = ", policy: urgent" if c % 10 == 0 else ""
        lines.append(
            f"  - {{id: c{c}, agreement: ag{c % 100}, title: Commitment {c}, due: {form}, "
            f"tags: [t{c % 4}]{policy}}}"
        )
    lines.append("subscriptions:")
    lines.append("  - {name: all, notify: [desk]}")
    if subscriptions > 1:
        lines.append("  - {name: tagged, match: {tags: [t1, t2]}, notify: [mail], policy: urgent}")
    if subscriptions > 2:
        lines.append(
            "  - {name: parties, match: {parties: [P1, P3]}, notify: [desk, mail],"
            ' quiet_hours: {start: "22:00", end: "07:00", timezone: Europe/London}}'
        )
    path = folder / "deadlinewatch.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
