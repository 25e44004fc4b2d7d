"""The planner's schedules, shared and built only when asked (the planner's memory at 100k).

A :class:`CommitmentSchedule` depends only on a deadline's versions and zone, the resolved policy
and the announced date — not on which commitment or subscription it serves. The book keeps one
*entry* per distinct such tuple (commitments with the same due in the same zone under the same
policy share one), and builds the schedule from its entry each time it is asked, without keeping
it: what it retains is O(entries) small tuples plus a heap of each entry's next instant.
"""

from __future__ import annotations

import heapq
from array import array
from collections.abc import Hashable, Iterable, Sequence
from datetime import datetime

from deadlinewatch.domain.deadlines import Deadline
from deadlinewatch.domain.model import Policy
from deadlinewatch.domain.occurrences import CommitmentSchedule, Occurrence

# What a schedule is built from: the deadline (any commitment's, with these versions), the policy,
# the announced instant and its nominal local time.
_Spec = tuple[Deadline, Policy, datetime | None, datetime | None]


class ScheduleBook:
    """Distinct schedules, the pairs each serves, and each one's next instant after the last
    :meth:`take_due` (a heap). :meth:`take_due` calls must move forward in time."""

    __slots__ = ("_heap", "_index", "_members", "_offsets", "_specs")

    def __init__(self) -> None:
        self._specs: list[_Spec] = []
        self._index: dict[Hashable, int] = {}
        self._heap: list[tuple[datetime, int]] | None = None
        self._members = array("l")
        self._offsets = array("l", [0])

    def __len__(self) -> int:
        return len(self._specs)

    def entry(
        self,
        deadline: Deadline,
        policy_key: Hashable,
        policy: Policy,
        announced: datetime | None,
        announced_local: datetime | None,
    ) -> int:
        """The entry of this deadline under this policy (``policy_key`` names ``policy``: equal
        keys, equal policies), added if new. Deadlines share an entry when they share their
        versions (:func:`compute_deadlines` gives dues written alike the same tuple; the book
        keys on its identity: cheap, fold-proof, and safe as the first deadline of each entry is kept).
        ``announced`` is ``announced_local`` in the deadline's zone: it needs no place in the key;
        the fold of ``announced_local`` does (equal naive times may differ by fold alone, in the
        two passes through a repeated hour, and those are different instants)."""
        fold = announced_local.fold if announced_local is not None else 0
        key = (id(deadline.versions), deadline.zone, deadline.open_kind, policy_key, announced_local, fold)
        index = self._index.get(key)
        if index is None:
            index = self._index[key] = len(self._specs)
            self._specs.append((deadline, policy, announced, announced_local))
        return index

    def seal(self, pair_entries: Sequence[int]) -> None:
        """No more entries; ``pair_entries[i]`` is the entry of pair ``i``. Drops the index that
        found equal entries and keeps, per entry, its pairs in order (one flat array)."""
        self._index = {}
        counts = [0] * (len(self._specs) + 1)
        for entry in pair_entries:
            counts[entry + 1] += 1
        for entry in range(len(self._specs)):
            counts[entry + 1] += counts[entry]
        self._offsets = array("l", counts)
        members = array("l", bytes(8 * len(pair_entries)))
        for pair, entry in enumerate(pair_entries):
            members[counts[entry]] = pair
            counts[entry] += 1
        self._members = members

    def members(self, entry: int) -> array[int]:
        """The pairs the entry serves, in pair order."""
        return self._members[self._offsets[entry] : self._offsets[entry + 1]]

    def schedule(self, entry: int) -> CommitmentSchedule:
        """The entry's schedule, built now (not kept)."""
        deadline, policy, announced, announced_local = self._specs[entry]
        return CommitmentSchedule(deadline, policy, announced, announced_local)

    def next_after(self, instant: datetime) -> datetime | None:
        """The earliest instant after ``instant`` at which any entry has something due (``instant``
        not before the ``hi`` of the last :meth:`take_due`)."""
        heap = self._ensure_heap(instant)
        return heap[0][0] if heap else None

    def take_due(self, lo: datetime | None, hi: datetime) -> dict[int, tuple[list[Occurrence], bool]]:
        """The entries with an occurrence firing in ``(lo, hi]`` (:meth:`CommitmentSchedule.between`;
        every entry is looked at when ``lo`` is None, a first start): their occurrences, and
        whether an overdue is due by ``hi`` (:meth:`CommitmentSchedule.overdue_due_by`). Every
        entry looked at gets its next instant after ``hi``."""
        if lo is None:
            self._heap = heap = []
            looked_at: Iterable[int] = range(len(self._specs))
        else:
            heap = self._ensure_heap(lo)
            popped: list[int] = []
            while heap and heap[0][0] <= hi:
                popped.append(heapq.heappop(heap)[1])
            looked_at = popped
        due: dict[int, tuple[list[Occurrence], bool]] = {}
        for entry in looked_at:
            schedule = self.schedule(entry)
            following = schedule.next_after(hi)
            if following is not None:
                heapq.heappush(heap, (following, entry))
            occurrences = list(schedule.between(lo, hi))
            if occurrences:
                due[entry] = (occurrences, schedule.overdue_due_by(hi))
        return due

    def _ensure_heap(self, instant: datetime) -> list[tuple[datetime, int]]:
        if self._heap is None:
            heap = []
            for entry in range(len(self._specs)):
                following = self.schedule(entry).next_after(instant)
                if following is not None:
                    heap.append((following, entry))
            heapq.heapify(heap)
            self._heap = heap
        return self._heap
