"""W3C trace context on raw records: every connector writes a ``traceparent`` header, continuing a valid
incoming HTTP header (same trace id, the connector's own span id) and never copying an invalid one."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from connectors.ambulance import server as ambulance
from connectors.ambulance.format import FORMAT as AMBULANCE
from connectors.common.auth import protect
from connectors.common.ingest import Ingestor
from connectors.common.sink import MemorySink
from connectors.fhir import server as fhir
from connectors.fhir.format import FORMAT as FHIR
from connectors.formats import MessageFormat
from connectors.hl7v2.format import FORMAT as HL7V2
from connectors.hl7v2.mllp import frame
from connectors.hl7v2.server import MllpServer
from connectors.kpr import server as kpr
from connectors.kpr.format import FORMAT as KPR
from connectors.plo import server as plo
from connectors.plo.format import FORMAT as PLO
from hub.ops.traceparent import TraceParent, from_headers
from hub.settings import HubSettings
from tests.connectors.ambulance.messages import payload as ambulance_payload
from tests.connectors.fhir.fhir_samples import dumps, encounter
from tests.connectors.hl7v2.hl7_samples import adt
from tests.connectors.hl7v2.test_hl7_server import Client, _msa
from tests.connectors.kpr.extracts import SAMPLE_CSV
from tests.connectors.plo.conftest import sample

INCOMING = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"


@dataclass(frozen=True)
class Case:
    """One HTTP connector: its format, its app over an ingestor, a path and a valid body."""

    fmt: MessageFormat
    build: Callable[[Ingestor], web.Application]
    path: str
    body: bytes
    content_type: str


PLO_SAMPLE = "Pasientlogistikk_Utskrivningsklar_pasient_v1-6_Ny.xml"
HTTP = {
    "fhir": Case(FHIR, fhir.build_app, "/fhir/Encounter", dumps(encounter()), "application/fhir+json"),
    "plo": Case(PLO, plo.build_app, plo.PATH, sample(PLO_SAMPLE), "application/xml"),
    "kpr": Case(KPR, kpr.build_app, kpr.PATH, SAMPLE_CSV, "text/csv"),
    "ambulance": Case(
        AMBULANCE, ambulance.build_app, ambulance.PATH, ambulance_payload(), "application/json"
    ),
}


def _traces(sink: MemorySink, settings: HubSettings, fmt: MessageFormat) -> list[TraceParent]:
    """The trace parent of each raw record of ``fmt`` in ``sink`` (every one must carry a valid one)."""
    headers = sink.headers_on(getattr(settings.topics, f"raw_{fmt.name}"))
    assert headers, "no raw record written"
    traces = [from_headers(h) for h in headers]
    assert all(t is not None for t in traces), headers
    return [t for t in traces if t is not None]


async def _post(settings: HubSettings, connector: str, headers: dict[str, str]) -> list[TraceParent]:
    case = HTTP[connector]
    sink = MemorySink()
    app = protect(case.build(Ingestor(case.fmt, sink, settings)), settings)  # as the connector CLIs do
    async with TestClient(TestServer(app)) as client:
        response = await client.post(
            case.path, data=case.body, headers={"Content-Type": case.content_type, **headers}
        )
        assert response.status < 300, await response.text()
    return _traces(sink, settings, case.fmt)


@pytest.mark.parametrize("connector", sorted(HTTP))
async def test_an_incoming_traceparent_is_continued_on_the_raw_record(
    settings: HubSettings, connector: str
) -> None:
    """The raw record's ``traceparent`` has the request's trace id and a new span id (a child span)."""
    traces = await _post(settings, connector, {"traceparent": INCOMING})
    assert {t.trace_id for t in traces} == {TRACE_ID}
    assert all(t.parent_id != "00f067aa0ba902b7" for t in traces)
    assert all(t.sampled for t in traces)


@pytest.mark.parametrize(
    "bad",
    [
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01",  # upper case
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",  # all-zero trace id
        "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",  # version ff
        "not a traceparent",
    ],
)
async def test_an_invalid_traceparent_is_replaced_never_copied(settings: HubSettings, bad: str) -> None:
    """An invalid header starts a new trace; neither its value nor its ids reach the raw record."""
    (trace,) = await _post(settings, "fhir", {"traceparent": bad})
    assert trace.trace_id not in bad.lower()
    assert trace.header != bad


async def test_without_a_header_each_request_starts_its_own_trace(settings: HubSettings) -> None:
    """No incoming header: a new trace per request, not one shared by the connector."""
    first = await _post(settings, "fhir", {})
    second = await _post(settings, "kpr", {})
    assert first[0].trace_id != second[0].trace_id


async def test_mllp_starts_a_new_trace_per_message(settings: HubSettings) -> None:
    """MLLP has no trace header: every message's raw record gets a trace of its own."""
    sink = MemorySink()
    server = MllpServer(Ingestor(HL7V2, sink, settings), host="127.0.0.1", port=0)
    await server.start()
    client = await Client.connect(server.bound_port)
    try:
        for control_id in ("TRACE-1", "TRACE-2"):
            await client.send_raw(frame(adt(control_id=control_id)))
            assert _msa(await client.ack()) == ("AA", control_id)
    finally:
        await client.close()
        await server.close()
    first, second = _traces(sink, settings, HL7V2)
    assert first.trace_id != second.trace_id


async def test_an_explicit_traceparent_and_a_sink_without_headers(settings: HubSettings) -> None:
    """``Ingestor.ingest(traceparent=...)`` is continued too; a sink whose ``send`` takes no headers (an
    older wrapper) still gets the record, without them."""
    sink = MemorySink()
    await Ingestor(FHIR, sink, settings).ingest(dumps(encounter()), traceparent=INCOMING)
    (trace,) = _traces(sink, settings, FHIR)
    assert trace.trace_id == TRACE_ID

    class Plain(MemorySink):
        async def send(self, topic: str, key: bytes, value: bytes) -> None:  # type: ignore[override]
            await super().send(topic, key, value)

    plain = Plain()  # a RecordSink, not a HeaderSink
    result = await Ingestor(FHIR, plain, settings).ingest(dumps(encounter()), traceparent=INCOMING)
    assert result.ok
    assert plain.headers_on(settings.topics.raw_fhir) == [[]]
