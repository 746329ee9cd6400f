"""Wait out a schema registry that does not answer, instead of failing (or dead-lettering) the record.

A registry codec raises :class:`hub.errors.SerdeError` caused by an ``httpx2.TransportError`` when the
registry cannot be reached (after its own tries). For the worker that is transient: the record is fine and
the registry will be back. :func:`encoded` and :func:`decoded` try again with backoff (1 s doubling to 30 s)
while the event loop goes on (the consumer keeps its group membership; nothing is acked meanwhile, so no
commit passes the record). Any other serde error is raised at once, as before.
"""

from __future__ import annotations

import asyncio
from typing import Protocol, TypeVar

import httpx2
import structlog
from pydantic import BaseModel

from hub.errors import SerdeError

log = structlog.get_logger(__name__)

M = TypeVar("M", bound=BaseModel)
FIRST_WAIT_S = 1.0
LONGEST_WAIT_S = 30.0


class _Codec(Protocol[M]):
    def encode(self, record: M) -> bytes: ...

    def decode(self, data: bytes) -> M: ...


def registry_unreachable(exc: SerdeError) -> bool:
    """True when ``exc`` means the registry did not answer (worth waiting for), not a bad record."""
    return isinstance(exc.__cause__, httpx2.TransportError)


async def _backoff(exc: SerdeError, wait: float) -> float:
    log.warning("registry.unreachable", error=str(exc), retry_in_s=wait)
    await asyncio.sleep(wait)
    return min(wait * 2, LONGEST_WAIT_S)


async def encoded(codec: _Codec[M], record: M) -> bytes:
    """``codec.encode(record)``, waiting for the registry while it does not answer."""
    wait = FIRST_WAIT_S
    while True:
        try:
            return codec.encode(record)
        except SerdeError as exc:
            if not registry_unreachable(exc):
                raise
            wait = await _backoff(exc, wait)


async def decoded(codec: _Codec[M], data: bytes) -> M:
    """``codec.decode(data)``, waiting for the registry while it does not answer."""
    wait = FIRST_WAIT_S
    while True:
        try:
            return codec.decode(data)
        except SerdeError as exc:
            if not registry_unreachable(exc):
                raise
            wait = await _backoff(exc, wait)
