"""TLS on every listener with certificates made at test time: MLLP with mutual TLS, HTTPS, fail closed."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from prometheus_client import CollectorRegistry

from agents.app import WorkerOptions, make_faust_app
from connectors.common.ingest import Ingestor
from connectors.common.runtime import ops_app, start_site
from connectors.common.sink import MemorySink
from connectors.hl7v2.format import FORMAT as HL7
from connectors.hl7v2.mllp import END, frame
from connectors.hl7v2.server import MllpServer
from hub.errors import ConfigError
from hub.settings import HubSettings, PseudonymSettings, RegistrySettings, TlsSettings
from hub.tls import listener_context
from tests.connectors.hl7v2 import hl7_samples as hs
from tests.security.certs import Pki, make_pki


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


def _settings(pki: Pki, *, mutual: bool = True) -> HubSettings:
    tls = TlsSettings(
        cert_file=pki.server_cert, key_file=pki.server_key, client_ca_file=pki.ca if mutual else None
    )
    return HubSettings(registry=RegistrySettings(url=None), tls=tls)


def _client(pki: Pki, *, cert: bool = True, ca: Path | None = None) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(ca or pki.ca))
    if cert:
        context.load_cert_chain(str(pki.client_cert), str(pki.client_key))
    return context


async def _exchange(port: int, context: ssl.SSLContext | None) -> bytes:
    """Send one ADT and return what came back before the server closed or 3 s passed ('' on failure)."""
    errors = (ssl.SSLError, ConnectionError, asyncio.IncompleteReadError, TimeoutError)
    try:
        reader, writer = await asyncio.open_connection(
            "127.0.0.1", port, ssl=context, server_hostname="localhost" if context else None
        )
    except errors:
        return b""
    try:
        writer.write(frame(hs.adt()))
        await writer.drain()
        return await asyncio.wait_for(reader.readuntil(END), 3)
    except errors:
        return b""
    finally:
        writer.close()
        with contextlib.suppress(*errors):
            await writer.wait_closed()


async def _mllp(settings: HubSettings) -> MllpServer:
    server = MllpServer(
        Ingestor(HL7, MemorySink(), settings),
        port=0,
        ssl_context=listener_context(settings),
        read_timeout_s=2,
    )
    await server.start()
    return server


async def test_mllp_over_mutual_tls_acks(pki: Pki) -> None:
    """A sender with a certificate from the configured client CA gets its AA over TLS."""
    server = await _mllp(_settings(pki))
    try:
        answer = await _exchange(server.bound_port, _client(pki))
        assert b"MSA|AA" in answer
    finally:
        await server.close()


@pytest.mark.parametrize("case", ["no client certificate", "plaintext", "untrusted server CA"])
async def test_mllp_tls_refuses(case: str, pki: Pki) -> None:
    """No client certificate, plaintext, or a client that cannot verify the server: no ACK, nothing read."""
    server = await _mllp(_settings(pki))
    context = {
        "no client certificate": _client(pki, cert=False),
        "plaintext": None,
        "untrusted server CA": _client(pki, ca=pki.other_ca),
    }[case]
    try:
        assert b"MSA|" not in await _exchange(server.bound_port, context)
    finally:
        await server.close()


async def test_https_listener(pki: Pki) -> None:
    """HTTP listeners serve HTTPS with the configured certificate; plain HTTP gets no answer."""
    settings = _settings(pki, mutual=False)
    runner = web.AppRunner(ops_app(CollectorRegistry()), access_log=None)
    await runner.setup()
    site = await start_site(runner, "127.0.0.1", 0, listener_context(settings))
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"https://localhost:{port}/healthz", ssl=_client(pki, cert=False)) as resp,
        ):
            assert resp.status == 200
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        await writer.drain()
        try:
            answer = await asyncio.wait_for(reader.read(100), 3)
        except ConnectionError:
            answer = b""
        writer.close()
        with contextlib.suppress(ConnectionError, ssl.SSLError):
            await writer.wait_closed()
        assert not answer.startswith(b"HTTP/1.1 200")
    finally:
        await runner.cleanup()


def test_plaintext_listener_refused_outside_dev(monkeypatch: pytest.MonkeyPatch) -> None:
    """Outside HUB_ENV=dev a listener without a certificate does not start."""
    monkeypatch.delenv("HUB_ENV")
    settings = HubSettings(pseudonym=PseudonymSettings(keys={"k": "x" * 40}, active_key_id="k"))  # type: ignore[dict-item]
    with pytest.raises(ConfigError, match="TLS"):
        listener_context(settings)
    allowed = settings.model_copy(update={"tls": TlsSettings(allow_plaintext=True)})
    assert listener_context(allowed) is None


def test_worker_web_server_gets_the_tls_context(pki: Pki, tmp_path: Path) -> None:
    """The worker's faust web server serves HTTPS when HUB_TLS__* is set."""
    settings = _settings(pki).model_copy(update={"data_dir": tmp_path})
    conf = make_faust_app(settings, WorkerOptions(app_id="tls-web")).conf
    assert isinstance(conf.web_ssl_context, ssl.SSLContext)
    assert conf.web_ssl_context.verify_mode == ssl.CERT_REQUIRED


async def test_board_without_tls_refused_outside_dev(monkeypatch: pytest.MonkeyPatch) -> None:
    """The live board does not start on plaintext HTTP in production."""
    from hub.board.server import start_board

    monkeypatch.delenv("HUB_ENV")
    settings = HubSettings(pseudonym=PseudonymSettings(keys={"k": "x" * 40}, active_key_id="k"))  # type: ignore[dict-item]
    with pytest.raises(ConfigError, match="TLS"):
        await start_board(settings, port=0)
