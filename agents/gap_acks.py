"""Stop faust from acking offsets it never delivered, on topics where a gap can only be a lost delivery.

When faust's fetch loop sees a partition jump ahead (offset 231 after 187), it assumes compaction or
transaction markers and records the missing offsets as acknowledged, so the next commit can pass them. On
the hub's own topics (``samhandling.events`` and the worker's internal topics, written by non-transactional
producers and never compacted) such a jump is a delivery that went missing: the recovery tests saw faust skip
runs of records right after table recovery. The agents' :class:`agents.ordering.OffsetGuard` seeks back and
processes them, but if faust had already acked them, a crash before that would lose them for good.

:func:`refuse_gap_acks` makes the consumer keep such offsets unacknowledged on the given topics (they are
committed once the agent has processed them); other topics (raw topics, which outside producers may write
transactionally) keep faust's behaviour.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection
from typing import Any

import structlog

log = structlog.get_logger(__name__)


AckGap = Callable[[Any, int, int], Awaitable[None]]
GapListener = Callable[[Any, int, int], None]
"""Told of each refused gap: ``(tp, first, last)``."""


def refuse_gap_acks(
    consumer: Any, topics: Collection[str], listener: Callable[[], GapListener | None] = lambda: None
) -> AckGap:
    """Wrap ``consumer._add_gap`` (faust 0.15) so gaps on ``topics`` are logged, not acked, and handed to
    the listener ``listener()`` returns (the agents' offset guard must then ask for those offsets: the
    commit waits for them).

    Returns faust's own function, to ack a gap an agent gave up on: ``await ack_gap(tp, first, last)``.
    """
    original: AckGap = consumer._add_gap
    strict = frozenset(topics)

    async def _add_gap(tp: Any, offset_from: int, offset_to: int) -> None:
        if tp.topic in strict:
            log.warning(
                "consumer.gap_not_acked",
                topic=tp.topic,
                partition=tp.partition,
                first=offset_from,
                last=offset_to - 1,
            )
            if (told := listener()) is not None:
                told(tp, offset_from, offset_to - 1)
            return
        await original(tp, offset_from, offset_to)

    consumer._add_gap = _add_gap
    return original
