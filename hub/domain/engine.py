"""The engine: the one facade the stream worker, ``hub evaluate`` and the demo call.

Usage (one engine per Kafka partition)::

    engine = Engine(masterdata, config=EngineConfig(allowed_lateness=timedelta(minutes=15)), store=store)
    for state in stored_states:          # after a restart: rebuild the deadline heap
        engine.register(state)
    effects = engine.apply(event)        # for every canonical event of the partition
    effects += engine.advance(now)       # wall clock when live, event-time watermark when replaying

Time model: the engine clock only moves through :meth:`advance` (never backwards).
``known_until = clock - allowed_lateness``: the core assumes every event that occurred by ``known_until``
has arrived. Avvik are evaluated only from facts that occurred by ``known_until``, and an instant (a due time,
a discharge) is judged only once ``known_until`` has passed it, so the same events give the same avvik whether
the clock is a watermark or the wall clock, and whatever their arrival order within the lateness. Events that
arrive later than that are still applied: they resolve or retract what they contradict.
Bed deltas and the pathway summary use every fact at once (they are corrected by later deltas anyway).
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Final

from hub.domain import ids
from hub.domain.avvik import CATALOGUE, AvvikRecord, AvvikStatus, describe
from hub.domain.beds import derive_segments, diff_segments
from hub.domain.config import EngineConfig, RuleBook
from hub.domain.deadlines import Deadline, DeadlineScheduler
from hub.domain.effects import ApplyFailed, AvvikUpsert, CapacitySet, Effect, JudgementFailed, PathwayChanged
from hub.domain.episodes import Episodes, StayJoin, build_episodes
from hub.domain.facts import SORT_KEY, Fact, fact_from_event
from hub.domain.organisations import Places
from hub.domain.overlig import DOGNPRIS_2014_2024
from hub.domain.pathway import Pathway, PathwayState, PathwaySummary, group_pathways
from hub.domain.rules import NEEDS, RULES
from hub.domain.rules.base import Finding, PatientInfo, RuleContext, Sink
from hub.domain.store import MemoryStore, PathwayStore
from hub.domain.timeutil import from_epoch, local_date, to_epoch
from hub.events import Capacity, CorrectionAction, Event, EventType, ManualAvvik
from hub.masterdata.model import MasterData

NEVER: Final = -(1 << 62)

UNDOING: Final = frozenset(
    {
        EventType.ADMISSION_CANCELLED,
        EventType.DISCHARGE_CANCELLED,
        EventType.READY_WITHDRAWN,
        EventType.CANCELLED,
        EventType.MESSAGE_REJECTED,
        EventType.DIED,
    }
)
"""Fact types that may take back what the rules found before they were visible (see :meth:`Engine.defer`)."""


class Engine:
    """Pathway state, event-time deadlines, SA01-SA14 and bed deltas for the patients of one partition."""

    def __init__(
        self,
        masterdata: MasterData,
        *,
        config: EngineConfig | None = None,
        rules: RuleBook | None = None,
        store: PathwayStore | None = None,
    ) -> None:
        self._md = masterdata
        self.places = Places(masterdata)
        """Source place codes resolved to organisations; ``places.unknown`` counts the unnamed ones."""
        self._config = config or EngineConfig()
        self._rules = rules or RuleBook.from_masterdata(masterdata)
        self._store: PathwayStore = store if store is not None else MemoryStore()
        self._scheduler = DeadlineScheduler()
        self._clock: int | None = None
        self._lateness = int(self._config.allowed_lateness.total_seconds())
        self._gap = int(self._config.pathway_gap.total_seconds())
        self._retention = int(self._config.retention.total_seconds())
        self._join = StayJoin(
            tolerance=int(self._config.stay_match_tolerance.total_seconds()),
            grace=int(self._config.report_grace.total_seconds()),
        )
        self._dognpris = dict(masterdata.dognpris) if masterdata.dognpris else dict(DOGNPRIS_2014_2024)
        self._deferred: dict[str, _Deferred] = {}
        """Patients with events recorded by :meth:`defer` and not yet judged, in order of their first."""
        self._held: list[int] = []
        """The clocks :meth:`hold` was given since the last :meth:`settle` (ascending)."""

    # -- public API -------------------------------------------------------------------------------------

    @property
    def clock(self) -> datetime | None:
        """The engine clock (last value given to :meth:`advance`), or None before the first advance."""
        return None if self._clock is None else from_epoch(self._clock)

    @property
    def store(self) -> PathwayStore:
        """The per-patient state store."""
        return self._store

    @property
    def pending_deadlines(self) -> int:
        """Number of patients with a pending wake-up."""
        return len(self._scheduler)

    def next_deadline(self) -> datetime | None:
        """Clock time at which :meth:`advance` will next have something to do, or None."""
        at = self._scheduler.peek()
        return None if at is None else from_epoch(at)

    def register(self, state: PathwayState) -> None:
        """Schedule the pending deadlines of a state already in the store (rebuild after restart/rebalance).

        Call it for every stored state of the engine's partitions, then :meth:`advance` to the current time.
        """
        self._schedule(state)

    def register_wake(self, pseudonym: str, wake: int | None) -> None:
        """Schedule a stored state's next wake-up without its state (:meth:`PathwayState.next_wake` of it, as
        stored): a rebuild over millions of patients need not decode them; the state is read when due."""
        if wake is None:
            self._scheduler.cancel(pseudonym)
        else:
            self._scheduler.schedule(pseudonym, wake)

    def forget(self, pseudonym: str) -> None:
        """Drop a patient's pending deadline (partition revoked); the stored state is left alone."""
        self._scheduler.cancel(pseudonym)

    def apply(self, event: Event) -> list[Effect]:
        """Apply one canonical event; return the effects to publish (empty for a duplicate).

        Atomic: if it raises (a bug met by this event), the patient's state and deadline are as they were,
        so the caller can dead-letter the event and go on, and the same event sent again is applied anew.
        """
        if event.patient is None:
            return self._apply_without_patient(event)
        pseudonym = event.patient.pseudonym
        stored = self._store.get(pseudonym)
        saved = stored.checkpoint() if stored is not None else None
        wake = self._scheduler.get(pseudonym)
        try:
            return self._apply(event, stored or PathwayState(pseudonym))
        except Exception:
            self._roll_back(pseudonym, stored, saved, wake)
            raise

    def _roll_back(
        self, pseudonym: str, stored: PathwayState | None, saved: PathwayState | None, wake: int | None
    ) -> None:
        """Undo a failed step on one patient: the state as at its checkpoint, stored again, and the wake-up
        the scheduler held before the step (not one derived from the state: after a failed judgement the
        state still lists the deadline that failed, and the scheduler no longer has it)."""
        if stored is None or saved is None:  # a new patient: nothing of it may stay behind
            if self._store.get(pseudonym) is not None:
                self._store.delete(pseudonym)
        else:
            stored.roll_back(saved)
            self._store.put(stored)  # the store may have written (or deleted) the failed version
        if wake is None:
            self._scheduler.cancel(pseudonym)
        else:
            self._scheduler.schedule(pseudonym, wake)

    def _apply(self, event: Event, state: PathwayState) -> list[Effect]:
        known = _monotonic(self._known(), state)
        outcome = self._record(state, event, known)
        if outcome is _Outcome.DUPLICATE:
            return []
        if outcome is _Outcome.HIDDEN and not self._config.eager:
            t = to_epoch(event.occurred_at)
            state.deadlines = _with_wake(state.deadlines, t, t + self._lateness, "VISIBLE")
            self._save(state)
            return []
        eps_all = build_episodes(state.facts.values(), self._join)
        effects: list[Effect] = self._bed_deltas(state, eps_all)
        if outcome is _Outcome.VISIBLE:
            effects.extend(self._evaluate(state, known, eps_all, announce=True))
        else:  # nothing the rules can see yet: announce the pathway, wake up when the fact becomes visible
            effects.append(self._announce(state, eps_all, known))
            t = to_epoch(event.occurred_at)
            state.deadlines = _with_wake(state.deadlines, t, t + self._lateness, "VISIBLE")
        # prune only after the rules judged everything due: a clock that jumps far ahead (a live worker
        # meeting old events) must not forget history before its avvik were raised
        plan = self._prune_plan(state, known, eps_all)
        if plan is not None:
            self._apply_prune(state, known, plan)
        self._save(state)
        return effects

    def apply_all(self, events: list[Event]) -> list[Effect]:
        """Apply events in the given order (convenience for tests and batch callers)."""
        effects: list[Effect] = []
        for event in events:
            effects.extend(self.apply(event))
        return effects

    def defer(self, event: Event) -> list[Effect]:
        """Record an event and judge its patient later, at :meth:`settle`: a batch driver judges each patient
        once per batch instead of once per event and per deadline (:meth:`hold` moves the clock meanwhile).

        After :meth:`settle` the outputs, taken by key (the last version of each avvik record and pathway
        summary, the bed segments as they stand), equal those of :meth:`apply` and :meth:`advance` per event:
        a patient's judgements only move forward in time, and a fact that arrives on time (after the instant
        its patient was judged at) only adds to or resolves what earlier judgements found, which the one later
        judgement finds as well. Three things can take a finding back, and each is judged as per event:

        * an event that is not on time (it occurred by that instant) or a correction: the patient is first
          judged as it stands at the clock of that moment, then the event is applied as :meth:`apply` does;
        * a fact that undoes another (a cancelled admission or discharge, a withdrawn utskrivningsklar, a
          cancelled mission, a rejected message, a death: :data:`UNDOING`) becoming visible: :meth:`settle`
          judges that patient at each clock :meth:`hold` was given at which a judgement per event was due.

        Returns at once the effects of those judgements and of events that name no patient (capacity,
        manual avvik). Atomic like :meth:`apply`: if it raises, the patient is as it was; an event applied at
        once that the core fails on is returned as an :class:`ApplyFailed` (the judgement before it stands).
        A failure in a deferred judgement is isolated at :meth:`settle`.
        """
        if event.patient is None:
            return self._apply_without_patient(event)
        pseudonym = event.patient.pseudonym
        stored = self._store.get(pseudonym)
        if stored is not None and not self._on_time(event, stored):
            effects = self._settle_one(pseudonym) if self._pending(pseudonym) else []
            try:
                return effects + self.apply(event)
            except Exception as exc:  # the judgement's effects stand: the event is reported, not raised
                return [*effects, ApplyFailed(event.event_id, f"{type(exc).__name__}: {exc}", exc)]
        saved = stored.checkpoint() if stored is not None else None
        wake = self._scheduler.get(pseudonym)
        state = stored or PathwayState(pseudonym)
        try:
            if self._record(state, event, _monotonic(self._known(), state)) is _Outcome.DUPLICATE:
                return []
            t = to_epoch(event.occurred_at)
            state.deadlines = _with_wake(state.deadlines, t, t + self._lateness, "VISIBLE")
            deferred = self._deferred.get(pseudonym) or _Deferred(saved, wake)
            deferred.events.append((event, self._clock))
            self._save(state)
        except Exception:
            self._roll_back(pseudonym, stored, saved, wake)
            raise
        self._deferred[pseudonym] = deferred
        return []

    def hold(self, now: datetime) -> None:
        """Move the clock to ``now`` (ignored if earlier) without judging: what falls due waits for
        :meth:`settle` (or for its patient's next event that is not on time, see :meth:`defer`)."""
        moment = to_epoch(now)
        if self._clock is None or moment > self._clock:
            self._clock = moment
            self._held.append(moment)

    def settle(self, now: datetime | None = None) -> list[Effect]:
        """Judge, once each, every patient with deferred events and every patient due by ``now`` (default:
        the clock as held). A patient whose judgement raises has its events of the batch applied again one
        by one (:meth:`apply`): each that raises there is an :class:`ApplyFailed`, the rest are kept."""
        if now is not None:
            self.hold(now)
        due = list(self._scheduler.pop_due(self._clock)) if self._clock is not None else []
        for wake, pseudonym in due:  # each judgement below reads and sets its patient's wake-up itself
            self._scheduler.schedule(pseudonym, wake)
        effects: list[Effect] = []
        for pseudonym in [*self._deferred, *(p for _, p in due if p not in self._deferred)]:
            effects.extend(self._settle_one(pseudonym))
        self._held = self._held[-1:]
        return effects

    def _pending(self, pseudonym: str) -> bool:
        """The patient has deferred events, or a wake-up due at the clock."""
        if pseudonym in self._deferred:
            return True
        wake = self._scheduler.get(pseudonym)
        return wake is not None and self._clock is not None and wake <= self._clock

    def _on_time(self, event: Event, state: PathwayState) -> bool:
        """The event occurred after the instant its patient is judged at, and corrects no other event."""
        return event.correction is None and to_epoch(event.occurred_at) > _monotonic(self._known(), state)

    def _settle_one(self, pseudonym: str) -> list[Effect]:
        """Judge one patient at the clock (its deferred events announced: bed deltas, pathway summary)."""
        deferred = self._deferred.pop(pseudonym, None)
        state = self._store.get(pseudonym)
        if state is None:
            return []
        if self._undoing_due(state):
            return self._settle_undoing(pseudonym, deferred)
        if deferred is None:
            return self._judge_isolated(pseudonym)
        try:
            return self._judge(state, _monotonic(self._known(), state), changed=True)
        except Exception:
            return self._one_by_one(pseudonym, state, deferred)

    def _settle_undoing(self, pseudonym: str, deferred: _Deferred | None) -> list[Effect]:
        """A patient a fact that undoes another becomes visible for: judged at the clocks of a per-event run
        (each judgement isolated there), then its deferred events announced."""
        effects = self._stepwise(pseudonym, self._clock)
        current = self._store.get(pseudonym)
        if deferred is None or current is None:
            return effects
        try:
            return effects + self._announce_changes(current)
        except Exception:
            return self._one_by_one(pseudonym, current, deferred)

    def _undoing_due(self, state: PathwayState) -> bool:
        """A fact that undoes another becomes visible to the rules at this judgement."""
        known = _monotonic(self._known(), state)
        return any(f.type in UNDOING and state.known_until < f.t <= known for f in state.facts.values())

    def _stepwise(self, pseudonym: str, until: int | None) -> list[Effect]:
        """The patient judged at each held clock up to ``until`` at which :meth:`advance` per event judged it
        (the first held clock at or after each wake-up), each judgement isolated as there."""
        final = self._clock
        effects: list[Effect] = []
        try:
            while (wake := self._scheduler.get(pseudonym)) is not None and until is not None:
                at = bisect_left(self._held, wake)
                if at == len(self._held) or self._held[at] > until:
                    break
                self._clock = self._held[at]
                effects.extend(self._judge_isolated(pseudonym))
        finally:
            self._clock = final
        return effects

    def _judge_isolated(self, pseudonym: str) -> list[Effect]:
        """One judgement at the clock as :meth:`advance` makes it: a failure is reported, the wake dropped."""
        state = self._store.get(pseudonym)
        if state is None:
            self._scheduler.cancel(pseudonym)
            return []
        saved = state.checkpoint()
        try:
            return self._judge(state, _monotonic(self._known(), state))
        except Exception as exc:
            # as before this judgement, and no wake-up (it would fail again at every advance): the patient's
            # next event judges it anew
            self._roll_back(pseudonym, state, saved, None)
            return [JudgementFailed(pseudonym, f"{type(exc).__name__}: {exc}", exc)]

    def _announce_changes(self, state: PathwayState) -> list[Effect]:
        """Bed deltas and the pathway summary after facts the rules have not seen (as eager apply() does)."""
        eps_all = build_episodes(state.facts.values(), self._join)
        effects = self._bed_deltas(state, eps_all)
        effects.append(self._announce(state, eps_all, state.known_until))
        self._save(state)
        return effects

    def _one_by_one(self, pseudonym: str, state: PathwayState, deferred: _Deferred) -> list[Effect]:
        """The patient as before its first deferred event, then as judged per event: each event through
        :meth:`apply` at the clock it came at (one that raises is an :class:`ApplyFailed`), and the
        judgements :meth:`advance` made between them."""
        self._roll_back(pseudonym, state, deferred.saved, deferred.wake)
        final = self._clock
        effects: list[Effect] = []
        try:
            for event, clock in deferred.events:
                effects.extend(self._stepwise(pseudonym, clock))
                self._clock = clock
                try:
                    effects.extend(self.apply(event))
                except Exception as exc:
                    effects.append(ApplyFailed(event.event_id, f"{type(exc).__name__}: {exc}", exc))
        finally:
            self._clock = final
        effects.extend(self._stepwise(pseudonym, final))
        return effects

    def advance(self, now: datetime) -> list[Effect]:
        """Move the clock to ``now`` (ignored if earlier) and fire every deadline due by then."""
        moment = to_epoch(now)
        if self._clock is None or moment > self._clock:
            self._clock = moment
        effects: list[Effect] = []
        for _, pseudonym in self._scheduler.pop_due(self._clock):
            effects.extend(self._judge_isolated(pseudonym))
        return effects

    def _judge(self, state: PathwayState, known: int, *, changed: bool = False) -> list[Effect]:
        """A patient's judgement at a deadline (bed deltas, rules, pruning), its state saved. ``changed``:
        facts were recorded since the last judgement (:meth:`defer`): bed deltas and the summary follow."""
        effects: list[Effect] = []
        eager = self._config.eager and not changed
        eps_all = None if eager else build_episodes(state.facts.values(), self._join)
        plan = self._prune_plan(state, known, eps_all)
        if plan is not None and not plan.dropped and not changed and self._due_reasons(state) == {"PRUNE"}:
            # Only a prune is due and it forgets no fact: the facts the rules see and every instant they
            # judge are as at the last evaluation (a newly visible fact or a due rule would have its own
            # wake due too), so evaluating again would change nothing. Expired tombstones go, and the
            # next prune is scheduled.
            self._apply_prune(state, known, plan)
            self._save(state)
            return effects
        if eps_all is None:
            effects.extend(self._evaluate(state, known, None, announce=False))
        else:
            effects.extend(self._bed_deltas(state, eps_all))
            effects.extend(self._evaluate(state, known, eps_all, announce=changed))
        if plan is not None:  # after evaluation: see apply(); evaluating changes no fact the plan rests on
            self._apply_prune(state, known, plan)
        self._save(state)
        return effects

    def _due_reasons(self, state: PathwayState) -> set[str]:
        """The reasons of the state's deadlines that are due at the engine clock."""
        clock = self._clock if self._clock is not None else NEVER
        return {d.reason for d in state.deadlines if d.fire_at <= clock}

    def state(self, pseudonym: str) -> PathwayState | None:
        """The stored state of a patient."""
        return self._store.get(pseudonym)

    def snapshot(self, pseudonym: str) -> list[Effect]:
        """The patient's current outputs (every avvik record and the pathway summary), changing nothing.

        A worker re-emits these after restoring state: its table may be ahead of its outputs after a crash,
        and the outputs' keys are deterministic, so re-emitting only overwrites.
        """
        state = self._store.get(pseudonym)
        if state is None:
            return []
        effects: list[Effect] = [
            AvvikUpsert(r) for r in sorted(state.avvik.values(), key=lambda r: r.avvik_id)
        ]
        eps = build_episodes(state.facts.values(), self._join)
        # as of the state's own clock, so the summary equals the one last published for it
        effects.append(self._announce(state, eps, state.known_until))
        return effects

    def _pathways(self, pseudonym: str, eps: Episodes) -> list[Pathway]:
        """``group_pathways`` of episodes, computed once per build (a judgement asks up to three times)."""
        found = eps.pathways
        if found is None:
            found = eps.pathways = group_pathways(pseudonym, eps, self._gap)
        return found

    # -- recording ------------------------------------------------------------------------------------

    def _known(self) -> int:
        return NEVER if self._clock is None else self._clock - self._lateness

    def _record(self, state: PathwayState, event: Event, known: int) -> _Outcome:
        """Add the event's fact (or apply its correction)."""
        eid = event.event_id
        if eid in state.facts or eid in state.tombstones:
            return _Outcome.DUPLICATE
        t = to_epoch(event.occurred_at)
        prune_at = t + self._retention
        state.prune_at = prune_at if state.prune_at is None else min(state.prune_at, prune_at)
        correction = event.correction
        origin: str | None = None
        removed: Fact | None = None
        if correction is not None and correction.action is CorrectionAction.CANCEL:
            state.tombstones[eid] = t
            state.tombstones.setdefault(correction.target_event_id, t)
            removed = state.facts.pop(correction.target_event_id, None)
            return _Outcome.VISIBLE if removed is not None and removed.t <= known else _Outcome.HIDDEN
        if correction is not None and correction.action is CorrectionAction.REPLACE:
            removed = state.facts.pop(correction.target_event_id, None)
            origin = removed.anchor if removed else correction.target_event_id
            state.tombstones.setdefault(correction.target_event_id, t)
        fact = fact_from_event(event, origin, self.places)
        state.facts[eid] = fact
        patient = event.patient
        if patient is not None and (fact.t, eid) >= state.patient_at:
            # Sources carry different parts of the demographics (an Epikrise often no kommune): the newest
            # message wins for what it states, and what it leaves out is kept from earlier ones.
            state.patient_at = (fact.t, eid)
            old = state.patient
            state.patient = PatientInfo(
                birth_year=patient.birth_year or old.birth_year,
                sex=patient.sex.value,
                bostedskommune=patient.bostedskommune or old.bostedskommune,
                oppholdskommune=patient.oppholdskommune or old.oppholdskommune,
            )
        if fact.t <= known or (removed is not None and removed.t <= known):
            return _Outcome.VISIBLE
        return _Outcome.HIDDEN

    def _apply_without_patient(self, event: Event) -> list[Effect]:
        body = event.body
        if isinstance(body, Capacity):
            org = event.organisation
            return [
                CapacitySet(
                    body.unit_id, body.unit_kind.value, body.beds, body.valid_from, org.hf, org.kommunenummer
                )
            ]
        if isinstance(body, ManualAvvik) and event.event_type is EventType.AVVIK_REPORTED:
            fact = fact_from_event(event)
            finding = Finding(
                code="SA14",
                anchor=fact.anchor,
                episode_key=None,
                episode_id=None,
                detected_at=fact.t,
                due_at=None,
                resolved_at=None,
                delay=None,
                evidence=(fact.id,),
                hf=fact.hf,
                unit_kommune=fact.kommune,
                category=body.category,
            )
            return [AvvikUpsert(self._to_record(None, finding, [], PatientInfo()))]
        return []

    # -- pruning --------------------------------------------------------------------------------------

    def _prune_plan(self, state: PathwayState, known: int, eps: Episodes | None) -> _PrunePlan | None:
        """What pruning at ``known`` forgets: closed pathways, loose facts and tombstones older than
        ``known - retention`` (``eps``: the episodes of every fact, built here when None).

        None until ``known`` reaches ``state.prune_at`` (the earliest instant something may become prunable).
        """
        if known == NEVER or state.prune_at is None or known < state.prune_at:
            return None
        horizon = known - self._retention
        expired = [key for key, t in state.tombstones.items() if t < horizon]
        if eps is None:
            eps = build_episodes(state.facts.values(), self._join)
        protected: set[str] = set()
        doomed: set[str] = set()
        upcoming: list[int] = [t + self._retention for t in state.tombstones.values() if t >= horizon]
        for pathway in self._pathways(state.pseudonym, eps):
            if pathway.end is None or pathway.end >= horizon:
                protected.update(_episode_fact_ids(eps, pathway))
                if pathway.end is not None:
                    upcoming.append(pathway.end + self._retention)
            else:  # the whole pathway goes, also what was joined to it after its end (late reports)
                doomed.update(_episode_fact_ids(eps, pathway))
        for service in eps.services.values():
            if service.ended is None or service.ended.t >= horizon:
                protected.update(f.id for f in (service.started, service.ended) if f is not None)
                if service.ended is not None:
                    upcoming.append(service.ended.t + self._retention)
        dropped = [
            fid for fid, f in state.facts.items() if (f.t < horizon or fid in doomed) and fid not in protected
        ]
        gone = set(dropped)
        upcoming.extend(
            f.t + self._retention for f in state.facts.values() if f.id not in protected and f.id not in gone
        )
        return _PrunePlan(horizon, expired, dropped, min(upcoming, default=None))

    def _apply_prune(self, state: PathwayState, known: int, plan: _PrunePlan) -> None:
        """Forget what ``plan`` lists, and schedule the next prune. Runs after evaluation (see apply())."""
        horizon, dropped = plan.horizon, plan.dropped
        for key in plan.expired:
            del state.tombstones[key]
        for fid in dropped:
            del state.facts[fid]
        state.prune_at = plan.next_at
        # pruning runs after evaluation, so the wake for the next prune is set here
        state.deadlines = tuple(d for d in state.deadlines if d.reason != "PRUNE")
        if state.prune_at is not None and state.prune_at > known:
            fire_at = state.prune_at + self._lateness
            state.deadlines = _with_wake(state.deadlines, state.prune_at, fire_at, "PRUNE")
        if dropped:
            # Records that rest on forgotten facts leave the state silently: their last published version
            # stays on the compacted topic (they must not be retracted just because history was pruned).
            gone = set(dropped)
            state.avvik = {
                k: r
                for k, r in state.avvik.items()
                if gone.isdisjoint(r.evidence)
                and (r.detected_at >= horizon or any(e in state.facts for e in r.evidence))
            }
            state.segments = {k: s for k, s in state.segments.items() if s.end is None or s.end >= horizon}

    # -- evaluation -----------------------------------------------------------------------------------

    def _helsefellesskap(self, patient: PatientInfo, hf: str | None, at: int) -> str | None:
        day = local_date(at)
        return self._md.helsefellesskap_for_kommune(patient.kommune, day) or self._md.helsefellesskap_for_hf(
            hf
        )

    def _evaluate(  # noqa: PLR0912 - the evaluation pipeline reads best in one place
        self, state: PathwayState, known: int, eps_all: Episodes | None, *, announce: bool
    ) -> list[Effect]:
        facts = list(state.facts.values())
        visible = [f for f in facts if f.t <= known]
        everything = len(visible) == len(facts)
        if known == NEVER:
            eps_view = Episodes()
        elif everything and eps_all is not None:
            eps_view = eps_all
        else:
            eps_view = build_episodes(visible, self._join)
        if eps_all is None:
            eps_all = eps_view if everything else build_episodes(facts, self._join)
        latest_hf = _latest_hf(eps_all)
        at = known if known != NEVER else max((f.t for f in facts), default=0)
        community = self._helsefellesskap(state.patient, latest_hf, at)
        config = self._rules.for_helsefellesskap(community)
        sink = Sink()
        if known != NEVER:
            ctx = RuleContext(eps_view, known, config, state.patient, self._dognpris)
            present = {
                "stays": bool(eps_view.valid_stays()),
                "kad": bool(eps_view.kad),
                "missions": bool(eps_view.missions),
                "rejections": bool(eps_view.rejections),
                "manual": bool(eps_view.manual),
            }
            for code, rule in RULES.items():
                if present[NEEDS[code]] and config.is_enabled(code):
                    rule(ctx, sink)
        pathways_view = self._pathways(state.pseudonym, eps_view)
        effects: list[Effect] = []
        records = {
            r.avvik_id: r
            for r in (
                self._to_record(state.pseudonym, f, pathways_view, state.patient) for f in sink.findings
            )
        }
        for avvik_id in sorted(records.keys() | state.avvik.keys()) if known != NEVER else ():
            new = records.get(avvik_id)
            old = state.avvik.get(avvik_id)
            if new is None:
                if old is not None and old.status is not AvvikStatus.RETRACTED:
                    new = old.retracted()
                else:
                    continue
            if new != old:
                state.avvik[avvik_id] = new
                effects.append(AvvikUpsert(new))
        pathways_all = self._pathways(state.pseudonym, eps_all)  # the same list when eps_all is eps_view
        summary = self._summary(state, eps_all, pathways_all, known, community)
        changed = (summary.pathway_id, summary.status) != (state.pathway_id, state.pathway_status)
        state.pathway_id, state.pathway_status = summary.pathway_id, summary.status
        if announce or changed or effects:
            effects.append(PathwayChanged(state.pseudonym, summary))
        state.known_until = max(state.known_until, known) if known != NEVER else state.known_until
        state.deadlines = self._deadlines(facts, known, sink, pathways_all, state.prune_at)
        return effects

    def _deadlines(
        self, facts: list[Fact], known: int, sink: Sink, pathways: list[Pathway], prune_at: int | None
    ) -> tuple[Deadline, ...]:
        wakes: dict[str, int] = {}

        def want(at: int, reason: str) -> None:
            if at > known and (reason not in wakes or at < wakes[reason]):
                wakes[reason] = at

        for at, reason in sink.wakes:
            want(at, reason)
        unseen = [f.t for f in facts if f.t > known]
        if unseen:
            want(min(unseen), "VISIBLE")
        if pathways and pathways[-1].end is not None:
            want(pathways[-1].end + self._gap, "PATHWAY_END")
        if prune_at is not None:
            want(prune_at, "PRUNE")
        return tuple(
            sorted(
                (Deadline(due=at, fire_at=at + self._lateness, reason=r) for r, at in wakes.items()),
                key=lambda d: (d.fire_at, d.reason),
            )
        )

    def _bed_deltas(self, state: PathwayState, eps_all: Episodes) -> list[Effect]:
        segments = derive_segments(state.pseudonym, eps_all)
        deltas: list[Effect] = list(diff_segments(state.segments, segments))
        state.segments = segments
        return deltas

    def _announce(self, state: PathwayState, eps_all: Episodes, known: int) -> PathwayChanged:
        """Pathway summary after a fact the rules cannot see yet."""
        pathways = self._pathways(state.pseudonym, eps_all)
        community = self._helsefellesskap(state.patient, _latest_hf(eps_all), _last_t(state))
        summary = self._summary(state, eps_all, pathways, known, community)
        state.pathway_id, state.pathway_status = summary.pathway_id, summary.status
        return PathwayChanged(state.pseudonym, summary)

    def _to_record(
        self, pseudonym: str | None, finding: Finding, pathways: list[Pathway], patient: PatientInfo
    ) -> AvvikRecord:
        status = AvvikStatus.RESOLVED if finding.resolved_at is not None else AvvikStatus.OPEN
        kommune = patient.kommune or finding.unit_kommune
        community = (
            self._helsefellesskap(patient, finding.hf, finding.detected_at) if kommune or finding.hf else None
        )
        text_no, text_en = describe(
            finding.code,
            status,
            delay=finding.delay,
            days=finding.days,
            amount=finding.amount_nok,
            unpriced=finding.unpriced_days,
        )
        return AvvikRecord(
            avvik_id=ids.avvik_id(finding.code, pseudonym, finding.anchor),
            code=finding.code,
            severity=CATALOGUE[finding.code].severity,
            status=status,
            pseudonym=pseudonym,
            pathway_id=_pathway_for(pathways, finding, self._gap),
            episode_id=finding.episode_id,
            hf=finding.hf,
            kommunenummer=kommune,
            helsefellesskap=community,
            detected_at=finding.detected_at,
            due_at=finding.due_at,
            resolved_at=finding.resolved_at,
            delay=finding.delay,
            evidence=finding.evidence,
            text_no=text_no,
            text_en=text_en,
            days=finding.days,
            amount_nok=finding.amount_nok,
            unpriced_days=finding.unpriced_days,
            category=finding.category,
        )

    def _summary(
        self, state: PathwayState, eps: Episodes, pathways: list[Pathway], known: int, community: str | None
    ) -> PathwaySummary:
        open_avvik = sum(1 for r in state.avvik.values() if r.status is AvvikStatus.OPEN)
        last_event = max((f.t for f in state.facts.values()), default=None)
        if not pathways:
            return PathwaySummary(
                state.pseudonym,
                None,
                "NONE",
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                state.patient.kommune,
                community,
                open_avvik,
                last_event,
            )
        current = pathways[-1]
        closed = current.end is not None and known != NEVER and current.end + self._gap <= known
        location = unit = hf = episode = None
        ready_since: int | None = None
        for stay in eps.valid_stays():
            if stay.end is None and stay.key in current.episode_keys:
                location, episode = "HOSPITAL", stay.episode_id
                last_move = max(stay.units, key=SORT_KEY)
                unit, hf = last_move.unit, last_move.hf
                if stay.ready_periods and stay.ready_periods[-1].withdrawn is None:
                    ready_since = stay.ready_periods[-1].declared.t
        if location is None:
            for kad in eps.kad.values():
                if kad.admitted is not None and kad.end is None:
                    location, episode, unit = "KAD", kad.stay_id, kad.admitted.unit
        if location is None:
            for mission in eps.missions.values():
                if mission.terminal() is None and mission.key in current.episode_keys:
                    location, episode = "AMBULANCE", mission.mission_id
        return PathwaySummary(
            pseudonym=state.pseudonym,
            pathway_id=current.pathway_id,
            status="CLOSED" if closed else "ACTIVE",
            started_at=current.start,
            ended_at=current.end,
            location=location,
            unit_id=unit,
            hf=hf,
            episode_id=episode,
            utskrivningsklar_since=ready_since,
            kommunenummer=state.patient.kommune,
            helsefellesskap=community,
            open_avvik=open_avvik,
            last_event_at=last_event,
            source_ids=_source_ids(eps, current),
        )

    def _schedule(self, state: PathwayState) -> None:
        self.register_wake(state.pseudonym, state.next_wake())

    def _save(self, state: PathwayState) -> None:
        if state.empty:
            self._store.delete(state.pseudonym)
            self._scheduler.cancel(state.pseudonym)
            return
        self._store.put(state)
        self._schedule(state)


