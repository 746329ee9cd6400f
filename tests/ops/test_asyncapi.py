"""The AsyncAPI 3.0 document: generated from the topic catalogue and the Avro schemas, committed, valid."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from hub.events.avro_schema import avro_schema
from hub.kafka.topics import catalogue
from hub.ops.asyncapi import DOCUMENT_PATH, build_document, described_topics, document_json
from hub.serde.catalog import SCHEMA_FILES, schemas_dir
from hub.settings import REPO_ROOT, TopicSettings

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft7Validator:
    """The official AsyncAPI 3.0.0 JSON Schema (npm @asyncapi/specs 6.11.1, shipped as test data)."""
    schema = json.loads((DATA / "asyncapi-3.0.0.schema.json").read_text(encoding="utf-8"))
    return jsonschema.Draft7Validator(schema)


def _errors(validator: jsonschema.Draft7Validator, document: dict[str, Any]) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message[:200]}" for e in validator.iter_errors(document)]


def test_committed_document_is_what_the_code_generates() -> None:
    """docs/asyncapi.json equals the generated document (run `hub schemas generate` after a change)."""
    assert DOCUMENT_PATH.read_text(encoding="utf-8") == document_json()


def test_document_validates_against_the_asyncapi_3_schema(validator: jsonschema.Draft7Validator) -> None:
    """The committed document is a valid AsyncAPI 3.0.0 document, Kafka bindings and Avro schemas included."""
    document = json.loads(DOCUMENT_PATH.read_text(encoding="utf-8"))
    assert document["asyncapi"] == "3.0.0"
    assert _errors(validator, document) == []


@pytest.mark.parametrize(
    ("where", "value"),
    [
        (("operations", "sendEvents", "action"), "publish"),  # AsyncAPI 2 vocabulary
        (("channels", "events", "bindings", "kafka", "partitions"), 0),
        (("components", "schemas", "Event", "schema", "type"), "struct"),  # not an Avro type
        (("channels", "dlq", "bindings", "kafka", "topicConfiguration", "cleanup.policy"), ["forever"]),
    ],
)
def test_validation_catches_a_broken_document(
    validator: jsonschema.Draft7Validator, where: tuple[str, ...], value: object
) -> None:
    """The validation is real: one wrong value in the document makes it invalid."""
    document = copy.deepcopy(build_document())
    target = document
    for key in where[:-1]:
        target = target[key]
    target[where[-1]] = value
    assert _errors(validator, document) != []


def _pointer(document: dict[str, Any], ref: str) -> Any:
    node: Any = document
    for part in ref.removeprefix("#/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


def test_every_reference_resolves() -> None:
    """Every $ref in the document points at something in it (the JSON Schema does not check this)."""
    document = build_document()
    refs = _refs(document)
    assert len(refs) > 20
    for ref in refs:
        assert ref.startswith("#/"), ref
        assert _pointer(document, ref) is not None, ref


def test_channels_follow_the_topic_catalogue() -> None:
    """Each catalogue topic is one channel with its address, partitions and clean-up policy as bindings."""
    topics = TopicSettings(partitions=9)
    document = build_document(topics)
    channels = {c["address"]: c for c in document["channels"].values()}
    specs = catalogue(topics)
    assert set(channels) == {s.name for s in specs}
    for spec in specs:
        kafka = channels[spec.name]["bindings"]["kafka"]
        assert kafka["topic"] == spec.name
        assert kafka["partitions"] == spec.partitions
        policy = spec.config_dict["cleanup.policy"]
        assert kafka["topicConfiguration"]["cleanup.policy"] == [policy]
        if "retention.ms" in spec.config_dict:
            assert kafka["topicConfiguration"]["retention.ms"] == int(spec.config_dict["retention.ms"])
    assert channels[topics.events]["bindings"]["kafka"]["partitions"] == 9
    assert channels[topics.dlq]["bindings"]["kafka"]["partitions"] == 1


def test_messages_carry_the_committed_avro_schemas() -> None:
    """Each Avro message's payload is the schema of schemas/*.avsc, with its key and the registry encoding."""
    document = build_document()
    for filename, model in SCHEMA_FILES.items():
        component = document["components"]["schemas"][model.__name__]
        assert component["schemaFormat"].startswith("application/vnd.apache.avro")
        committed = json.loads((schemas_dir() / filename).read_text(encoding="utf-8"))
        assert component["schema"] == committed == avro_schema(model)
        kafka = document["components"]["messages"][model.__name__]["bindings"]["kafka"]
        assert kafka["key"]["type"] == "string"
        assert kafka["schemaIdLocation"] == "payload"
    assert document["servers"]["local"]["bindings"]["kafka"]["schemaRegistryUrl"].startswith("http")


def test_a_topic_without_a_description_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """A new catalogue topic must be described before the document can be generated (no silent gap)."""
    import hub.ops.asyncapi as module

    docs = dict(module.TOPIC_DOCS)
    del docs["beds_metrics"]
    monkeypatch.setattr(module, "TOPIC_DOCS", docs)
    with pytest.raises(ValueError, match=re.escape("samhandling.beds.metrics")):
        build_document()


def test_the_audit_message_names_every_audit_entry_field() -> None:
    """The audit channel's JSON payload lists exactly the fields of hub.audit.AuditEntry."""
    audit = pytest.importorskip("hub.audit")
    import dataclasses

    described = described_topics(TopicSettings())
    doc = described[TopicSettings().audit]
    assert doc.json_payload is not None
    fields = {f.name for f in dataclasses.fields(audit.AuditEntry)}
    assert set(doc.json_payload["properties"]) == fields


def test_readme_links_the_document() -> None:
    """The README points subscribers at docs/asyncapi.json."""
    assert "docs/asyncapi.json" in (REPO_ROOT / "README.md").read_text(encoding="utf-8")
