"""Deterministic identifiers: the same input gives the same id on every replay (DESIGN §2)."""

from __future__ import annotations

import uuid
from functools import lru_cache

PATHWAY_NAMESPACE = uuid.UUID("0b8e3f4a-51c2-4e0f-9a57-6d3b1c2a9e01")
AVVIK_NAMESPACE = uuid.UUID("3c7d9e21-0f4b-4a8e-b1d6-58e2a9c4f702")
SEGMENT_NAMESPACE = uuid.UUID("9a1f5b3c-7e2d-4c6a-8b0e-41d7f2c6a903")


@lru_cache(maxsize=1 << 17)
def pathway_id(pseudonym: str, first_origin: str) -> str:
    """Pathway id: uuid5 of the pseudonym and the (original) event id that opened the pathway."""
    return str(uuid.uuid5(PATHWAY_NAMESPACE, f"{pseudonym}|{first_origin}"))


@lru_cache(maxsize=1 << 17)
def avvik_id(code: str, pseudonym: str | None, anchor: str) -> str:
    """Avvik id: uuid5 of code, pseudonym and the original event id of the fact that anchors the rule."""
    return str(uuid.uuid5(AVVIK_NAMESPACE, f"{code}|{pseudonym or '-'}|{anchor}"))


@lru_cache(maxsize=1 << 17)
def segment_id(pseudonym: str, episode_key: str, start_origin: str) -> str:
    """Bed segment id (one patient in one unit from one start event)."""
    return str(uuid.uuid5(SEGMENT_NAMESPACE, f"{pseudonym}|{episode_key}|{start_origin}"))
