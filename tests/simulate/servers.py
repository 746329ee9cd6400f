"""The four connectors (HL7 MLLP, PLO, ambulance, KPR) in-process on free ports, writing to one sink."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web

from connectors.ambulance import server as ambulance_server
from connectors.ambulance.format import FORMAT as AMBULANCE
from connectors.common.ingest import HL7_ACKS, Ingestor
from connectors.common.sink import RecordSink
from connectors.hl7v2.format import FORMAT as HL7
from connectors.hl7v2.server import MllpServer
from connectors.kpr import server as kpr_server
from connectors.kpr.format import FORMAT as KPR
from connectors.plo import server as plo_server
from connectors.plo.format import FORMAT as PLO
from hub.settings import HubSettings


async def _http(app: web.Application) -> tuple[web.AppRunner, int]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    return runner, int(port)


@asynccontextmanager
async def connectors(settings: HubSettings, sink: RecordSink) -> AsyncIterator[HubSettings]:
    """Start the connectors; yield settings whose ``web`` ports point at them."""
    mllp = MllpServer(Ingestor(HL7, sink, settings, ack_codes=HL7_ACKS), host="127.0.0.1", port=0)
    await mllp.start()
    runners: list[web.AppRunner] = []
    try:
        ports = {}
        for name, module, fmt in (
            ("plo_port", plo_server, PLO),
            ("ambulance_port", ambulance_server, AMBULANCE),
            ("kpr_port", kpr_server, KPR),
        ):
            runner, port = await _http(module.build_app(Ingestor(fmt, sink, settings)))
            runners.append(runner)
            ports[name] = port
        web_settings = settings.web.model_copy(
            update={"host": "127.0.0.1", "mllp_port": mllp.bound_port, **ports}
        )
        yield settings.model_copy(update={"web": web_settings})
    finally:
        for runner in runners:
            await runner.cleanup()
        await mllp.close()
