"""The schema evolution gate: a changed schema must read what its last published version wrote.

Two places hold published versions. Offline, ``schemas/*.avsc`` in git: :func:`check_against_git` compares
each schema the models generate with the last committed version that differs from it (the working tree's
change before a commit, the last commit's change after it). Online, the registry:
:func:`check_against_registry` asks the registry's compatibility API about each subject
(``<topic>-value``), requires the subject to be at BACKWARD_TRANSITIVE or stronger, and names the
incompatible field with :mod:`hub.ops.compat` against every registered version (the registry only answers
yes or no). :func:`publish` sets the level and registers.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from hub.errors import InfraError, SchemaMismatch

if TYPE_CHECKING:
    from hub.settings import HubSettings

from hub.ops.compat import REQUIRED_LEVELS, Compatibility, Problem, problems

Schema = dict[str, Any]
DEFAULT_LEVEL = Compatibility.BACKWARD_TRANSITIVE


@dataclass(frozen=True, slots=True)
class Finding:
    """What is wrong with one schema (file or subject) against one published version."""

    name: str
    against: str
    problems: tuple[Problem, ...] = field(default_factory=tuple)
    note: str | None = None

    def __str__(self) -> str:
        lines = [f"{self.name} (against {self.against}): {self.note or 'incompatible'}"]
        lines += [f"  {p}" for p in self.problems]
        return "\n".join(lines)


def _same(a: Schema, b: Schema) -> bool:
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def _git(repo: Path, *args: str) -> str:
    try:
        done = subprocess.run(  # noqa: S603 - fixed git arguments, no shell
            ["git", "-C", str(repo), *args],  # noqa: S607 - git from PATH, like a developer runs it
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError) as exc:
        detail = getattr(exc, "stderr", "") or str(exc)
        raise InfraError(f"git {' '.join(args)} failed in {repo}: {detail.strip()}") from exc
    return done.stdout


def git_versions(repo: Path, path: str) -> Iterator[tuple[str, Schema]]:
    """Every committed version of ``path`` (relative to ``repo``), newest first, as (commit, schema)."""
    for sha in _git(repo, "log", "--format=%H", "--", path).split():
        try:
            text = _git(repo, "show", f"{sha}:{path}")
        except InfraError:  # deleted in that commit
            continue
        yield sha, json.loads(text)


def previous_version(repo: Path, path: str, current: Schema) -> tuple[str, Schema] | None:
    """The newest committed version of ``path`` that differs from ``current`` (None: never changed)."""
    for sha, schema in git_versions(repo, path):
        if not _same(schema, current):
            return sha, schema
    return None


def check_against_git(
    candidates: Mapping[str, Schema],
    repo: Path,
    *,
    directory: str = "schemas",
    level: Compatibility = DEFAULT_LEVEL,
) -> list[Finding]:
    """Findings of each candidate (file name → schema) against its previous version in git ([] = fine)."""
    findings = []
    for name, schema in candidates.items():
        previous = previous_version(repo, f"{directory}/{name}", schema)
        if previous is None:
            continue
        sha, old = previous
        found = problems(schema, old, level)
        if found:
            findings.append(Finding(name, f"git {sha[:10]}", tuple(found)))
    return findings


class SchemaRegistry(Protocol):
    """The registry calls the gate needs (a Confluent-compatible registry; tests use the real Apicurio)."""

    def compatibility(self, subject: str) -> Compatibility | None:
        """The subject's level (None: the subject has none of its own)."""
        ...

    def set_compatibility(self, subject: str, level: Compatibility) -> None:
        """Set the subject's level."""
        ...

    def versions(self, subject: str) -> list[Schema]:
        """Every registered version of the subject, oldest first ([] = no such subject)."""
        ...

    def is_compatible(self, subject: str, schema: Schema) -> bool:
        """The registry's answer: may ``schema`` become the subject's next version under its level?"""
        ...

    def register(self, subject: str, schema: Schema) -> int:
        """Register ``schema`` under the subject; its schema id."""
        ...


def check_against_registry(registry: SchemaRegistry, candidates: Mapping[str, Schema]) -> list[Finding]:
    """Findings of each candidate (subject → schema) against what the registry has published ([] = fine)."""
    findings = []
    for subject, schema in candidates.items():
        versions = registry.versions(subject)
        if not versions:
            continue  # a new subject: nothing published to break
        level = registry.compatibility(subject)
        if level not in REQUIRED_LEVELS:
            findings.append(
                Finding(
                    subject,
                    "registry",
                    note=f"compatibility is {level or 'not set'}; it must be BACKWARD_TRANSITIVE or stronger "
                    "(run `hub schemas publish`)",
                )
            )
            continue
        if _same(versions[-1], schema):
            continue
        against = versions if level.endswith("_TRANSITIVE") else versions[-1:]
        named = [p for old in against for p in problems(schema, old, level)]
        if not registry.is_compatible(subject, schema) or named:
            unique = tuple(dict.fromkeys(named))
            note = None if unique else "the registry refuses it (no field named by the local check)"
            findings.append(Finding(subject, f"registry, {len(versions)} version(s), {level}", unique, note))
    return findings


def publish(
    registry: SchemaRegistry, candidates: Mapping[str, Schema], *, level: Compatibility = DEFAULT_LEVEL
) -> dict[str, int]:
    """Register each candidate (subject → schema) with the subject at ``level``; subject → schema id.

    The level is set after the first version is registered (a registry may not keep levels of subjects it
    does not have yet) and on every later publish, so a subject never stays weaker than ``level``.
    """
    ids = {}
    for subject, schema in candidates.items():
        if registry.versions(subject) and registry.compatibility(subject) is not level:
            registry.set_compatibility(subject, level)
        ids[subject] = registry.register(subject, schema)
        if registry.compatibility(subject) is not level:
            registry.set_compatibility(subject, level)
    return ids


def publish_topic_schemas(settings: HubSettings) -> dict[str, int]:
    """Publish every topic's generated schema at :data:`DEFAULT_LEVEL` (``hub schemas publish``, demo).

    Refuses (:class:`SchemaMismatch` naming the fields) when a schema is incompatible with what the registry
    holds, so a start-up never weakens a subject or registers a breaking change.
    """
    from hub.events.avro_schema import avro_schema
    from hub.ops.asyncapi import avro_subjects
    from hub.ops.registry_client import ConfluentRegistry
    from hub.serde.catalog import SCHEMA_FILES

    registry = ConfluentRegistry.from_settings(settings.registry)
    generated = {name: avro_schema(model) for name, model in SCHEMA_FILES.items()}
    try:
        candidates = {s: generated[f] for s, f in avro_subjects(settings.topics).items()}
        refused = [f for f in check_against_registry(registry, candidates) if f.problems]
        if refused:
            raise SchemaMismatch("not published, incompatible:\n" + "\n".join(str(f) for f in refused))
        return publish(registry, candidates)
    finally:
        registry.close()
