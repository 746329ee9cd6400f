"""Logging as configured by the entry points: nested values, tracebacks and stdlib loggers are redacted."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from typing import Any

import pytest
import structlog
from click.testing import CliRunner

from hub.logs import MASK, configure_logging, redact_event_dict

FNR = "15076500565"


def _fail(exc: Exception) -> None:
    raise exc


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    structlog.reset_defaults()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)


def test_nested_values_are_redacted() -> None:
    """Person numbers inside dicts, lists and tuples of a log entry are masked, forbidden keys too."""
    out = redact_event_dict(
        None, "info", {"event": "x", "ctx": {"ids": [FNR, ("a", FNR)], "name": "Kari"}, "n": 1}
    )
    assert FNR not in repr(out)
    assert out["ctx"]["name"] == MASK
    assert out["n"] == 1


def test_traceback_is_redacted(capsys: pytest.CaptureFixture[str]) -> None:
    """An exception quoting a person number is formatted first, then masked."""
    configure_logging("json", "INFO")
    try:
        _fail(ValueError(f"bad PID-3 {FNR}"))
    except ValueError:
        structlog.get_logger("t").exception("failed")
    err = capsys.readouterr().err
    assert "Traceback" in err
    assert FNR not in err


def test_stdlib_loggers_go_through_the_same_processors(capsys: pytest.CaptureFixture[str]) -> None:
    """faust/aiokafka/aiohttp log through stdlib logging: their lines are JSON and redacted too."""
    configure_logging("json", "INFO")
    logging.getLogger("aiokafka").warning("record for %s failed", FNR)
    try:
        _fail(RuntimeError(FNR))
    except RuntimeError:
        logging.getLogger("aiohttp.server").exception("handler error")
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert FNR not in "\n".join(lines)
    assert lines[0].startswith("{")
    assert '"logger": "aiokafka"' in lines[0]


@pytest.mark.parametrize(
    ("module", "command", "args"),
    [
        ("connectors.plo.cli", "plo", []),
        ("connectors.kpr.cli", "kpr", []),
        ("connectors.ambulance.cli", "ambulance", []),
        ("connectors.hl7v2.cli", "hl7", []),
        ("connectors.fhir.cli", "fhir", []),
    ],
)
def test_every_connector_entry_point_configures_logging(
    module: str, command: str, args: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``hub connector plo|kpr|ambulance|hl7|fhir`` configure structlog and the root handler."""
    import importlib

    structlog.reset_defaults()
    for handler in list(logging.getLogger().handlers):
        logging.getLogger().removeHandler(handler)
    mod = importlib.import_module(module)

    def no_run(coro: Any) -> bool:
        coro.close()
        return True

    monkeypatch.setattr(asyncio, "run", no_run)
    result = CliRunner().invoke(getattr(mod, command), args)
    assert result.exit_code == 0, result.output
    assert structlog.is_configured()
    formatters = [h.formatter for h in logging.getLogger().handlers]
    assert any(isinstance(f, structlog.stdlib.ProcessorFormatter) for f in formatters)


def test_every_hub_command_configures_logging() -> None:
    """The ``hub`` group configures logging before any subcommand (validate, evaluate, report …) runs."""
    from hub.cli import cli

    structlog.reset_defaults()
    for handler in list(logging.getLogger().handlers):
        logging.getLogger().removeHandler(handler)
    result = CliRunner().invoke(cli, ["validate", "--help"])
    assert result.exit_code == 0, result.output
    assert structlog.is_configured()
