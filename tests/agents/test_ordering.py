"""The offset guard: an agent sees each partition's records in offset order and once, whatever the consumer
does."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from agents.ordering import OffsetGuard, Verdict

P = ("samhandling.events", 0)


def test_in_order_records_are_processed() -> None:
    guard = OffsetGuard()
    assert [guard.check(P, o) for o in (5, 6, 7)] == [Verdict.PROCESS] * 3
    assert guard.expected(P) == 8


def test_a_redelivered_record_is_a_repeat() -> None:
    guard = OffsetGuard()
    for o in range(4):
        guard.check(P, o)
    assert guard.check(P, 2) is Verdict.REPEAT


def test_a_skip_seeks_back_once_then_waits_for_the_missing_record() -> None:
    """The faust run that broke recovery: 165, then 172 (166-171 skipped)."""
    guard = OffsetGuard()
    guard.check(P, 165)
    assert guard.check(P, 172) is Verdict.SEEK
    assert guard.expected(P) == 166
    assert [guard.check(P, o) for o in (173, 174)] == [Verdict.WAIT, Verdict.WAIT]  # buffered before the seek
    assert [guard.check(P, o) for o in range(166, 176)] == [Verdict.PROCESS] * 10  # the re-fetch
    assert guard.gaps == 1


def test_waits_for_the_missing_record_however_many_later_ones_arrive() -> None:
    """On the hub's own topics a gap is never real: the guard keeps waiting (and the agent keeps seeking)."""
    guard = OffsetGuard()
    guard.check(P, 9)
    assert guard.check(P, 12) is Verdict.SEEK
    assert {guard.check(P, o) for o in (12, 13, 11, 500)} == {Verdict.WAIT}
    assert guard.is_seeking(P)
    assert guard.check(P, 10) is Verdict.PROCESS
    assert not guard.is_seeking(P)


def test_an_accepted_gap_lets_the_next_record_through_and_is_reported_once() -> None:
    """Offsets 10-11 of a raw topic hold transaction markers: after seeking in vain the agent accepts it."""
    guard = OffsetGuard()
    guard.check(P, 9)
    assert guard.check(P, 12) is Verdict.SEEK
    assert guard.check(P, 12) is Verdict.WAIT
    guard.accept_gap(P)
    assert guard.check(P, 12) is Verdict.PROCESS
    assert guard.take_accepted_gap(P) == (10, 11)  # to ack, so commits go on
    assert guard.take_accepted_gap(P) is None
    assert guard.check(P, 13) is Verdict.PROCESS
    guard.accept_gap(P)  # not seeking: nothing to give up
    assert guard.check(P, 20) is Verdict.SEEK


def test_a_skip_of_the_first_records_is_seen_from_the_committed_offset() -> None:
    guard = OffsetGuard()
    guard.begin(P, 40)
    assert guard.check(P, 43) is Verdict.SEEK
    assert guard.expected(P) == 40
    guard.begin(P, 99)  # ignored: the partition has started
    assert guard.expected(P) == 40


def test_partitions_are_independent_and_reset_forgets_them() -> None:
    guard = OffsetGuard()
    other = ("samhandling.events", 1)
    guard.check(P, 10)
    assert guard.check(other, 500) is Verdict.PROCESS
    guard.reset()
    assert guard.expected(P) is None
    assert guard.check(P, 3) is Verdict.PROCESS


def test_a_consumer_sought_below_the_guards_start_is_processed_again_not_skipped() -> None:
    """faust's seek to the committed offsets after table recovery can go below where the guard started
    (the restarted-worker stall): those records were never processed here, so they are not repeats."""
    guard = OffsetGuard()
    guard.begin(P, 229)
    assert guard.check(P, 229) is Verdict.PROCESS
    assert guard.check(P, 230) is Verdict.PROCESS
    assert guard.check(P, 166) is Verdict.REWIND
    assert [guard.check(P, o) for o in range(167, 232)] == [Verdict.PROCESS] * 65
    assert guard.check(P, 200) is Verdict.REPEAT  # seen since the rewind
    assert guard.rewinds == 1


