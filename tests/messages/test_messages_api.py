"""The message search over HTTP: authenticated (hub.auth), person numbers only in POST bodies, audited."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr

from hub.auth import RequestAuthenticator
from hub.identity import Pseudonymiser
from hub.ops.message_search import MessageFinder
from hub.ops.messages_api import messages_app
from hub.settings import HubSettings, RegistrySettings, WebSettings
from tests.connectors.hl7v2.hl7_samples import DNR, FNR
from tests.messages.records import MemorySource, admission

TOKEN = "ops-token-of-at-least-thirty-two-characters"  # noqa: S105 - a test token, not a secret


@dataclass
class ListAudit:
    """Audit entries in a list."""

    entries: list[dict[str, Any]] = field(default_factory=list)

    def record(self, **entry: Any) -> None:
        """Keep one entry."""
        self.entries.append(entry)


@pytest.fixture
def settings() -> HubSettings:
    """Development settings with one static API token, single-object encoding."""
    return HubSettings(
        registry=RegistrySettings(url=None), web=WebSettings(api_tokens={"ops": SecretStr(TOKEN)})
    )


@pytest.fixture
def audit() -> ListAudit:
    """The audit log of the test."""
    return ListAudit()


@pytest.fixture
async def client(settings: HubSettings, audit: ListAudit) -> AsyncIterator[TestClient[Any, Any]]:
    """A client of the API over two admissions (FNR: M1, DNR: M2)."""
    source = MemorySource(settings)
    admission(source, FNR, "M1")
    admission(source, DNR, "M2")
    app = messages_app(settings, MessageFinder(settings, source, audit), RequestAuthenticator(settings))
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


AUTH = {"Authorization": f"Bearer {TOKEN}"}


async def test_without_credentials_nothing_is_answered(
    client: TestClient[Any, Any], audit: ListAudit
) -> None:
    """No or a wrong token: 401, no journeys, and the refusal is audited."""
    for headers in ({}, {"Authorization": "Bearer not-the-token-not-the-token-not-the"}):
        response = await client.get("/api/messages", params={"message_id": "M1"}, headers=headers)
        assert response.status == 401
        assert "messages" not in await response.json()
    assert [e["outcome"] for e in audit.entries] == [
        "refused: no credentials",
        "refused: invalid credentials",
    ]
    assert all(e["actor"] == "anonymous" for e in audit.entries)


async def test_find_by_id(client: TestClient[Any, Any], audit: ListAudit) -> None:
    """GET by message id returns its journey; the search is audited with the client's name and request id."""
    response = await client.get(
        "/api/messages", params={"message_id": "M1"}, headers={**AUTH, "X-Request-Id": "req-1"}
    )
    assert response.status == 200
    assert response.headers["X-Request-Id"] == "req-1"
    [journey] = (await response.json())["messages"]
    assert journey["message_id"] == "M1"
    assert [e["event_type"] for e in journey["events"]] == ["ADMITTED"]
    assert [a["code"] for a in journey["avvik"]] == ["SA02"]
    [entry] = audit.entries
    assert (entry["actor"], entry["request_id"], entry["outcome"]) == (
        "ops",
        "req-1",
        "answered: 1 message(s)",
    )
    assert entry["resource"] == "messages?message_id=M1"


async def test_find_by_person_number_in_the_body(
    client: TestClient[Any, Any], audit: ListAudit, settings: HubSettings
) -> None:
    """POST with a person number finds the patient's messages; audited by pseudonym, never the number."""
    response = await client.post("/api/messages/search", json={"person_number": FNR}, headers=AUTH)
    assert response.status == 200
    assert [j["message_id"] for j in (await response.json())["messages"]] == ["M1"]
    pseudonym = Pseudonymiser.from_settings(settings.pseudonym).person(FNR).pseudonym
    [entry] = audit.entries
    assert pseudonym in entry["resource"]
    assert FNR not in json.dumps(audit.entries)


async def test_person_numbers_never_in_urls_and_bad_ones_refused(
    client: TestClient[Any, Any], audit: ListAudit
) -> None:
    """A person number in the query string is refused; an invalid one in the body is a 400, audited."""
    in_url = await client.get("/api/messages", params={"person_number": FNR}, headers=AUTH)
    assert in_url.status == 400
    bad = await client.post("/api/messages/search", json={"person_number": "12345678901"}, headers=AUTH)
    assert bad.status == 400
    assert (await bad.json())["error"] == "not a valid person number"
    nothing = await client.get("/api/messages", headers=AUTH)
    assert nothing.status == 400
    outcomes = [e["outcome"] for e in audit.entries]
    assert outcomes[0] == "refused: not a valid person number"
    assert outcomes[1].startswith("refused: give at least one of message_id")
    assert len(outcomes) == 2


async def test_the_operator_page_is_served_without_data(client: TestClient[Any, Any]) -> None:
    """GET / is the static operator page (no data, strict CSP); its script renders with textContent only."""
    page = await client.get("/")
    assert page.status == 200
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    html = await page.text()
    assert "/api/messages/search" not in html  # the page asks the API from its script, with the token
    script = await (await client.get("/static/messages.js")).text()
    assert 'fetch("api/messages/search"' in script  # relative: the page is also mounted on the board
    assert "innerHTML" not in script
