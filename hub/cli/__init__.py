"""The ``hub`` command line. Each subcommand lives in its own module and is registered here."""

from __future__ import annotations

import importlib
import sys

import click

from hub import __version__
from hub.errors import HubError

# module name -> attribute holding the click command or group
SUBCOMMANDS: tuple[tuple[str, str], ...] = (
    ("hub.cli.infra", "infra"),
    ("hub.cli.schemas", "schemas"),
    ("hub.cli.evaluate", "evaluate"),
    ("hub.cli.validate", "validate"),
    ("hub.cli.connector", "connector"),
    ("hub.cli.worker", "worker"),
    ("hub.cli.replay", "replay"),
    ("hub.cli.report", "report"),
    ("hub.cli.simulate", "simulate"),
    ("hub.cli.demo", "demo"),
    ("hub.cli.board", "board"),
    ("hub.cli.dlq", "dlq"),
    ("hub.cli.messages", "messages"),
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="hub")
def cli() -> None:
    """Samhandling event hub: pathways, samhandlingsavvik and bed use from hospital and kommune messages."""
    from hub.logs import configure_logging

    # every command logs through the redacting processors; commands that load settings reconfigure
    configure_logging()


def _register() -> None:
    for module_name, attr in SUBCOMMANDS:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                continue  # subcommand not built yet
            raise
        cli.add_command(getattr(module, attr))


_register()


def main() -> None:
    """Console-script entry point: run the CLI, turning hub errors into a clear message and exit code."""
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except HubError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
