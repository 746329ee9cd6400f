"""Who made a request, as far as the hub needs to know (for the audit stream and scope checks)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller: ``client`` is the OAuth client id (or the static token's name)."""

    client: str
    subject: str | None
    scopes: frozenset[str]
    method: str
    """``dpop``, ``bearer-jwt`` or ``static`` (development only)."""
