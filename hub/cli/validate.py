"""``hub validate FILE…``: show the canonical events a message file maps to, or why it cannot be accepted."""

from __future__ import annotations

import os
import secrets
from datetime import UTC, datetime
from pathlib import Path

import click
from pydantic import SecretStr

from connectors.formats import MappingContext
from connectors.registry import FORMAT_MODULES, detect, get_format
from hub.domain.facts import fact_from_event
from hub.domain.organisations import Places
from hub.errors import InputError
from hub.identity import Pseudonymiser
from hub.masterdata import load_masterdata
from hub.settings import DEV_PSEUDONYM_KEY, HubSettings, PseudonymSettings, load_offline_settings

LOCAL_KEY_FILE = "validate-pseudonym.key"


@click.command()
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("--format", "format_name", type=click.Choice(sorted(FORMAT_MODULES)), help="Skip detection.")
@click.option("--redacted", is_flag=True, help="Also print the redacted message that would go to Kafka.")
def validate(files: tuple[Path, ...], format_name: str | None, redacted: bool) -> None:
    """Parse message FILES (format detected) and print their canonical events as JSON lines.

    A valid message the hub derives no event from is accepted ("accepted, no canonical events" and why, on
    stderr). A place code master data does not name (``organisations.csv``) is no error: it is named
    ("unknown organisation code …", on stderr) because its facts then join stays by time alone.
    Exits 1 if any file is rejected, printing the reason for each to stderr.

    Pseudonyms: under HUB_PSEUDONYM__KEYS when set, the public development key with HUB_ENV=dev, and
    otherwise a key of this machine's own (made on first use, ``.hub/validate-pseudonym.key``), so the
    command works anywhere without ever using the public key outside development.
    """
    settings = load_offline_settings()
    places = Places(load_masterdata(settings.masterdata_dir))
    ctx = MappingContext(
        pseudonymiser=Pseudonymiser.from_settings(_pseudonym_settings(settings)),
        received_at=datetime.now(UTC),
        system="hub-validate",
    )
    failed = 0
    for path in files:
        payload = path.read_bytes()
        try:
            fmt = get_format(format_name) if format_name else detect(payload)
            accepted = fmt.accept(payload, ctx)
        except InputError as exc:
            failed += 1
            click.echo(f"{path}: REJECTED [{exc.code}] {exc.reason}", err=True)
            continue
        head = f"{path}: {fmt.name} message {accepted.message_id}"
        if accepted.events:
            click.echo(f"{head}: {len(accepted.events)} event(s)", err=True)
        else:
            why = f" ({accepted.unmapped})" if accepted.unmapped else ""
            click.echo(f"{head}: accepted, no canonical events{why}", err=True)
        for event in accepted.events:
            click.echo(event.model_dump_json())
        before = dict(places.unknown)
        for event in accepted.events:
            fact_from_event(event, places=places)
        for (system, code), seen in sorted(places.unknown.items()):
            if seen > before.get((system, code), 0):
                click.echo(
                    f"{path}: unknown organisation code {system}:{code} (not in organisations.csv)", err=True
                )
        if redacted:
            click.echo(accepted.redacted.decode("utf-8", errors="replace"), err=True)
    if failed:
        raise SystemExit(1)


def _pseudonym_settings(settings: HubSettings) -> PseudonymSettings:
    """The configured keys; outside dev with none configured, this machine's own validation key.

    ``hub validate`` prints events and writes nothing to Kafka, so it needs no shared secret: its pseudonyms
    only have to be the same from one run to the next on this machine (files validated one at a time still
    join) and not be the public development key's, which anyone could reverse.
    """
    configured = settings.pseudonym
    if os.environ.get("HUB_ENV", "").lower() == "dev":
        return configured
    if all(v.get_secret_value() != DEV_PSEUDONYM_KEY for v in configured.keys.values()):
        return configured
    path = settings.infra.state_dir / LOCAL_KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another run made it first
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(32))
    click.echo(
        f"pseudonyms under this machine's own validation key ({path}); set HUB_PSEUDONYM__KEYS for the "
        "hub's own pseudonyms",
        err=True,
    )
    return PseudonymSettings(keys={"local": SecretStr(path.read_text().strip())}, active_key_id="local")
