/**
 * The module that connects most of the workflow steps (Charon core/interfaces.go `Wire`): reading
 * it is reading the data flow of a duty. It is NOT yet the only one: src/core/node.ts, which builds
 * the steps, makes several connections itself — the scheduler's `onDuty`/`onSlot` and sigagg's
 * `onAggregated` callbacks (forwarded into this module), parsigex's `onReceived` (through
 * {@link parsigexToSigagg}, defined here), the scheduler's validator states into doppelganger
 * protection (`track`/`untrack`), doppelganger's `gate` inside the signer, the consensus validity
 * check reading the scheduler's duty definitions and the slashing-protection view the signer
 * advances, and the tracker's reads of sigagg's partial counts. Arrows drawn with ═ below are those
 * node.ts connections; the others are calls made here.
 *
 *   scheduler ══duty══▶ fetcher ──unsigned set──▶ consensus (QBFT) ──decided set──▶ dutydb
 *        │                 ▲ randao / selection proof aggregated              │
 *        │                 │                                                  ▼
 *        └─ randao / selection / exit (no consensus) ──▶ signer ──own partials──▶ parsigex ──▶ peers
 *                                                           │ own partials            │
 *                                                           ▼                         ▼
 *                                                        sigagg ◀═══ peers' partials (unverified:
 *                                                           ║        parsigex only binds each to
 *                                                           ║        its authenticated sender)
 *                                                           ║ aggregate of t verified by sigagg;
 *                                                           ║ partials one by one only if it fails
 *                                                           ▼
 *                                                       broadcast ──▶ beacon node
 *   every step ──events──▶ tracker (+ metrics)
 *
 * Slashing protection (src/core/signer/signer.ts): attestations and blocks pass an EIP-3076
 * check-and-insert before they are signed; the other signed messages (randao reveal, selection
 * proofs, aggregate-and-proof, sync-committee messages and contributions, voluntary exits) are not
 * slashable and have no database rule.
 *
 * Duties (phase0 validator.md; EIP-7044 for exits):
 * - attester: fetch attestation data → consensus → sign (slashing-protected) → exchange →
 *   aggregate → submit Attestation;
 * - proposer: threshold-sign the randao reveal (duty `randao`, no consensus: deterministic) →
 *   fetch the block with it → consensus → sign (slashing-protected) → exchange → aggregate →
 *   publish;
 * - aggregator: threshold-sign the selection proof (duty `prepare_aggregator`) → `is_aggregator`
 *   → at ⅔ slot fetch the aggregate for the decided attestation data → consensus → sign
 *   AggregateAndProof → exchange → aggregate → submit;
 * - sync committee message (altair validator.md): at ⅓ slot fetch the head block root → consensus
 *   (one instance per slot for all the cluster's sync-committee members, so every operator signs
 *   the same root) → sign (DOMAIN_SYNC_COMMITTEE; not slashable) → exchange → aggregate → submit;
 * - sync contribution: threshold-sign the selection proof for the validator's (lowest)
 *   subcommittee (duty `prepare_sync_contribution`) → `is_sync_committee_aggregator` → at ⅔ slot
 *   fetch the contribution for the decided block root → consensus → sign ContributionAndProof →
 *   exchange → aggregate → submit;
 * - exit: an operator request (each operator must consent; t requests with the same epoch make
 *   the signature) → sign VoluntaryExit (Capella domain) → exchange → aggregate → submit.
 */

import type { phase0 } from "@lodestar/types";
import { InputError } from "../errors.js";
import type { Broadcaster } from "./broadcast/broadcast.js";
import { decodeUnsignedSet, encodeUnsignedSet } from "./codec.js";
import { peekInstance } from "./consensus/codec.js";
import type { QbftNode } from "./consensus/node.js";
import type { Decided } from "./consensus/types.js";
import {
  isAggregator,
  isSyncCommitteeAggregator,
  type SigningRoots,
  syncSubcommitteeOf,
} from "./domain.js";
import type { DutyDb } from "./dutydb/dutydb.js";
import type { AggregationInput, ContributionInput, Fetcher } from "./fetcher/fetcher.js";
import type { DvMetrics } from "./metrics.js";
import type { ParSigEx } from "./parsigex/parsigex.js";
import type { Scheduler } from "./scheduler/scheduler.js";
import type { SigAgg } from "./sigagg/sigagg.js";
import type { Doppelganger } from "./signer/doppelganger.js";
import type { Signer, SignRequest } from "./signer/signer.js";
import type { Tracker } from "./tracker/tracker.js";
import type { Clock, Transport } from "./transport.js";
import {
  type Duty,
  type DutyDefinition,
  DutyType,
  dutyKey,
  dutyTypeName,
  epochOf,
  type ParSig,
  type PubkeyHex,
  type UnsignedDataSet,
} from "./types.js";