def _monotonic(known: int, state: PathwayState) -> int:
    """The clock a patient is judged at: never behind what its state was already judged at.

    A restarted or rebalanced worker starts with no clock and re-reads events from the committed offsets,
    which may lie behind its restored table (the changelog runs ahead of the commits). Judging a patient at
    that earlier instant would hide facts it had already seen, open avvik that the uninterrupted run never
    opened and retract them again. Within one run the clock only moves forward, so this changes nothing there.
    """
    if state.known_until and state.known_until > known:
        return state.known_until
    return known


def _source_ids(eps: Episodes, pathway: Pathway) -> tuple[str, ...]:
    """The source ids a pathway joined (see :attr:`PathwaySummary.source_ids`)."""
    found: set[str] = set()
    for stay in eps.stays.values():
        if stay.key in pathway.episode_keys:
            found.update(f"hospital:{alias}" for alias in stay.aliases | {stay.episode_id})
    found.update(f"kad:{k.stay_id}" for k in eps.kad.values() if k.key in pathway.episode_keys)
    found.update(f"ambulance:{m.mission_id}" for m in eps.missions.values() if m.key in pathway.episode_keys)
    return tuple(sorted(found))


def _episode_fact_ids(eps: Episodes, pathway: Pathway) -> set[str]:
    ids: set[str] = set()
    stay_ids: set[str] = set()
    for stay in eps.stays.values():
        if stay.key in pathway.episode_keys:
            ids.update(f.id for f in stay.facts)
            stay_ids.add(stay.episode_id)
    # Messages joined to these stays that an AppRec rejected, and their rejections, go with the pathway:
    # dropping them earlier would change SA13's record after the fact.
    ids.update(fid for fid, sid in eps.stay_of.items() if sid in stay_ids)
    for rejection in eps.rejections:
        original = eps.by_mid.get(rejection.attr(0))
        if original is not None and original.id in ids:
            ids.add(rejection.id)
    for kad in eps.kad.values():
        if kad.key in pathway.episode_keys:
            ids.update(f.id for f in (kad.admitted, kad.discharged) if f is not None)
    for mission in eps.missions.values():
        if mission.key in pathway.episode_keys:
            ids.update(f.id for f in mission.facts.values())
    return ids


