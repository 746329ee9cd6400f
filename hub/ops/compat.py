"""Avro schema compatibility, by the specification's schema-resolution rules, naming the field that breaks.

``backward_problems(new, old)``: can a reader with schema ``new`` read every record written with ``old``?
That is the registry's BACKWARD rule (new consumers read old data); FORWARD swaps the two, FULL is both.
Each problem names its path, e.g. ``Event.body[Admission].ward: added without a default``.

Rules (Avro 1.11 "Schema Resolution"): records match by name; a reader field missing from the writer needs
a default; writer fields the reader lacks are skipped; enum symbols the writer has and the reader lacks need
a reader default; a writer union branch must resolve to some reader branch; int→long→float→double and
string↔bytes promote. Logical types are not compared (the registry does not compare them either).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

_PROMOTIONS: dict[str, frozenset[str]] = {
    "int": frozenset({"int", "long", "float", "double"}),
    "long": frozenset({"long", "float", "double"}),
    "float": frozenset({"float", "double"}),
    "string": frozenset({"string", "bytes"}),
    "bytes": frozenset({"bytes", "string"}),
}
"""Writer primitive → reader primitives that can read it."""
_PRIMITIVES = frozenset({"null", "boolean", "int", "long", "float", "double", "bytes", "string"})


class Compatibility(StrEnum):
    """Registry compatibility levels (the transitive ones check every earlier version, not only the last)."""

    BACKWARD = "BACKWARD"
    BACKWARD_TRANSITIVE = "BACKWARD_TRANSITIVE"
    FORWARD = "FORWARD"
    FORWARD_TRANSITIVE = "FORWARD_TRANSITIVE"
    FULL = "FULL"
    FULL_TRANSITIVE = "FULL_TRANSITIVE"
    NONE = "NONE"


REQUIRED_LEVELS: frozenset[Compatibility] = frozenset(
    {Compatibility.BACKWARD_TRANSITIVE, Compatibility.FULL_TRANSITIVE}
)
"""Levels the hub's subjects must have: BACKWARD_TRANSITIVE or stronger."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One incompatibility: where in the schema, and why."""

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


def _names(schema: Any, namespace: str | None, into: dict[str, Any]) -> None:
    """Collect every named type (record, enum, fixed) of ``schema`` by full name."""
    if isinstance(schema, list):
        for branch in schema:
            _names(branch, namespace, into)
        return
    if not isinstance(schema, dict):
        return
    kind = schema.get("type")
    if kind in ("record", "error", "enum", "fixed"):
        ns = schema.get("namespace", namespace)
        full = _full(schema["name"], ns)
        into[full] = schema
        namespace = ns
        for field in schema.get("fields", []):
            _names(field["type"], namespace, into)
    elif kind == "array":
        _names(schema["items"], namespace, into)
    elif kind == "map":
        _names(schema["values"], namespace, into)
    elif isinstance(kind, dict | list):
        _names(kind, namespace, into)


def _full(name: str, namespace: str | None) -> str:
    return name if "." in name or not namespace else f"{namespace}.{name}"


def _short(name: str) -> str:
    return name.rsplit(".", 1)[-1]


