/**
 * wire.ts connects the steps (Charon core/interfaces.go `Wire`): node.ts only builds them, giving
 * each step's callbacks a {@link Ports} entry; {@link wire} sets every entry, top to bottom in the
 * order a duty flows. The duty-type-specific work is the handlers' (src/core/duties/, one module
 * per duty type); the duty-type-agnostic work between two steps is src/core/workflow.ts.
 *
 *   scheduler ──duty──▶ handler ──fetch──▶ fetcher ──unsigned set──▶ consensus (QBFT)
 *        │                 │                                               │ decided set
 *        │                 └─ randao / selection proofs / exit (no consensus)  ▼
 *        │                              │                                 dutydb ──▶ handler's
 *        │                              ▼                                         sign request
 *        │   doppelganger ──gate──▶ signer ◀──────────────────────────────────────────┘
 *        │         ▲                    │ own partials
 *        └─validator states             ├──▶ parsigex ──▶ peers
 *                  │                    ▼
 *                  └──── peers' partials (parsigex) ──▶ sigagg (aggregate of t verified)
 *                                                          │
 *                                                          ▼
 *                      handler: next phase (randao → block, selection → aggregate) or
 *                      broadcast ──▶ beacon node
 *   every step ──events──▶ tracker (+ metrics); consensus channel ──▶ peer liveness ──▶ tracker
 *
 * Shared components, not connections: the slashing-protection view (src/core/protection.ts) the
 * signer advances and the consensus validity check (fetcher/validate.ts) reads — node.ts gives both
 * the same object; the clock; the metrics.
 */
import { InputError } from "../errors.js";
import { type BackupPolicy, backupDelay } from "./backup.js";
import { ConsensusPeers } from "./consensus-peers.js";
import { createDutyHandlers } from "./duties/index.js";
import { type DutyHandler, indexHandlers } from "./duty-handler.js";
import type { AggregatedHook, SigningGate } from "./interfaces.js";
import type { ValidatorChange } from "./scheduler/scheduler.js";
import { VALIDATOR_STATES } from "./scheduler/scheduler.js";
import type { Doppelganger } from "./signer/doppelganger.js";
import type { Transport } from "./transport.js";
import {
  type Duty,
  type DutyDefinition,
  DutyType,
  epochOf,
  type ParSig,
  type PubkeyHex,
} from "./types.js";
import { DutyWorkflow, RETAIN_SLOTS, type WorkflowSteps } from "./workflow.js";

/**
 * The callbacks steps are built with (node.ts passes `(…) => ports.x(…)`); {@link wire} points
 * each at the step it feeds. Before wiring they do nothing (the signer gate refuses).
 *
 * @example
 * const ports = new Ports();
 * createScheduler({ ..., onDuty: (d, defs) => ports.onDuty(d, defs) });
 * wire(ports, components);
 */
export class Ports {
  /** scheduler: a duty is due. */
  onDuty: (duty: Duty, defs: Map<PubkeyHex, DutyDefinition>) => void = () => {};
  /** scheduler: a new slot started. */
  onSlot: (slot: number) => void = () => {};
  /** scheduler: a validator's life-cycle state changed. */
  onValidator: (change: ValidatorChange) => void = () => {};
  /** consensus validity check: this operator's own duty definition. */
  localDuty: (slot: number, type: number, pubkey: PubkeyHex) => DutyDefinition | undefined = () =>
    undefined;
  /** signer: doppelganger protection's verdict, then the node's other signing gates. */
  gate: SigningGate = () => ({ reason: "doppelganger", details: "node not wired yet" });
  /** parsigex: a peer's partials (bound to its share, unverified). */
  onReceived: (duty: Duty, partials: ParSig[], from: number) => void = () => {};
  /** sigagg: an aggregate signature is made (`backup`: deferred on purpose). */
  onAggregated: AggregatedHook = () => {};
  /** sigagg: how long this operator defers aggregating (backup aggregation). */
  deferMs: (duty: Duty, pubkey: PubkeyHex) => number = () => 0;
  /** tracker: valid partials held for (duty, pubkey). */
  partials: (duty: Duty, pubkey: PubkeyHex) => number = () => 0;
  /** tracker: distinct other operators heard from in the duty's consensus instance. */
  consensusPeers: (duty: Duty) => number = () => 0;
  /** tracker: whether a duty type is decided by consensus. */
  consensusDuty: (type: number) => boolean = () => false;
}

