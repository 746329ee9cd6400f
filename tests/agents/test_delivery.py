"""The delivery ledger: a send the broker did not confirm stops every later commit (broker-free)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from agents.app import WorkerOptions, make_faust_app
from agents.delivery import DeliveryFailed, DeliveryLedger, install_delivery_ledger
from agents.internals import class_problems
from hub.settings import HubSettings


class FakeProducer:
    """faust's producer surface the ledger wraps: ``send`` returns the acknowledgement future."""

    def __init__(self) -> None:
        self.acks: list[asyncio.Future[str]] = []
        self.flushed = 0

    async def send(self, topic: str, key: bytes | None, value: bytes | None, **_: Any) -> asyncio.Future[str]:
        fut: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self.acks.append(fut)
        return fut

    async def flush(self) -> None:
        self.flushed += 1
        await asyncio.gather(*self.acks, return_exceptions=True)  # aiokafka's flush: waits, never raises


async def test_a_failed_send_makes_flush_and_every_later_flush_raise() -> None:
    producer = FakeProducer()
    ledger = install_delivery_ledger(producer)
    first = await producer.send("samhandling.avvik", b"a", b"1")
    second = await producer.send("samhandling.avvik", b"b", b"2")
    first.set_result("ok")
    second.set_exception(TimeoutError("batch expired"))
    with pytest.raises(DeliveryFailed, match="1 record"):
        await producer.flush()
    third = await producer.send("samhandling.avvik", b"c", b"3")
    third.set_result("ok")
    with pytest.raises(DeliveryFailed):  # sticky: no commit may pass the lost record later either
        await producer.flush()
    await asyncio.sleep(0)  # the third acknowledgement's callback
    assert (ledger.confirmed, ledger.failed, ledger.outstanding) == (2, 1, 0)


async def test_flush_passes_when_every_send_was_confirmed() -> None:
    producer = FakeProducer()
    ledger = install_delivery_ledger(producer)
    for n in range(3):
        (await producer.send("samhandling.pathway.state", str(n).encode(), b"v")).set_result("ok")
    await producer.flush()
    assert producer.flushed == 1
    assert (ledger.sent, ledger.confirmed, ledger.outstanding) == (3, 3, 0)


async def test_a_send_still_waiting_is_outstanding_and_does_not_fail() -> None:
    ledger = DeliveryLedger()
    pending: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    ledger.track(pending)
    ledger.check()
    assert ledger.outstanding == 1
    pending.cancel()
    await asyncio.sleep(0)
    with pytest.raises(DeliveryFailed):
        ledger.check()


def test_the_hub_app_producer_is_watched_by_the_ledger(tmp_path: Any) -> None:
    app = make_faust_app(HubSettings(env="dev", data_dir=tmp_path), WorkerOptions(app_id="ledger-probe"))
    _ = app.producer
    assert isinstance(app.deliveries, DeliveryLedger)
    assert class_problems() == []
