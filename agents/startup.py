"""Everything a worker checks and prepares before its faust app starts, in order; each failure is one line.

0. Outside ``HUB_ENV=dev`` the worker's web server (``/pathway``, ``/metrics``) has a TLS certificate
   (``HUB_TLS__CERT_FILE``/``__KEY_FILE``, or ``HUB_TLS__ALLOW_PLAINTEXT`` where TLS ends in front of it):
   the check every connector and the board fail closed with (:func:`hub.tls.listener_context`), before the
   broker is touched.
1. The catalogue topics exist (``hub.kafka.topics.ensure_topics``); the worker takes the partition count the
   events topic really has (it may predate a change of ``HUB_TOPICS__PARTITIONS``).
2. Every topic faust would declare itself — internal ticks/beds/rejections topics, the tables' changelogs,
   faust's leader topic — is created with its partition count, and every topic the app reads or declares is
   confirmed in the cluster metadata (partition count and a leader per partition). faust's own declaration
   races its consumer's first metadata request: a changelog missing from it counts as 0 partitions and the
   table stops its agent with ``PartitionsMismatch`` (the beds agent crash-looped on a fresh broker).
3. The app is built, and every faust internal the hub reaches into is checked (:mod:`agents.internals`).
4. faust's names for the changelogs and the leader topic are the names created in step 2.
5. Local table state that does not belong to this broker is wiped (:mod:`agents.local_state`).
6. Table partitions far behind their changelog (a lost disk, a new machine) are filled from it in bulk
   (:mod:`agents.bulk_restore`), so faust's slow per-record recovery has only the rest to do.
"""

from __future__ import annotations

from pathlib import Path

from agents.app import WorkerOptions
from agents.bulk_restore import bulk_restore
from agents.internals import check_faust_internals, leader_topic, rocksdb_opener
from agents.local_state import reconcile
from agents.worker import Worker, build_worker
from hub.errors import HubError
from hub.kafka.topics import (
    catalogue,
    confirm_topics,
    ensure_topics,
    leader_topic_name,
    partitions_of,
    worker_specs,
)
from hub.settings import HubSettings
from hub.tls import listener_context


class WorkerStartError(HubError):
    """The worker cannot start; the message says why in one line."""


def with_partitions(settings: HubSettings) -> HubSettings:
    """``settings`` with the partition count the events topic really has (created if missing)."""
    ensure_topics(settings)
    partitions = partitions_of(settings, settings.topics.events) or settings.topics.partitions
    if partitions == settings.topics.partitions:
        return settings
    return settings.model_copy(
        update={"topics": settings.topics.model_copy(update={"partitions": partitions})}
    )


def name_problems(worker: Worker) -> list[str]:
    """Where faust's names or partition counts for the worker's own topics differ from those created."""
    app, options = worker.app, worker.options
    partitions = worker.settings.topics.partitions
    created = {spec.name: spec.partitions for spec in worker_specs(options.app_id, partitions)}
    problems = []
    for table in app.tables.values():
        name = table.changelog_topic.get_topic_name()
        if created.get(name) != table.partitions:
            problems.append(f"table {table.name} uses changelog {name} ({table.partitions} partitions)")
    if leader_topic(app) != leader_topic_name(options.app_id):
        problems.append(f"faust's leader topic is {leader_topic(app)}")
    return problems


def table_stores(worker: Worker) -> dict[tuple[str, int], Path]:
    """The RocksDB directory of each table partition, by changelog partition."""
    stores: dict[tuple[str, int], Path] = {}
    for table in worker.app.tables.values():
        topic = table.changelog_topic.get_topic_name()
        for partition in range(table.partitions):
            stores[(topic, partition)] = Path(table.data.partition_path(partition))
    return stores


def prepare_worker(settings: HubSettings, options: WorkerOptions) -> Worker:
    """Steps 0-6 of the module docstring; the built worker, ready for faust to start.

    Raises :class:`WorkerStartError` with a one-line reason.
    """
    try:
        listener_context(settings)
        settings = with_partitions(settings)
        own = worker_specs(options.app_id, settings.topics.partitions)
        ensure_topics(settings, own)
        confirm_topics(settings, own)
        confirm_topics(settings, catalogue(settings.topics), exact=False)
        worker = build_worker(settings, options)
        check_faust_internals(worker.app)
        if problems := name_problems(worker):
            raise WorkerStartError("faust names its topics differently: " + "; ".join(problems))
        tabledir = Path(worker.app.conf.tabledir)
        offset_key: bytes = next(iter(worker.app.tables.values())).data.offset_key
        stores = table_stores(worker)
        reconcile(settings, tabledir, stores, offset_key)
        if options.bulk_restore_min_records is not None:
            open_db, new_batch = rocksdb_opener(worker.app)
            bulk_restore(
                settings,
                stores,
                offset_key=offset_key,
                open_db=open_db,
                new_batch=new_batch,
                min_records=options.bulk_restore_min_records,
            )
    except HubError as exc:
        raise WorkerStartError(one_line(f"worker cannot start: {exc}")) from exc
    return worker


def one_line(text: str) -> str:
    """``text`` with its line breaks and runs of blanks folded into single spaces."""
    return " ".join(text.split())
