"""Size limits shared by the HTTP connectors, aligned with Kafka's record size.

A message becomes one raw record of at most ``MAX_RECORD_BYTES`` (what producer and topics accept), so a
request body larger than :data:`HTTP_MAX_BODY` can never be accepted: the transport answers 413 without
reading it. Up to it the format reads the body (a redacted copy is often smaller than its original) and a
message whose record is still too large is refused by name (``too_large``).
"""

from __future__ import annotations

from typing import Final

from hub.events.transport import MAX_RECORD_BYTES

HTTP_MAX_BODY: Final = 2 * MAX_RECORD_BYTES
