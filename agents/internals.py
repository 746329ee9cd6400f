"""Every reach of the worker into private faust internals, checked before the app starts.

The delivery workarounds (:mod:`agents.draining`, :mod:`agents.gap_acks`, the offset guard's start offset in
:mod:`agents.worker`) and the start-up checks (:mod:`agents.startup`, :mod:`agents.web`) use attributes faust
does not promise to keep. If one is missing or changed, an override would silently never run, or a lookup
would silently find nothing; so :func:`check_faust_internals` looks at each before the worker starts and
:class:`FaustInternalsChanged` stops it with one line naming what changed. No code may fall back quietly.

The list, and who uses what:

==========================================  ======================================================
``faust.App._new_producer``/``_new_consumer``  :class:`agents.app.HubApp` overrides them (draining buffer,
                                              gap acks)
``ProducerBuffer._send_pending``/``put``/     :class:`agents.draining.DrainingProducerBuffer` overrides and
``flush``, called by ``_handle_pending``      counts them
``Consumer._add_gap(tp, offset_from,          :func:`agents.gap_acks.refuse_gap_acks` wraps it
offset_to)``, called by the fetch loop
``Consumer._committed_offset`` (mapping)      the offset guard starts each partition at it
``TableManager.recovery.completed``           ``/readyz`` (:func:`agents.web.is_ready`)
``App._leader_assignor._leader_topic_name``   :mod:`agents.startup` creates that topic before the start
``stores.rocksdb.Store.offset_key``/          :mod:`agents.local_state` reads each table partition's
``partition_path``                            applied changelog offset
``Store.rocksdb_options.open`` (rocksdict),   :mod:`agents.bulk_restore` opens and fills the databases
raw keys/values as in                         faust opens, as faust's own recovery writes them
``apply_changelog_batch``
``Producer.send``/``flush`` (the aiokafka    :class:`agents.delivery.DeliveryLedger` wraps them
driver), ``stream_publish_on_commit`` off
``Consumer`` commits: ``producer.flush()``,   the commit order written down in :class:`agents.app.HubApp`
then the offsets
==========================================  ======================================================
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import faust
from faust.stores.rocksdb import Store as RocksStore
from faust.tables.manager import TableManager
from faust.transport.consumer import Consumer
from faust.transport.drivers.aiokafka import Producer as AiokafkaProducer
from faust.transport.producer import ProducerBuffer

from hub.errors import HubError

FAUST_VERSION = "0.15.3"
"""The faust-streaming release these internals were read from (pinned in ``pyproject.toml``)."""


class FaustInternalsChanged(HubError):
    """A faust internal the worker relies on is missing or changed: the workarounds would not work."""


def _coroutine(owner: type, name: str, params: tuple[str, ...] | None = None) -> str | None:
    member = inspect.getattr_static(owner, name, None)
    if member is None or not inspect.iscoroutinefunction(member):
        return f"{owner.__qualname__}.{name} is no longer a coroutine method"
    if params is not None:
        found = tuple(inspect.signature(member).parameters)[1:]
        if found != params:
            return f"{owner.__qualname__}.{name} takes {found}, not {params}"
    return None


def _method(owner: type, name: str) -> str | None:
    return None if callable(getattr(owner, name, None)) else f"{owner.__qualname__}.{name} is gone"


def _calls(owner: type | Callable[..., Any], text: str, why: str) -> str | None:
    try:
        source = inspect.getsource(owner)
    except (OSError, TypeError):
        return f"the source of {getattr(owner, '__qualname__', owner)} is not available to check {why}"
    name = getattr(owner, "__qualname__", owner)
    return None if text in source else f"{name} no longer uses {text} ({why})"


def class_problems() -> list[str]:
    """What changed in faust's classes (empty: everything the hub relies on is there)."""
    checks = [
        None
        if faust.__version__ == FAUST_VERSION
        else f"faust-streaming is {faust.__version__}, the hub's workarounds were checked on {FAUST_VERSION}",
        _method(faust.App, "_new_producer"),
        _method(faust.App, "_new_consumer"),
        _coroutine(ProducerBuffer, "_send_pending", ("fut",)),
        _method(ProducerBuffer, "put"),
        _coroutine(ProducerBuffer, "flush"),
        _calls(ProducerBuffer, "send_pending = self._send_pending", "the draining buffer counts there"),
        _coroutine(Consumer, "_add_gap", ("tp", "offset_from", "offset_to")),
        _calls(Consumer, "await self._add_gap(", "gap acks are refused there"),
        _calls(Consumer.__init__, "self._committed_offset", "the offset guard starts at it"),
        _calls(Consumer, "await self.app.producer.flush()", "changelogs are flushed before a commit"),
        _coroutine(AiokafkaProducer, "send"),
        _coroutine(AiokafkaProducer, "flush", ()),
        _calls(AiokafkaProducer.flush, "await self._producer.flush()", "the ledger checks after it"),
        None if hasattr(TableManager, "recovery") else "TableManager.recovery is gone",
        None if isinstance(getattr(RocksStore, "offset_key", None), bytes) else "Store.offset_key is gone",
        _method(RocksStore, "partition_path"),
        _calls(RocksStore.apply_changelog_batch, "].put(msg.key, msg.value)", "bulk fill writes so"),
        _calls(RocksStore.apply_changelog_batch, "self.set_persisted_offset(tp, offset)", "bulk fill"),
        _calls(RocksStore.set_persisted_offset, "str(offset).encode()", "bulk fill writes the offset so"),
    ]
    return [problem for problem in checks if problem is not None]