/**
 * Everything {@link wire} connects (built by node.ts).
 *
 * @example
 * const handle = wire(ports, { ...steps, doppelganger, consensusTransport, backup });
 */
export type Components = WorkflowSteps & {
  doppelganger: Doppelganger;
  /** Signing gates after doppelganger protection (key guard, signing window); first refusal wins. */
  signingGates?: readonly SigningGate[] | undefined;
  /**
   * Slots this cluster works on (a replaced or successor cluster, src/core/signer/window.ts): a
   * duty outside is not started at all — no fetch, no consensus, no signature — so a process
   * running the old and the new cluster side by side does each duty once. The signing-window gate
   * among `signingGates` still refuses those slots at the signer (the safety layer).
   */
  dutyWindow?: { fromSlot?: number | undefined; untilSlot?: number | undefined } | undefined;
  /** The consensus channel (tapped for peer liveness per instance; QBFT subscribes itself). */
  consensusTransport: Transport;
  /** Backup aggregation of broadcast-only duties (src/core/backup.ts). */
  backup: BackupPolicy;
  /** The duty handlers (default: every duty module, src/core/duties/index.ts). */
  handlers?: readonly DutyHandler[] | undefined;
  /** A cluster validator's life-cycle state changed (after doppelganger and metrics saw it). */
  onValidator?: ((change: ValidatorChange) => void) | undefined;
};

/**
 * What {@link wire} returns.
 *
 * @example
 * const h = wire(ports, components);
 * h.requestExit(pubkey, epoch, validatorIndex);
 */
export type Wired = {
  /** This operator consents to exiting `pubkey` at `epoch` (signs its partial). */
  requestExit(pubkey: PubkeyHex, epoch: number, validatorIndex?: number): void;
  stop(): void;
};

/**
 * Connect the steps. See the module header for the data flow.
 *
 * @example
 * const ports = new Ports(); // … node.ts builds the steps with ports …
 * const wired = wire(ports, components);
 */
