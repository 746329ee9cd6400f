"""Message-flow statistics of the PLO connector: what was received, from whom, to whom, and what became of it.

Every received message is counted once in ``hub_connector_message_flow_total`` with bounded labels: message
type (the ELIN types the hub knows; else ``other``), standard and version (``PLO 1.5`` ...), sender and
receiver organisation (master data by HER-id: the helseforetak id of a hospital unit, the kommunenummer of a
kommune; unknown HER-ids ``other``) and outcome (mapped, unmapped, refused, resent). Accepted messages also
record the delay from their GenDate to receipt. Never a message id or a person: labels come from these
vocabularies only ("do our kommuner get the innleggelsesrapport?" is
``sum by (receiver) (hub_connector_message_flow_total{message_type="INNLEGGELSESRAPPORT"})``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from connectors.common.ingest import IngestResult
from connectors.plo import dialog, dokumenter, helseopplysninger, pasientlogistikk, rapporter, tjenester
from connectors.plo.apprec_out import Original
from connectors.plo.mapping import STANDARDS
from hub.events import SourceKind
from hub.masterdata import MasterData
from hub.observability.metrics import OTHER, FlowOutcome, HubMetrics, organisation_labels

MESSAGE_TYPES = (
    pasientlogistikk.TYPES
    | helseopplysninger.TYPES
    | rapporter.TYPES
    | tjenester.TYPES
    | dokumenter.TYPES
    | {dialog.QUESTION, dialog.ANSWER, "DIALOG_AVVIK", "DIALOG_HELSEFAGLIG", "DIALOG_STATUS_HENVISNING"}
    | {"EPIKRISE", "APPREC"}
)
"""Message types counted under their own name (MsgHead Type, code list 8279); any other type is ``other``."""
STANDARD_LABELS = frozenset({"PLO 1.5", "PLO 1.6", *STANDARDS.values()})


@dataclass(frozen=True, slots=True)
class FlowRecorder:
    """Counts each received PLO message in the message-flow metrics."""

    metrics: HubMetrics
    organisations: Mapping[str, str]

    @classmethod
    def from_masterdata(cls, metrics: HubMetrics, masterdata: MasterData) -> FlowRecorder:
        """A recorder labelling organisations from ``masterdata``."""
        return cls(metrics, organisation_labels(masterdata))

    def _org(self, her_id: str | None) -> str:
        return self.organisations.get(her_id, OTHER) if her_id else OTHER

    def record(self, original: Original, result: IngestResult) -> None:
        """Count one message ``original`` describes, with the outcome of its ingest."""
        if result.accepted is None:
            outcome = FlowOutcome.REFUSED
        elif result.duplicate:
            outcome = FlowOutcome.RESENT
        else:
            outcome = FlowOutcome.MAPPED if result.accepted.events else FlowOutcome.UNMAPPED
        accepted = result.accepted
        message_type = (accepted.message_type if accepted else None) or original.msg_type
        standard = (accepted.standard if accepted else None) or original.standard
        labels = {
            "message_type": message_type if message_type in MESSAGE_TYPES else OTHER,
            "standard": standard if standard in STANDARD_LABELS else OTHER,
        }
        sender = (accepted.sender if accepted else None) or original.sender.her_id
        receiver = (accepted.receiver if accepted else None) or original.receiver.her_id
        self.metrics.message_received(
            SourceKind.PLO, outcome, sender=self._org(sender), receiver=self._org(receiver), **labels
        )
        new = outcome in {FlowOutcome.MAPPED, FlowOutcome.UNMAPPED}
        if new and accepted and accepted.sent_at and result.received_at is not None:
            delay = (result.received_at - accepted.sent_at).total_seconds()
            self.metrics.observe_message_delay(SourceKind.PLO, delay, **labels)