def test_a_gap_faust_reported_below_the_guards_start_is_sought_back_to() -> None:
    """The stall, as recorded: faust read partition 0 from 166 and jumped to 268 (its gap 166-267, not
    acked, so its commit waits for 166); the guard had started at 229 and sought back only to 229."""
    guard = OffsetGuard()
    guard.missed(P, 166)  # reported by the fetch loop before 268 reaches the agent
    guard.begin(P, 229)
    assert guard.check(P, 268) is Verdict.SEEK
    assert guard.expected(P) == 165  # faust counts its seek target as read: one before its gap
    assert [guard.check(P, o) for o in range(165, 270)] == [Verdict.PROCESS] * 105


def test_a_reported_gap_after_the_start_lowers_the_guard_only_below_what_it_has_seen() -> None:
    guard = OffsetGuard()
    guard.begin(P, 229)
    guard.check(P, 229)
    guard.missed(P, 231)  # above the guard's first offset: the usual seek handles it
    assert guard.expected(P) == 230
    guard.missed(P, 170)
    assert guard.expected(P) == 169
    assert guard.check(P, 268) is Verdict.SEEK
    assert guard.expected(P) == 169


def test_a_guard_started_on_records_fetched_before_fausts_seek_is_lowered_to_fausts_commit_base() -> None:
    """faust resumes the partitions before it seeks them to the committed offsets: records of a fetch under
    way (229, 230) can reach the agent while faust knows no commit base, and a seek of the guard's can then
    undo faust's seek. The base the agent passes at each record lowers the guard (the reviewed stall)."""
    guard = OffsetGuard()
    guard.begin(P, None)
    assert [guard.check(P, o) for o in (229, 230)] == [Verdict.PROCESS] * 2
    guard.lower(P, 166)  # faust's seek to the committed offsets came meanwhile
    assert guard.check(P, 231) is Verdict.SEEK
    assert guard.expected(P) == 166
    guard.lower(P, 170)  # not below what the guard expects: nothing changes
    assert guard.expected(P) == 166


def test_a_gap_accepted_once_is_not_accepted_again_without_seeking() -> None:
    """After the agent gave up on a raw topic's gap and the missing record came after all, the next skip
    is sought back to like any other, never acked unseen."""
    guard = OffsetGuard()
    guard.check(P, 9)
    assert guard.check(P, 12) is Verdict.SEEK
    guard.accept_gap(P)
    assert guard.check(P, 10) is Verdict.PROCESS  # it came after all
    assert guard.check(P, 11) is Verdict.PROCESS
    assert guard.check(P, 20) is Verdict.SEEK
    assert guard.take_accepted_gap(P) is None


class _Fetch:
    """A faulty consumer's fetch over offsets ``position``..``n - 1``: at the offsets ``skips`` names it
    skips a run of records once (never the last ones: a skip shows only when a later record arrives), and
    after a seek it first delivers the records it had fetched before (``buffered`` of them)."""

    def __init__(self, n: int, position: int, skips: dict[int, tuple[int, int]]) -> None:
        self.n, self.position, self.skips = n, position, skips
        self.stale: list[int] = []

    def next(self) -> int | None:
        """The next offset delivered, or None at the end."""
        while not self.stale:
            if self.position >= self.n:
                return None
            at = self.position
            if at in self.skips and at + self.skips[at][0] < self.n:
                self.position += self.skips.pop(at)[0]
                continue
            self.position += 1
            return at
        return self.stale.pop(0)

    def seek(self, offset: int, after: int) -> None:
        """Seek to ``offset`` (the agent's, on the record ``after``): the records fetched before it come
        first."""
        buffered = self.skips.get(after, (0, 2))[1]
        self.stale = list(range(self.position, min(self.n, self.position + buffered)))
        self.position = offset