/**
 * A workflow event (for demos, dashboards and the benchmark's wall-clock timing).
 *
 * @example
 * const onEvent = (e: DvEvent) => e.step === "aggregated" && console.log(e.duty.slot, e.pubkey);
 */
export type DvEvent = {
  step: "duty" | "fetched" | "decided" | "signed" | "aggregated" | "broadcast" | "failed";
  duty: Duty;
  pubkey?: PubkeyHex | undefined;
  details?: string | undefined;
};

/**
 * Everything {@link wire} connects (built by node.ts).
 *
 * @example
 * const handle = wire({ clock, chain, scheduler, fetcher, qbft, dutydb, signer, parsigex, sigagg,
 *   broadcaster, tracker, metrics, roots, doppelganger, consensusTransport, ...options });
 */
export type Components = {
  clock: Clock;
  slotsPerEpoch: number;
  roots: SigningRoots;
  scheduler: Scheduler;
  fetcher: Fetcher;
  qbft: QbftNode;
  dutydb: DutyDb;
  signer: Signer;
  parsigex: ParSigEx;
  sigagg: SigAgg;
  broadcaster: Broadcaster;
  tracker: Tracker;
  metrics: DvMetrics;
  doppelganger: Doppelganger;
  /** The consensus channel (tapped for peer liveness per instance; QBFT subscribes itself). */
  consensusTransport: Transport;
  /** The cluster's validators (0x-hex). */
  pubkeys: readonly PubkeyHex[];
  graffiti: Uint8Array;
  /** Re-broadcast own partials every `parsigexRetryMs` up to `parsigexRetries` times. */
  parsigexRetryMs: number;
  parsigexRetries: number;
  onEvent?: ((e: DvEvent) => void) | undefined;
};

/**
 * What {@link wire} returns.
 *
 * @example
 * const h = wire(components);
 * h.requestExit(pubkey, epoch, validatorIndex);
 */
export type Wired = {
  /** This operator consents to exiting `pubkey` at `epoch` (signs its partial). */
  requestExit(pubkey: PubkeyHex, epoch: number, validatorIndex?: number): void;
  /** Called by the scheduler's onSlot (GC, doppelganger, peer gauge). */
  onSlot(slot: number): void;
  /** Called by the scheduler's onDuty. */
  onDuty(duty: Duty, defs: Map<PubkeyHex, DutyDefinition>): void;
  /** sigagg's onAggregated (sigagg is built before the wiring). */
  onAggregated(
    duty: Duty,
    pubkey: PubkeyHex,
    root: Uint8Array,
    signature: Uint8Array,
    backup: boolean,
  ): void;
  /** Distinct other operators heard from in a duty's consensus instance (tracker). */
  consensusPeers(duty: Duty): number;
  stop(): void;
};

/** Slots of state kept behind the current slot (2 epochs of mainnet SLOTS_PER_EPOCH = 32). */
const RETAIN_SLOTS = 64;

/**
 * Connect the components. See the module header for the data flow.
 *
 * @example
 * const wired = wire(components);
 * scheduler = createScheduler({ ..., onDuty: wired.onDuty, onSlot: wired.onSlot });
 */