def app_problems(app: faust.App) -> list[str]:
    """What changed in a built (not started) app's own internals."""
    problems: list[str] = []
    if app.conf.stream_publish_on_commit:
        problems.append("stream_publish_on_commit is on: outputs would bypass the delivery ledger's order")
    recovery = getattr(app.tables, "recovery", None)
    if not hasattr(recovery, "completed"):
        problems.append("app.tables.recovery.completed is gone")
    for table in app.tables.values():
        store = table.data
        if not getattr(store, "use_rocksdict", False) or not callable(
            getattr(getattr(store, "rocksdb_options", None), "open", None)
        ):
            problems.append(f"table {table.name}: its store is not rocksdict with rocksdb_options.open")
            break
    assignor = getattr(app, "_leader_assignor", None)
    if not isinstance(getattr(assignor, "_leader_topic_name", None), str):
        problems.append("app._leader_assignor._leader_topic_name is gone")
    return problems


def check_faust_internals(app: faust.App) -> None:
    """Raise :class:`FaustInternalsChanged` (one line) unless every internal the hub uses is as expected."""
    problems = class_problems() + app_problems(app)
    if problems:
        raise FaustInternalsChanged(
            "faust internals changed: " + "; ".join(problems) + " (see agents/internals.py)"
        )


def leader_topic(app: faust.App) -> str:
    """The name of faust's leader-election topic (checked by :func:`check_faust_internals`)."""
    assignor: Any = app._leader_assignor
    name: str = assignor._leader_topic_name
    return name


def rocksdb_opener(app: faust.App) -> tuple[Callable[[Any], Any], Callable[[], Any]]:
    """faust's way of opening a table partition's database (its options: faust opens it again the same way)
    and a new raw-mode write batch (checked by :func:`check_faust_internals`)."""
    import rocksdict

    store: Any = next(iter(app.tables.values())).data
    options = store.rocksdb_options
    return options.open, lambda: rocksdict.WriteBatch(raw_mode=True)


def committed_offsets(consumer: Any) -> Any:
    """The consumer's mapping of the offsets it sought each partition to after assignment.

    The attribute is set in faust's ``Consumer.__init__`` (checked by :func:`check_faust_internals`); a
    consumer without it is an error, not an empty mapping.
    """
    return consumer._committed_offset
