"""``hub schemas``: write or check the Avro schemas in ``schemas/`` generated from the models, the AsyncAPI
document built from them, and the evolution gate against published versions (git, or the registry)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from hub.events.avro_schema import avro_schema
from hub.serde.catalog import SCHEMA_FILES, schemas_dir
from hub.serde.single_object import schema_json
from hub.settings import REPO_ROOT


@click.group()
def schemas() -> None:
    """Avro schemas of every topic (generated from the pydantic models) and the AsyncAPI document."""


@schemas.command()
@click.option("--dir", "directory", type=click.Path(path_type=Path), default=None, help="Target directory.")
def generate(directory: Path | None) -> None:
    """Write schemas/*.avsc and docs/asyncapi.json from the models and the topic catalogue."""
    from hub.ops.asyncapi import write_document

    target = directory or schemas_dir()
    target.mkdir(parents=True, exist_ok=True)
    for filename, model in SCHEMA_FILES.items():
        (target / filename).write_text(schema_json(model), encoding="utf-8")
        click.echo(f"wrote {target / filename}")
    if directory is None:
        click.echo(f"wrote {write_document()}")


def _generated() -> dict[str, dict[str, Any]]:
    return {name: avro_schema(model) for name, model in SCHEMA_FILES.items()}


@schemas.command()
@click.option(
    "--registry",
    "use_registry",
    is_flag=True,
    help="Also check each subject against the registry (HUB_REGISTRY__URL): level and compatibility.",
)
@click.option(
    "--repo",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Git work tree whose history holds the published schemas (default: this repository).",
)
def check(use_registry: bool, repo: Path | None) -> None:
    """Fail if a committed schema or docs/asyncapi.json differs from what the models generate, or a changed
    schema cannot read what its previous version (in git; with --registry, every registered version) wrote."""
    from hub.ops.asyncapi import DOCUMENT_PATH, is_current
    from hub.ops.evolution import check_against_git

    root = repo or REPO_ROOT
    directory = root / "schemas" if repo is not None else schemas_dir()
    stale = [
        name
        for name, model in SCHEMA_FILES.items()
        if not (directory / name).exists()
        or (directory / name).read_text(encoding="utf-8") != schema_json(model)
    ]
    if stale:
        raise click.ClickException(f"schemas out of date: {', '.join(stale)} (run `hub schemas generate`)")
    if not is_current():
        raise click.ClickException(f"{DOCUMENT_PATH.name} out of date (run `hub schemas generate`)")
    findings = check_against_git(_generated(), root) if (root / ".git").exists() else []
    if use_registry:
        findings += _registry_findings()
    if findings:
        raise click.ClickException("incompatible schema change:\n" + "\n".join(str(f) for f in findings))
    click.echo(f"{len(SCHEMA_FILES)} schemas up to date and compatible; {DOCUMENT_PATH.name} up to date")


def _registry_findings() -> list[Any]:
    from hub.ops.asyncapi import avro_subjects
    from hub.ops.evolution import check_against_registry
    from hub.ops.registry_client import ConfluentRegistry
    from hub.settings import load_settings

    settings = load_settings()
    registry = ConfluentRegistry.from_settings(settings.registry)
    generated = _generated()
    try:
        candidates = {s: generated[f] for s, f in avro_subjects(settings.topics).items()}
        return list(check_against_registry(registry, candidates))
    finally:
        registry.close()


@schemas.command()
def publish() -> None:
    """Register every topic's schema in the registry with its subject at BACKWARD_TRANSITIVE."""
    from hub.errors import SchemaMismatch
    from hub.ops.evolution import DEFAULT_LEVEL, publish_topic_schemas
    from hub.settings import load_settings

    try:
        published = publish_topic_schemas(load_settings())
    except SchemaMismatch as exc:
        raise click.ClickException(str(exc)) from exc
    for subject, schema_id in published.items():
        click.echo(f"{subject}: schema id {schema_id}, {DEFAULT_LEVEL}")


@schemas.command()
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False), required=False)
def asyncapi(path: Path | None) -> None:
    """Print the AsyncAPI 3.0 document (or write it to PATH)."""
    from hub.ops.asyncapi import document_json

    text = document_json()
    if path is None:
        click.echo(text, nl=False)
    else:
        path.write_text(text, encoding="utf-8")
        click.echo(f"wrote {path}")
