"""The worker's web server: no faust table/router views, patient-level reads authenticated and audited."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client import CollectorRegistry
from pydantic import SecretStr

from agents.app import WorkerOptions, make_faust_app
from agents.web import register_views
from hub.audit import AuditLog
from hub.settings import HubSettings, WebSettings

TOKEN = "t" * 40


class ListSink:
    """Audit entries as they would go to the audit topic."""

    def __init__(self) -> None:
        self.records: list[tuple[bytes, dict[str, Any]]] = []

    def write(self, key: bytes, value: bytes) -> None:
        self.records.append((key, json.loads(value)))


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[tuple[TestClient[Any, Any], ListSink, Path]]:
    settings = HubSettings(data_dir=tmp_path / "d", web=WebSettings(api_tokens={"ops": SecretStr(TOKEN)}))
    app = make_faust_app(settings, WorkerOptions(app_id="web-sec"))
    sink = ListSink()
    log_file = tmp_path / "audit.log"

    async def read_pathway(pseudonym: str) -> dict[str, Any] | None:
        return {"pseudonym": pseudonym} if pseudonym == "KNOWN" else None

    register_views(
        app,
        settings,
        CollectorRegistry(),
        read_pathway,
        lambda _ready: None,
        audit_log=AuditLog(sink, log_file),
    )
    app.web.init_server()
    web_app = app.web.web_app  # type: ignore[attr-defined]
    async with TestClient(TestServer(web_app)) as test_client:
        yield test_client, sink, log_file


async def test_faust_table_and_router_views_not_served(
    client: tuple[TestClient[Any, Any], ListSink, Path],
) -> None:
    """GET /table/, /table/<name>/<key>/ and /router/ answer 404 (they served patient state without auth)."""
    http, _, _ = client
    for path in ("/table/", "/table/pathway/KNOWN/", "/router/"):
        response = await http.get(path)
        assert response.status == 404, path


async def test_pathway_read_without_token_refused_and_audited(
    client: tuple[TestClient[Any, Any], ListSink, Path],
) -> None:
    """A pathway read without credentials is 401 and an audit entry with the reason goes to topic and log."""
    http, sink, log_file = client
    response = await http.get("/pathway/KNOWN", headers={"X-Request-Id": "req-1"})
    assert response.status == 401
    key, entry = sink.records[-1]
    assert key == b"req-1"
    assert entry["actor"] == "anonymous"
    assert entry["action"] == "pathway.read"
    assert entry["resource"] == "KNOWN"
    assert entry["outcome"].startswith("refused")
    assert entry["peer"] == "127.0.0.1"
    assert entry["at"]
    assert json.loads(log_file.read_text().splitlines()[-1]) == entry


async def test_pathway_read_with_token_audited_without_content(
    client: tuple[TestClient[Any, Any], ListSink, Path],
) -> None:
    """An authorised read is answered and audited with who, what, when, from where and request id."""
    http, sink, _ = client
    response = await http.get("/pathway/KNOWN", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status == 200
    _, entry = sink.records[-1]
    assert entry["actor"] == "ops"
    assert entry["outcome"] == "found"
    assert len(entry["request_id"]) == 32
    assert "state" not in entry
    assert "pseudonym" not in entry


async def test_wrong_token_refused(client: tuple[TestClient[Any, Any], ListSink, Path]) -> None:
    """A token that is not configured is refused."""
    http, sink, _ = client
    response = await http.get("/pathway/KNOWN", headers={"Authorization": "Bearer " + "u" * 40})
    assert response.status == 401
    assert sink.records[-1][1]["outcome"] == "refused: invalid credentials"


async def test_pathway_read_with_dpop_token(tmp_path: Path) -> None:
    """With an issuer configured, a HelseID-style token + DPoP proof for this URL reads; a replay does not."""
    from tests.auth.issuer import Issuer

    issuer = Issuer(tmp_path)
    settings = HubSettings(data_dir=tmp_path / "d", auth=issuer.settings())
    app = make_faust_app(settings, WorkerOptions(app_id="web-dpop"))
    sink = ListSink()

    async def read_pathway(pseudonym: str) -> dict[str, Any] | None:
        return {"pseudonym": pseudonym}

    register_views(
        app, settings, CollectorRegistry(), read_pathway, lambda _r: None, audit_log=AuditLog(sink, None)
    )
    app.web.init_server()
    async with TestClient(TestServer(app.web.web_app)) as http:  # type: ignore[attr-defined]
        url = str(http.make_url("/pathway/KNOWN"))
        token = issuer.token()
        proof = issuer.proof(token, url=url)
        headers = {"Authorization": f"DPoP {token}", "DPoP": proof}
        assert (await http.get("/pathway/KNOWN", headers=headers)).status == 200
        assert sink.records[-1][1]["actor"] == "kommune-journal"
        assert (await http.get("/pathway/KNOWN", headers=headers)).status == 401
        assert "replayed" in sink.records[-1][1]["outcome"]
