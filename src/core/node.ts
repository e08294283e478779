/**
 * A DV node: one operator's process for a cluster (Charon app/app.go `wireCoreWorkflow`). Builds
 * each workflow step from the cluster definition, this operator's key shares, its beacon node(s),
 * its slashing-protection database and the two transport channels, and hands them to
 * {@link wire} (src/core/wire.ts), the one place where they are connected.
 *
 * Secrets: the share secrets are copied into the signer and zeroed on {@link DvNode.stop}; they
 * are never logged, put in errors, metrics or tracker reports.
 */
import { publicKeyOf } from "../crypto/bls.js";
import { InputError, VerificationError } from "../errors.js";
import type { SlashingProtectionDb } from "../slashing/db.js";
import { type BeaconNode, type ChainInfo, fallbackBeacon } from "./beacon.js";
import { createBroadcaster } from "./broadcast/broadcast.js";
import type { DvCluster } from "./cluster.js";
import { createQbftNode, type QbftNode, type QbftNodeConfig } from "./consensus/node.js";
import { quorumFor } from "./consensus/params.js";
import type { Signer as IdentitySigner, Verifier } from "./consensus/signer.js";
import type { RoundTimerConfig } from "./consensus/timer.js";
import { createSigningRoots } from "./domain.js";
import { createDutyDb } from "./dutydb/dutydb.js";
import { createFetcher } from "./fetcher/fetcher.js";
import { createValidityCheck } from "./fetcher/validate.js";
import { createDvMetrics, type DvMetrics } from "./metrics.js";
import { createParSigEx } from "./parsigex/parsigex.js";
import { createProtectionView } from "./protection.js";
import {
  createScheduler,
  type DutyOffsets,
  type Scheduler,
  VALIDATOR_STATES,
  type ValidatorChange,
  type ValidatorState,
} from "./scheduler/scheduler.js";
import { createSigAgg } from "./sigagg/sigagg.js";
import { createDoppelganger } from "./signer/doppelganger.js";
import { createSigner } from "./signer/signer.js";
import { createTracker, type Tracker } from "./tracker/tracker.js";
import type { Clock, Transport } from "./transport.js";
import { type Duty, DutyType, hex, type PubkeyHex, sameBytes, unhex } from "./types.js";
import { type DvEvent, parsigexToSigagg, type Wired, wire } from "./wire.js";

/**
 * Default doppelganger watch: 2 epochs (Lighthouse/Teku/Lodestar default).
 *
 * @example
 * createDvNode({ ...o, options: { doppelgangerEpochs: DEFAULT_DOPPELGANGER_EPOCHS } });
 */
export const DEFAULT_DOPPELGANGER_EPOCHS = 2;
/**
 * Default partial re-broadcasts: 3, one per second (a 12 s slot leaves room; receivers dedupe).
 *
 * @example
 * createDvNode({ ...o, options: { parsigexRetries: DEFAULT_PARSIGEX_RETRIES } });
 */
export const DEFAULT_PARSIGEX_RETRIES = 3;
/**
 * Default interval between partial re-broadcasts (ms): 1 s = SECONDS_PER_SLOT / 12.
 *
 * @example
 * createDvNode({ ...o, options: { parsigexRetryMs: DEFAULT_PARSIGEX_RETRY_MS } });
 */
export const DEFAULT_PARSIGEX_RETRY_MS = 1000;

/**
 * Options of {@link createDvNode}.
 *
 * @example
 * const opts: DvNodeOptions = { cluster, operatorId: 2, shares, transport: { consensus, parsigex },
 *   clock: systemClock, beacon, slashingDb, identity: { signer, verifier } };
 */
