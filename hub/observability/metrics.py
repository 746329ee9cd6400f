"""Every Prometheus metric the hub exposes, in one container: :class:`HubMetrics`.

Build one ``HubMetrics(registry)`` at the entry point (worker or connector) and pass it down; tests build
one on a fresh :class:`~prometheus_client.CollectorRegistry` and read values with ``get_sample_value``.

Label values come only from enums (:mod:`hub.events.enums`, :class:`AckCode`) and master data (unit ids,
kommunenummer, HF and helsefellesskap ids, avvik codes, topic names from settings). Patient data and message
ids never become labels: every free-text label is checked by :func:`label_value`, which refuses anything
shaped like a person number, long values and characters outside a small alphabet.

Names follow the Prometheus conventions: base units (``_seconds``, ``_ratio``; money in ``_nok``), counters
end in ``_total``, and the alert rules (``deploy/prometheus/rules/hub-alerts.yml``) and Grafana dashboards
(``deploy/grafana/dashboards/``) use exactly these names; :meth:`HubMetrics.exposed_names` lists them so tests
can check the rules and dashboards against the container.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.metrics import MetricWrapperBase

from hub.events.enums import AmbulanceHastegrad, Area, SourceKind, UnitKind

if TYPE_CHECKING:
    from hub.masterdata import MasterData

__all__ = [
    "AMBULANCE_RESPONSE_BUCKETS",
    "AMBULANCE_TARGET_SECONDS",
    "LENGTH_OF_STAY_BUCKETS",
    "MESSAGE_DELAY_BUCKETS",
    "OTHER",
    "PROCESSING_BUCKETS",
    "AckCode",
    "FlowOutcome",
    "HubMetrics",
    "UnitLabels",
    "label_value",
    "organisation_labels",
]

# Buckets ------------------------------------------------------------------------------------------------

PROCESSING_BUCKETS: tuple[float, ...] = (
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
)  # fmt: skip
"""Seconds to process one message (decode, core, produce) or ingest one message in a connector."""

AMBULANCE_RESPONSE_BUCKETS: tuple[float, ...] = (
    60.0, 120.0, 300.0, 480.0, 600.0, 720.0, 900.0, 1200.0, 1500.0, 1800.0, 2700.0, 3600.0,
)  # fmt: skip
"""Seconds from CALL_RECEIVED to ON_SCENE; 720 s (12 min, tettsted) and 1500 s (25 min, rural) are targets."""

_HOUR = 3600.0
_DAY = 24 * _HOUR
LENGTH_OF_STAY_BUCKETS: tuple[float, ...] = (
    6 * _HOUR, 12 * _HOUR, _DAY, 2 * _DAY, 3 * _DAY, 5 * _DAY, 7 * _DAY, 14 * _DAY, 30 * _DAY, 90 * _DAY,
)  # fmt: skip
"""Length of stay in seconds; 3 days is the KAD guidance (SA10), 14 days the sykestue limit."""

MESSAGE_DELAY_BUCKETS: tuple[float, ...] = (
    1.0, 5.0, 15.0, 60.0, 300.0, 900.0, _HOUR, 4 * _HOUR, 12 * _HOUR, _DAY, 2 * _DAY, 7 * _DAY,
)  # fmt: skip
"""Seconds from the time a sender says it sent a message (MsgHead GenDate) to the hub's receipt."""

AMBULANCE_TARGET_SECONDS: dict[Area, float] = {Area.TETTSTED: 720.0, Area.RURAL: 1500.0}
"""National target for akutt missions: on scene within 12 min (tettsted) / 25 min (rural) in 90 % of cases."""


# Label vocabularies --------------------------------------------------------------------------------------


class AckCode(StrEnum):
    """What a connector answered its sender: HL7 MSA-1 codes, AppRec status (code list 8221) or HTTP class."""

    HL7_AA = "AA"  # application accept
    HL7_AE = "AE"  # application error
    HL7_AR = "AR"  # application reject
    HL7_CA = "CA"  # commit accept (enhanced mode)
    HL7_CE = "CE"  # commit error
    HL7_CR = "CR"  # commit reject
    APPREC_OK = "APPREC_1"  # 1 = OK
    APPREC_AVVIST = "APPREC_2"  # 2 = Avvist
    APPREC_OK_FEIL = "APPREC_3"  # 3 = OK, feil i delmelding
    HTTP_2XX = "HTTP_2XX"
    HTTP_4XX = "HTTP_4XX"
    HTTP_5XX = "HTTP_5XX"


