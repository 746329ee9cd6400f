"""The faust application: built from :class:`HubSettings`, no module-level globals.

``make_faust_app`` configures faust for the hub; ``agents.worker.build_worker`` adds topics, tables, agents,
the tick timer and the web views. The agents only decode, call the pure core and produce; the logic lives in
``hub.domain`` and the faust-free modules of ``agents`` (normaliser, engines, beds, rejections).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import faust
from faust.types.transports import ConsumerT, ProducerT
from prometheus_client import CollectorRegistry

from agents.delivery import DeliveryLedger, install_delivery_ledger
from agents.draining import DrainingProducerBuffer, install_draining_buffer
from agents.gap_acks import AckGap, GapListener, refuse_gap_acks
from hub.observability.metrics import HubMetrics
from hub.settings import HubSettings, KafkaSettings
from hub.tls import kafka_ssl_context, server_context

INTERNAL_TICKS = "samhandling.internal.ticks"
INTERNAL_BEDS = "samhandling.internal.beds"


@dataclass
class WorkerOptions:
    """How the worker runs: live (wall-clock ticks fire deadlines) or replay (event time only)."""

    live: bool = True
    tick_interval_s: float = 5.0
    progress_interval_s: float = 30.0
    """How often the worker logs ``worker.progress`` (each agent's step, unsent messages, counters)."""
    app_id: str = "samhandling-hub"
    bulk_restore_min_records: int | None = 5_000
    """Table partitions at least this far behind their changelog are filled before faust starts
    (:mod:`agents.bulk_restore`); None leaves every partition to faust's recovery."""
    extra: dict[str, Any] = field(default_factory=dict)


def topic_names(settings: HubSettings, options: WorkerOptions) -> dict[str, str]:
    """The internal topic names, prefixed by the app id so parallel replays do not collide."""
    return {
        "ticks": f"{options.app_id}.internal.ticks",
        "beds": f"{options.app_id}.internal.beds",
    }


class HubApp(faust.App):
    """faust's app with three delivery fixes: a producer whose every send is watched until the broker
    confirms it (:mod:`agents.delivery`), whose flush before each offset commit waits for the buffered
    changelog records (:mod:`agents.draining`), and a consumer that does not ack offsets it skipped on the
    hub's own topics (:mod:`agents.gap_acks`). Without them a crash can lose outputs, table changes or events
    that a commit had already passed.

    **The commit order** (at-least-once; this class and the modules it installs own it):

    1. An agent handles a record of partition *p* at offset *o* in offset order (:mod:`agents.ordering`).
       Table writes go to the producer buffer as changelog records (``send_soon``); outputs are sent with
       ``event.send``, handed to aiokafka at once (faust's ``stream_publish_on_commit`` is off). Every send's
       acknowledgement future is watched by the :class:`agents.delivery.DeliveryLedger`.
    2. The record is acked when the agent's loop body is done with it (``in_offset_order`` in
       :mod:`agents.worker`), so after its outputs were handed on; offsets skipped for being out of order stay
       unacked, and faust's own gap acks are refused on the hub's topics (:mod:`agents.gap_acks`), so a
       commit can only pass records that were handled.
    3. Every ``broker_commit_interval`` (1 s) faust's ``Consumer._commit_offsets`` takes the highest acked
       offset per partition and calls ``producer.flush()``:
       :class:`agents.draining.DrainingProducerBuffer` waits until every changelog record buffered before the
       flush was handed to aiokafka (a send that raised fails the flush), aiokafka's flush waits until every
       batch has finished (``acks=-1``), and the ledger then raises if any send so far was not confirmed;
    4. only when the flush returned are the offsets committed. A failed flush stops the worker.

    A crash before step 4 re-delivers the records from the last commit: table values and outputs are keyed
    deterministically and re-written, duplicates are recognised by event id, and a restored worker re-emits
    its patients' outputs (bed segments included). :mod:`agents.internals` checks at start-up that faust's
    commit still calls these steps in this order."""

    strict_topics: frozenset[str] = frozenset()
    """Topics whose gaps faust must not ack (see :mod:`agents.gap_acks`); set by ``build_worker``."""

    def _new_producer(self) -> ProducerT:
        producer = super()._new_producer()
        self.buffer = install_draining_buffer(producer, self)
        self.deliveries = install_delivery_ledger(producer)
        return producer

    deliveries: DeliveryLedger | None = None
    """Every send's acknowledgement (set when faust creates the producer)."""
    buffer: DrainingProducerBuffer | None = None
    """The producer's buffer (set when faust creates the producer)."""

    def unsent(self) -> int | None:
        """Messages put in the producer buffer and not yet handed on (None before the producer exists)."""
        return None if self.buffer is None else self.buffer.enqueued - self.buffer.handed_on

    _faust_ack_gap: AckGap | None = None
    gap_listener: GapListener | None = None
    """Told of each gap refused on a strict topic (the driver's offset guard); set by ``build_worker``."""

    def _new_consumer(self) -> ConsumerT:
        consumer = super()._new_consumer()
        self._faust_ack_gap = refuse_gap_acks(consumer, self.strict_topics, lambda: self.gap_listener)
        return consumer

    async def ack_gap(self, tp: Any, first: int, last: int) -> None:
        """Ack offsets an agent gave up waiting for (faust's own gap bookkeeping), so commits go on."""
        if self._faust_ack_gap is None:
            raise RuntimeError("the consumer has not been created")
        await self._faust_ack_gap(tp, first, last)


def broker_credentials(kafka: KafkaSettings) -> faust.SSLCredentials | faust.SASLCredentials | None:
    """faust credentials for ``HUB_KAFKA__SECURITY_PROTOCOL``: TLS with certificate and host-name
    verification for SSL and SASL_SSL (the password never in clear), None for PLAINTEXT."""
    context = kafka_ssl_context(kafka)
    if kafka.security_protocol.startswith("SASL_"):
        return faust.SASLCredentials(
            username=kafka.sasl_username or "",
            password=kafka.sasl_password.get_secret_value() if kafka.sasl_password else "",
            mechanism=kafka.sasl_mechanism,
            ssl_context=context,
        )
    if context is not None:
        return faust.SSLCredentials(context)
    return None


def make_faust_app(settings: HubSettings, options: WorkerOptions) -> HubApp:
    """A faust app configured for the hub (RocksDB tables via rocksdict, raw bytes everywhere).

    faust's own web views are off: ``/table/<name>/<key>/`` would serve a patient's stored state with no
    authentication and ``/table/``, ``/router/`` list tables and topology (the hub's views are in
    :mod:`agents.web`)."""
    kafka = settings.kafka
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return HubApp(
        options.app_id,
        broker=[f"kafka://{server}" for server in kafka.bootstrap_servers.split(",")],
        broker_credentials=broker_credentials(kafka),
        store="rocksdb://",
        datadir=str(settings.data_dir / options.app_id),
        key_serializer="raw",
        value_serializer="raw",
        topic_partitions=settings.topics.partitions,
        topic_replication_factor=settings.topics.replication_factor,
        topic_allow_declare=True,
        consumer_auto_offset_reset="earliest",
        producer_acks=-1,
        web_enabled=True,
        web_tables_enabled=False,
        web_router_enabled=False,
        web_ssl_context=server_context(settings.tls),
        web_host=settings.web.host,
        web_port=settings.web.worker_port,
        web_bind=settings.web.host,
        web_in_thread=False,
        table_standby_replicas=0,
        broker_commit_interval=1.0,
        broker_session_timeout=kafka.session_timeout_s,
        broker_heartbeat_interval=min(3.0, kafka.session_timeout_s / 3),
        # batch produce requests: without linger aiokafka sends one request per record
        producer_linger=0.01,
        producer_max_batch_size=256 * 1024,
        broker_max_poll_records=1000,
        stream_wait_empty=False,
        autodiscover=False,
        **options.extra,
    )


def new_metrics() -> tuple[HubMetrics, CollectorRegistry]:
    """A metrics container on its own registry (one per worker)."""
    registry = CollectorRegistry()
    return HubMetrics(registry), registry
