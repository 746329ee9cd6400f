"""No commit passes a record whose outputs or changelog writes the broker did not confirm.

faust sends outputs (``topic.send``) and changelog writes (the producer buffer) through its producer's
``send``, which returns a future of the broker's acknowledgement; nobody awaits it. Before each offset commit
faust calls ``producer.flush()``, which waits until every batch has finished, but aiokafka's flush finishes
failed batches too (a batch that expired while the broker was away, a non-retriable error) without raising.
So a worker that lived through a broker crash could commit offsets past events whose avvik never reached
Kafka: the broker fault test lost six avvik this way, now and then.

:class:`DeliveryLedger` watches every future ``send`` returns. ``flush`` (the last step before faust commits
offsets, see the commit order in :class:`agents.app.HubApp`) raises :class:`DeliveryFailed` once any send has
failed, and keeps raising: the commit never happens, the worker stops with the reason, and its restart
re-processes from the last commit (outputs are keyed, so re-sending them is harmless). No faust import here;
:func:`install_delivery_ledger` wraps the producer's two public methods.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from hub.errors import HubError

Send = Callable[..., Awaitable[Any]]
Flush = Callable[[], Awaitable[None]]


class DeliveryFailed(HubError):
    """A record the worker sent was not confirmed by the broker: no offset may be committed after it."""


class DeliveryLedger:
    """The outcome of every send since start: how many are outstanding, and the first that failed."""

    def __init__(self) -> None:
        self.sent = 0
        self.confirmed = 0
        self.failure: BaseException | None = None
        self.failed = 0

    @property
    def outstanding(self) -> int:
        """Sends whose acknowledgement has not come yet."""
        return self.sent - self.confirmed - self.failed

    def track(self, result: Awaitable[Any]) -> None:
        """Watch one send's acknowledgement future."""
        future = asyncio.ensure_future(result)
        self.sent += 1
        future.add_done_callback(self._done)

    def _done(self, future: asyncio.Future[Any]) -> None:
        error = BaseException("send cancelled") if future.cancelled() else future.exception()
        if error is None:
            self.confirmed += 1
            return
        self.failed += 1
        if self.failure is None:
            self.failure = error

    def check(self) -> None:
        """Raise :class:`DeliveryFailed` if any send so far failed."""
        if self.failure is not None:
            raise DeliveryFailed(
                f"{self.failed} record(s) were not confirmed by the broker ({self.failure!r}); "
                "no offset is committed after them, the worker must restart from the last commit"
            ) from self.failure


def install_delivery_ledger(producer: Any) -> DeliveryLedger:
    """Wrap ``producer.send`` (track each acknowledgement) and ``producer.flush`` (after it, raise if any
    send failed) of a new faust producer; return the ledger."""
    ledger = DeliveryLedger()
    send: Send = producer.send
    flush: Flush = producer.flush

    async def tracked_send(*args: Any, **kwargs: Any) -> Awaitable[Any]:
        result = await send(*args, **kwargs)
        ledger.track(result)
        return result  # type: ignore[no-any-return]

    async def checked_flush() -> None:
        ledger.check()
        await flush()
        ledger.check()

    producer.send = tracked_send
    producer.flush = checked_flush
    return ledger
