"""The operator page in headless Chromium: a token and a person number find the patient's message."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from playwright.async_api import async_playwright, expect
from pydantic import SecretStr

from hub.auth import RequestAuthenticator
from hub.ops.message_search import MessageFinder
from hub.ops.messages_api import messages_app
from hub.settings import HubSettings, RegistrySettings, WebSettings
from tests.agents.harness import free_port
from tests.board.test_browser import CHROMIUM_ARGS, _chromium
from tests.connectors.hl7v2.hl7_samples import DNR, FNR
from tests.messages.records import MemorySource, admission
from tests.messages.test_messages_api import TOKEN, ListAudit

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]


@pytest.fixture
async def page_url() -> AsyncIterator[tuple[str, ListAudit]]:
    """The API and its page on a local port, over two admissions (FNR: M1, DNR: M2)."""
    _chromium()
    settings = HubSettings(
        registry=RegistrySettings(url=None), web=WebSettings(api_tokens={"ops": SecretStr(TOKEN)})
    )
    source = MemorySource(settings)
    admission(source, FNR, "M1")
    admission(source, DNR, "M2")
    audit = ListAudit()
    app = messages_app(settings, MessageFinder(settings, source, audit), RequestAuthenticator(settings))
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}/", audit
    finally:
        await runner.cleanup()


async def test_operator_finds_a_patients_message(page_url: tuple[str, ListAudit]) -> None:
    """Wrong token: an error, nothing shown; right token and person number: M1's journey, audited."""
    url, audit = page_url
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(_chromium()), args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            await page.goto(url)
            await page.fill("#token", "wrong-token-wrong-token-wrong-token")
            await page.fill("input[name=person_number]", FNR)
            await page.click("button[type=submit]")
            await expect(page.locator("#error")).to_have_text("authentication required")
            await expect(page.locator(".journey")).to_have_count(0)
            await page.fill("#token", TOKEN)
            await page.fill("input[name=person_number]", FNR)
            await page.click("button[type=submit]")
            await expect(page.locator(".journey")).to_have_count(1)
            await expect(page.locator(".journey h2")).to_contain_text("M1")
            await expect(page.get_by_test_id("results")).to_contain_text("ADMITTED")
            await expect(page.get_by_test_id("results")).to_contain_text("SA02")
            assert await page.input_value("input[name=person_number]") == ""  # not left in the form
            assert errors == []
        finally:
            await browser.close()
    assert [e["outcome"] for e in audit.entries] == ["refused: invalid credentials", "answered: 1 message(s)"]
    assert all(FNR not in e["resource"] for e in audit.entries)
