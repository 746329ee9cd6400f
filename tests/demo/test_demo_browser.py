"""The main job end to end: ``hub demo`` (fast time) in a subprocess, its board in real headless Chromium."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Page, async_playwright, expect

from hub.settings import REPO_ROOT, HubSettings
from tests.agents.harness import free_port
from tests.board.test_browser import CHROMIUM_ARGS, _chromium

pytestmark = [pytest.mark.browser, pytest.mark.kafka, pytest.mark.slow, pytest.mark.timeout(420)]

SCREENSHOT = REPO_ROOT / "test-artifacts" / "demo-board.png"


def _demo_env(infra: HubSettings, tmp: Path) -> tuple[dict[str, str], int]:
    """Environment for a demo on the session broker/registry, with every port and state dir its own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env["HUB_ENV"] = "dev"  # the demo runs on the public development pseudonym key
    tag = tmp.name.replace("_", "-")[-12:]
    # its own consumer group and table changelogs too: another demo on this broker may have made the
    # default app's internal topics with another partition count
    env["HUB_WORKER_APP_ID"] = f"demo-{tag}"
    for name in (
        "RAW_HL7V2",
        "RAW_FHIR",
        "RAW_PLO",
        "RAW_AMBULANCE",
        "RAW_KPR",
        "EVENTS",
        "PATHWAY_STATE",
        "AVVIK",
        "BEDS_METRICS",
        "DLQ",
    ):
        env[f"HUB_TOPICS__{name}"] = f"demo-{tag}.{name.lower()}"
    env["HUB_TOPICS__PARTITIONS"] = "3"
    env["HUB_INFRA__KAFKA_PORT"] = str(infra.infra.kafka_port)
    env["HUB_INFRA__KAFKA_CONTROLLER_PORT"] = str(infra.infra.kafka_controller_port)
    env["HUB_INFRA__REGISTRY_PORT"] = str(infra.infra.registry_port)
    env["HUB_INFRA__REGISTRY_MANAGEMENT_PORT"] = str(infra.infra.registry_management_port)
    env["HUB_INFRA__STATE_DIR"] = str(infra.infra.state_dir)
    env["HUB_DATA_DIR"] = str(tmp / "data")
    board = free_port()
    worker = free_port(6)  # the demo's connectors take the worker port + 1 … + 5 for their ops endpoints
    env["HUB_WEB__BOARD_PORT"] = str(board)
    env["HUB_WEB__WORKER_PORT"] = str(worker)
    for name in ("MLLP_PORT", "FHIR_PORT", "PLO_PORT", "AMBULANCE_PORT", "KPR_PORT"):
        env[f"HUB_WEB__{name}"] = str(free_port())
    return env, board


def _logs(demo_log: Path, children: Path, lines: int = 25) -> str:
    """The tail of the demo's output and of each child's log, to tell a failure's cause."""
    parts = []
    for path in [demo_log, *sorted(children.glob("*.log"))]:
        text = path.read_text(errors="replace").splitlines() if path.exists() else ["(missing)"]
        parts.append(f"--- {path.name} (last {lines} lines)\n" + "\n".join(text[-lines:]))
    return "\n".join(parts)


def _kpi(url: str) -> dict[str, object]:
    return dict(httpx.get(f"{url}api/snapshot", timeout=3).json()["totals"])


@pytest.fixture
def demo_board(infra: HubSettings, tmp_path: Path) -> Iterator[str]:
    """A running ``hub demo`` (fast time) whose board already shows data; its URL. Ctrl-C stops it after."""
    _chromium()
    env, board_port = _demo_env(infra, tmp_path)
    log_path = tmp_path / "demo.log"
    started = time.monotonic()
    with log_path.open("wb") as log:
        demo = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "hub.cli",
                "demo",
                "--speed",
                "3000",
                # the history is fast-forwarded, then the demo follows the wall clock, where a region sends a
                # message every few minutes: 6 days at 3000x (~3 min) keep the board moving while the test
                # watches it; with 2 days (~1 min) a slow machine began watching after the fast-forward ended
                # and saw no change in 120 s (1 run in 7)
                "--history-days",
                "6",
                "--duration",
                "300",
                "--keep-infra",
            ],
            env=env,
            cwd=REPO_ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{board_port}/"
    try:
        deadline = time.monotonic() + 180
        totals: dict[str, object] = {}
        while time.monotonic() < deadline and not totals.get("occupied"):
            assert demo.poll() is None, log_path.read_text(errors="replace")[-3000:]
            with contextlib.suppress(httpx.HTTPError, ValueError, KeyError):
                totals = _kpi(url)
            time.sleep(2)
        if not totals.get("occupied"):
            # reported by the test body, with the demo's and its children's logs, so a failure shows its cause
            url = f"nodata:{totals}\n{_logs(log_path, infra.infra.state_dir / 'demo')}"
        (REPO_ROOT / "test-artifacts").mkdir(exist_ok=True)
        (REPO_ROOT / "test-artifacts" / "demo-first-data-seconds.txt").write_text(
            f"{time.monotonic() - started:.1f}\n"
        )
        yield url
    finally:
        if demo.poll() is None:
            os.killpg(demo.pid, signal.SIGINT)
            try:
                demo.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(demo.pid, signal.SIGKILL)
                demo.wait(10)
    if demo.returncode != 0:  # reported, not raised in teardown
        print(log_path.read_text(errors="replace")[-3000:])  # noqa: T201


async def test_demo_board_shows_live_changing_numbers(demo_board: str) -> None:
    """Chromium sees the demo's numbers appear and change without a reload; a screenshot is saved."""
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(_chromium()), args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page(viewport={"width": 1600, "height": 1000})
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            assert not demo_board.startswith("nodata:"), f"no data on the board after 180 s: {demo_board[7:]}"
            await page.goto(demo_board)
            await expect(page.locator("#conn")).to_have_class("conn conn-live", timeout=30_000)
            await expect(page.get_by_test_id("kpi-occupied")).not_to_have_text("–", timeout=30_000)
            await expect(page.locator("[data-unit]")).not_to_have_count(0)
            await page.evaluate("window.__sameDocument = true")
            before = await _numbers(page)
            changed = False
            for _ in range(60):  # the simulator keeps sending; the numbers must move without a reload
                await page.wait_for_timeout(2000)
                if await _numbers(page) != before:
                    changed = True
                    break
            assert changed, f"board numbers did not change from {before}"
            assert await page.evaluate("window.__sameDocument === true"), "the page was reloaded"
            SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
            await page.screenshot(path=str(SCREENSHOT), full_page=True)
            assert errors == []
        finally:
            await browser.close()


async def _numbers(page: Page) -> tuple[str, ...]:
    ids = ("kpi-occupied", "kpi-open-avvik", "kpi-resolved-avvik", "kpi-waiting", "kpi-ambulance")
    return tuple([await page.get_by_test_id(i).inner_text() for i in ids])
