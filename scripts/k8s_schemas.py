"""Generate kubeconform JSON schemas offline from the Kubernetes OpenAPI spec and CRD manifests.

kubeconform normally downloads its schemas from GitHub, which this project's machines cannot reach. The
Kubernetes OpenAPI (swagger 2.0) spec ships in the ``k8s.io/kubernetes`` Go module
(``api/openapi-spec/swagger.json``) and the prometheus-operator CRDs in the
``github.com/prometheus-operator/prometheus-operator`` Go module (``example/prometheus-operator-crd/``);
``scripts/ci-helm-tools.sh`` fetches both with ``go mod download`` and runs this script, which writes
standalone strict schemas (every ``$ref`` inlined, ``additionalProperties: false`` on every object with
declared properties, int-or-string and Quantity as either type) in kubeconform's own layout::

    OUT/v<version>-standalone-strict/<kind><-group-prefix>-<version>.json   e.g. statefulset-apps-v1.json

so that ``kubeconform -strict -kubernetes-version <version> -schema-location OUT`` validates offline.

Usage: python scripts/k8s_schemas.py --swagger swagger.json --crd crd.yaml ... --out DIR --k8s-version 1.37.2
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity"
INT_OR_STRING = {"oneOf": [{"type": "string"}, {"type": "integer"}]}
NUMBER_OR_STRING = {"oneOf": [{"type": "string"}, {"type": "number"}]}


def _strict(node: dict[str, Any]) -> dict[str, Any]:
    if "properties" in node and "additionalProperties" not in node and node.get("type", "object") == "object":
        node["additionalProperties"] = False
    return node


def resolve(node: Any, definitions: dict[str, Any], stack: tuple[str, ...] = ()) -> Any:  # noqa: PLR0911 - one return per node shape reads best
    """Return ``node`` with every ``$ref`` inlined (recursive references become ``{}``) and made strict."""
    if isinstance(node, list):
        return [resolve(item, definitions, stack) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str):
        name = ref.rsplit("/", 1)[-1]
        if name == QUANTITY:
            return dict(NUMBER_OR_STRING)
        if name in stack:
            return {}
        target = resolve(definitions[name], definitions, (*stack, name))
        if "description" in node:
            target = {**target, "description": node["description"]}
        return target
    if node.get("format") == "int-or-string" or node.get("x-kubernetes-int-or-string") is True:
        return {"description": node.get("description", ""), **INT_OR_STRING}
    out = {
        key: resolve(value, definitions, stack)
        for key, value in node.items()
        if key not in {"$ref", "properties"}
    }
    if isinstance(node.get("properties"), dict):
        out["properties"] = {
            key: resolve(value, definitions, stack) for key, value in node["properties"].items()
        }
    if out.get("x-kubernetes-preserve-unknown-fields") is True:
        return out
    return _strict(out)


def kind_file(kind: str, group: str, version: str) -> str:
    """kubeconform's file name for a kind: lower-case kind, first label of the group, version."""
    suffix = f"-{group.split('.', maxsplit=1)[0]}-{version}" if group else f"-{version}"
    return f"{kind.lower()}{suffix}.json".lower()


def _with_gvk(schema: dict[str, Any], group: str, version: str, kind: str) -> dict[str, Any]:
    api_version = f"{group}/{version}" if group else version
    props = schema.setdefault("properties", {})
    props["apiVersion"] = {"type": "string", "enum": [api_version]}
    props["kind"] = {"type": "string", "enum": [kind]}
    schema["$schema"] = "http://json-schema.org/draft-07/schema#"
    return _strict(schema)


def from_swagger(swagger: dict[str, Any], out: Path) -> int:
    """Write a schema for every definition carrying a group-version-kind; return how many."""
    definitions = swagger["definitions"]
    count = 0
    for name, definition in definitions.items():
        for gvk in definition.get("x-kubernetes-group-version-kind", []):
            group, version, kind = gvk.get("group", ""), gvk["version"], gvk["kind"]
            schema = resolve(definition, definitions, (name,))
            schema = _with_gvk(schema, group, version, kind)
            (out / kind_file(kind, group, version)).write_text(json.dumps(schema, indent=1))
            count += 1
    return count


def from_crd(crd: dict[str, Any], out: Path) -> int:
    """Write a schema for every served version of a CustomResourceDefinition; return how many."""
    spec = crd["spec"]
    group, kind = spec["group"], spec["names"]["kind"]
    count = 0
    for version in spec["versions"]:
        schema = version.get("schema", {}).get("openAPIV3Schema")
        if not version.get("served", True) or schema is None:
            continue
        schema = resolve(schema, {}, ())
        props = schema.setdefault("properties", {})
        props.setdefault("metadata", {"type": "object"})
        schema = _with_gvk(schema, group, version["name"], kind)
        (out / kind_file(kind, group, version["name"])).write_text(json.dumps(schema, indent=1))
        count += 1
    return count


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--swagger", type=Path, required=True, help="Kubernetes api/openapi-spec/swagger.json"
    )
    parser.add_argument("--crd", type=Path, action="append", default=[], help="CRD manifest (YAML)")
    parser.add_argument("--out", type=Path, required=True, help="schema root for -schema-location")
    parser.add_argument("--k8s-version", required=True, help="Kubernetes version, e.g. 1.37.2")
    args = parser.parse_args(argv)

    target = args.out / f"v{args.k8s_version.lstrip('v')}-standalone-strict"
    target.mkdir(parents=True, exist_ok=True)
    count = from_swagger(json.loads(args.swagger.read_text()), target)
    if args.crd:
        import yaml  # noqa: PLC0415 - only needed for CRDs; PyYAML (dev extra) or Debian's python3-yaml

        for path in args.crd:
            for document in yaml.safe_load_all(path.read_text()):
                if document and document.get("kind") == "CustomResourceDefinition":
                    count += from_crd(document, target)
    print(f"wrote {count} schemas to {target}")  # noqa: T201 - a CLI reports what it did
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
