"""The operator page on the board: ``hub messages serve``'s app mounted at /messages/, linked from the board,
its API authenticated (hub.auth) and audited; no broker (an in-memory record source)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr

from hub.auth import RequestAuthenticator
from hub.board.server import OPERATOR_PREFIX, create_app
from hub.ops.message_search import MessageFinder
from hub.ops.messages_api import messages_app
from hub.settings import HubSettings, RegistrySettings, WebSettings
from tests.board.test_server import FakeSource
from tests.connectors.hl7v2.hl7_samples import DNR, FNR
from tests.messages.records import MemorySource, admission
from tests.messages.test_messages_api import TOKEN, ListAudit

AUTH = {"Authorization": f"Bearer {TOKEN}"}
NOW = datetime(2024, 3, 5, 12, 0, tzinfo=UTC)


@pytest.fixture
def audit() -> ListAudit:
    """The audit log of the test."""
    return ListAudit()


@pytest.fixture
async def client(audit: ListAudit) -> AsyncIterator[TestClient[Any, Any]]:
    """The board with the operator page over two admissions (FNR: M1, DNR: M2)."""
    settings = HubSettings(
        registry=RegistrySettings(url=None), web=WebSettings(api_tokens={"ops": SecretStr(TOKEN)})
    )
    source = MemorySource(settings)
    admission(source, FNR, "M1")
    admission(source, DNR, "M2")
    operator = messages_app(settings, MessageFinder(settings, source, audit), RequestAuthenticator(settings))
    app = create_app(FakeSource(), clock=lambda: NOW, operator=operator)
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


async def test_the_board_links_the_operator_page(client: TestClient[Any, Any]) -> None:
    """The board links /messages/; the page and its script are the operator page's, with relative URLs."""
    board = await (await client.get("/")).text()
    assert f'href="{OPERATOR_PREFIX}"' in board
    redirect = await client.get("/messages", allow_redirects=False)
    assert (redirect.status, redirect.headers["Location"]) == (308, OPERATOR_PREFIX)
    page = await client.get(OPERATOR_PREFIX)
    assert page.status == 200
    html = await page.text()
    assert "Meldingssøk" in html
    assert 'src="static/messages.js"' in html
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    script = await client.get(f"{OPERATOR_PREFIX}static/messages.js")
    assert script.status == 200
    assert 'fetch("api/messages/search"' in await script.text()


async def test_without_a_token_401_with_one_200_both_audited(
    client: TestClient[Any, Any], audit: ListAudit
) -> None:
    """The page's API on the board: no token 401 (nothing answered), a token 200 with the journey; each
    request audited as the messages API audits it."""
    url = f"{OPERATOR_PREFIX}api/messages"
    refused = await client.get(url, params={"message_id": "M1"})
    assert refused.status == 401
    assert "messages" not in await refused.json()
    answered = await client.get(url, params={"message_id": "M1"}, headers=AUTH)
    assert answered.status == 200
    assert [j["message_id"] for j in (await answered.json())["messages"]] == ["M1"]
    by_patient = await client.post(f"{url}/search", json={"person_number": FNR}, headers=AUTH)
    assert by_patient.status == 200
    assert [j["message_id"] for j in (await by_patient.json())["messages"]] == ["M1"]
    assert [(e["actor"], e["outcome"]) for e in audit.entries] == [
        ("anonymous", "refused: no credentials"),
        ("ops", "answered: 1 message(s)"),
        ("ops", "answered: 1 message(s)"),
    ]
    assert FNR not in str(audit.entries)