export type DvNodeOptions = {
  /** The cluster (plain data; a loaded src/keysplit/cluster.ts definition is assignable). */
  cluster: DvCluster;
  /** This operator's id (cluster.operators[i].id); its index i is the transport index. */
  operatorId: number;
  /** validator pubkey (0x-hex) → this operator's 32-byte share secret (loadOperatorShares). */
  shares: ReadonlyMap<PubkeyHex, Uint8Array>;
  transport: { consensus: Transport; parsigex: Transport };
  clock: Clock;
  /** One beacon node, or several tried in order (fallback). */
  beacon: BeaconNode | readonly BeaconNode[];
  slashingDb: SlashingProtectionDb;
  /** Operator identity signer/verifier for QBFT messages (secp256k1 in production). */
  identity: { signer: IdentitySigner; verifier: Verifier };
  options?: {
    /** Clock reading at genesis; default from chainInfo.genesisTime and Date.now(). */
    genesisClockMs?: number | undefined;
    /** Doppelganger watch in epochs (default 2; 0 disables — tests only). */
    doppelgangerEpochs?: number | undefined;
    offsets?: Partial<DutyOffsets> | undefined;
    /** Run aggregation duties (default true). */
    aggregation?: boolean | undefined;
    /** Block graffiti (UTF-8, ≤ 32 bytes; default "rpdvt"). */
    graffiti?: string | undefined;
    /** QBFT settings (timer, windows). */
    qbft?:
      | Partial<
          Omit<
            QbftNodeConfig,
            "n" | "self" | "transport" | "clock" | "signer" | "verifier" | "isValid"
          >
        >
      | undefined;
    parsigexRetries?: number | undefined;
    parsigexRetryMs?: number | undefined;
    /**
     * Backup aggregation delay (ms) for duties whose aggregate is only broadcast (attestation,
     * block, aggregate, sync message/contribution, exit): per slot and validator, f + 1 operators
     * (rotating with slot and validator, so at least one honest operator that is up) aggregate
     * and broadcast at once; the other operators do it this much later, as a backup for a primary
     * whose beacon node failed. Their aggregation CPU then stays out of the window where the
     * cluster races for the first aggregate. Default: one sixth of a slot (2 s on mainnet: an
     * attestation aggregated at 4 s is backed up by 6 s, in time for the next block); 0 = every
     * operator aggregates at once. Randao, selection proofs: always at once (used locally).
     */
    aggregationBackupDelayMs?: number | undefined;
    /**
     * Send every consensus and parsigex message `copies` times, `spacingMs` apart (lossy,
     * datagram-like links; both protocols dedupe). Default: once (libp2p streams are reliable).
     */
    resend?: { copies: number; spacingMs: number } | undefined;
    /** Workflow events (demo, benchmarks). */
    onEvent?: ((e: DvEvent) => void) | undefined;
    /** Scheduler / beacon errors (default: ignored; the tracker records duty failures). */
    onError?: ((what: string, err: unknown) => void) | undefined;
    /** A cluster validator's life-cycle state changed (logged by `node run`). */
    onValidator?: ((change: ValidatorChange) => void) | undefined;
  };
};

/**
 * A running DV node.
 *
 * @example
 * const node = createDvNode(opts);
 * await node.start();
 * node.tracker.onReport((r) => console.log(r));
 * node.stop();
 */
export interface DvNode {
  /** This operator's index in the cluster definition (= transport index). */
  readonly index: number;
  readonly tracker: Tracker;
  readonly metrics: DvMetrics;
  /** Fetch chain info, resolve duties, start the slot loop. */
  start(): Promise<void>;
  /** Stop timers and subscriptions, zero the secrets (the slashing DB is the caller's). */
  stop(): void;
  /** This operator consents to a voluntary exit of `pubkey` at `epoch` (EIP-7044 domain). */
  requestExit(pubkey: PubkeyHex, epoch: number, validatorIndex?: number): void;
  /** Validators doppelganger protection flagged. */
  doppelgangers(): PubkeyHex[];
  /** Life-cycle state of each cluster validator (empty before the first status read). */
  validatorStates(): Map<PubkeyHex, ValidatorState>;
  /** QBFT counters (debugging). */
  consensusStats(): ReturnType<QbftNode["stats"]> | undefined;
}

/** The default linear round timer (consensus/timer.ts DEFAULT_ROUND_TIMER) on 12 s slots. */
const DEFAULT_FIRST_MS = 750;
const DEFAULT_INCREMENT_MS = 250;
/** Floor: three message delays plus signature checks on a loaded 2-core host (measured p99 < 100 ms). */
const MIN_FIRST_MS = 250;
const MIN_INCREMENT_MS = 100;

/**
 * QBFT round timer fitted to the slot: the default linear timer (750 ms + 250 ms per round) on
 * 12 s mainnet slots, shrunk proportionally on short dev-chain slots (2 s → 250 ms + 100 ms, the floors), so
 * a round change for an offline leader still finishes within the attestation third of the slot
 * (aggregators collect at 2/3 of the slot: consensus-specs phase0 validator.md).
 *
 * @example
 * slotScaledTimer(12_000) // { kind: "linear", firstMs: 750, incrementMs: 250, maxMs: 12000 }
 */
