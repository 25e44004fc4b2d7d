"""``/metrics`` in the Prometheus text exposition format (0.0.4), written by hand.

Always answers: when the database does not, ``deadlinewatch_database_up`` is 0 and the ledger
counts are left out, so a scrape still shows why.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping

from sqlalchemy.exc import SQLAlchemyError

from deadlinewatch.domain.model import Status
from deadlinewatch.storage import NotificationState
from deadlinewatch.web.readmodel import states_of
from deadlinewatch.web.runtime import Runtime

__all__ = ["CONTENT_TYPE", "render_metrics"]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
PREFIX = "deadlinewatch_"
_NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
_PAIR = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\["\\n])*"'
_LABELS = re.compile(rf"^\{{{_PAIR}(?:,{_PAIR})*\}}$")


def _value(number: float) -> str:
    if math.isnan(number):
        return "NaN"
    if math.isinf(number):
        return "+Inf" if number > 0 else "-Inf"
    if float(number).is_integer() and abs(number) < 2**53:
        return str(int(number))
    return repr(float(number))


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


class _Exposition:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.declared: set[str] = set()

    def family(self, name: str, kind: str, help_text: str) -> None:
        if name not in self.declared:
            self.declared.add(name)
            self.lines.append(f"# HELP {name} {help_text}")
            self.lines.append(f"# TYPE {name} {kind}")

    def sample(self, name: str, value: float, labels: Iterable[tuple[str, str]] = ()) -> None:
        pairs = ",".join(f'{key}="{_label(val)}"' for key, val in labels)
        self.lines.append(f"{name}{{{pairs}}} {_value(value)}" if pairs else f"{name} {_value(value)}")

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def _split(key: str) -> tuple[str, str] | None:
    """``deliveries_total{channel="x"}`` → (``deadlinewatch_deliveries_total``, ``{channel="x"}``);
    ``None`` when the name or the labels are not well formed (the sample is left out)."""
    name, brace, rest = key.partition("{")
    labels = brace + rest
    if not _NAME.match(name) or (labels and not _LABELS.match(labels)):
        return None
    return (name if name.startswith(PREFIX) else PREFIX + name), labels


def _extra(out: _Exposition, metrics: Mapping[str, float]) -> None:
    builtin = set(out.declared)
    for key in sorted(metrics):
        split = _split(key)
        if split is None or split[0] in builtin:
            continue
        name, labels = split
        kind = "counter" if name.endswith("_total") else "gauge"
        out.family(name, kind, f"{name.removeprefix(PREFIX)} reported by the service")
        out.lines.append(f"{name}{labels} {_value(float(metrics[key]))}")


def render_metrics(runtime: Runtime) -> str:
    out = _Exposition()
    counts: dict[NotificationState, int] | None
    try:
        counts = runtime.store.counts_by_state()
    except SQLAlchemyError:
        counts = None
    out.family(PREFIX + "database_up", "gauge", "1 when the database answers")
    out.sample(PREFIX + "database_up", 1 if counts is not None else 0)
    if counts is not None:
        name = PREFIX + "notifications"
        out.family(name, "gauge", "Ledger rows (notifications) by state")
        for state in NotificationState:
            out.sample(name, counts.get(state, 0), [("state", state.value)])
    try:
        planner = runtime.planner()
    except SQLAlchemyError:  # a runtime may build its view from the database on demand
        planner = None
    out.family(PREFIX + "config_loaded", "gauge", "1 when a valid config is loaded")
    out.sample(PREFIX + "config_loaded", 1 if runtime.config() is not None else 0)
    out.family(PREFIX + "scheduler_running", "gauge", "1 when the scheduler is running")
    out.sample(PREFIX + "scheduler_running", 1 if runtime.scheduler_running() else 0)
    if planner is not None:
        model = states_of(planner, runtime.now())  # counts kept with the read model: no scan
        name = PREFIX + "commitments"
        out.family(name, "gauge", "Commitments by current status")
        for status in Status:
            out.sample(name, model.by_status[status], [("status", status.value)])
        out.family(PREFIX + "commitments_overdue", "gauge", "Commitments overdue now (open status)")
        out.sample(PREFIX + "commitments_overdue", model.overdue_count)
        out.family(PREFIX + "commitments_pending", "gauge", "Relative or derived deadlines not known yet")
        out.sample(PREFIX + "commitments_pending", model.pending_count)
    _extra(out, runtime.metrics())
    return out.text()
