"""Avro schemas generated from the pydantic models: the models are the one source of truth.

``avro_schema(Model)`` returns the schema as a JSON-able dict; ``to_datum`` / ``from_datum`` convert between a
model instance and the Python datum fastavro writes and reads. Unions of records are written with fastavro's
tuple notation ``(record_name, datum)`` so the branch is explicit, never guessed.

Mapping: str→string, int→long, bool→boolean, float→double, bytes→bytes, datetime→long/timestamp-micros,
date→int/date, StrEnum→enum (with ``default`` when it has UNKNOWN or OTHER, for reader-side evolution),
``X | None``→["null", X] default null, dict[str, X]→map, list[X]/tuple[X, ...]→array, model→record.
Fields with a default in the model carry it as their Avro default where Avro can (see ``_avro_default``).
"""

from __future__ import annotations

import types
import typing
from datetime import date, datetime
from enum import Enum
from typing import Any, Union

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

NAMESPACE = "no.samhandling.hub"
JsonDict = dict[str, Any]
M = typing.TypeVar("M", bound=BaseModel)


def _full(name: str) -> str:
    return f"{NAMESPACE}.{name}"


def _is_union(tp: Any) -> bool:
    return typing.get_origin(tp) in (Union, types.UnionType)


_NO_DEFAULT = object()
_SCALARS = (bool, int, float, str)


def _avro_default(info: FieldInfo) -> Any:
    """The Avro default of a model field, or ``_NO_DEFAULT``.

    A default lets a reader of the new schema read records written before the field existed (schema
    evolution, ``hub schemas check``). Optional fields default to null; scalar and enum defaults and empty
    list / dict factories carry over. A union's default must match its first branch: only null is used.
    """
    annotation = info.annotation
    if _is_union(annotation):
        nullable = type(None) in typing.get_args(annotation)
        return None if nullable and info.default is None else _NO_DEFAULT
    if info.default_factory is not None:
        factory: Any = info.default_factory
        return {list: [], dict: {}, tuple: [], set: [], frozenset: []}.get(factory, _NO_DEFAULT)
    value = info.default
    if value is PydanticUndefined:
        return _NO_DEFAULT
    if isinstance(value, Enum):
        return str(value.value)
    return value if isinstance(value, _SCALARS) else _NO_DEFAULT


class _Builder:
    def __init__(self) -> None:
        self.defined: set[str] = set()

    def model(self, cls: type[BaseModel]) -> Any:
        name = cls.__name__
        if name in self.defined:
            return _full(name)
        self.defined.add(name)
        fields = []
        for fname, info in cls.model_fields.items():
            ftype = self.type(info.annotation)
            field: JsonDict = {"name": fname, "type": ftype}
            if info.description:
                field["doc"] = info.description
            default = _avro_default(info)
            if default is not _NO_DEFAULT:
                field["default"] = default
            fields.append(field)
        record: JsonDict = {"type": "record", "name": name, "namespace": NAMESPACE, "fields": fields}
        doc = (cls.__doc__ or "").strip().split("\n\n")[0].replace("\n", " ")
        if doc:
            record["doc"] = doc
        return record

    def enum(self, cls: type[Enum]) -> Any:
        name = cls.__name__
        if name in self.defined:
            return _full(name)
        self.defined.add(name)
        symbols = [str(m.value) for m in cls]
        schema: JsonDict = {"type": "enum", "name": name, "namespace": NAMESPACE, "symbols": symbols}
        for fallback in ("UNKNOWN", "OTHER"):
            if fallback in symbols:
                schema["default"] = fallback
                break
        return schema

    def type(self, tp: Any) -> Any:  # noqa: PLR0911, PLR0912 - one branch per Avro type is clearest
        if _is_union(tp):
            args = typing.get_args(tp)
            branches = [self.type(a) for a in args if a is not type(None)]
            if type(None) in args:
                return ["null", *branches]
            return branches if len(branches) > 1 else branches[0]
        origin = typing.get_origin(tp)
        if origin is dict:
            return {"type": "map", "values": self.type(typing.get_args(tp)[1])}
        if origin in (list, tuple, frozenset, set):
            return {"type": "array", "items": self.type(typing.get_args(tp)[0])}
        if origin is typing.Literal:
            return "string"
        if isinstance(tp, type):
            if issubclass(tp, BaseModel):
                return self.model(tp)
            if issubclass(tp, Enum):
                return self.enum(tp)
            if issubclass(tp, bool):
                return "boolean"
            if issubclass(tp, int):
                return "long"
            if issubclass(tp, float):
                return "double"
            if issubclass(tp, str):
                return "string"
            if issubclass(tp, bytes):
                return "bytes"
            if issubclass(tp, datetime):
                return {"type": "long", "logicalType": "timestamp-micros"}
            if issubclass(tp, date):
                return {"type": "int", "logicalType": "date"}
        raise TypeError(f"no Avro mapping for {tp!r}")


def avro_schema(cls: type[BaseModel]) -> JsonDict:
    """The Avro record schema of a pydantic model (deterministic: same model, same schema)."""
    schema = _Builder().model(cls)
    if not isinstance(schema, dict):  # pragma: no cover - a fresh builder always defines the record
        raise TypeError(f"no record schema for {cls.__name__}")
    return schema


def _model_args(tp: Any) -> list[type[BaseModel]]:
    return [a for a in typing.get_args(tp) if isinstance(a, type) and issubclass(a, BaseModel)]


def _fixups(cls: type[BaseModel]) -> list[tuple[str, str, Any]]:
    """Fields whose dumped value needs work after ``model_dump``: record unions (tuple notation), nested
    models and lists of models. Everything else pydantic already dumps as fastavro wants it."""
    cached = _PLANS.get(cls)
    if cached is not None:
        return cached
    plan: list[tuple[str, str, Any]] = []
    for name, info in cls.model_fields.items():
        tp = info.annotation
        models = _model_args(tp) if _is_union(tp) else []
        if len(models) > 1:
            plan.append((name, "union", {_full(m.__name__): m for m in models}))
        elif len(models) == 1:
            plan.append((name, "model", models[0]))
        elif isinstance(tp, type) and issubclass(tp, BaseModel):
            plan.append((name, "model", tp))
        elif typing.get_origin(tp) in (list, tuple) and _model_args(tp):
            plan.append((name, "list", _model_args(tp)[0]))
    _PLANS[cls] = plan
    return plan


_PLANS: dict[type[BaseModel], list[tuple[str, str, Any]]] = {}


def _fix(model: BaseModel, dumped: JsonDict) -> JsonDict:
    for name, kind, _arg in _fixups(type(model)):
        value = getattr(model, name)
        if value is None:
            continue
        if kind == "union":
            dumped[name] = (_full(type(value).__name__), _fix(value, dumped[name]))
        elif kind == "model":
            dumped[name] = _fix(value, dumped[name])
        else:
            dumped[name] = [_fix(v, d) for v, d in zip(value, dumped[name], strict=True)]
    return dumped


def to_datum(model: BaseModel) -> JsonDict:
    """The fastavro datum of a model instance (record unions in tuple notation).

    ``model_dump`` (pydantic's Rust serializer) does the bulk; enums stay ``StrEnum`` members, which fastavro
    writes as their string values.
    """
    return _fix(model, model.model_dump())


def from_datum(cls: type[M], datum: JsonDict) -> M:
    """Rebuild a model instance from a datum fastavro read."""
    return cls.model_validate(datum)
