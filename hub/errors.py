"""One exception tree for the whole hub.

::

    HubError
    ├── ConfigError(ValueError)            bad or missing settings / master data
    ├── InfraError                         local broker / registry management
    │   ├── PrerequisiteMissing            Java, Maven, a free port ... not available
    │   └── StartupTimeout (retriable)     a service did not become ready in time
    ├── IdentityError(ValueError)          invalid fødselsnummer / D-/H-/FH-nummer
    ├── SerdeError                         Avro encoding / decoding
    │   └── SchemaMismatch                 writer schema unknown or incompatible
    ├── InputError(ValueError)             a source message we cannot accept
    │   ├── ParseError                     not well-formed (bad XML, bad HL7 framing, bad JSON)
    │   ├── ValidationError                well-formed but breaks the schema or a rule of the format
    │   └── UnsupportedMessage             valid, but a type the hub does not map
    ├── AuthError                          a request's credentials are missing, invalid or insufficient
    ├── DomainError                        the pure core met an impossible transition
    └── DeliveryError (retriable)          Kafka did not confirm a write
        └── RecordTooLarge (permanent)     the record exceeds the producer's or the topic's size limit

Control-flow signals are *not* errors and live apart: :class:`DeadLetter` carries a rejected input
to the dead-letter topic with its reason.
"""

from __future__ import annotations

from dataclasses import dataclass


class HubError(Exception):
    """Root of every error the hub raises on purpose."""

    retriable: bool = False


class ConfigError(HubError, ValueError):
    """Settings or master data are missing or inconsistent."""


class InfraError(HubError):
    """The local infrastructure (broker, registry) could not be managed."""


class PrerequisiteMissing(InfraError):
    """A tool or resource the infrastructure needs is not available (Java, Maven, a free port)."""


class StartupTimeout(InfraError):
    """A service did not become ready in time; trying again may help."""

    retriable = True


class AuthError(HubError):
    """A request is not authenticated (missing, invalid, expired or replayed token or proof) or lacks a
    scope. ``reason`` is safe to log and to audit (it never quotes the token)."""

    def __init__(self, reason: str, *, status: int = 401) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


class IdentityError(HubError, ValueError):
    """A person identifier is not a valid Norwegian fødselsnummer, D-, H- or FH-nummer."""


class SerdeError(HubError):
    """A record could not be encoded or decoded."""


class SchemaMismatch(SerdeError):
    """The writer schema of a record is unknown or incompatible with the reader."""


class InputError(HubError, ValueError):
    """A source message cannot be accepted. ``code`` is a short machine-readable reason."""

    code: str = "invalid"

    def __init__(self, message: str, *, code: str | None = None, location: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code
        self.location = location

    @property
    def reason(self) -> str:
        """Human-readable reason including the location in the message when known."""
        text = str(self)
        return f"{text} (at {self.location})" if self.location else text


class ParseError(InputError):
    """The message is not well-formed."""

    code = "parse"


class ValidationError(InputError):
    """The message is well-formed but breaks its schema or a rule of its format."""

    code = "validation"


class UnsupportedMessage(InputError):
    """The message is valid but of a type the hub does not map."""

    code = "unsupported"


class DomainError(HubError):
    """The domain core was asked to do something impossible."""


class DeliveryError(HubError):
    """Kafka did not confirm a write."""

    retriable = True


class RecordTooLarge(DeliveryError):
    """The record is larger than the producer or the topic accepts: trying again cannot help."""

    retriable = False


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """Control-flow signal: this input goes to the dead-letter topic with ``reason``. Not an error."""

    source: str
    reason: str
    payload: bytes
    code: str = "invalid"
