"""faust as a thin driver of the partition processors (:mod:`agents.processor`).

For each record of an agent's stream, in offset order per partition (:mod:`agents.ordering`): the record
goes to the processor; the batch's table writes go to the faust tables (their changelog), its outputs are
encoded (waiting out a schema registry that does not answer) and sent; then the record is acked, so the
next commit may pass it. The commit itself and the confirmation of every send before it are faust's and
:mod:`agents.delivery`'s (the commit order in :class:`agents.app.HubApp`).

faust delivers records one by one here; a processor gets a batch of one. The processors take longer
batches from drivers that have them (replays over confluent-kafka).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from typing import Any, cast

import faust
import structlog

from agents.app import HubApp
from agents.engines import KeyValueTable
from agents.internals import committed_offsets
from agents.ordering import OffsetGuard, Verdict
from agents.processor import Batch, Counters, Output, Record, RegistryUnavailable, apply_writes
from agents.registry_wait import FIRST_WAIT_S, LONGEST_WAIT_S, encoded

log = structlog.get_logger(__name__)

RESEEK_S = 1.0
ACCEPT_GAP_AFTER_SEEKS = 5  # raw topics only; on the hub's own topics a gap is never real

Process = Callable[[Sequence[Record]], Batch]


def record_of(event: faust.EventT[bytes]) -> Record:
    """The processor's view of a faust event."""
    message = event.message
    headers = message.headers
    pairs = tuple(headers.items()) if isinstance(headers, Mapping) else tuple(headers or ())
    return Record(
        topic=message.topic,
        partition=message.partition,
        offset=message.offset,
        key=message.key,
        value=message.value,
        headers=tuple((str(k), bytes(v)) for k, v in pairs),
    )


