"""The worker waits out a schema registry that does not answer; a bad record still fails at once."""

from __future__ import annotations

import httpx2
import pytest
from pydantic import BaseModel

from agents import registry_wait
from agents.registry_wait import decoded, encoded
from hub.errors import SerdeError


class _Record(BaseModel):
    n: int


class _FlakyCodec:
    """Refuses ``outage`` calls as if the registry were down, then works."""

    def __init__(self, outage: int, cause: Exception) -> None:
        self.outage, self.cause, self.calls = outage, cause, 0

    def _attempt(self) -> None:
        self.calls += 1
        if self.calls <= self.outage:
            raise SerdeError("cannot encode: schema registry did not answer") from self.cause

    def encode(self, record: _Record) -> bytes:
        self._attempt()
        return str(record.n).encode()

    def decode(self, data: bytes) -> _Record:
        self._attempt()
        return _Record(n=int(data))


@pytest.fixture(autouse=True)
def _quick(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry_wait, "FIRST_WAIT_S", 0.01)


async def test_encoding_waits_until_the_registry_answers_again() -> None:
    """Three refused connections, then the record is encoded: nothing fails, nothing is dead-lettered."""
    codec = _FlakyCodec(3, httpx2.ConnectError("refused"))
    assert await encoded(codec, _Record(n=7)) == b"7"
    assert codec.calls == 4


async def test_decoding_waits_until_the_registry_answers_again() -> None:
    """A record whose writer schema must be fetched waits for the registry instead of being dead-lettered."""
    codec = _FlakyCodec(2, httpx2.ReadTimeout("slow"))
    assert await decoded(codec, b"5") == _Record(n=5)


async def test_a_serde_error_that_is_not_about_the_registry_is_raised_at_once() -> None:
    """A record that cannot be encoded is the caller's to handle (dead letter), not something to wait for."""
    codec = _FlakyCodec(1, ValueError("not an int"))
    with pytest.raises(SerdeError):
        await encoded(codec, _Record(n=1))
    assert codec.calls == 1
