"""The schema evolution gate: `hub schemas check` fails on a change that cannot read the previous version,
offline against git and through the registry's compatibility API, and names the field."""

from __future__ import annotations

import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from pydantic import BaseModel, Field, create_model

import hub.cli.schemas as schemas_cli
from hub.events.avro_schema import avro_schema
from hub.events.transport import RawMessage
from hub.ops.compat import Compatibility, backward_problems, problems
from hub.ops.evolution import check_against_git, check_against_registry, previous_version, publish
from hub.ops.registry_client import ConfluentRegistry
from hub.serde.catalog import SCHEMA_FILES
from hub.serde.single_object import schema_json
from hub.settings import HubSettings


def _record(*fields: dict[str, Any], name: str = "R") -> dict[str, Any]:
    return {"type": "record", "name": name, "namespace": "x", "fields": list(fields)}


def _paths(new: dict[str, Any], old: dict[str, Any]) -> list[str]:
    return [str(p) for p in backward_problems(new, old)]


def test_a_field_added_without_a_default_is_named() -> None:
    """A reader field the old writer lacks needs a default; the problem names the field."""
    old = _record({"name": "a", "type": "string"})
    new = _record({"name": "a", "type": "string"}, {"name": "ward", "type": "string"})
    assert _paths(new, old) == ["R.ward: added without a default"]
    with_default = _record({"name": "a", "type": "string"}, {"name": "ward", "type": "string", "default": ""})
    assert _paths(with_default, old) == []
    optional = _record(
        {"name": "a", "type": "string"}, {"name": "w", "type": ["null", "string"], "default": None}
    )
    assert _paths(optional, old) == []


def test_removing_a_field_is_backward_but_not_forward_compatible() -> None:
    """New readers skip a removed field; old readers (FORWARD/FULL) miss it when it had no default."""
    old = _record({"name": "a", "type": "string"}, {"name": "b", "type": "long"})
    new = _record({"name": "a", "type": "string"})
    assert problems(new, old, Compatibility.BACKWARD_TRANSITIVE) == []
    assert [p.path for p in problems(new, old, Compatibility.FULL_TRANSITIVE)] == ["R.b"]


def test_type_changes_follow_the_promotion_rules() -> None:
    """int→long and string→bytes read; long→int or string→long do not, and the nested path is named."""
    inner_old = _record({"name": "n", "type": "int"}, name="Inner")
    inner_new = _record({"name": "n", "type": "long"}, name="Inner")
    old = _record({"name": "inner", "type": ["null", inner_old], "default": None})
    new = _record({"name": "inner", "type": ["null", inner_new], "default": None})
    assert _paths(new, old) == []
    assert _paths(old, new) == ["R.inner[Inner].n: type changed from long to int"]
    assert _paths(_record({"name": "s", "type": "long"}), _record({"name": "s", "type": "string"})) == [
        "R.s: type changed from string to long"
    ]


def test_enum_symbols_lost_need_a_reader_default() -> None:
    """A symbol old data may hold must stay, unless the new enum has a default to fall back to."""
    old = _record({"name": "k", "type": {"type": "enum", "name": "K", "symbols": ["A", "B"]}})
    new = _record({"name": "k", "type": {"type": "enum", "name": "K", "symbols": ["A"]}})
    assert _paths(new, old) == ["R.k: enum K lost symbols B"]
    fallback = _record(
        {"name": "k", "type": {"type": "enum", "name": "K", "symbols": ["A", "U"], "default": "U"}}
    )
    assert _paths(fallback, old) == []


def test_a_union_branch_removed_is_named() -> None:
    """Every branch old data may hold must be readable by the new union."""
    old = _record({"name": "v", "type": ["null", "string", "long"]})
    new = _record({"name": "v", "type": ["null", "string"]})
    assert _paths(new, old) == ["R.v[long]: the new union has no branch that reads long"]


def test_every_shipped_schema_reads_its_git_history_from_the_last_change_on() -> None:
    """The models' schemas read the previous committed version of each schema file (the gate passes today)."""
    repo = Path(__file__).resolve().parents[2]
    if not (repo / ".git").exists():
        pytest.skip("not a git work tree")
    generated = {name: avro_schema(model) for name, model in SCHEMA_FILES.items()}
    assert check_against_git(generated, repo) == []