@dataclass(frozen=True, slots=True)
class _PrunePlan:
    """What one prune forgets (:meth:`Engine._prune_plan`) and when the next may forget more."""

    horizon: int
    expired: list[str]
    """Tombstones older than the horizon."""
    dropped: list[str]
    """Facts to forget."""
    next_at: int | None


@dataclass(slots=True)
class _Deferred:
    """A patient's events recorded by :meth:`Engine.defer` since its last judgement, and how to undo them."""

    saved: PathwayState | None
    """The state's checkpoint before the first of them (None: the patient was new)."""
    wake: int | None
    """The scheduler's wake-up before the first of them."""
    events: list[tuple[Event, int | None]] = field(default_factory=list)
    """Each event and the clock it came at."""


class _Outcome(Enum):
    DUPLICATE = 0
    HIDDEN = 1
    """Recorded, but not yet visible to the rules (occurred after known_until)."""
    VISIBLE = 2


def _with_wake(deadlines: tuple[Deadline, ...], due: int, fire_at: int, reason: str) -> tuple[Deadline, ...]:
    """``deadlines`` with a wake for ``reason`` at ``due`` (keeping the earlier of two for that reason)."""
    current = next((d for d in deadlines if d.reason == reason), None)
    if current is not None and current.due <= due:
        return deadlines
    rest = [d for d in deadlines if d.reason != reason]
    rest.append(Deadline(due=due, fire_at=fire_at, reason=reason))
    return tuple(sorted(rest, key=lambda d: (d.fire_at, d.reason)))


def _last_t(state: PathwayState) -> int:
    return max((f.t for f in state.facts.values()), default=0)


def _latest_hf(eps: Episodes) -> str | None:
    stays = eps.valid_stays()
    return stays[-1].admitted.hf if stays and stays[-1].admitted else None


def _pathway_for(pathways: list[Pathway], finding: Finding, gap: int) -> str | None:
    if finding.episode_key is not None:
        for pathway in pathways:
            if finding.episode_key in pathway.episode_keys:
                return pathway.pathway_id
    t = finding.detected_at
    for pathway in reversed(pathways):
        if pathway.start <= t and (pathway.end is None or t <= pathway.end + gap):
            return pathway.pathway_id
    return None