_LABEL_RE = re.compile(r"^[A-Za-z0-9ÆØÅæøå][A-Za-z0-9ÆØÅæøå ._:/-]{0,63}$")
_PERSON_NUMBER_RE = re.compile(r"\d{11}")
_KOMMUNE_RE = re.compile(r"^\d{4}$")
_AVVIK_CODE_RE = re.compile(r"^SA\d{2}$")
_TOPIC_RE = re.compile(r"^[A-Za-z0-9._-]{1,249}$")
_SYSTEM_RE = re.compile(r"^(her|hl7-facility|hl7-unit|fhir-organization|fhir-location|kpr-unit|amk)$")
_REASON_RE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


OTHER = "other"
"""Label value for anything outside the bounded vocabulary (an unknown message type or organisation)."""


class FlowOutcome(StrEnum):
    """What became of a received message (message-flow statistics)."""

    MAPPED = "mapped"  # accepted, mapped to canonical events
    UNMAPPED = "unmapped"  # accepted (AppRec OK), no canonical event
    REFUSED = "refused"  # Avvist / negative acknowledgement, dead-lettered
    RESENT = "resent"  # a re-send of a message already accepted, not written again


def organisation_labels(masterdata: MasterData) -> dict[str, str]:
    """HER-id -> the organisation label of message-flow statistics: the helseforetak id of a hospital (unit),
    else the kommunenummer of a kommune, from master data (``organisations.csv``); unknown HER-ids are
    :data:`OTHER` for the caller."""
    labels: dict[str, str] = {}
    for (system, code), org in masterdata.organisations.items():
        label = org.hf_id or org.kommunenummer
        if system == "her" and label:
            labels[code] = label_value(label, what="organisation")
    return labels


def label_value(value: str, *, what: str = "label") -> str:
    """Return ``value`` if it is a safe master-data label value; raise ``ValueError`` otherwise.

    Safe means: 1-64 characters of letters, digits, space and ``._:/-`` and no run of 11 digits (the shape
    of a fødselsnummer or D-nummer), so a patient identifier cannot leak into a label by mistake.
    """
    if isinstance(value, StrEnum):
        return value.value
    if not _LABEL_RE.fullmatch(value) or _PERSON_NUMBER_RE.search(value):
        raise ValueError(f"{what} {value!r} is not a safe metric label value")
    return value


def _match(pattern: re.Pattern[str], value: str, what: str) -> str:
    if not pattern.fullmatch(value):
        raise ValueError(f"{what} {value!r} does not match {pattern.pattern}")
    return value


def _kommune(value: str) -> str:
    return _match(_KOMMUNE_RE, value, "kommunenummer")


def _avvik_code(value: str) -> str:
    return _match(_AVVIK_CODE_RE, str(value), "avvik code")


def _topic(value: str) -> str:
    return _match(_TOPIC_RE, value, "topic")


def _non_negative(value: float, what: str) -> float:
    if value < 0:
        raise ValueError(f"{what} must not be negative, got {value}")
    return value


@dataclass(frozen=True, slots=True)
class UnitLabels:
    """The master-data labels of one care unit: id, kind, kommunenummer and HF ("" for municipal units)."""

    unit_id: str
    kind: UnitKind
    kommune: str
    hf: str = ""

    def values(self) -> tuple[str, str, str, str]:
        """Label values in the order ``unit, unit_kind, kommune, hf`` after validation."""
        hf = label_value(self.hf, what="hf") if self.hf else ""
        return (label_value(self.unit_id, what="unit id"), self.kind.value, _kommune(self.kommune), hf)


_UNIT_LABELS = ("unit", "unit_kind", "kommune", "hf")


