"""Connectors authenticate senders: tokens on HTTP (HelseID-style + DPoP), mutual TLS on MLLP, and outside
dev no connector starts that anyone reaching its port could write to."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr

from connectors.common.auth import check_mllp_senders, check_sender_authentication, protect
from connectors.common.ingest import Ingestor
from connectors.common.sink import MemorySink
from connectors.fhir.format import FORMAT
from connectors.fhir.server import build_app
from hub.errors import ConfigError
from hub.settings import AuthSettings, HubSettings, PseudonymSettings, RegistrySettings, TlsSettings
from tests.auth.issuer import Issuer
from tests.connectors.fhir import fhir_samples as fs

FHIR_JSON = {"Content-Type": "application/fhir+json"}


def _production(**updates: Any) -> HubSettings:
    base = HubSettings(
        pseudonym=PseudonymSettings(keys={"k": SecretStr("x" * 40)}, active_key_id="k"),
        tls=TlsSettings(allow_plaintext=True),
    )
    return base.model_copy(update={"env": "production", **updates})


def test_connector_without_sender_authentication_refused_outside_dev() -> None:
    """Outside dev an HTTP connector needs mutual TLS or tokens; MLLP needs mutual TLS."""
    with pytest.raises(ConfigError, match="sender authentication"):
        check_sender_authentication(_production())
    with pytest.raises(ConfigError, match="MLLP needs sender authentication"):
        check_mllp_senders(_production())
    mutual = _production(tls=TlsSettings(allow_plaintext=True, client_ca_file=Path("/ca.pem")))
    check_sender_authentication(mutual)
    check_mllp_senders(mutual)
    check_sender_authentication(_production(auth=AuthSettings(anonymous_senders=True)))


async def _post(settings: HubSettings, headers: dict[str, str]) -> tuple[int, MemorySink]:
    sink = MemorySink()
    settings = settings.model_copy(update={"registry": RegistrySettings(url=None)})
    app = protect(build_app(Ingestor(FORMAT, sink, settings)), settings)
    async with TestClient(TestServer(app)) as client:
        response = await client.post("/fhir/Encounter", data=fs.dumps(fs.encounter()), headers=headers)
        return response.status, sink


@pytest.fixture
def issuer(tmp_path: Path) -> Issuer:
    return Issuer(tmp_path)


def _token_settings(issuer: Issuer) -> HubSettings:
    return HubSettings(auth=issuer.settings(connectors=True))


async def test_http_connector_without_token_refused(issuer: Issuer) -> None:
    """With HUB_AUTH__CONNECTORS an unauthenticated POST writes nothing (401)."""
    status, sink = await _post(_token_settings(issuer), FHIR_JSON)
    assert status == 401
    assert sink.records == []


async def test_http_connector_with_token_and_proof_accepts(issuer: Issuer) -> None:
    """A sender with a DPoP-bound token of the connector scope writes; the proof names this URL."""
    settings = _token_settings(issuer)
    settings.auth.public_base_url = "https://fhir.hub.example"
    token = issuer.token(scope="samhandling:messages.write")
    proof = issuer.proof(token, method="POST", url="https://fhir.hub.example/fhir/Encounter")
    status, sink = await _post(settings, {**FHIR_JSON, "Authorization": f"DPoP {token}", "DPoP": proof})
    assert status == 201
    assert sink.on(settings.topics.raw_fhir)


async def test_http_connector_read_scope_is_not_enough(issuer: Issuer) -> None:
    """A token for patient reads cannot write messages (403)."""
    settings = _token_settings(issuer)
    settings.auth.public_base_url = "https://fhir.hub.example"
    token = issuer.token()
    proof = issuer.proof(token, method="POST", url="https://fhir.hub.example/fhir/Encounter")
    status, sink = await _post(settings, {**FHIR_JSON, "Authorization": f"DPoP {token}", "DPoP": proof})
    assert status == 403
    assert sink.records == []
