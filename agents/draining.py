"""A producer buffer whose ``flush`` really drains, so a commit never passes unsent changelog records.

faust writes table changes to their changelog through the producer's buffer (``send_soon``) and, before it
commits offsets, calls ``producer.flush()``. faust's ``ProducerBuffer.flush`` gives up as soon as one message
takes longer than 0.1 s to leave the buffer, which happens when the event loop is busy with a CPU-bound
agent. The commit then goes ahead while changelog records of already committed events still wait in memory;
a crash at that moment loses them, and the restarted worker resumes after events its restored table never
saw. (Found while chasing the SIGKILL recovery test, which failed now and then on a loaded machine.)

:class:`DrainingProducerBuffer` waits until the buffer is empty. It is installed by
:func:`install_draining_buffer` when the app creates its producer.
"""

from __future__ import annotations

import asyncio
import contextlib

from faust.transport.producer import ProducerBuffer
from faust.types import AppT
from faust.types.transports import ProducerT
from faust.types.tuples import FutureMessage

# how long to wait for one message to leave the buffer before checking the buffer's state again
_POLL_S = 1.0


class DrainingProducerBuffer(ProducerBuffer):
    """faust's producer buffer, whose ``flush`` returns once every message buffered before it was handed on.

    A barrier, not "until empty": agents keep adding table changes while a commit waits, and waiting for an
    empty buffer could then wait for ever. Messages leave the buffer in order (one queue, one sender task), so
    counting the messages put and the messages handed on is enough. A message taken off the queue counts as
    handed on only when ``_send_pending`` returns: the driver's flush, which follows, can only wait for
    messages it has been given. A send that raised is never counted: the flush, and so the commit, fails.
    """

    def __post_init__(self) -> None:
        super().__post_init__()
        self.enqueued = 0
        self.handed_on = 0
        self.failed: BaseException | None = None
        """Why a message could not be handed on; every later flush raises (no commit may pass it)."""

    def put(self, fut: FutureMessage) -> None:
        """Add a message to the buffer (counted, for :meth:`flush`)."""
        self.enqueued += 1
        super().put(fut)

    async def _send_pending(self, fut: FutureMessage) -> None:
        # counted only when the driver took the message: a send that raised was not handed on
        try:
            await super()._send_pending(fut)
        except BaseException as exc:
            self.failed = exc
            self.message_sent.set()  # wake a waiting flush, which raises
            raise
        self.handed_on += 1

    async def flush(self) -> None:
        """Wait until every message put before this call was handed on; raise if one cannot be (a send
        raised) or the buffer stops first."""
        target = self.enqueued
        while self.handed_on < target:
            if self.failed is not None:
                waiting = target - self.handed_on
                raise RuntimeError(
                    f"cannot flush: a buffered message was not handed on ({self.failed!r}); {waiting} waiting"
                ) from self.failed
            if self.state != "running":
                waiting = target - self.handed_on
                raise RuntimeError(f"cannot flush: producer buffer is {self.state} with {waiting} messages")
            self.message_sent.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.message_sent.wait(), timeout=_POLL_S)


def install_draining_buffer(producer: ProducerT, app: AppT) -> DrainingProducerBuffer:
    """Replace a new (not yet started) producer's buffer by a :class:`DrainingProducerBuffer`."""
    if app.conf.producer_threaded:  # the threaded producer has its own queue; the hub never enables it
        raise ValueError("the draining buffer does not support producer_threaded")
    buffer = DrainingProducerBuffer(loop=producer.loop, beacon=producer.beacon)
    buffer.app = app
    producer.buffer = buffer
    return buffer