export function wire(ports: Ports, c: Components): Wired {
  const handlers = indexHandlers(c.handlers ?? createDutyHandlers());
  const flow = new DutyWorkflow(c, handlers);
  const peers = new ConsensusPeers(c.metrics, () => c.scheduler.currentSlot());

  // scheduler ──duty──▶ the duty type's handler (fetcher → consensus, or signer directly)
  const { fromSlot = 0, untilSlot = Number.POSITIVE_INFINITY } = c.dutyWindow ?? {};
  ports.onDuty = (duty, defs) => {
    if (duty.slot >= fromSlot && duty.slot < untilSlot) flow.startDuty(duty, defs);
  };
  // scheduler ──own duty definitions──▶ consensus validity check (fetcher/validate.ts)
  ports.localDuty = (slot, type, pk) => c.scheduler.definition(slot, type, pk);
  // consensus ──decided──▶ dutydb ──▶ signer ──own partials──▶ sigagg + parsigex: DutyWorkflow
  // doppelganger ──gate──▶ signer
  const gates = c.signingGates ?? [];
  ports.gate = (pk, duty) => {
    const dg = handlers.get(duty.type)?.doppelgangerExempt ? undefined : c.doppelganger.gate(pk);
    if (dg) return { reason: dg, details: "doppelganger protection" };
    for (const gate of gates) {
      const refusal = gate(pk, duty);
      if (refusal) return refusal;
    }
    return undefined;
  };
  // parsigex ──peers' partials──▶ sigagg (verified there) + doppelganger (the cluster signs)
  ports.onReceived = (duty, partials) => {
    const epoch = epochOf(duty.slot, c.slotsPerEpoch);
    for (const p of partials) c.doppelganger.observeCluster(p.pubkey, epoch);
    c.sigagg.add(duty, partials);
  };
  // sigagg ──aggregate──▶ the duty type's handler (next phase, or broadcast ──▶ beacon node)
  ports.deferMs = backupDelay(c.backup, handlers);
  ports.onAggregated = (duty, pk, _root, sig, backup) => flow.onAggregated(duty, pk, sig, backup);
  // sigagg, consensus channel ──▶ tracker
  ports.partials = (duty, pk) => c.sigagg.partials(duty, pk);
  const untap = c.consensusTransport.onMessage((from, bytes) => peers.observe(from, bytes));
  ports.consensusPeers = (duty) => peers.of(duty);
  ports.consensusDuty = (type) => handlers.get(type as DutyType)?.decides !== undefined;
  // scheduler ──validator states──▶ doppelganger (+ validators gauge, the caller)
  ports.onValidator = (change) => onValidatorChange(c, change);
  // scheduler ──slot──▶ housekeeping, peer gauge, doppelganger poll
  ports.onSlot = (slot) => {
    flow.prune(slot);
    peers.onSlot(slot, c.slotsPerEpoch, slot - RETAIN_SLOTS);
    void c.doppelganger.poll(epochOf(slot, c.slotsPerEpoch));
  };

  return {
    // operator request ──exit──▶ the exit handler
    requestExit(pk, epoch, validatorIndex) {
      const index = validatorIndex ?? c.scheduler.index(pk);
      if (index === undefined) {
        throw new InputError(`Validator ${pk} has no known index yet`, {
          field: "pubkey",
          metaMessages: ["Wait until the node has resolved duties, or pass the index."],
        });
      }
      const duty: Duty = { slot: epoch * c.slotsPerEpoch, type: DutyType.Exit };
      flow.startDuty(duty, new Map([[pk, { kind: "exit", validatorIndex: index, epoch }]]));
    },
    stop() {
      untap();
      flow.stop();
    },
  };
}

/**
 * A validator's life-cycle change: doppelganger protection watches active and exiting validators
 * (from their activation epoch) and forgets the others (exited: dropped; not deposited / queued:
 * refused alone until it activates); the `validators{state}` gauge is recounted.
 */
function onValidatorChange(c: Components, ch: ValidatorChange): void {
  if ((ch.state === "active" || ch.state === "exiting") && ch.info) {
    const act = ch.info.activationEpoch;
    const from = act !== undefined && Number.isFinite(act) ? act : ch.epoch;
    c.doppelganger.track(ch.pubkey, ch.info.index, from);
  } else c.doppelganger.untrack(ch.pubkey);
  countStates(c, ch);
  c.onValidator?.(ch);
}

/** Validators per state, per scheduler (a restarted node has a new one: counted afresh). */
const stateCounts = new WeakMap<object, Map<string, number>>();

/**
 * The `validators{state}` gauge: counted once, then moved by each change (a full recount per
 * change was O(V²) when V validators' first statuses arrive together).
 */
function countStates(c: Components, ch: ValidatorChange): void {
  let counts = stateCounts.get(c.scheduler);
  if (!counts) {
    counts = new Map<string, number>(VALIDATOR_STATES.map((st) => [st, 0]));
    for (const st of c.scheduler.states().values()) counts.set(st, (counts.get(st) ?? 0) + 1);
    stateCounts.set(c.scheduler, counts);
    for (const [state, k] of counts) c.metrics.validators.set({ state }, k);
    return;
  }
  if (ch.from !== undefined) counts.set(ch.from, (counts.get(ch.from) ?? 0) - 1);
  counts.set(ch.state, (counts.get(ch.state) ?? 0) + 1);
  for (const state of [ch.from, ch.state]) {
    if (state !== undefined) c.metrics.validators.set({ state }, counts.get(state) ?? 0);
  }
}