class Driver:
    """Feeds faust streams to processors; owns the offset-order guard of every agent."""

    def __init__(
        self,
        app: HubApp,
        sinks: Mapping[str, faust.TopicT],
        tables: Mapping[str, KeyValueTable],
        counters: Counters,
    ) -> None:
        self.app = app
        self.sinks = sinks
        self.tables = tables
        self.counters = counters
        self.guard = OffsetGuard()
        self.reseeking: dict[Any, asyncio.Future[None]] = {}
        self.activity: dict[str, tuple[str, float]] = {}
        """Per agent: what it is doing now and since when (``time.monotonic``), for :meth:`progress`."""

    def reset(self) -> None:
        """Partitions were assigned or revoked: start the guard again, stop pending re-seeks."""
        self.guard.reset()
        for task in list(self.reseeking.values()):
            task.cancel()

    async def drive(
        self,
        stream: faust.StreamT[bytes],
        process: Process,
        guarded: set[str],
        *,
        offload: bool = False,
        name: str = "agent",
    ) -> None:
        """Run ``process`` over ``stream`` for ever (the agent's body). ``offload``: in a worker thread, so a
        slow parse never blocks the event loop (heartbeats, ``/healthz``); only for processors that touch no
        faust table (the normaliser). ``name`` labels the agent in :meth:`progress`."""
        self._doing(name, "waiting for a record")
        async for event in self._in_offset_order(stream, guarded):
            message = event.message
            where = f"{message.topic}[{message.partition}]@{message.offset}"
            self._doing(name, f"processing {where}")
            batch = await self._processed(process, [record_of(event)], offload=offload)
            self._doing(name, f"sending {len(batch.outputs)} outputs of {where}")
            await self._deliver(event, batch)
            self._doing(name, "waiting for a record")

    def _doing(self, name: str, what: str) -> None:
        self.activity[name] = (what, time.monotonic())

    def progress(self) -> dict[str, str]:
        """Each agent's current step and how long it has been at it (a stalled agent shows here)."""
        now = time.monotonic()
        return {
            name: f"{what} for {now - since:.0f} s" for name, (what, since) in sorted(self.activity.items())
        }

    async def _processed(self, process: Process, records: list[Record], *, offload: bool) -> Batch:
        wait = FIRST_WAIT_S
        while True:
            try:
                if offload:
                    return await asyncio.to_thread(process, records)
                return process(records)
            except RegistryUnavailable as exc:  # nothing was applied: wait, then the same record again
                log.warning("registry.unreachable", error=str(exc), retry_in_s=wait)
                await asyncio.sleep(wait)
                wait = min(wait * 2, LONGEST_WAIT_S)

    async def _deliver(self, event: faust.EventT[bytes], batch: Batch) -> None:
        """Table writes, then the outputs (in the event's context: faust tables need it)."""
        for name, writes in batch.writes.items():
            apply_writes(self.tables[name], writes)
        for output in batch.outputs:
            await event.send(
                self.sinks[output.topic],
                key=output.key,
                value=await _encoded(output),
                headers=list(output.headers),
            )

    async def _in_offset_order(
        self, stream: faust.StreamT[bytes], guarded: set[str]
    ) -> AsyncIterator[faust.EventT[bytes]]:
        """The stream's events, those of ``guarded`` topics in offset order; each is acked once the loop body
        that got it is done (manual acks: a record skipped for being out of order must not be acked)."""
        manual: faust.StreamT[bytes] = cast(Any, stream).noack()
        async for event in manual.events():
            if event.message.topic in guarded and not await self._in_order(manual, event):
                continue
            yield event
            await manual.ack(event)

    async def _in_order(self, stream: faust.StreamT[bytes], event: faust.EventT[bytes]) -> bool:
        """True to process ``event`` now (see :mod:`agents.ordering`). A repeat is acked and skipped; a record
        beyond a gap is skipped unacked (so the commit cannot pass the gap) after seeking back to the gap."""
        message = event.message
        tp = message.tp
        guard = self.guard
        base = committed_offsets(self.app.consumer).get(tp)
        base = base if isinstance(base, int) else None
        if not guard.started(tp):
            guard.begin(tp, base)
        elif base is not None:  # faust sought to its commit base after the guard started (on stale records)
            guard.lower(tp, base)
        verdict = guard.check(tp, message.offset)
        if verdict is Verdict.REWIND:
            log.warning(
                "stream.rewound",
                topic=tp.topic,
                partition=tp.partition,
                offset=message.offset,
                action="process from here again (idempotent)",
            )
            self.counters.bump("stream_rewinds")
            return True
        if verdict is Verdict.PROCESS:
            if (gap := guard.take_accepted_gap(tp)) is not None:
                await self.app.ack_gap(tp, *gap)
            return True
        if verdict is Verdict.REPEAT:
            await stream.ack(event)
        elif verdict is Verdict.SEEK:
            expected = guard.expected(tp)
            log.warning(
                "stream.out_of_order",
                topic=tp.topic,
                partition=tp.partition,
                offset=message.offset,
                expected=expected,
                action="seek back",
            )
            self.counters.bump("stream_gaps")
            if expected is not None:
                await self.app.consumer.seek(tp, expected)
                if tp not in self.reseeking:
                    self.reseeking[tp] = asyncio.ensure_future(self._seek_until_delivered(tp))
        return False

    def gap_refused(self, tp: Any, first: int, last: int) -> None:
        """faust's fetch skipped ``first``..``last`` of ``tp`` (a hub topic, so the gap was not acked): the
        guard expects them (:meth:`agents.ordering.OffsetGuard.missed`), so the commit that waits for them
        gets them."""
        self.guard.missed(tp, first)

    async def _seek_until_delivered(self, tp: Any) -> None:
        """Seek ``tp`` back again each second until the missing record arrives: records fetched before a
        seek move faust's read offset past the seek target, and faust then drops the re-fetched records."""
        seeks = 1
        try:
            while True:
                await asyncio.sleep(RESEEK_S)
                expected = self.guard.expected(tp)
                if not self.guard.is_seeking(tp) or expected is None:
                    return
                if tp.topic not in self.app.strict_topics and seeks >= ACCEPT_GAP_AFTER_SEEKS:
                    # a topic outside producers write: transaction markers leave offsets nobody gets
                    log.warning("stream.gap_accepted", topic=tp.topic, partition=tp.partition, first=expected)
                    self.guard.accept_gap(tp)
                    return
                log.info("stream.seek_again", topic=tp.topic, partition=tp.partition, expected=expected)
                await self.app.consumer.seek(tp, expected)
                seeks += 1
        finally:
            self.reseeking.pop(tp, None)


async def _encoded(output: Output) -> bytes | None:
    """The output's value bytes, waiting for the schema registry while it does not answer."""
    if output.value is None or output.codec is None:
        return output.encode()
    return await encoded(cast(Any, output.codec), output.value)
