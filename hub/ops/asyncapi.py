"""The AsyncAPI 3.0 document of the hub's topics, generated from the topic catalogue and the Avro schemas.

Subscribers read ``docs/asyncapi.json`` as the published contract: one channel per topic (address, key,
partitions, clean-up policy and retention as Kafka bindings), one message per record type with its Avro schema
(the same one ``schemas/*.avsc`` holds) and the registry's wire format, and the operations the hub performs
(what it sends, what its worker receives). It is built from the default settings so it does not depend on the
machine that generates it; a test and ``hub schemas check`` fail when it drifts from the code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from hub import __version__
from hub.errors import ConfigError
from hub.events.avro_schema import avro_schema
from hub.kafka.topics import TopicSpec, catalogue
from hub.serde.catalog import SCHEMA_FILES
from hub.settings import REPO_ROOT, InfraSettings, KafkaSettings, RegistrySettings, TopicSettings

ASYNCAPI_VERSION: Final = "3.0.0"
KAFKA_BINDING: Final = "0.5.0"
AVRO_FORMAT: Final = "application/vnd.apache.avro+json;version=1.9.0"
DOCUMENT_PATH: Final = REPO_ROOT / "docs" / "asyncapi.json"

JsonDict = dict[str, Any]


@dataclass(frozen=True, slots=True)
class TopicDoc:
    """What the catalogue does not say about a topic: its schema file, key, producer and meaning.

    ``schema_file`` names an Avro schema of ``schemas/``; a topic that carries JSON instead (the audit
    stream) names its message and gives its JSON Schema in ``json_payload``.
    """

    schema_file: str | None
    key: str
    description: str
    consumed_by_worker: bool = False
    json_message: str | None = None
    json_payload: JsonDict | None = None

    @property
    def message(self) -> str:
        """The message (record type) name of the topic."""
        if self.schema_file is not None:
            return SCHEMA_FILES[self.schema_file].__name__
        if self.json_message is None:
            raise ValueError("a topic without an Avro schema needs json_message")
        return self.json_message


_RAW = "The accepted source message, redacted (person numbers replaced by pseudonym tokens)"
TOPIC_DOCS: Final[dict[str, TopicDoc]] = {
    "raw_hl7v2": TopicDoc("samhandling.raw.avsc", "source message id (MSH-10)", f"{_RAW}: HL7 v2 ADT.", True),
    "raw_fhir": TopicDoc("samhandling.raw.avsc", "source message id", f"{_RAW}: FHIR R4 Encounter.", True),
    "raw_plo": TopicDoc("samhandling.raw.avsc", "MsgHead MsgId", f"{_RAW}: PLO / ELIN-k XML.", True),
    "raw_ambulance": TopicDoc("samhandling.raw.avsc", "mission message id", f"{_RAW}: AMK mission.", True),
    "raw_kpr": TopicDoc("samhandling.raw.avsc", "extract record id", f"{_RAW}: KPR / IPLOS extract.", True),
    "events": TopicDoc(
        "samhandling.events.avsc",
        "patient pseudonym (a rejection without patient: the rejected message id; capacity: the unit id)",
        "Canonical events (DESIGN §3): the normalised form of every accepted source message.",
        True,
    ),
    "pathway_state": TopicDoc(
        "samhandling.pathway.state.avsc",
        "patient pseudonym",
        "Latest pathway state of each patient (compacted: the last record per key is the state).",
    ),
    "avvik": TopicDoc(
        "samhandling.avvik.avsc",
        "avvik id (deterministic: a replay overwrites)",
        "Samhandlingsavvik SA01–SA14 with their open / resolved / retracted status (compacted).",
    ),
    "beds_metrics": TopicDoc(
        "samhandling.beds.metrics.avsc",
        "metric id (scope:scope_id:period:period_start)",
        "Bed-use snapshots per unit, kommune, HF and helsefellesskap (live, hourly, daily, midnight census).",
    ),
    "dlq": TopicDoc(
        "samhandling.dlq.avsc",
        "source message id, or the SHA-256 of the payload",
        "Dead letters: inputs the hub could not accept, with the reason and the original bytes sealed.",
    ),
    "audit": TopicDoc(
        None,
        "request id",
        "Audit stream: every read of patient-level data, answered or refused (who, what, when, from where; "
        "never the content read). JSON, not Avro.",
        json_message="AuditEntry",
        json_payload={
            "type": "object",
            "required": ["at", "actor", "action", "resource", "outcome", "peer", "request_id"],
            "properties": {
                "at": {"type": "string", "format": "date-time"},
                "actor": {"type": "string", "description": "authenticated client, or anonymous"},
                "action": {"type": "string", "description": "what was done, e.g. dlq.show"},
                "resource": {"type": "string", "description": "what was read, e.g. a pseudonym"},
                "outcome": {"type": "string", "description": "answered or refused, and why"},
                "peer": {"type": ["string", "null"], "description": "peer address, when over HTTP"},
                "request_id": {"type": "string"},
            },
        },
    ),
}
"""Keyed by the ``TopicSettings`` field of the topic; a field the settings do not have is left out."""


def _camel(field: str) -> str:
    head, *rest = field.split("_")
    return head + "".join(part.capitalize() for part in rest)


def _topic_config(spec: TopicSpec) -> JsonDict:
    config: JsonDict = {}
    for name, value in spec.config:
        if name == "cleanup.policy":
            config[name] = value.split(",")
        elif value.lstrip("-").isdigit():
            config[name] = int(value)
        else:
            config[name] = value
    return config


def described_topics(topics: TopicSettings) -> dict[str, TopicDoc]:
    """Topic name → its description, for every described topic the settings name."""
    return {getattr(topics, f): doc for f, doc in TOPIC_DOCS.items() if hasattr(topics, f)}


HEADERS: Final[JsonDict] = {
    "type": "object",
    "properties": {
        "traceparent": {
            "type": "string",
            "pattern": "^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$",
            "description": "W3C Trace Context of the message's journey (hub.ops.traceparent), when the "
            "producer carries one; optional, readers ignore an invalid value",
        }
    },
}


def _message(doc: TopicDoc) -> JsonDict:
    name = doc.message
    if doc.schema_file is not None:
        model = SCHEMA_FILES[doc.schema_file]
        summary = (model.__doc__ or "").strip().split("\n\n")[0].replace("\n", " ")
        return {
            "name": name,
            "title": name,
            "summary": summary,
            "contentType": "application/octet-stream",
            "headers": HEADERS,
            "payload": {"$ref": f"#/components/schemas/{name}"},
            "bindings": {
                "kafka": {
                    "key": {"type": "string", "description": f"UTF-8 {doc.key}"},
                    "schemaIdLocation": "payload",
                    "schemaIdPayloadEncoding": "confluent",
                    "schemaLookupStrategy": "TopicNameStrategy",
                    "bindingVersion": KAFKA_BINDING,
                }
            },
        }
    return {
        "name": name,
        "title": name,
        "summary": doc.description,
        "contentType": "application/json",
        "payload": {"$ref": f"#/components/schemas/{name}"},
        "bindings": {
            "kafka": {
                "key": {"type": "string", "description": f"UTF-8 {doc.key}"},
                "bindingVersion": KAFKA_BINDING,
            }
        },
    }


def build_document(topics: TopicSettings | None = None) -> JsonDict:
    """The AsyncAPI 3.0 document of the topic catalogue under ``topics`` (default: the default names)."""
    topics = topics or TopicSettings()
    specs = {spec.name: spec for spec in catalogue(topics)}
    described = described_topics(topics)
    missing = sorted(set(specs) - set(described))
    if missing:
        raise ConfigError(
            f"topics without an AsyncAPI description (TOPIC_DOCS in hub/ops/asyncapi.py): {missing}"
        )
    infra, registry = InfraSettings(), RegistrySettings()
    channels: JsonDict = {}
    operations: JsonDict = {}
    messages: JsonDict = {}
    schemas: JsonDict = {}
    for field, doc in TOPIC_DOCS.items():
        if not hasattr(topics, field):
            continue
        spec = specs[getattr(topics, field)]
        message = doc.message
        channel_id = _camel(field)
        channels[channel_id] = {
            "address": spec.name,
            "title": spec.name,
            "description": f"{doc.description} Key: {doc.key}.",
            "messages": {message: {"$ref": f"#/components/messages/{message}"}},
            "bindings": {
                "kafka": {
                    "topic": spec.name,
                    "partitions": spec.partitions,
                    "replicas": topics.replication_factor,
                    "topicConfiguration": _topic_config(spec),
                    "bindingVersion": KAFKA_BINDING,
                }
            },
        }
        suffix = channel_id[0].upper() + channel_id[1:]
        own = [{"$ref": f"#/channels/{channel_id}/messages/{message}"}]
        operations[f"send{suffix}"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{channel_id}"},
            "summary": f"The hub writes {message} records to {spec.name}.",
            "messages": own,
        }
        if doc.consumed_by_worker:
            operations[f"receive{suffix}"] = {
                "action": "receive",
                "channel": {"$ref": f"#/channels/{channel_id}"},
                "summary": f"The stream worker reads {spec.name}.",
                "messages": own,
            }
        if message not in messages:
            messages[message] = _message(doc)
            if doc.schema_file is not None:
                avro = avro_schema(SCHEMA_FILES[doc.schema_file])
                schemas[message] = {"schemaFormat": AVRO_FORMAT, "schema": avro}
            else:
                schemas[message] = doc.json_payload
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "id": "urn:no:samhandling:hub",
        "info": {
            "title": "Samhandling event hub",
            "version": __version__,
            "description": (
                "Topics of the samhandling event hub (DESIGN §2a). Values are Avro in the Confluent wire "
                "format (magic byte 0, 4-byte schema id, datum) with subjects `<topic>-value` at "
                "BACKWARD_TRANSITIVE compatibility, or Avro single-object encoding (C3 01 + CRC-64-AVRO "
                "fingerprint) when no registry is configured. Person numbers never appear: patients are "
                "keyed by keyed-HMAC pseudonyms. Generated by `hub schemas generate` from the topic "
                "catalogue (hub/kafka/topics.py) and the models; do not edit by hand."
            ),
            "license": {"name": "MIT"},
        },
        "defaultContentType": "application/octet-stream",
        "servers": {
            "local": {
                "host": KafkaSettings().bootstrap_servers,
                "protocol": "kafka",
                "description": f"The local broker of `hub infra up` (Kafka {infra.kafka_version}, KRaft).",
                "bindings": {
                    "kafka": {
                        "schemaRegistryUrl": registry.url or "",
                        "schemaRegistryVendor": "apicurio",
                        "bindingVersion": KAFKA_BINDING,
                    }
                },
            }
        },
        "channels": channels,
        "operations": operations,
        "components": {"schemas": schemas, "messages": messages},
    }


def document_json(topics: TopicSettings | None = None) -> str:
    """The document as stable, pretty JSON (what ``docs/asyncapi.json`` holds)."""
    return json.dumps(build_document(topics), indent=2, ensure_ascii=False) + "\n"


def write_document(path: Path = DOCUMENT_PATH) -> Path:
    """Write the document to ``path``; return it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(document_json(), encoding="utf-8")
    return path


def is_current(path: Path = DOCUMENT_PATH) -> bool:
    """True when ``path`` holds exactly what the code generates."""
    return path.exists() and path.read_text(encoding="utf-8") == document_json()


def avro_subjects(topics: TopicSettings) -> dict[str, str]:
    """Registry subject (topic name strategy, ``<topic>-value``) → schema file, for every Avro topic."""
    return {
        f"{topic}-value": doc.schema_file
        for topic, doc in described_topics(topics).items()
        if doc.schema_file is not None
    }
