"""``hub infra up | status | down``: the local Kafka broker and schema registry (no HUB_ENV=dev needed: the
command holds no secret and serves nothing of the hub's)."""

from __future__ import annotations

import sys

import click

from hub import infra as services
from hub.settings import load_offline_settings


@click.group("infra")
def infra() -> None:
    """Run a local Kafka broker (KRaft) and Apicurio schema registry for development and tests."""


@infra.command("up")
@click.option(
    "--registry/--no-registry", default=True, show_default=True, help="Also start the schema registry."
)
def up(registry: bool) -> None:
    """Start the services that are not yet running and wait until they answer (idempotent)."""
    settings = load_offline_settings()  # a local broker and registry: no key, no listener of ours
    for result in services.up(settings.infra, registry=registry):
        verb = "started" if result.started else "already running"
        click.echo(f"{result.name:<9} {verb} (pid {result.pid}, port {result.port}, {result.seconds:.1f} s)")


@infra.command("status")
@click.option("--registry/--no-registry", default=True, show_default=True, help="Also check the registry.")
def status(registry: bool) -> None:
    """Print each service with pid, port and state; exit code 1 when any is not up."""
    settings = load_offline_settings()  # a local broker and registry: no key, no listener of ours
    found = services.status(settings.infra, registry=registry)
    for item in found:
        pid = str(item.pid) if item.pid is not None else "-"
        click.echo(f"{item.name:<9} pid {pid:<8} port {item.port:<6} {item.state.value}")
    if not all(item.up for item in found):
        sys.exit(1)


@infra.command("down")
@click.option(
    "--purge",
    is_flag=True,
    help="Also delete the broker data (topics, offsets), the schemas and the workers' state (HUB_DATA_DIR).",
)
def down(purge: bool) -> None:
    """Stop the services (SIGTERM, then SIGKILL after a timeout) and remove their pid files."""
    settings = load_offline_settings()  # a local broker and registry: no key, no listener of ours
    stopped = services.down(settings.infra, purge=purge, worker_state=settings.data_dir)
    click.echo(f"stopped: {', '.join(stopped) if stopped else 'nothing was running'}")
    if purge:
        click.echo(f"broker data and worker state ({settings.data_dir}) purged")