export function wire(c: Components): Wired {
  const { clock, scheduler, tracker, metrics, sigagg } = c;
  const spe = c.slotsPerEpoch;
  const emit = (e: DvEvent): void => {
    try {
      c.onEvent?.(e);
    } catch {
      // observers never break the workflow
    }
  };
  const deadlineOf = (duty: Duty): number =>
    duty.type === DutyType.Exit
      ? clock.now() + 2 * spe * scheduler.slotMs
      : scheduler.slotStartMs(duty.slot + 1);
  const timers = new Set<() => void>();
  const later = (ms: number, fn: () => void): void => {
    const cancel = clock.setTimeout(
      () => {
        timers.delete(cancel);
        fn();
      },
      Math.max(0, ms),
    );
    timers.add(cancel);
  };

  // Per-slot context the later steps need.
  const proposerDefs = new Map<string, DutyDefinition>(); // `${slot}/${pk}` → proposer duty
  const selections = new Map<string, { duty: DutyDefinition; proof: Uint8Array }>(); // aggregators
  const exits = new Map<string, phase0.VoluntaryExit>(); // `${dutyKey}/${pk}`
  // Sync-committee aggregators: `${slot}/${pk}` → duty, subcommittee, selection proof.
  const syncSelections = new Map<
    string,
    { duty: DutyDefinition; subcommitteeIndex: number; proof: Uint8Array }
  >();
  const consensusPeers = new Map<string, { slot: number; peers: Set<number> }>();
  const peerLastSlot = new Map<number, number>();
  const fetchedAt = new Map<string, { slot: number; at: number }>(); // dutyKey → data fetched

  // ─── consensus channel tap: who is participating in which instance ─────────────────────────
  const seenPeer = (from: number): void => {
    const slot = scheduler.currentSlot();
    peerLastSlot.set(from, slot);
    metrics.peerLastSeen.set({ peer: String(from) }, slot);
  };
  const untap = c.consensusTransport.onMessage((from, bytes) => {
    seenPeer(from);
    // Header only: consensus itself decodes (and verifies) every message strictly.
    const id = peekInstance(bytes);
    if (!id) return;
    const k = `${id.slot}/${id.dutyType}`;
    let e = consensusPeers.get(k);
    if (!e) {
      e = { slot: id.slot, peers: new Set() };
      consensusPeers.set(k, e);
    }
    if (e.peers.size < 256) e.peers.add(from);
  });
  const peersOf = (duty: Duty): number => consensusPeers.get(dutyKey(duty))?.peers.size ?? 0;

  // ─── signer → sigagg + parsigex ──────────────────────────────────────────────────────────────
  const signAndExchange = (duty: Duty, requests: SignRequest[]): void => {
    if (!requests.length) return;
    let result: ReturnType<Signer["sign"]>;
    try {
      result = c.signer.sign(requests);
    } catch (err) {
      // Database I/O failure: nothing was recorded, nothing is signed.
      const details = err instanceof Error ? err.message : String(err);
      for (const r of requests) {
        tracker.event(duty, r.pubkey, { step: "refused", reason: "slashing-protection", details });
      }
      metrics.signerRefusals.inc({ reason: "db-error" }, requests.length);
      return;
    }
    for (const r of result.refused) {
      tracker.event(duty, r.pubkey, { step: "refused", reason: r.reason, details: r.details });
      metrics.signerRefusals.inc({ reason: r.reason });
      emit({ step: "failed", duty, pubkey: r.pubkey, details: `${r.reason}: ${r.details}` });
    }
    if (!result.signed.length) return;
    for (const p of result.signed) {
      tracker.event(duty, p.pubkey, { step: "signed" });
      emit({ step: "signed", duty, pubkey: p.pubkey });
    }
    sigagg.add(duty, result.signed);
    c.parsigex.broadcast(duty, result.signed);
    // Retransmit what is not yet aggregated here (lossy networks; receivers dedupe).
    let left = c.parsigexRetries;
    const retry = (): void => {
      const pending = result.signed.filter((p) => !sigagg.complete(duty, p.pubkey));
      if (!pending.length || --left < 0 || clock.now() > deadlineOf(duty)) return;
      c.parsigex.broadcast(duty, pending);
      later(c.parsigexRetryMs, retry);
    };
    if (left > 0) later(c.parsigexRetryMs, retry);
  };

  // ─── consensus ───────────────────────────────────────────────────────────────────────────────
  const onDecided = (duty: Duty, d: Decided, startedAt: number): void => {
    const decoded = decodeUnsignedSet(d.value);
    if (!decoded) return; // cannot happen: the value passed isValid
    const type = dutyTypeName(duty.type);
    metrics.consensusRounds.observe({ type }, d.round);
    metrics.consensusLatency.observe({ type }, (clock.now() - startedAt) / 1000);
    tracker.event(duty, undefined, { step: "decided", round: d.round });
    const { conflicts } = c.dutydb.store(duty, decoded.set);
    for (const pk of conflicts) {
      tracker.event(duty, pk, {
        step: "refused",
        reason: "slashing-protection",
        details: "a different value is already stored for this duty",
      });
    }
    const requests: SignRequest[] = [];
    const expected: [PubkeyHex, Uint8Array][] = [];
    for (const [pk, u] of decoded.set) {
      if (conflicts.includes(pk)) continue;
      emit({ step: "decided", duty, pubkey: pk });
      let req: SignRequest;
      switch (u.kind) {
        case "attestation":
          req = {
            pubkey: pk,
            signingRoot: c.roots.attestation(u.data),
            protect: {
              kind: "attestation",
              source: BigInt(u.data.source.epoch),
              target: BigInt(u.data.target.epoch),
            },
          };
          break;
        case "block":
          req = {
            pubkey: pk,
            signingRoot: c.roots.block(u.block.fork, u.block.block),
            protect: { kind: "block", slot: BigInt(u.block.block.slot) },
          };
          break;
        case "aggregate":
          req = { pubkey: pk, signingRoot: c.roots.aggregateAndProof(u.aggregateAndProof) };
          break;
        case "sync_message":
          req = {
            pubkey: pk,
            signingRoot: c.roots.syncCommitteeMessage(u.slot, u.beaconBlockRoot),
          };
          break;
        case "sync_contribution":
          req = { pubkey: pk, signingRoot: c.roots.contributionAndProof(u.contributionAndProof) };
          break;
      }
      expected.push([pk, req.signingRoot]);
      if (c.signer.has(pk)) requests.push(req);
    }
    sigagg.expect(duty, expected);
    signAndExchange(duty, requests);
  };

  const propose = (duty: Duty, set: UnsignedDataSet): void => {
    if (!set.size) return;
    const instance = { slot: duty.slot, dutyType: duty.type };
    const startedAt = clock.now();
    fetchedAt.set(dutyKey(duty), { slot: duty.slot, at: startedAt });
    tracker.event(duty, undefined, { step: "proposed" });
    let value: Uint8Array;
    try {
      value = encodeUnsignedSet(set);
    } catch {
      return;
    }
    let decided: Promise<Decided>;
    try {
      decided = c.qbft.propose(instance, value);
    } catch (err) {
      // Outside the instance window (e.g. a duty fetched too late): the duty fails.
      const details = err instanceof Error ? err.message : String(err);
      tracker.event(duty, undefined, { step: "fetch-failed", error: details });
      return;
    }
    decided.then(
      (d) => onDecided(duty, d, startedAt),
      () => metrics.consensusTimeouts.inc({ type: dutyTypeName(duty.type) }),
    );
    later(deadlineOf(duty) - clock.now(), () => {
      if (!c.qbft.decided(instance)) c.qbft.stop(instance);
    });
  };

  // ─── sigagg → next step / broadcast ──────────────────────────────────────────────────────────
  const submitted = (duty: Duty, pk: PubkeyHex, p: Promise<void>): void => {
    p.then(
      () => {
        tracker.event(duty, pk, { step: "broadcast" });
        emit({ step: "broadcast", duty, pubkey: pk });
      },
      (err) => {
        const error = err instanceof Error ? err.message : String(err);
        tracker.event(duty, pk, { step: "broadcast-failed", error });
        emit({ step: "failed", duty, pubkey: pk, details: `beacon: ${error}` });
      },
    );
  };

  const fetchBlock = (slot: number, pk: PubkeyHex, randao: Uint8Array): void => {
    const def = proposerDefs.get(`${slot}/${pk}`);
    if (def?.kind !== "proposer") return;
    const duty: Duty = { slot, type: DutyType.Proposer };
    void c.fetcher.block(def.duty, randao, c.graffiti).then(({ set, failed }) => {
      for (const f of failed)
        tracker.event(duty, f.pubkey, { step: "fetch-failed", error: f.error });
      if (set.size) emit({ step: "fetched", duty, pubkey: pk });
      propose(duty, set);
    });
  };

  const onAggregated = (
    duty: Duty,
    pk: PubkeyHex,
    _root: Uint8Array,
    sig: Uint8Array,
    backup: boolean,
  ): void => {
    tracker.event(duty, pk, { step: "aggregated", backup });
    emit({ step: "aggregated", duty, pubkey: pk });
    const fetched = fetchedAt.get(dutyKey(duty));
    // A backup aggregation is late on purpose (node.ts aggregationBackupDelayMs): not a latency.
    if (fetched && !backup) {
      metrics.fetchToBroadcast.observe(
        { type: dutyTypeName(duty.type) },
        (clock.now() - fetched.at) / 1000,
      );
    }
    switch (duty.type) {
      case DutyType.Attester: {
        const u = c.dutydb.get(duty, pk);
        if (u?.kind === "attestation")
          submitted(duty, pk, c.broadcaster.attestation(u.data, u.duty, sig));
        return;
      }
      case DutyType.Proposer: {
        const u = c.dutydb.get(duty, pk);
        if (u?.kind === "block") submitted(duty, pk, c.broadcaster.block(u.block, sig));
        return;
      }
      case DutyType.Aggregator: {
        const u = c.dutydb.get(duty, pk);
        if (u?.kind === "aggregate") {
          submitted(duty, pk, c.broadcaster.aggregate(u.aggregateAndProof, sig));
        }
        return;
      }
      case DutyType.Randao:
        tracker.event(duty, pk, { step: "broadcast" });
        fetchBlock(duty.slot, pk, sig);
        return;
      case DutyType.PrepareAggregator: {
        tracker.event(duty, pk, { step: "broadcast" });
        const def = scheduler.definition(duty.slot, DutyType.Attester, pk);
        if (def?.kind === "attester" && isAggregator(def.duty.committeeLength, sig)) {
          selections.set(`${duty.slot}/${pk}`, { duty: def, proof: sig });
        }
        return;
      }
      case DutyType.Exit: {
        const msg = exits.get(`${dutyKey(duty)}/${pk}`);
        if (msg) submitted(duty, pk, c.broadcaster.exit(msg, sig));
        return;
      }
      case DutyType.SyncMessage: {
        const u = c.dutydb.get(duty, pk);
        if (u?.kind === "sync_message") {
          const { slot, beaconBlockRoot, validatorIndex } = u;
          submitted(
            duty,
            pk,
            c.broadcaster.syncMessage({ slot, beaconBlockRoot, validatorIndex, signature: sig }),
          );
        }
        return;
      }
      case DutyType.PrepareSyncContribution: {
        tracker.event(duty, pk, { step: "broadcast" });
        const def = scheduler.definition(duty.slot, DutyType.SyncContribution, pk);
        const sub =
          def?.kind === "sync"
            ? syncSubcommitteeOf(def.duty.validatorSyncCommitteeIndices)
            : undefined;
        if (def && sub !== undefined && isSyncCommitteeAggregator(sig)) {
          syncSelections.set(`${duty.slot}/${pk}`, {
            duty: def,
            subcommitteeIndex: sub,
            proof: sig,
          });
        }
        return;
      }
      case DutyType.SyncContribution: {
        const u = c.dutydb.get(duty, pk);
        if (u?.kind === "sync_contribution") {
          submitted(duty, pk, c.broadcaster.contribution(u.contributionAndProof, sig));
        }
        return;
      }
    }
  };

  // ─── scheduler → fetcher / signer ────────────────────────────────────────────────────────────
  const onDuty = (duty: Duty, defs: Map<PubkeyHex, DutyDefinition>): void => {
    const epoch = epochOf(duty.slot, spe);
    switch (duty.type) {
      case DutyType.Attester: {
        tracker.start(duty, [...defs.keys()], deadlineOf(duty));
        emit({ step: "duty", duty });
        const duties = [...defs.values()].flatMap((d) => (d.kind === "attester" ? [d.duty] : []));
        void c.fetcher.attestations(duty.slot, duties).then(({ set, failed }) => {
          for (const f of failed)
            tracker.event(duty, f.pubkey, { step: "fetch-failed", error: f.error });
          if (set.size) emit({ step: "fetched", duty });
          propose(duty, set);
        });
        return;
      }
      case DutyType.Proposer: {
        const randaoDuty: Duty = { slot: duty.slot, type: DutyType.Randao };
        tracker.start(duty, [...defs.keys()], deadlineOf(duty));
        tracker.start(randaoDuty, [...defs.keys()], deadlineOf(duty));
        emit({ step: "duty", duty });
        const root = c.roots.randao(epoch);
        const reqs: SignRequest[] = [];
        for (const [pk, def] of defs) {
          proposerDefs.set(`${duty.slot}/${pk}`, def);
          // Aggregated before the duty started (peers ahead): onAggregated found no definition.
          const done = sigagg.aggregate(randaoDuty, pk);
          if (done) fetchBlock(duty.slot, pk, done);
          if (c.signer.has(pk)) reqs.push({ pubkey: pk, signingRoot: root });
        }
        sigagg.expect(
          randaoDuty,
          [...defs.keys()].map((pk) => [pk, root]),
        );
        signAndExchange(randaoDuty, reqs);
        return;
      }
      case DutyType.PrepareAggregator: {
        tracker.start(duty, [...defs.keys()], deadlineOf(duty));
        emit({ step: "duty", duty });
        const root = c.roots.selectionProof(duty.slot);
        const reqs: SignRequest[] = [];
        for (const pk of defs.keys()) {
          if (c.signer.has(pk)) reqs.push({ pubkey: pk, signingRoot: root });
        }
        sigagg.expect(
          duty,
          [...defs.keys()].map((pk) => [pk, root]),
        );
        signAndExchange(duty, reqs);
        return;
      }
      case DutyType.Aggregator: {
        const inputs: AggregationInput[] = [];
        const selected: PubkeyHex[] = [];
        const attDuty: Duty = { slot: duty.slot, type: DutyType.Attester };
        for (const pk of defs.keys()) {
          const sel = selections.get(`${duty.slot}/${pk}`);
          const att = c.dutydb.get(attDuty, pk);
          if (sel?.duty.kind !== "attester" || att?.kind !== "attestation") continue;
          inputs.push({ duty: sel.duty.duty, data: att.data, selectionProof: sel.proof });
          selected.push(pk);
        }
        if (!inputs.length) return;
        tracker.start(duty, selected, deadlineOf(duty));
        emit({ step: "duty", duty });
        void c.fetcher.aggregates(duty.slot, inputs).then(({ set, failed }) => {
          for (const f of failed)
            tracker.event(duty, f.pubkey, { step: "fetch-failed", error: f.error });
          propose(duty, set);
        });
        return;
      }
      case DutyType.SyncMessage: {
        tracker.start(duty, [...defs.keys()], deadlineOf(duty));
        emit({ step: "duty", duty });
        const duties = [...defs.values()].flatMap((d) => (d.kind === "sync" ? [d.duty] : []));
        void c.fetcher.syncMessages(duty.slot, duties).then(({ set, failed }) => {
          for (const f of failed)
            tracker.event(duty, f.pubkey, { step: "fetch-failed", error: f.error });
          if (set.size) emit({ step: "fetched", duty });
          propose(duty, set);
        });
        return;
      }
      case DutyType.PrepareSyncContribution: {
        const reqs: SignRequest[] = [];
        const started: PubkeyHex[] = [];
        const expected: [PubkeyHex, Uint8Array][] = [];
        for (const [pk, def] of defs) {
          if (def.kind !== "sync") continue;
          const sub = syncSubcommitteeOf(def.duty.validatorSyncCommitteeIndices);
          if (sub === undefined) continue;
          const root = c.roots.syncSelectionProof(duty.slot, sub);
          started.push(pk);
          expected.push([pk, root]);
          if (c.signer.has(pk)) reqs.push({ pubkey: pk, signingRoot: root });
        }
        if (!started.length) return;
        sigagg.expect(duty, expected);
        tracker.start(duty, started, deadlineOf(duty));
        emit({ step: "duty", duty });
        signAndExchange(duty, reqs);
        return;
      }
      case DutyType.SyncContribution: {
        const inputs: ContributionInput[] = [];
        const selected: PubkeyHex[] = [];
        const msgDuty: Duty = { slot: duty.slot, type: DutyType.SyncMessage };
        for (const pk of defs.keys()) {
          const sel = syncSelections.get(`${duty.slot}/${pk}`);
          const m = c.dutydb.get(msgDuty, pk);
          if (sel?.duty.kind !== "sync" || m?.kind !== "sync_message") continue;
          inputs.push({
            duty: sel.duty.duty,
            subcommitteeIndex: sel.subcommitteeIndex,
            beaconBlockRoot: m.beaconBlockRoot,
            selectionProof: sel.proof,
          });
          selected.push(pk);
        }
        if (!inputs.length) return;
        tracker.start(duty, selected, deadlineOf(duty));
        emit({ step: "duty", duty });
        void c.fetcher.contributions(duty.slot, inputs).then(({ set, failed }) => {
          for (const f of failed)
            tracker.event(duty, f.pubkey, { step: "fetch-failed", error: f.error });
          propose(duty, set);
        });
        return;
      }
    }
  };

  return {
    onDuty,
    onAggregated,
    consensusPeers: peersOf,
    onSlot(slot) {
      const min = slot - RETAIN_SLOTS;
      c.dutydb.prune(min);
      sigagg.prune(min);
      c.parsigex.prune();
      for (const [k, v] of consensusPeers) if (v.slot < min) consensusPeers.delete(k);
      for (const [k, v] of fetchedAt) if (v.slot < min) fetchedAt.delete(k);
      for (const m of [proposerDefs, selections, syncSelections]) {
        for (const k of m.keys()) if (Number(k.split("/")[0]) < min) m.delete(k);
      }
      let peers = 0;
      for (const s of peerLastSlot.values()) if (s >= slot - spe) peers++;
      metrics.peers.set({}, peers);
      void c.doppelganger.poll(epochOf(slot, spe));
    },
    requestExit(pk, epoch, validatorIndex) {
      const index = validatorIndex ?? scheduler.index(pk);
      if (index === undefined) {
        throw new InputError(`Validator ${pk} has no known index yet`, {
          field: "pubkey",
          metaMessages: ["Wait until the node has resolved duties, or pass the index."],
        });
      }
      const duty: Duty = { slot: epoch * spe, type: DutyType.Exit };
      const msg: phase0.VoluntaryExit = { epoch, validatorIndex: index };
      exits.set(`${dutyKey(duty)}/${pk}`, msg);
      const root = c.roots.voluntaryExit(msg);
      tracker.start(duty, [pk], deadlineOf(duty));
      emit({ step: "duty", duty, pubkey: pk });
      sigagg.expect(duty, [[pk, root]]);
      signAndExchange(duty, [{ pubkey: pk, signingRoot: root }]);
    },
    stop() {
      untap();
      for (const t of timers) t();
      timers.clear();
    },
  };
}

/**
 * The parsigex → sigagg edge, kept here with the rest of the wiring: partials from peers (bound to
 * the sender's share; sigagg verifies them, aggregate first) go to sigagg; they also tell
 * doppelganger protection the cluster is producing the validator's signatures (a member could
 * sign a valid partial as well, so verifying first would not change what this proves).
 *
 * @example
 * createParSigEx({ ..., onReceived: parsigexToSigagg(sigagg, doppelganger, slotsPerEpoch) });
 */
export function parsigexToSigagg(
  sigagg: SigAgg,
  doppelganger: Doppelganger,
  slotsPerEpoch: number,
): (duty: Duty, partials: ParSig[], from: number) => void {
  return (duty, partials) => {
    for (const p of partials)
      doppelganger.observeCluster(p.pubkey, epochOf(duty.slot, slotsPerEpoch));
    sigagg.add(duty, partials);
  };
}