class HubMetrics:
    """Container of every metric of the hub, registered on the given registry.

    One instance per registry: creating a second one on the same registry raises ``ValueError``
    (duplicated timeseries), which is how prometheus_client protects against double registration.
    """

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        r = registry

        # Pipeline health ---------------------------------------------------------------------------------
        self.messages_consumed = Counter(
            "hub_messages_consumed", "Kafka records consumed by the workers, by topic.", ["topic"], registry=r
        )
        self.unknown_organisation_codes = Counter(
            "hub_unknown_organisation_codes",
            "Hospital facts whose place code (HER-id, HL7 facility/unit code) no row of organisations.csv"
            " names, by code system; such facts join stays by time alone.",
            ["system"],
            registry=r,
        )
        self.messages_produced = Counter(
            "hub_messages_produced", "Kafka records produced by the hub, by topic.", ["topic"], registry=r
        )
        self.dlq_records = Counter(
            "hub_dlq_records",
            "Records sent to the dead-letter topic, by source kind and reason code.",
            ["source", "reason"],
            registry=r,
        )
        self.processing_duration = Histogram(
            "hub_processing_duration_seconds",
            "Time to process one consumed record (decode, domain core, produce), by topic.",
            ["topic"],
            buckets=PROCESSING_BUCKETS,
            registry=r,
        )
        self.consumer_lag = Gauge(
            "hub_consumer_lag_messages",
            "Records between the committed offset and the end of the partition, by topic and partition.",
            ["topic", "partition"],
            registry=r,
        )
        self.worker_ready = Gauge(
            "hub_worker_ready",
            "1 when the worker has recovered its tables and consumes; 0 while starting or rebalancing.",
            registry=r,
        )
        self.deadlines_pending = Gauge(
            "hub_deadlines_pending",
            "Absence-rule deadlines scheduled and not yet due or cancelled, by avvik code.",
            ["code"],
            registry=r,
        )

        # Connectors ----------------------------------------------------------------------------------------
        self.connector_received = Counter(
            "hub_connector_messages_received",
            "Messages received by a connector from its sender, by source kind.",
            ["source"],
            registry=r,
        )
        self.connector_acked = Counter(
            "hub_connector_messages_acked",
            "Messages a connector accepted (positive acknowledgement), by source kind and ack code.",
            ["source", "code"],
            registry=r,
        )
        self.connector_nacked = Counter(
            "hub_connector_messages_nacked",
            "Messages a connector refused (negative acknowledgement), by source kind and ack code.",
            ["source", "code"],
            registry=r,
        )
        self.message_flow = Counter(
            "hub_connector_message_flow",
            "Messages received, by source kind, message type, standard and version, sender and receiver "
            "organisation (master data: helseforetak id or kommunenummer; unknown: other) and outcome.",
            ["source", "message_type", "standard", "sender", "receiver", "outcome"],
            registry=r,
        )
        self.message_delay = Histogram(
            "hub_connector_message_delay_seconds",
            "Time from the sender's stated send time (MsgHead GenDate) to receipt by the hub, by source "
            "kind, message type and standard.",
            ["source", "message_type", "standard"],
            buckets=MESSAGE_DELAY_BUCKETS,
            registry=r,
        )
        self.connector_ingest_duration = Histogram(
            "hub_connector_ingest_duration_seconds",
            "Time from receiving a message to Kafka confirming the raw record, by source kind.",
            ["source"],
            buckets=PROCESSING_BUCKETS,
            registry=r,
        )

        # Domain: samhandlingsavvik and utskrivningsklare ----------------------------------------------------
        avvik_labels = ["code", "helsefellesskap"]
        self.avvik_opened = Counter(
            "hub_avvik_opened",
            "Samhandlingsavvik opened, by code and helsefellesskap.",
            avvik_labels,
            registry=r,
        )
        self.avvik_resolved = Counter(
            "hub_avvik_resolved",
            "Samhandlingsavvik resolved, by code and helsefellesskap.",
            avvik_labels,
            registry=r,
        )
        self.avvik_retracted = Counter(
            "hub_avvik_retracted",
            "Samhandlingsavvik retracted because the events that caused them were cancelled or replaced.",
            avvik_labels,
            registry=r,
        )
        self.avvik_open = Gauge(
            "hub_avvik_open",
            "Samhandlingsavvik open now, by code and helsefellesskap.",
            avvik_labels,
            registry=r,
        )
        self.overliggedogn = Gauge(
            "hub_overliggedogn",
            "Overliggedøgn (bed-days of utskrivningsklare patients) this year, by oppholdskommune.",
            ["oppholdskommune"],
            registry=r,
        )
        self.betalingsplikt = Gauge(
            "hub_betalingsplikt_nok",
            "Betalingsplikt (overliggedøgn × døgnpris) this calendar year in NOK, by oppholdskommune.",
            ["oppholdskommune"],
            registry=r,
        )
        self.utskrivningsklare = Gauge(
            "hub_utskrivningsklare_in_hospital",
            "Patients declared utskrivningsklar and still in hospital now, by oppholdskommune.",
            ["oppholdskommune"],
            registry=r,
        )

        # Beds ----------------------------------------------------------------------------------------------
        self.beds_occupied = Gauge(
            "hub_beds_occupied", "Beds occupied now, by unit.", _UNIT_LABELS, registry=r
        )
        self.beds_capacity = Gauge(
            "hub_beds_capacity", "Beds available (capacity) now, by unit.", _UNIT_LABELS, registry=r
        )
        self.bed_occupancy = Gauge(
            "hub_bed_occupancy_ratio",
            "Belegg: occupied bed-days / available bed-days over the current day (may exceed 1), by unit.",
            _UNIT_LABELS,
            registry=r,
        )
        self.admissions = Counter(
            "hub_admissions", "Admissions to a unit (hospital or KAD), by unit.", _UNIT_LABELS, registry=r
        )
        self.discharges = Counter(
            "hub_discharges", "Discharges from a unit (hospital or KAD), by unit.", _UNIT_LABELS, registry=r
        )
        self.length_of_stay = Histogram(
            "hub_length_of_stay_seconds",
            "Length of stay observed at discharge, by unit kind.",
            ["unit_kind"],
            buckets=LENGTH_OF_STAY_BUCKETS,
            registry=r,
        )

        # Ambulance -----------------------------------------------------------------------------------------
        amb_labels = ["hastegrad", "area"]
        self.ambulance_response = Histogram(
            "hub_ambulance_response_seconds",
            "Ambulance response time CALL_RECEIVED → ON_SCENE, by hastegrad and area.",
            amb_labels,
            buckets=AMBULANCE_RESPONSE_BUCKETS,
            registry=r,
        )
        self.ambulance_missions = Counter(
            "hub_ambulance_missions",
            "Ambulance missions that reached the scene, by hastegrad and area.",
            amb_labels,
            registry=r,
        )
        self.ambulance_within_target = Counter(
            "hub_ambulance_missions_within_target",
            "Missions on scene within the akutt target (12 min tettsted, 25 min rural), by hastegrad, area.",
            amb_labels,
            registry=r,
        )

        # Quality indicators --------------------------------------------------------------------------------
        self.epikrise_within_1d = Gauge(
            "hub_epikrise_within_1d_ratio",
            "Share of discharges whose epikrise was sent within 1 day (target ≥ 0.7), by HF.",
            ["hf"],
            registry=r,
        )
        self.readmission_30d = Gauge(
            "hub_readmission_30d_ratio",
            "Share of discharges followed by an acute readmission within 30 days, by HF.",
            ["hf"],
            registry=r,
        )
        self.kad_per_1000 = Gauge(
            "hub_kad_admissions_per_1000_inhabitants",
            "KAD admissions this calendar year per 1 000 inhabitants (SSB population), by kommune.",
            ["kommune"],
            registry=r,
        )

    # Introspection ------------------------------------------------------------------------------------------

    def _metrics(self) -> Iterable[MetricWrapperBase]:
        return (value for value in vars(self).values() if isinstance(value, MetricWrapperBase))

    def exposed_names(self) -> frozenset[str]:
        """Every sample name this container can expose (``_total``, ``_bucket`` … suffixes included)."""
        names: set[str] = set()
        for metric in self._metrics():
            for family in metric.describe():
                if family.type == "counter":
                    names.update({f"{family.name}_total", f"{family.name}_created"})
                elif family.type == "histogram":
                    suffixes = ("bucket", "count", "sum", "created")
                    names.update(f"{family.name}_{suffix}" for suffix in suffixes)
                else:
                    names.add(family.name)
        return frozenset(names)

    # Pipeline health ----------------------------------------------------------------------------------------

    def message_consumed(self, topic: str, count: int = 1) -> None:
        """Count ``count`` records consumed from ``topic``."""
        self.messages_consumed.labels(_topic(topic)).inc(count)

    def unknown_organisation_code(self, system: str) -> None:
        """Count a fact whose ``system`` code master data does not name (the code itself is no label)."""
        self.unknown_organisation_codes.labels(_match(_SYSTEM_RE, system, "code system")).inc()

    def message_produced(self, topic: str, count: int = 1) -> None:
        """Count ``count`` records produced to ``topic``."""
        self.messages_produced.labels(_topic(topic)).inc(count)

    def dead_lettered(self, source: SourceKind, reason: str) -> None:
        """Count one dead-lettered record; ``reason`` is a short code such as ``InputError.code``."""
        self.dlq_records.labels(source.value, _match(_REASON_RE, reason, "reason code")).inc()

    def observe_processing(self, topic: str, seconds: float) -> None:
        """Record the time spent processing one record from ``topic``."""
        self.processing_duration.labels(_topic(topic)).observe(_non_negative(seconds, "seconds"))

    def set_consumer_lag(self, topic: str, partition: int, lag: int) -> None:
        """Set the consumer lag of one partition."""
        if partition < 0:
            raise ValueError(f"partition must not be negative, got {partition}")
        self.consumer_lag.labels(_topic(topic), str(partition)).set(_non_negative(lag, "lag"))

    def set_worker_ready(self, ready: bool) -> None:
        """Mark the worker ready (tables recovered, consuming) or not."""
        self.worker_ready.set(1 if ready else 0)

    def set_deadlines_pending(self, code: str, count: int) -> None:
        """Set how many deadlines of avvik rule ``code`` are pending."""
        self.deadlines_pending.labels(_avvik_code(code)).set(_non_negative(count, "count"))

    # Connectors ---------------------------------------------------------------------------------------------

    def connector_message_received(self, source: SourceKind) -> None:
        """Count one message received by the connector of ``source``."""
        self.connector_received.labels(source.value).inc()

    def connector_message_acked(self, source: SourceKind, code: AckCode) -> None:
        """Count one message the connector accepted and answered with ``code``."""
        self.connector_acked.labels(source.value, code.value).inc()

    def connector_message_nacked(self, source: SourceKind, code: AckCode) -> None:
        """Count one message the connector refused and answered with ``code``."""
        self.connector_nacked.labels(source.value, code.value).inc()

    def observe_ingest(self, source: SourceKind, seconds: float) -> None:
        """Record the time from receipt to Kafka confirmation of one message of ``source``."""
        self.connector_ingest_duration.labels(source.value).observe(_non_negative(seconds, "seconds"))

    def message_received(
        self,
        source: SourceKind,
        outcome: FlowOutcome,
        *,
        message_type: str = OTHER,
        standard: str = OTHER,
        sender: str = OTHER,
        receiver: str = OTHER,
    ) -> None:
        """Count one received message in the message-flow statistics (labels from bounded vocabularies)."""
        self.message_flow.labels(
            source.value,
            label_value(message_type, what="message type"),
            label_value(standard, what="standard"),
            label_value(sender, what="sender"),
            label_value(receiver, what="receiver"),
            outcome.value,
        ).inc()

    def observe_message_delay(
        self, source: SourceKind, seconds: float, *, message_type: str = OTHER, standard: str = OTHER
    ) -> None:
        """Record the delay from a message's stated send time to its receipt (negative skew counts as 0)."""
        self.message_delay.labels(
            source.value,
            label_value(message_type, what="message type"),
            label_value(standard, what="standard"),
        ).observe(max(seconds, 0.0))

    # Domain -------------------------------------------------------------------------------------------------

    def _avvik(self, code: str, helsefellesskap: str) -> tuple[str, str]:
        return _avvik_code(code), label_value(helsefellesskap, what="helsefellesskap")

    def avvik_was_opened(self, code: str, helsefellesskap: str) -> None:
        """Count one samhandlingsavvik opened (``code`` like ``SA05``)."""
        self.avvik_opened.labels(*self._avvik(code, helsefellesskap)).inc()

    def avvik_was_resolved(self, code: str, helsefellesskap: str) -> None:
        """Count one samhandlingsavvik resolved."""
        self.avvik_resolved.labels(*self._avvik(code, helsefellesskap)).inc()

    def avvik_was_retracted(self, code: str, helsefellesskap: str) -> None:
        """Count one samhandlingsavvik retracted (its cause was cancelled or replaced)."""
        self.avvik_retracted.labels(*self._avvik(code, helsefellesskap)).inc()

    def set_avvik_open(self, code: str, helsefellesskap: str, count: int) -> None:
        """Set how many avvik of ``code`` are open in ``helsefellesskap``."""
        self.avvik_open.labels(*self._avvik(code, helsefellesskap)).set(_non_negative(count, "count"))

    def set_overliggedogn(self, oppholdskommune: str, days: int, betalingsplikt_nok: float) -> None:
        """Set this year's overliggedøgn and the betalingsplikt they cost ``oppholdskommune``."""
        kommune = _kommune(oppholdskommune)
        self.overliggedogn.labels(kommune).set(_non_negative(days, "days"))
        self.betalingsplikt.labels(kommune).set(_non_negative(betalingsplikt_nok, "betalingsplikt_nok"))

    def set_utskrivningsklare_in_hospital(self, oppholdskommune: str, count: int) -> None:
        """Set how many utskrivningsklare patients of ``oppholdskommune`` are in hospital now."""
        self.utskrivningsklare.labels(_kommune(oppholdskommune)).set(_non_negative(count, "count"))

    # Beds ---------------------------------------------------------------------------------------------------

    def set_bed_state(
        self, unit: UnitLabels, *, occupied: int, capacity: int, occupancy_ratio: float
    ) -> None:
        """Set occupied beds, capacity and belegg (occupied / available bed-days) of ``unit``."""
        values = unit.values()
        self.beds_occupied.labels(*values).set(_non_negative(occupied, "occupied"))
        self.beds_capacity.labels(*values).set(_non_negative(capacity, "capacity"))
        self.bed_occupancy.labels(*values).set(_non_negative(occupancy_ratio, "occupancy_ratio"))

    def unit_admission(self, unit: UnitLabels) -> None:
        """Count one admission to ``unit``."""
        self.admissions.labels(*unit.values()).inc()

    def unit_discharge(self, unit: UnitLabels, length_of_stay_seconds: float | None = None) -> None:
        """Count one discharge from ``unit`` and, when known, observe the length of stay."""
        self.discharges.labels(*unit.values()).inc()
        if length_of_stay_seconds is not None:
            self.length_of_stay.labels(unit.kind.value).observe(
                _non_negative(length_of_stay_seconds, "length_of_stay_seconds")
            )

    # Ambulance ----------------------------------------------------------------------------------------------

    def observe_ambulance_response(self, hastegrad: AmbulanceHastegrad, area: Area, seconds: float) -> bool:
        """Record one mission's response time; return whether it met the akutt target for ``area``."""
        labels = (hastegrad.value, area.value)
        self.ambulance_response.labels(*labels).observe(_non_negative(seconds, "seconds"))
        self.ambulance_missions.labels(*labels).inc()
        within = seconds <= AMBULANCE_TARGET_SECONDS[area]
        if within:
            self.ambulance_within_target.labels(*labels).inc()
        else:
            # create the child so the within-target series exists (at 0) for the ratio in PromQL
            self.ambulance_within_target.labels(*labels)
        return within

    # Quality indicators -------------------------------------------------------------------------------------

    def set_epikrise_within_1d_ratio(self, hf: str, ratio: float) -> None:
        """Set the share (0-1) of epikriser sent within 1 day of discharge for ``hf``."""
        self.epikrise_within_1d.labels(label_value(hf, what="hf")).set(_ratio(ratio))

    def set_readmission_30d_ratio(self, hf: str, ratio: float) -> None:
        """Set the share (0-1) of discharges with an acute readmission within 30 days for ``hf``."""
        self.readmission_30d.labels(label_value(hf, what="hf")).set(_ratio(ratio))

    def set_kad_admissions_per_1000(self, kommune: str, rate: float) -> None:
        """Set KAD admissions this year per 1 000 inhabitants of ``kommune``."""
        self.kad_per_1000.labels(_kommune(kommune)).set(_non_negative(rate, "rate"))


def _ratio(value: float) -> float:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"ratio must be within 0 and 1, got {value}")
    return value