class _Checker:
    def __init__(self, reader: Any, writer: Any) -> None:
        self.reader_names: dict[str, Any] = {}
        self.writer_names: dict[str, Any] = {}
        _names(reader, None, self.reader_names)
        _names(writer, None, self.writer_names)
        self.problems: list[Problem] = []
        self._seen: set[tuple[str, str]] = set()

    def resolve(self, schema: Any, names: Mapping[str, Any], namespace: str | None) -> Any:
        if isinstance(schema, str) and schema not in _PRIMITIVES:
            return names.get(_full(schema, namespace), names.get(schema, schema))
        if isinstance(schema, dict) and schema.get("type") in _PRIMITIVES and len(schema) > 1:
            return schema["type"]  # a primitive with a logical type: compare the underlying type
        if isinstance(schema, dict) and isinstance(schema.get("type"), dict | list):
            return schema["type"]
        return schema

    def kind(self, schema: Any) -> str:
        if isinstance(schema, list):
            return "union"
        if isinstance(schema, dict):
            return str(schema["type"])
        return str(schema)

    def matches(self, reader: Any, writer: Any, rns: str | None, wns: str | None) -> bool:
        """Whether ``writer`` data can be read as ``reader`` at all (without recording problems)."""
        probe = _Checker.__new__(_Checker)
        probe.reader_names, probe.writer_names = self.reader_names, self.writer_names
        probe.problems, probe._seen = [], set(self._seen)
        probe.check(reader, writer, "", rns, wns)
        return not probe.problems

    def check(self, reader: Any, writer: Any, path: str, rns: str | None, wns: str | None) -> None:  # noqa: PLR0911, PLR0912 - one branch per Avro rule
        reader = self.resolve(reader, self.reader_names, rns)
        writer = self.resolve(writer, self.writer_names, wns)
        rkind, wkind = self.kind(reader), self.kind(writer)
        if wkind == "union":
            for branch in writer:
                label = self.label(self.resolve(branch, self.writer_names, wns))
                self.check(reader, branch, f"{path}[{label}]" if len(writer) > 1 else path, rns, wns)
            return
        if rkind == "union":
            same = self.same_branch(reader, writer, rns)
            if same is not None:  # the branch the specification picks: resolve it, naming what breaks
                self.check(same, writer, path, rns, wns)
            elif not any(self.matches(branch, writer, rns, wns) for branch in reader):
                self.problems.append(
                    Problem(path or ".", f"the new union has no branch that reads {self.label(writer)}")
                )
            return
        if wkind in _PRIMITIVES or rkind in _PRIMITIVES:
            if rkind not in _PROMOTIONS.get(wkind, frozenset({wkind})):
                self.problems.append(Problem(path or ".", f"type changed from {wkind} to {rkind}"))
            return
        if rkind != wkind:
            self.problems.append(Problem(path or ".", f"type changed from {wkind} to {rkind}"))
            return
        if rkind == "array":
            self.check(reader["items"], writer["items"], f"{path}[]", rns, wns)
            return
        if rkind == "map":
            self.check(reader["values"], writer["values"], f"{path}{{}}", rns, wns)
            return
        if not self.same_name(reader, writer):
            self.problems.append(
                Problem(path or ".", f"{rkind} renamed from {writer['name']} to {reader['name']}")
            )
            return
        rns, wns = reader.get("namespace", rns), writer.get("namespace", wns)
        if rkind == "enum":
            self.enum(reader, writer, path)
        elif rkind == "fixed":
            if reader["size"] != writer["size"]:
                self.problems.append(Problem(path, f"fixed size changed from {writer['size']}"))
        else:
            self.record(reader, writer, path or reader["name"], rns, wns)

    def same_branch(self, union: list[Any], writer: Any, rns: str | None) -> Any:
        """The reader branch of the writer's own kind (and name, for named types), if any."""
        for branch in union:
            resolved = self.resolve(branch, self.reader_names, rns)
            if self.kind(resolved) != self.kind(writer):
                continue
            if not isinstance(writer, dict) or "name" not in writer or self.same_name(resolved, writer):
                return branch
        return None

    def same_name(self, reader: JsonLike, writer: JsonLike) -> bool:
        names = {_short(reader["name"]), *(_short(a) for a in reader.get("aliases", []))}
        return _short(writer["name"]) in names

    def label(self, schema: Any) -> str:
        if isinstance(schema, dict):
            return _short(str(schema.get("name", schema.get("type"))))
        return _short(str(schema))

    def enum(self, reader: JsonLike, writer: JsonLike, path: str) -> None:
        lost = [s for s in writer["symbols"] if s not in reader["symbols"]]
        if lost and "default" not in reader:
            self.problems.append(
                Problem(path or reader["name"], f"enum {reader['name']} lost symbols {', '.join(lost)}")
            )

    def record(self, reader: JsonLike, writer: JsonLike, path: str, rns: str | None, wns: str | None) -> None:
        pair = (reader["name"], writer["name"])
        if pair in self._seen:  # a recursive type: already being checked further up
            return
        self._seen.add(pair)
        written = {f["name"]: f for f in writer["fields"]}
        for field in reader["fields"]:
            names = [field["name"], *field.get("aliases", [])]
            source = next((written[n] for n in names if n in written), None)
            where = f"{path}.{field['name']}"
            if source is None:
                if "default" not in field:
                    self.problems.append(Problem(where, "added without a default"))
                continue
            self.check(field["type"], source["type"], where, rns, wns)


JsonLike = Mapping[str, Any]


def backward_problems(new: Any, old: Any) -> list[Problem]:
    """Why a reader with schema ``new`` cannot read data written with ``old`` ([] = it can)."""
    checker = _Checker(new, old)
    checker.check(new, old, "", None, None)
    return checker.problems


def problems(new: Any, old: Any, level: Compatibility) -> list[Problem]:
    """Incompatibilities of ``new`` against one earlier version ``old`` under ``level``."""
    base = level.removesuffix("_TRANSITIVE")
    found: list[Problem] = []
    if base in ("BACKWARD", "FULL"):
        found += backward_problems(new, old)
    if base in ("FORWARD", "FULL"):
        found += [Problem(p.path, f"old readers: {p.reason}") for p in backward_problems(old, new)]
    return found
