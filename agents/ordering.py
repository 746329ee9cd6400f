"""Hand an agent each partition's records in offset order, each once, whatever the consumer delivers.

The recovery tests caught faust (0.15.3 on aiokafka 0.14) skipping runs of records: mostly right after table
recovery, when its seek to the committed offsets races a fetch already under way, and now and then mid-stream
(offsets 166-171 skipped, 172 delivered, 166 again only after a restart). For the pathway core that is not
harmless: an event applied after others that occurred more than the allowed lateness later is judged late,
so an avvik can be raised and then retracted that an in-order run never raises; and a skipped bed change or
rejection link is simply missing.

:class:`OffsetGuard` is the agents' check, with no faust import. On the topics the hub writes itself (no
transaction markers, no compaction) a gap in the offsets can only be a delivery that went missing. Per
partition it remembers the next offset it expects:

- the expected offset (or the first record after an assignment): ``PROCESS``;
- an offset already processed (a re-delivery): ``REPEAT``, skip it;
- an offset below the first one the guard has seen since the assignment (the consumer was sought back
  below where the guard started, e.g. by faust's seek to the committed offsets after table recovery):
  ``REWIND``, process it and expect the records after it again (re-processing is idempotent; skipping it
  as a repeat would lose records nobody processed);
- a later offset: the first time ``SEEK`` (the agent seeks the partition back to :meth:`expected` and skips
  the record without acking it, so the commit cannot pass the missing records), then ``WAIT`` until the
  expected record arrives (the agent seeks again while :meth:`is_seeking`, in case records fetched before
  the seek made the consumer drop the re-fetched ones). On a topic that outside producers write, where
  transaction markers leave real gaps, the agent gives up after a few seeks (:meth:`accept_gap`).

A skip shows when a later record of the partition arrives (in a live hub new events keep coming).

faust reports a skip too, before it delivers the record after it (its gap, which :mod:`agents.gap_acks`
refuses to ack on the hub's topics); :meth:`OffsetGuard.missed` takes that report, and the agent tells
:meth:`OffsetGuard.lower` faust's commit base at every record (the guard may have started on records fetched
before faust's seek to the committed offsets, which comes after the partitions were resumed). It matters
where faust's commit base is below the guard's start: the commit then waits for offsets the guard would never
ask for (the restarted-worker stall of the recovery tests: faust read partition 0 from 166, jumped to 268,
and the guard, started at 229, sought back only to 229, so 166-228 were never acked and no commit followed).
"""

from __future__ import annotations

from collections.abc import Hashable
from enum import Enum


class Verdict(Enum):
    """What the agent does with a record."""

    PROCESS = "process"
    REPEAT = "repeat"
    REWIND = "rewind"
    SEEK = "seek"
    WAIT = "wait"


class OffsetGuard:
    """Per partition: records in offset order, each processed once (see the module docstring)."""

    def __init__(self) -> None:
        self._next: dict[Hashable, int] = {}
        self._first: dict[Hashable, int] = {}
        self._floor: dict[Hashable, int] = {}
        self._seeking: set[Hashable] = set()
        self._accepting: set[Hashable] = set()
        self._accepted: dict[Hashable, tuple[int, int]] = {}
        self.gaps = 0
        self.rewinds = 0

    def reset(self) -> None:
        """Forget every partition (after a rebalance the consumer starts again from committed offsets)."""
        self._next.clear()
        self._first.clear()
        self._floor.clear()
        self._seeking.clear()
        self._accepting.clear()
        self._accepted.clear()

    def accept_gap(self, partition: Hashable) -> None:
        """Give up waiting: the partition's next record is processed whatever its offset. For topics outside
        producers write (transaction markers leave offsets no consumer ever gets), once seeking back has
        shown the missing records do not come."""
        if partition in self._seeking:
            self._accepting.add(partition)

    def take_accepted_gap(self, partition: Hashable) -> tuple[int, int] | None:
        """The offsets (first, last) given up by :meth:`accept_gap`, once the next record came; given once."""
        return self._accepted.pop(partition, None)

    def begin(self, partition: Hashable, committed: int | None) -> None:
        """Expect ``partition`` to start at its committed offset (so a skip of its first records is seen too),
        or lower where :meth:`missed` said so; ignored once the partition has started."""
        if partition in self._next:
            return
        starts = [o for o in (committed, self._floor.pop(partition, None)) if o is not None and o >= 0]
        if starts:
            self._next[partition] = self._first[partition] = min(starts)

    def missed(self, partition: Hashable, first: int) -> None:
        """The consumer skipped offsets from ``first`` on (faust's gap report): :meth:`lower` to ``first - 1``
        (after a seek faust counts the seek target as read, so its gap starts one after it)."""
        self.lower(partition, max(first - 1, 0))

    def lower(self, partition: Hashable, offset: int) -> None:
        """Make sure the partition's records from ``offset`` on reach the agent (faust's commit base, or a gap
        below it, says they must): where ``offset`` is below the first offset the guard has seen, expect it
        next, so the next record beyond is a ``SEEK`` back to it. Offsets the guard has seen are processed
        or will be sought as usual."""
        if partition not in self._next:
            self._floor[partition] = min(offset, self._floor.get(partition, offset))
        elif offset < self._first[partition]:
            self._next[partition] = self._first[partition] = offset

    def started(self, partition: Hashable) -> bool:
        """True once the partition has an expected offset (from :meth:`begin` or a first record)."""
        return partition in self._next

    def expected(self, partition: Hashable) -> int | None:
        """The next offset the partition should deliver, or None before its first record."""
        return self._next.get(partition)

    def is_seeking(self, partition: Hashable) -> bool:
        """True while the partition waits for a missing record."""
        return partition in self._seeking

    def check(self, partition: Hashable, offset: int) -> Verdict:
        """The verdict for the record at ``offset`` of ``partition``."""
        expected = self._next.get(partition)
        if expected is None or offset == expected:
            self._next[partition] = offset + 1
            self._first.setdefault(partition, offset)
            self._seeking.discard(partition)
            self._accepting.discard(partition)  # the missing record came: a later skip is sought anew
            return Verdict.PROCESS
        if offset < self._first[partition]:
            self._next[partition] = offset + 1
            self._first[partition] = offset
            self._seeking.discard(partition)
            self._accepting.discard(partition)
            self.rewinds += 1
            return Verdict.REWIND
        if offset < expected:
            return Verdict.REPEAT
        if partition in self._accepting:
            self._accepting.discard(partition)
            self._accepted[partition] = (expected, offset - 1)
            self._next[partition] = offset + 1
            self._seeking.discard(partition)
            return Verdict.PROCESS
        if partition in self._seeking:
            return Verdict.WAIT
        self.gaps += 1
        self._seeking.add(partition)
        return Verdict.SEEK