# -- offline against git, through the CLI --


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


@pytest.fixture
def schema_repo(tmp_path: Path) -> Path:
    """A git work tree whose schemas/ holds today's schemas, committed once."""
    repo = tmp_path / "repo"
    (repo / "schemas").mkdir(parents=True)
    _git(repo, "init", "-q")
    _git(repo, "config", "user.email", "test@example.invalid")
    _git(repo, "config", "user.name", "test")
    for name, model in SCHEMA_FILES.items():
        (repo / "schemas" / name).write_text(schema_json(model), encoding="utf-8")
    _git(repo, "add", "schemas")
    _git(repo, "commit", "-q", "-m", "v1")
    return repo


def _raw_with(**fields: Any) -> type[BaseModel]:
    """RawMessage (same record name) with extra fields: the models after a change."""
    model: type[BaseModel] = create_model("RawMessage", __base__=RawMessage, **fields)
    return model


def _with_raw(monkeypatch: pytest.MonkeyPatch, model: type[BaseModel]) -> None:
    files = {**SCHEMA_FILES, "samhandling.raw.avsc": model}
    monkeypatch.setattr(schemas_cli, "SCHEMA_FILES", files)


def _run(*args: str) -> Any:
    return CliRunner().invoke(schemas_cli.schemas, list(args))


