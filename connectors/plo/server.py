"""PLO transport: ``POST /plo`` (aiohttp) and a watched drop directory, both answering with AppRec.

HTTP: the body is the ELIN XML. 200 + AppRec status 1 when the message is in Kafka; 400 (not well-formed),
413 (over the size limit, ``xmlsafe.MAX_BYTES``) or 422 (invalid / unsupported) + AppRec status 2 (Avvist)
when it went to the dead-letter topic; 503 when Kafka did not confirm or storing failed otherwise (the sender
must retry; no AppRec is given); 204 for an incoming AppRec (never answered). Bodies over
``xmlsafe.HTTP_MAX_BYTES`` are refused by the transport (413, not read).

Drop directory: files in ``inbox`` (names starting with ``.`` or ending in ``.tmp``/``.part`` are
still being written and are skipped) are ingested oldest first; accepted files move to ``done/``, rejected
ones to ``error/`` beside a ``<name>.reason.txt``; the AppRec reply is written to ``outbox`` as
``<name>.apprec.xml``. When Kafka does not confirm, the file stays in the inbox for the next poll. A file over
the size limit is refused for good (error/, Avvist, dead letter) and the files behind it go on.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import structlog
from aiohttp import web

from connectors.common.ingest import Ingestor, IngestResult
from connectors.plo.apprec_out import describe, reply_to
from connectors.plo.flow import FlowRecorder
from connectors.plo.xmlsafe import HTTP_MAX_BYTES
from hub.errors import DeliveryError, ParseError

log = structlog.get_logger(__name__)

PATH = "/plo"
XML = "application/xml"
_INGESTOR: web.AppKey[Ingestor] = web.AppKey("plo_ingestor", Ingestor)
_FLOW: web.AppKey[FlowRecorder | None] = web.AppKey("plo_flow")


def _now() -> datetime:
    return datetime.now(UTC)


async def _receive(request: web.Request) -> web.Response:
    ingestor = request.app[_INGESTOR]
    payload = await request.read()
    try:
        result = await ingestor.ingest(payload)
    except DeliveryError:
        log.warning("plo message not confirmed by Kafka; sender must retry")
        return web.Response(status=503, text="Kafka did not confirm the write; try again later\n")
    except Exception:  # e.g. schema registry unreachable: transient for the sender, never a positive answer
        log.exception("plo message could not be stored; sender must retry")
        return web.Response(status=503, text="the message could not be stored; try again later\n")
    original = describe(payload)
    reply = reply_to(original, result.error, now=result.received_at or _now())
    flow = request.app[_FLOW]
    if flow is not None:
        flow.record(original, result)
    if result.ok:
        if reply is None:
            return web.Response(status=204)
        return web.Response(status=200, body=reply, content_type=XML)
    if result.error is not None and result.error.code == "too_large":
        status = 413
    else:
        status = 400 if isinstance(result.error, ParseError) else 422
    if reply is None:
        reason = result.error.reason if result.error else "rejected"
        return web.Response(status=status, text=f"{reason}\n")
    return web.Response(status=status, body=reply, content_type=XML)


async def _healthz(_request: web.Request) -> web.Response:
    return web.Response(text="ok\n")


def build_app(ingestor: Ingestor, flow: FlowRecorder | None = None) -> web.Application:
    """The aiohttp application serving ``POST /plo`` (``flow``: message-flow statistics, if wanted)."""
    app = web.Application(client_max_size=HTTP_MAX_BYTES)
    app[_INGESTOR] = ingestor
    app[_FLOW] = flow
    app.router.add_post(PATH, _receive)
    app.router.add_get("/healthz", _healthz)
    return app


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _free_name(directory: Path, name: str) -> Path:
    target = directory / name
    counter = 1
    while target.exists():
        target = directory / f"{Path(name).stem}.{counter}{Path(name).suffix}"
        counter += 1
    return target


@dataclass
class DropDirectory:
    """Polls ``inbox`` for ELIN files and ingests them (see module docstring)."""

    ingestor: Ingestor
    inbox: Path
    outbox: Path
    poll_interval: float = 1.0
    flow: FlowRecorder | None = None

    @property
    def done(self) -> Path:
        """Where accepted files go."""
        return self.inbox / "done"

    @property
    def error(self) -> Path:
        """Where rejected files go, each with a ``.reason.txt``."""
        return self.inbox / "error"

    def prepare(self) -> None:
        """Create the directories."""
        for directory in (self.inbox, self.outbox, self.done, self.error):
            directory.mkdir(parents=True, exist_ok=True)

    def pending(self) -> list[Path]:
        """Complete files waiting in the inbox, oldest first."""
        files = [
            p
            for p in self.inbox.iterdir()
            if p.is_file() and not p.name.startswith(".") and p.suffix.lower() not in {".tmp", ".part"}
        ]
        return sorted(files, key=lambda p: (p.stat().st_mtime, p.name))

    def _to_error(self, path: Path, reason: str) -> None:
        target = _free_name(self.error, path.name)
        os.replace(path, target)
        _write_atomic(target.with_name(target.name + ".reason.txt"), reason.encode())

    async def process(self, path: Path) -> IngestResult | None:
        """Ingest one file, move it and write its AppRec; DeliveryError leaves it in the inbox.

        A file the hub itself fails on (a fault in a mapper, not Kafka) goes to ``error/`` with the fault as
        reason and no AppRec (the message may well be valid), so it never blocks the files behind it.
        """
        payload = await asyncio.to_thread(path.read_bytes)
        try:
            result = await self.ingestor.ingest(payload, system=None)
        except DeliveryError:
            raise
        except Exception as exc:
            log.exception("plo drop directory: the hub failed on a file; moved to error/", file=path.name)
            self._to_error(path, f"internal: {type(exc).__name__}: {exc}\n")
            return None
        original = describe(payload)
        reply = reply_to(original, result.error, now=result.received_at or _now())
        if self.flow is not None:
            self.flow.record(original, result)
        if reply is not None:
            _write_atomic(self.outbox / f"{path.stem}.apprec.xml", reply)
        if result.ok:
            os.replace(path, _free_name(self.done, path.name))
        else:
            error = result.error
            self._to_error(path, f"{error.code}: {error.reason}\n" if error else "rejected\n")
        log.info("plo file processed", accepted=result.ok, code=result.error.code if result.error else None)
        return result

    async def poll_once(self) -> int:
        """Process every pending file; return how many were processed (stops at a Kafka failure)."""
        count = 0
        for path in self.pending():
            try:
                await self.process(path)
            except DeliveryError:
                log.warning("plo drop directory: Kafka did not confirm; will retry", file=path.name)
                break
            except Exception:  # storing failed for another reason (e.g. registry down): retry next poll
                log.exception("plo drop directory: could not store; will retry", file=path.name)
                break
            count += 1
        return count

    async def run(self, stop: asyncio.Event) -> None:
        """Poll until ``stop`` is set."""
        self.prepare()
        while not stop.is_set():
            await self.poll_once()
            try:
                await asyncio.wait_for(stop.wait(), timeout=self.poll_interval)
            except TimeoutError:
                continue
