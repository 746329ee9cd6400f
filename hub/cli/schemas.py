"""``hub schemas``: write or check the Avro schemas in ``schemas/`` generated from the models."""

from __future__ import annotations

from pathlib import Path

import click

from hub.serde.catalog import SCHEMA_FILES, schemas_dir
from hub.serde.single_object import schema_json


@click.group()
def schemas() -> None:
    """Avro schemas of every topic (generated from the pydantic models)."""


@schemas.command()
@click.option("--dir", "directory", type=click.Path(path_type=Path), default=None, help="Target directory.")
def generate(directory: Path | None) -> None:
    """Write schemas/*.avsc from the models."""
    target = directory or schemas_dir()
    target.mkdir(parents=True, exist_ok=True)
    for filename, model in SCHEMA_FILES.items():
        (target / filename).write_text(schema_json(model), encoding="utf-8")
        click.echo(f"wrote {target / filename}")


@schemas.command()
def check() -> None:
    """Fail if a committed schema differs from the one the models generate."""
    stale = [
        name
        for name, model in SCHEMA_FILES.items()
        if not (schemas_dir() / name).exists()
        or (schemas_dir() / name).read_text(encoding="utf-8") != schema_json(model)
    ]
    if stale:
        raise click.ClickException(f"schemas out of date: {', '.join(stale)} (run `hub schemas generate`)")
    click.echo(f"{len(SCHEMA_FILES)} schemas up to date")