def test_check_fails_on_an_incompatible_change_against_git(
    schema_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A field added without a default makes `hub schemas check` fail, naming the schema and the field."""
    assert _run("check", "--repo", str(schema_repo)).exit_code == 0
    _with_raw(monkeypatch, _raw_with(ward=(str, Field(description="new, required"))))
    assert _run("generate", "--dir", str(schema_repo / "schemas")).exit_code == 0
    result = _run("check", "--repo", str(schema_repo))
    assert result.exit_code != 0
    assert "samhandling.raw.avsc" in result.output
    assert "RawMessage.ward: added without a default" in result.output


def test_check_fails_after_the_incompatible_change_is_committed(
    schema_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Committing the change does not get it past the gate: the previous version in git is the one before."""
    _with_raw(monkeypatch, _raw_with(ward=(str, ...)))
    _run("generate", "--dir", str(schema_repo / "schemas"))
    _git(schema_repo, "commit", "-q", "-am", "v2 (incompatible)")
    found = previous_version(
        schema_repo,
        "schemas/samhandling.raw.avsc",
        avro_schema(schemas_cli.SCHEMA_FILES["samhandling.raw.avsc"]),
    )
    assert found is not None
    result = _run("check", "--repo", str(schema_repo))
    assert result.exit_code != 0
    assert "RawMessage.ward" in result.output


def test_check_passes_a_compatible_change(schema_repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An optional field (default null) is a compatible change: the gate lets it through."""
    _with_raw(monkeypatch, _raw_with(ward=(str | None, None)))
    _run("generate", "--dir", str(schema_repo / "schemas"))
    result = _run("check", "--repo", str(schema_repo))
    assert result.exit_code == 0, result.output


def test_check_says_when_committed_schemas_are_stale(
    schema_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A model change without `hub schemas generate` is reported as stale, before any compatibility check."""
    _with_raw(monkeypatch, _raw_with(ward=(str | None, None)))
    result = _run("check", "--repo", str(schema_repo))
    assert result.exit_code != 0
    assert "out of date: samhandling.raw.avsc" in result.output


# -- through the registry's compatibility API --


@pytest.fixture
def registry(infra: HubSettings) -> Iterator[ConfluentRegistry]:
    """The session registry (Apicurio, Confluent-compatible API)."""
    client = ConfluentRegistry.from_settings(infra.registry)
    yield client
    client.close()


@pytest.mark.registry
def test_registry_refuses_an_incompatible_change_and_the_gate_names_the_field(
    registry: ConfluentRegistry,
) -> None:
    """Published at BACKWARD_TRANSITIVE, a required new field is refused by the registry and named."""
    subject = f"test.evolution.{uuid.uuid4().hex[:8]}.raw-value"
    v1 = avro_schema(RawMessage)
    assert publish(registry, {subject: v1})
    assert registry.compatibility(subject) is Compatibility.BACKWARD_TRANSITIVE
    assert check_against_registry(registry, {subject: v1}) == []
    v2 = avro_schema(_raw_with(ward=(str, ...)))
    assert registry.is_compatible(subject, v2) is False
    [finding] = check_against_registry(registry, {subject: v2})
    assert finding.name == subject
    assert [str(p) for p in finding.problems] == ["RawMessage.ward: added without a default"]
    compatible = avro_schema(_raw_with(ward=(str | None, None)))
    assert registry.is_compatible(subject, compatible) is True
    assert check_against_registry(registry, {subject: compatible}) == []


@pytest.mark.registry
def test_registry_gate_checks_every_version_not_only_the_latest(registry: ConfluentRegistry) -> None:
    """Transitive: a field dropped in v2 and re-added without a default in v3 breaks reading v1... and v2."""
    subject = f"test.evolution.{uuid.uuid4().hex[:8]}.raw-value"
    v1 = avro_schema(RawMessage)
    v2 = avro_schema(_raw_with(ward=(str | None, None)))
    publish(registry, {subject: v1})
    publish(registry, {subject: v2})
    assert len(registry.versions(subject)) == 2
    v3 = avro_schema(_raw_with(ward=(str | None, None), bay=(str, ...)))
    [finding] = check_against_registry(registry, {subject: v3})
    assert {str(p) for p in finding.problems} == {"RawMessage.bay: added without a default"}


@pytest.mark.registry
def test_a_subject_below_backward_transitive_fails_the_gate(registry: ConfluentRegistry) -> None:
    """A subject left at the registry default (NONE here) is reported: the hub needs BACKWARD_TRANSITIVE."""
    subject = f"test.evolution.{uuid.uuid4().hex[:8]}.raw-value"
    v1 = avro_schema(RawMessage)
    registry.register(subject, v1)
    registry.set_compatibility(subject, Compatibility.BACKWARD)
    [finding] = check_against_registry(registry, {subject: v1})
    assert finding.note is not None
    assert "BACKWARD_TRANSITIVE" in finding.note
    publish(registry, {subject: v1})
    assert check_against_registry(registry, {subject: v1}) == []


def test_git_is_needed_for_the_offline_gate() -> None:
    """The offline gate runs git; the test machine has it."""
    assert shutil.which("git") is not None


@pytest.mark.registry
def test_cli_publish_then_check_against_the_registry(
    infra: HubSettings, registry: ConfluentRegistry, schema_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`hub schemas check --registry` fails on a subject below BACKWARD_TRANSITIVE and on a registered version
    the models cannot read (naming the field); `hub schemas publish` sets the level and registers."""
    from hub.settings import TopicSettings, settings_env

    tag = uuid.uuid4().hex[:8]
    names = {
        f: f"t{tag}.{getattr(TopicSettings(), f)}"
        for f in TopicSettings.model_fields
        if f not in ("partitions", "replication_factor")
    }
    settings = infra.model_copy(update={"topics": TopicSettings(**names)})
    for name, value in settings_env(settings).items():
        monkeypatch.setenv(name, value)
    raw_subject = f"{settings.topics.raw_hl7v2}-value"
    registry.register(raw_subject, avro_schema(RawMessage))
    weak = _run("check", "--registry", "--repo", str(schema_repo))
    assert weak.exit_code != 0
    assert f"{raw_subject} (against registry): compatibility is " in weak.output

    published = _run("publish")
    assert published.exit_code == 0, published.output
    assert f"{raw_subject}: schema id" in published.output
    assert registry.compatibility(f"{settings.topics.avvik}-value") is Compatibility.BACKWARD_TRANSITIVE
    assert _run("check", "--registry", "--repo", str(schema_repo)).exit_code == 0

    # a version the models cannot read: a source kind today's enum (no default) does not have
    wider = avro_schema(RawMessage)
    kind = next(f for f in wider["fields"] if f["name"] == "source_kind")
    kind["type"]["symbols"].append("TELEPATHY")
    registry.set_compatibility(raw_subject, Compatibility.NONE)
    registry.register(raw_subject, wider)
    registry.set_compatibility(raw_subject, Compatibility.BACKWARD_TRANSITIVE)
    broken = _run("check", "--registry", "--repo", str(schema_repo))
    assert broken.exit_code != 0
    assert "RawMessage.source_kind: enum SourceKind lost symbols TELEPATHY" in broken.output
