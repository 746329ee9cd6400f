"""Fixtures of the operator-tool tests: private topics on the session broker and a CLI bound to them."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from hub.cli import cli
from hub.settings import HubSettings, settings_env
from tests.agents.harness import private_settings


@pytest.fixture
def ops_settings(infra: HubSettings, tmp_path: Path) -> HubSettings:
    """Topics of this test only (single-object encoding), the audit log in the test's directory."""
    settings = private_settings(infra, tmp_path)
    return settings.model_copy(
        update={"audit": settings.audit.model_copy(update={"log_file": tmp_path / "audit.log"})}
    )


HubCli = Callable[..., Result]


@pytest.fixture
def hub_cli(ops_settings: HubSettings) -> HubCli:
    """Run ``hub ARGS`` in this process (monkeypatched formats apply) with the private settings."""
    env = settings_env(ops_settings)
    env["HUB_AUDIT__LOG_FILE"] = str(ops_settings.audit.log_file)

    def run(*args: str, env_extra: dict[str, str] | None = None, input: str | None = None) -> Result:
        runner = CliRunner()
        return runner.invoke(
            cli, list(args), env={**env, **(env_extra or {})}, input=input, catch_exceptions=False
        )

    return run


def audit_entries(settings: HubSettings) -> list[dict[str, Any]]:
    """The entries of the test's audit log file."""
    path = settings.audit.log_file
    if path is None or not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