export function slotScaledTimer(slotMs: number): RoundTimerConfig {
  const f = Math.min(1, slotMs / 12_000);
  return {
    kind: "linear",
    firstMs: Math.max(MIN_FIRST_MS, Math.round(DEFAULT_FIRST_MS * f)),
    incrementMs: Math.max(MIN_INCREMENT_MS, Math.round(DEFAULT_INCREMENT_MS * f)),
    maxMs: slotMs,
  };
}

/**
 * Create a DV node (not started). Checks that the operator is in the cluster, the transports
 * carry its index, every share matches the definition's share public key, and the slashing DB is
 * bound to the chain's genesis_validators_root (at start).
 *
 * @example
 * const node = createDvNode({ cluster, operatorId, shares, transport, clock, beacon, slashingDb,
 *   identity: { signer: secp256k1Signer(identityKey), verifier } });
 * await node.start();
 */
export function createDvNode(opts: DvNodeOptions): DvNode {
  const { cluster, clock } = opts;
  const o = opts.options ?? {};
  const transport = o.resend
    ? {
        consensus: resendingTransport(opts.transport.consensus, clock, o.resend),
        parsigex: resendingTransport(opts.transport.parsigex, clock, o.resend),
      }
    : opts.transport;
  const index = cluster.operators.findIndex((op) => op.id === opts.operatorId);
  if (index < 0) {
    throw new InputError(`Operator ${opts.operatorId} is not in the cluster definition`, {
      field: "operatorId",
    });
  }
  const n = cluster.operators.length;
  for (const [name, t] of Object.entries(transport)) {
    if (t.self !== index || t.n !== n) {
      throw new InputError(`The ${name} transport is for operator index ${t.self} of ${t.n}`, {
        field: `transport.${name}`,
        metaMessages: [`Expected index ${index} of ${n} (operator id ${opts.operatorId}).`],
      });
    }
  }
  const operatorIds = cluster.operators.map((op) => op.id);
  const pubkeys = cluster.validators.map((v) => v.pubkey.toLowerCase());
  const feeRecipients = new Map(
    cluster.validators.map((v) => [v.pubkey.toLowerCase(), v.feeRecipient]),
  );
  const validatorPubkeys = new Map(pubkeys.map((pk) => [pk, unhex(pk)]));
  const validatorPosition = new Map(pubkeys.map((pk, i) => [pk, i]));
  const sharePubkeys = new Map<PubkeyHex, Map<number, Uint8Array>>();
  for (const v of cluster.validators) {
    sharePubkeys.set(
      v.pubkey.toLowerCase(),
      new Map(v.shares.map((s) => [s.operatorId, unhex(s.pubkey)])),
    );
  }
  const shares = new Map<PubkeyHex, Uint8Array>();
  for (const [pk, secret] of opts.shares) {
    const key = pk.toLowerCase();
    const expected = sharePubkeys.get(key)?.get(opts.operatorId);
    if (!expected) {
      throw new InputError(`Share for ${key} is not a validator of this cluster`, {
        field: "shares",
      });
    }
    if (!sameBytes(publicKeyOf(secret), expected)) {
      throw new VerificationError(
        `Share for validator ${key} does not match operator ${opts.operatorId}'s share public key`,
      );
    }
    shares.set(key, secret);
  }
  const beacon = Array.isArray(opts.beacon)
    ? fallbackBeacon(opts.beacon as BeaconNode[])
    : (opts.beacon as BeaconNode);
  const metrics = createDvMetrics();
  const quorum = quorumFor(n);
  const threshold = cluster.threshold;
  const graffiti = new Uint8Array(32);
  graffiti.set(new TextEncoder().encode(o.graffiti ?? "rpdvt").subarray(0, 32));

  let scheduler: Scheduler | undefined;
  let qbft: QbftNode | undefined;
  let wired: Wired | undefined;
  let stopFns: (() => void)[] = [];
  // The tracker exists before start so callers can subscribe.
  let partialsOf: (d: Duty, pk: PubkeyHex) => number = () => 0;
  let peersOf: (d: Duty) => number = () => 0;
  const slotMsHolder = { ms: 12_000 };
  const tracker = createTracker({
    clock,
    metrics,
    quorum,
    threshold,
    get graceMs() {
      return slotMsHolder.ms;
    },
    partials: (d, pk) => partialsOf(d, pk),
    consensusPeers: (d) => peersOf(d),
  });
  const doppelganger = createDoppelganger({
    epochs: o.doppelgangerEpochs ?? DEFAULT_DOPPELGANGER_EPOCHS,
    beacon,
  });
  // ONE view, shared by the signer (which advances it) and the validity check (which reads it).
  const view = createProtectionView(opts.slashingDb);
  const signer = createSigner({
    shares,
    shareIdx: opts.operatorId,
    slashingDb: opts.slashingDb,
    view,
    gate: (pk) => doppelganger.gate(pk),
  });

  return {
    index,
    tracker,
    metrics,
    async start() {
      const chain: ChainInfo = await beacon.chainInfo();
      const gvr = opts.slashingDb.genesisValidatorsRoot;
      if (gvr !== undefined && gvr !== hex(chain.genesisValidatorsRoot)) {
        throw new InputError("The slashing-protection database is for another network", {
          metaMessages: [`Database: ${gvr}`, `Beacon node: ${hex(chain.genesisValidatorsRoot)}`],
        });
      }
      slotMsHolder.ms = chain.secondsPerSlot * 1000;
      const roots = createSigningRoots(chain);
      const dutydb = createDutyDb();
      const backupMs = o.aggregationBackupDelayMs ?? slotMsHolder.ms / 6;
      const sigagg = createSigAgg({
        threshold,
        validatorPubkeys,
        sharePubkeys,
        onAggregated: (d, pk, root, sig, backup) => wired?.onAggregated(d, pk, root, sig, backup),
        count: (l, by) => metrics.parsigex.inc({ event: `sigagg.${l}` }, by),
        deferMs: (d, pk) =>
          BROADCAST_ONLY.has(d.type) &&
          !isPrimaryAggregator(index, n, d.slot, validatorPosition.get(pk) ?? 0)
            ? backupMs
            : 0,
        setTimer: (ms, cb) => {
          clock.setTimeout(cb, ms);
        },
      });
      partialsOf = (d, pk) => sigagg.partials(d, pk);
      const genesisClockMs =
        o.genesisClockMs ?? chain.genesisTime * 1000 - Date.now() + clock.now();
      const sched = createScheduler({
        clock,
        chain,
        genesisClockMs,
        beacon,
        pubkeys: [...validatorPubkeys.values()],
        offsets: o.offsets,
        feeRecipients,
        aggregation: o.aggregation,
        onDuty: (d, defs) => wired?.onDuty(d, defs),
        onSlot: (s) => wired?.onSlot(s),
        onError: o.onError,
        onValidator: (ch) => {
          // Duties (active, exiting until the exit epoch): watched for itself, then signed for.
          // Exited: dropped. Not deposited / queued: refused alone until it activates.
          if ((ch.state === "active" || ch.state === "exiting") && ch.info) {
            const act = ch.info.activationEpoch;
            const from = act !== undefined && Number.isFinite(act) ? act : ch.epoch;
            doppelganger.track(ch.pubkey, ch.info.index, from);
          } else doppelganger.untrack(ch.pubkey);
          const counts = new Map<string, number>(VALIDATOR_STATES.map((st) => [st, 0]));
          for (const st of sched.states().values()) counts.set(st, (counts.get(st) ?? 0) + 1);
          for (const [state, k] of counts) metrics.validators.set({ state }, k);
          o.onValidator?.(ch);
        },
      });
      scheduler = sched;
      const validators = new Set(pubkeys);
      const node = createQbftNode({
        timer: slotScaledTimer(chain.secondsPerSlot * 1000),
        ...o.qbft,
        n,
        self: index,
        transport: transport.consensus,
        clock,
        signer: opts.identity.signer,
        verifier: opts.identity.verifier,
        isValid: createValidityCheck({
          chain,
          roots,
          view,
          validators,
          feeRecipients,
          localDuty: (slot, type, pk) => sched.definition(slot, type, pk),
          onReject: (reason) => metrics.consensusRejected.inc({ reason }),
        }),
      });
      qbft = node;
      const parsigex = createParSigEx({
        transport: transport.parsigex,
        operatorIds,
        sharePubkeys,
        currentSlot: () => sched.currentSlot(),
        onReceived: parsigexToSigagg(sigagg, doppelganger, chain.slotsPerEpoch),
        count: (l, by) => metrics.parsigex.inc({ event: l }, by),
      });
      const w = wire({
        clock,
        slotsPerEpoch: chain.slotsPerEpoch,
        roots,
        scheduler: sched,
        fetcher: createFetcher(beacon, { chain, feeRecipients, onError: o.onError }),
        qbft: node,
        dutydb,
        signer,
        parsigex,
        sigagg,
        broadcaster: createBroadcaster(beacon, {
          sleep: (ms) => new Promise<void>((r) => clock.setTimeout(r, ms)),
        }),
        tracker,
        metrics,
        doppelganger,
        consensusTransport: transport.consensus,
        pubkeys,
        graffiti,
        parsigexRetries: o.parsigexRetries ?? DEFAULT_PARSIGEX_RETRIES,
        parsigexRetryMs: o.parsigexRetryMs ?? DEFAULT_PARSIGEX_RETRY_MS,
        onEvent: o.onEvent,
      });
      wired = w;
      peersOf = w.consensusPeers;
      // Watch whole epochs only: liveness earlier in a partly elapsed epoch cannot be told apart
      // from the cluster's own signatures this operator was not up to see.
      const epochMs = chain.slotsPerEpoch * sched.slotMs;
      doppelganger.start(Math.max(0, Math.ceil((clock.now() - genesisClockMs) / epochMs)));
      stopFns = [() => sched.stop(), () => w.stop(), () => node.close(), () => parsigex.close()];
      await sched.start();
    },
    stop() {
      for (const f of stopFns) f();
      stopFns = [];
      wired = undefined;
      signer.close();
    },
    requestExit(pk, epoch, validatorIndex) {
      if (!wired) throw new InputError("The DV node is not started");
      wired.requestExit(pk.toLowerCase(), epoch, validatorIndex);
    },
    doppelgangers: () => doppelganger.detected(),
    validatorStates: () => scheduler?.states() ?? new Map(),
    consensusStats: () => qbft?.stats(),
  };
}

