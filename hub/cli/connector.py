"""``hub connector NAME``: run one connector. Each connector package provides its own click command."""

from __future__ import annotations

import importlib

import click

CONNECTORS: dict[str, str] = {
    "hl7": "connectors.hl7v2.cli",
    "fhir": "connectors.fhir.cli",
    "plo": "connectors.plo.cli",
    "ambulance": "connectors.ambulance.cli",
    "kpr": "connectors.kpr.cli",
}


class _LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(CONNECTORS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module_name = CONNECTORS.get(cmd_name)
        if module_name is None:
            return None
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            raise click.ClickException(f"connector {cmd_name!r} is not available: {exc}") from exc
        command = getattr(module, cmd_name)
        if not isinstance(command, click.Command):
            raise click.ClickException(f"{module_name}.{cmd_name} is not a click command")
        return command


@click.group(cls=_LazyGroup)
def connector() -> None:
    """Run a connector: hl7 (MLLP), fhir, plo, ambulance, kpr."""
