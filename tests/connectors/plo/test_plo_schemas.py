"""The ELIN schema set: every document schema builds offline from the repo copies, once."""

from __future__ import annotations

import pytest

from connectors.plo import schemas
from hub.errors import UnsupportedMessage


@pytest.mark.slow
@pytest.mark.parametrize("namespace", sorted(schemas.DOCUMENTS))
def test_every_document_schema_builds_from_local_files(namespace: str) -> None:
    """Each schema (PLO 1.5/1.6, MsgHead, AppRec 1.0/1.1, Dialogmelding, Epikrise) builds without network."""
    schema = schemas.schema_for(namespace)
    assert schema.target_namespace == namespace
    assert str(schemas.XSD_DIR) in str(schema.url)


def test_schemas_are_cached() -> None:
    """A schema is built once and reused."""
    assert schemas.schema_for(schemas.MSGHEAD_NS) is schemas.schema_for(schemas.MSGHEAD_NS)


def test_unknown_namespace_is_unsupported() -> None:
    """A document in a namespace with no schema is an unsupported message."""
    with pytest.raises(UnsupportedMessage):
        schemas.schema_for("urn:example:not-elin")


def test_local_copies_exist_for_every_import() -> None:
    """Every namespace the schemas import resolves to a file in the repository."""
    for path in [*schemas.LOCATIONS.values(), *schemas.DOCUMENTS.values()]:
        assert (schemas.XSD_DIR / path).is_file(), path
