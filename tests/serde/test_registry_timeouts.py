"""A registry that does not answer: a bounded wait, a retry, then a clear error (never a hung producer)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from hub.errors import SerdeError
from hub.events.outputs import AvvikRecord
from hub.serde import TopicCodec
from tests.board import scenario


class _Registry(ThreadingHTTPServer):
    """A minimal ccompat endpoint whose first ``stalls`` schema registrations never get an answer in time."""

    stalls = 0
    registrations = 0


class _Handler(BaseHTTPRequestHandler):
    server: _Registry

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass

    def _answer(self, status: int, body: object) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self._answer(404, {"error_code": 40401, "message": "not found"})

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.server.registrations += 1
        if self.server.registrations <= self.server.stalls:
            time.sleep(2.0)  # longer than the client's timeout
            return
        self._answer(200, {"id": 7})


@pytest.fixture
def registry() -> Iterator[_Registry]:
    server = _Registry(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _record() -> AvvikRecord:
    from datetime import UTC, datetime

    return next(r for r in scenario.initial(datetime.now(UTC)) if isinstance(r, AvvikRecord))


def _codec(server: _Registry, attempts: int) -> TopicCodec[AvvikRecord]:
    url = f"http://127.0.0.1:{server.server_address[1]}"
    return TopicCodec(AvvikRecord, "t.avvik", url, timeout_s=0.5, attempts=attempts)


def test_a_registration_that_times_out_is_tried_again(registry: _Registry) -> None:
    registry.stalls = 1
    codec = _codec(registry, attempts=3)
    data = codec.encode(_record())
    assert data[:5] == b"\x00\x00\x00\x00\x07"  # wire format with the id of the second, answered attempt
    assert registry.registrations == 2


def test_a_registry_that_never_answers_is_a_clear_error_not_a_hang(registry: _Registry) -> None:
    registry.stalls = 99
    codec = _codec(registry, attempts=2)
    started = time.monotonic()
    with pytest.raises(
        SerdeError,
        match=r"for t.avvik: schema registry did not answer \(ReadTimeout.*in 2 attempt",
    ):
        codec.encode(_record())
    assert time.monotonic() - started < 5
    assert registry.registrations == 2