/**
 * A {@link Transport} that sends each message `copies` times, `spacingMs` apart (the first copy
 * immediately). For unreliable datagram-like links: with independent loss p a message is lost
 * with p^copies (30% → 2.7% at 3 copies). Receivers must tolerate duplicates (QBFT and parsigex
 * do: the Transport contract allows duplication).
 *
 * @example
 * const t = resendingTransport(base, clock, { copies: 3, spacingMs: 100 });
 */
export function resendingTransport(
  base: Transport,
  clock: Clock,
  o: { copies: number; spacingMs: number },
): Transport {
  const copies = Math.max(1, Math.floor(o.copies));
  const repeat = (fn: () => void): void => {
    fn();
    for (let k = 1; k < copies; k++) clock.setTimeout(fn, k * o.spacingMs);
  };
  return {
    self: base.self,
    n: base.n,
    send: (to, bytes) => repeat(() => base.send(to, bytes)),
    broadcast: (bytes) => repeat(() => base.broadcast(bytes)),
    onMessage: (cb) => base.onMessage(cb),
  };
}

/** Duty types whose aggregate this node only broadcasts (not used locally): backup-deferrable. */
const BROADCAST_ONLY: ReadonlySet<number> = new Set([
  DutyType.Attester,
  DutyType.Proposer,
  DutyType.Aggregator,
  DutyType.SyncMessage,
  DutyType.SyncContribution,
  DutyType.Exit,
]);

/**
 * Whether operator `index` of `n` is one of the f + 1 = ⌊(n − 1)/3⌋ + 1 primary aggregators of
 * validator `position` (its place in the cluster definition) at `slot`: a window of f + 1
 * consecutive indices starting at (slot + position) mod n, so the role rotates over slots and
 * validators (spreading the work) and any f faulty operators leave at least one primary.
 *
 * @example
 * isPrimaryAggregator(0, 4, 10, 2); // primaries of slot 10, validator 2 (n = 4): indices 0, 1 → true
 */
export function isPrimaryAggregator(
  index: number,
  n: number,
  slot: number,
  position: number,
): boolean {
  const f = Math.floor((n - 1) / 3);
  return (((index - slot - position) % n) + n) % n <= f;
}