@settings(max_examples=300, deadline=None)
@given(
    n=st.integers(min_value=1, max_value=60),
    base=st.integers(min_value=1, max_value=20),  # faust checks neither gaps nor its base at offset 0
    ahead=st.integers(min_value=0, max_value=15),
    stale=st.integers(min_value=0, max_value=4),
    faults=st.lists(st.tuples(st.integers(0, 59), st.integers(1, 8), st.integers(0, 5)), max_size=6),
)
def test_faust_commits_every_record_from_its_base_whatever_offset_the_guard_started_at(
    n: int, base: int, ahead: int, stale: int, faults: list[tuple[int, int, int]]
) -> None:
    """A model of faust's fetch loop (read offset, gap reports when it jumps, records fetched before a seek
    delivered stale, the re-fetched ones then dropped until the agent seeks again) starting at its commit
    base, while the guard starts ``ahead`` of it (the committed offset it read was later than faust's), or,
    with ``stale``, on that many records fetched before faust's seek to its base, when faust knew no base yet
    (the agent passes faust's base to the guard at every record). faust commits only when every offset after
    its base was acked (gaps are refused; it counts the base
    itself as read, as it does a seek target), so every one of them must reach the agent, be processed, and
    be acked."""
    n += base
    guard = OffsetGuard()
    start = min(base + ahead, n - 1)
    fetch = _Fetch(n, start if stale else base, {a: (length, b) for a, length, b in faults if a >= base})
    read, known, processed, acked = fetch.position, None if stale else base, [], set()
    for _ in range(20 * n + 100):
        if known is None and (stale <= 0 or (fetch.position >= n and not fetch.stale)):
            # faust's seek to the committed offsets, after the resume
            fetch.position = read = known = base
        if (offset := fetch.next()) is None:
            if not guard.is_seeking(P):
                break
            fetch.position = read = guard.expected(P) or 0  # the agent's re-seek timer, each second
            continue
        if offset < read:  # faust drops a record below its read offset (stale ones moved it on) ...
            if guard.is_seeking(P) and not fetch.stale:  # ... so the agent's re-seek timer seeks again
                fetch.position = read = guard.expected(P) or 0
            continue
        if offset - read > 1 and read:
            guard.missed(P, read + 1)
        read, stale = offset, stale - 1
        if not guard.started(P):
            guard.begin(P, start if known is not None else None)
        elif known is not None:
            guard.lower(P, known)
        verdict = guard.check(P, offset)
        if verdict in (Verdict.PROCESS, Verdict.REWIND):
            processed.append(offset)
        if verdict in (Verdict.PROCESS, Verdict.REWIND, Verdict.REPEAT):
            acked.add(offset)
        elif verdict is Verdict.SEEK:
            fetch.seek(read := guard.expected(P) or 0, offset)
    assert set(range(base + 1, n)) <= acked, "faust's commit would wait for ever"
    assert set(processed) >= set(range(base + 1, n))


@settings(max_examples=300, deadline=None)
@given(
    n=st.integers(min_value=1, max_value=60),
    faults=st.lists(st.tuples(st.integers(0, 59), st.integers(1, 8), st.integers(0, 5)), max_size=6),
)
def test_a_faulty_consumer_still_gives_every_record_once_in_order(
    n: int, faults: list[tuple[int, int, int]]
) -> None:
    """A consumer that, at some positions, skips ahead (and keeps records buffered from before a seek)
    still gives the agent 0..n-1 exactly once and in order, because of the guard's seeks."""
    guard = OffsetGuard()
    guard.begin(P, 0)  # the committed offset the consumer starts from
    fetch = _Fetch(n, 0, {at: (length, buffered) for at, length, buffered in faults})
    processed = []
    for _ in range(20 * n + 100):
        if (offset := fetch.next()) is None:
            break
        verdict = guard.check(P, offset)
        if verdict is Verdict.PROCESS:
            processed.append(offset)
        elif verdict is Verdict.SEEK:
            fetch.seek(guard.expected(P) or 0, offset)
    assert processed == list(range(n))
