/**
 * A DV node: one operator's process for a cluster (Charon app/app.go `wireCoreWorkflow`). Builds
 * each workflow step from the cluster definition, this operator's key shares, its beacon node(s),
 * its slashing-protection database and the two transport channels. Each step's callbacks go to a
 * {@link Ports} entry; {@link wire} (src/core/wire.ts), the one place where steps are connected,
 * points them at the steps they feed. The cluster comes as core's plain {@link DvCluster}.
 *
 * Secrets: the share secrets are copied into the signer and zeroed on {@link DvNode.stop}; they
 * are never logged, put in errors, metrics or tracker reports.
 */
import { DEFAULT_GAS_LIMIT } from "../builder/registration.js";
import { publicKeyOf } from "../crypto/bls.js";
import { BaseError, InputError, VerificationError } from "../errors.js";
import type { SlashingProtectionDb } from "../slashing/db.js";
import { bytesEqual, fromHex, toHex } from "../util/hex.js";
import { type BeaconNode, type ChainInfo, fallbackBeacon } from "./beacon.js";
import { createBroadcaster } from "./broadcast/broadcast.js";
import type { DvCluster } from "./cluster.js";
import { createQbftNode, type QbftNode, type QbftNodeConfig } from "./consensus/node.js";
import { quorumFor } from "./consensus/params.js";
import type { Signer as IdentitySigner, Verifier } from "./consensus/signer.js";
import { slotScaledTimer } from "./consensus/timer.js";
import { createSigningRoots, type SigningRoots } from "./domain.js";
import { createDutyHandlers } from "./duties/index.js";
import type { ProposerBuilderOptions } from "./duties/proposer.js";
import { type DutyHandler, indexHandlers } from "./duty-handler.js";
import { createDutyDb } from "./dutydb/dutydb.js";
import { createFetcher } from "./fetcher/fetcher.js";
import { createValidityCheck } from "./fetcher/validate.js";
import type { SigningGate } from "./interfaces.js";
import { createDvMetrics, type DvMetrics } from "./metrics.js";
import { createParSigEx, type ParSigEx } from "./parsigex/parsigex.js";
import { createProtectionView, type ProtectionView } from "./protection.js";
import {
  createScheduler,
  type DutyOffsets,
  type Scheduler,
  type ValidatorChange,
  type ValidatorState,
} from "./scheduler/scheduler.js";
import { createSigAgg, type SigAgg } from "./sigagg/sigagg.js";
import {
  createDoppelganger,
  type Doppelganger,
  type DoppelgangerStatus,
} from "./signer/doppelganger.js";
import { createSigner, type Signer } from "./signer/signer.js";
import { createTracker, type Tracker } from "./tracker/tracker.js";
import type { Clock, Transport } from "./transport.js";
import type { PubkeyHex } from "./types.js";
import { Ports, type Wired, wire } from "./wire.js";
import type { DvEvent } from "./workflow.js";

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
    /**
     * Start the attester duty on the beacon node's head event for the slot, ⅓ of the slot as the
     * fallback (default false; src/core/scheduler/scheduler.ts `attestOnHead`).
     */
    attestOnHead?: boolean | undefined;
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
    /**
     * Signing gates run after doppelganger protection, per request, before slashing protection
     * (src/core/interfaces.ts SigningGate): e.g. the key guard (issue 16), a replaced cluster's
     * signing window. First refusal wins; refusals are tracked like doppelganger's.
     */
    signingGates?: readonly SigningGate[] | undefined;
    /**
     * Slots this cluster works on at all (a replaced cluster until, a successor from, its
     * activation epoch: src/app/succession.ts); duties outside are not fetched, decided or
     * signed. Pair it with the signing-window gate in `signingGates`, which refuses them anyway.
     */
    dutyWindow?: { fromSlot?: number | undefined; untilSlot?: number | undefined } | undefined;
    /**
     * MEV-Boost (issue 15). `registrations`: the builder-registration duty every epoch (needs a
     * beacon node with a builder configured), asking for `gasLimit` (default 30M,
     * src/builder/registration.ts DEFAULT_GAS_LIMIT — every operator must use the same).
     * Blinded proposals (src/core/duties/proposer.ts): `boostFactor` (produceBlockV3
     * builder_boost_factor; omitted = the beacon node's choice when `registrations` is on, else 0
     * = local blocks only), `minBidWei` (a builder block reported below it is refused; default 0).
     */
    builder?:
      | {
          registrations?: boolean | undefined;
          gasLimit?: number | undefined;
          boostFactor?: bigint | undefined;
          minBidWei?: bigint | undefined;
        }
      | undefined;
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
  /** Doppelganger protection's watch of one validator (the key guard's liveness check). */
  doppelgangerStatus(pubkey: PubkeyHex): DoppelgangerStatus;
  /** Watch `pubkey`'s liveness afresh from `epoch` (the key guard fired; see Doppelganger.rearm). */
  rearmDoppelganger(pubkey: PubkeyHex, epoch: number): void;
  /** Life-cycle state of each cluster validator (empty before the first status read). */
  validatorStates(): Map<PubkeyHex, ValidatorState>;
  /** QBFT counters (debugging). */
  consensusStats(): ReturnType<QbftNode["stats"]> | undefined;
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
  // The slot length, known at start (the tracker's grace period reads it).
  const slotMsHolder = { ms: 12_000 };
  const base = buildNodeBase(opts, slotMsHolder);
  const { index, tracker, metrics, beacon, doppelganger, signer } = base;
  let running: Running | undefined;
  return {
    index,
    tracker,
    metrics,
    async start() {
      const chain: ChainInfo = await beacon.chainInfo();
      checkSlashingDbNetwork(opts.slashingDb, chain);
      slotMsHolder.ms = chain.secondsPerSlot * 1000;
      running = startSteps(base, chain);
      await running.scheduler.start();
    },
    stop() {
      running?.stop();
      running = undefined;
      signer.close();
    },
    requestExit(pk, epoch, validatorIndex) {
      if (!running) throw new InputError("The DV node is not started");
      running.wired.requestExit(pk.toLowerCase(), epoch, validatorIndex);
    },
    doppelgangers: () => doppelganger.detected(),
    doppelgangerStatus: (pk) => doppelganger.status(pk.toLowerCase()),
    rearmDoppelganger: (pk, epoch) => doppelganger.rearm(pk.toLowerCase(), epoch),
    validatorStates: () => running?.scheduler.states() ?? new Map(),
    consensusStats: () => running?.qbft.stats(),
  };
}

/**
 * What a node builds before start: checked keys and shares, the transports, the beacon node
 * (with fallback), metrics, ports, and the tracker, doppelganger service, protection view and
 * signer that live across starts.
 */
function buildNodeBase(opts: DvNodeOptions, slotMsHolder: { ms: number }): NodeBase {
  const o = opts.options ?? {};
  const transport = o.resend
    ? {
        consensus: resendingTransport(opts.transport.consensus, opts.clock, o.resend),
        parsigex: resendingTransport(opts.transport.parsigex, opts.clock, o.resend),
      }
    : opts.transport;
  const index = operatorIndex(opts, transport);
  const keys = clusterKeys(opts.cluster);
  const shares = checkedShares(opts, keys);
  const beacon = Array.isArray(opts.beacon)
    ? fallbackBeacon(opts.beacon as BeaconNode[])
    : (opts.beacon as BeaconNode);
  const metrics = createDvMetrics();
  // Steps are built with ports; wire() (at start) points every port at the step it feeds.
  const ports = new Ports();
  // The tracker exists before start so callers can subscribe.
  const tracker = createTracker({
    clock: opts.clock,
    metrics,
    quorum: quorumFor(keys.operatorIds.length),
    threshold: opts.cluster.threshold,
    get graceMs() {
      return slotMsHolder.ms;
    },
    partials: (d, pk) => ports.partials(d, pk),
    consensusPeers: (d) => ports.consensusPeers(d),
    consensusDuty: (t) => ports.consensusDuty(t),
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
    gate: (pk, duty) => ports.gate(pk, duty),
  });
  return {
    opts,
    index,
    keys,
    transport,
    beacon,
    metrics,
    ports,
    tracker,
    doppelganger,
    view,
    signer,
  };
}

/** The cluster's keys in the forms the steps take. */
type ClusterKeys = {
  operatorIds: number[];
  pubkeys: PubkeyHex[];
  feeRecipients: Map<PubkeyHex, string>;
  validatorPubkeys: Map<PubkeyHex, Uint8Array>;
  /** validator pubkey → its place in the cluster definition (backup aggregation). */
  positions: Map<PubkeyHex, number>;
  sharePubkeys: Map<PubkeyHex, Map<number, Uint8Array>>;
};

/** What createDvNode builds before start (the tracker, signer and doppelganger live across it). */
type NodeBase = {
  opts: DvNodeOptions;
  index: number;
  keys: ClusterKeys;
  transport: { consensus: Transport; parsigex: Transport };
  beacon: BeaconNode;
  metrics: DvMetrics;
  ports: Ports;
  tracker: Tracker;
  doppelganger: Doppelganger;
  view: ProtectionView;
  signer: Signer;
};

/** The steps built at start. */
type Running = { scheduler: Scheduler; qbft: QbftNode; wired: Wired; stop(): void };

/** This operator's transport index; both transports must carry it and the cluster size. */
function operatorIndex(
  opts: DvNodeOptions,
  transport: { consensus: Transport; parsigex: Transport },
): number {
  const index = opts.cluster.operators.findIndex((op) => op.id === opts.operatorId);
  if (index < 0) {
    throw new InputError(`Operator ${opts.operatorId} is not in the cluster definition`, {
      field: "operatorId",
    });
  }
  const n = opts.cluster.operators.length;
  for (const [name, t] of Object.entries(transport)) {
    if (t.self !== index || t.n !== n) {
      throw new InputError(`The ${name} transport is for operator index ${t.self} of ${t.n}`, {
        field: `transport.${name}`,
        metaMessages: [`Expected index ${index} of ${n} (operator id ${opts.operatorId}).`],
      });
    }
  }
  return index;
}

function clusterKeys(cluster: DvCluster): ClusterKeys {
  const pubkeys = cluster.validators.map((v) => v.pubkey.toLowerCase());
  const sharePubkeys = new Map<PubkeyHex, Map<number, Uint8Array>>();
  for (const v of cluster.validators) {
    sharePubkeys.set(
      v.pubkey.toLowerCase(),
      new Map(v.shares.map((s) => [s.operatorId, fromHex(s.pubkey)])),
    );
  }
  return {
    operatorIds: cluster.operators.map((op) => op.id),
    pubkeys,
    feeRecipients: new Map(cluster.validators.map((v) => [v.pubkey.toLowerCase(), v.feeRecipient])),
    validatorPubkeys: new Map(pubkeys.map((pk) => [pk, fromHex(pk)])),
    positions: new Map(pubkeys.map((pk, i) => [pk, i])),
    sharePubkeys,
  };
}

/** The operator's shares, each checked against the definition's share public key. */
function checkedShares(opts: DvNodeOptions, keys: ClusterKeys): Map<PubkeyHex, Uint8Array> {
  const shares = new Map<PubkeyHex, Uint8Array>();
  for (const [pk, secret] of opts.shares) {
    const key = pk.toLowerCase();
    const expected = keys.sharePubkeys.get(key)?.get(opts.operatorId);
    if (!expected) {
      throw new InputError(`Share for ${key} is not a validator of this cluster`, {
        field: "shares",
      });
    }
    if (!bytesEqual(publicKeyOf(secret), expected)) {
      throw new VerificationError(
        `Share for validator ${key} does not match operator ${opts.operatorId}'s share public key`,
      );
    }
    shares.set(key, secret);
  }
  return shares;
}

function checkSlashingDbNetwork(db: SlashingProtectionDb, chain: ChainInfo): void {
  const gvr = db.genesisValidatorsRoot;
  if (gvr !== undefined && gvr !== toHex(chain.genesisValidatorsRoot)) {
    throw new InputError("The slashing-protection database is for another network", {
      metaMessages: [`Database: ${gvr}`, `Beacon node: ${toHex(chain.genesisValidatorsRoot)}`],
    });
  }
}

/**
 * Build the steps that need the chain (scheduler, consensus, dutydb, sigagg, parsigex, fetcher,
 * broadcaster) with their ports, and wire them; the doppelganger watch starts at the next whole
 * epoch (liveness earlier in a partly elapsed epoch cannot be told apart from the cluster's own
 * signatures this operator was not up to see).
 */
/** The proposer's builder options (`builder` node option, see its doc); undefined = local only. */
function proposerBuilder(
  o: NonNullable<DvNodeOptions["options"]>,
  feeRecipients: ReadonlyMap<PubkeyHex, string>,
  chain: ChainInfo,
): ProposerBuilderOptions | undefined {
  const b = o.builder;
  if (!b || (!b.registrations && b.boostFactor === undefined) || b.boostFactor === 0n) return;
  return {
    boostFactor: b.boostFactor,
    minBidWei: b.minBidWei ?? 0n,
    feeRecipients,
    chain,
    onFallback: (slot, pk, why) =>
      o.onError?.(
        `builder proposal for slot ${slot}`,
        new BaseError(`Proposing a local block for ${pk.slice(0, 12)}…: ${why}`),
      ),
  };
}

function startSteps(b: NodeBase, chain: ChainInfo): Running {
  const { opts, keys } = b;
  const o = opts.options ?? {};
  const clock = opts.clock;
  const genesisClockMs = o.genesisClockMs ?? chain.genesisTime * 1000 - Date.now() + clock.now();
  const roots = createSigningRoots(chain);
  const handlers = createDutyHandlers({
    builderRegistration: o.builder?.registrations
      ? {
          chain,
          gasLimit: o.builder.gasLimit ?? DEFAULT_GAS_LIMIT,
          feeRecipients: keys.feeRecipients,
        }
      : undefined,
    proposer: proposerBuilder(o, keys.feeRecipients, chain),
  });
  const scheduler = buildScheduler(b, chain, genesisClockMs);
  const qbft = buildConsensus(b, chain, roots, indexHandlers(handlers));
  const sigagg = buildSigAgg(b);
  const parsigex = buildParSigEx(b, scheduler);
  const wired = wire(b.ports, {
    clock,
    slotsPerEpoch: chain.slotsPerEpoch,
    roots,
    scheduler,
    fetcher: createFetcher(b.beacon, {
      chain,
      feeRecipients: keys.feeRecipients,
      onError: o.onError,
    }),
    qbft,
    dutydb: createDutyDb(),
    signer: b.signer,
    parsigex,
    sigagg,
    broadcaster: createBroadcaster(b.beacon, {
      sleep: (ms) => new Promise<void>((r) => clock.setTimeout(r, ms)),
    }),
    tracker: b.tracker,
    metrics: b.metrics,
    graffiti: graffitiBytes(o.graffiti),
    parsigexRetries: o.parsigexRetries ?? DEFAULT_PARSIGEX_RETRIES,
    parsigexRetryMs: o.parsigexRetryMs ?? DEFAULT_PARSIGEX_RETRY_MS,
    onEvent: o.onEvent,
    doppelganger: b.doppelganger,
    consensusTransport: b.transport.consensus,
    backup: {
      index: b.index,
      n: keys.operatorIds.length,
      positions: keys.positions,
      delayMs: o.aggregationBackupDelayMs ?? (chain.secondsPerSlot * 1000) / 6,
    },
    onValidator: o.onValidator,
    signingGates: o.signingGates,
    dutyWindow: o.dutyWindow,
    handlers,
  });
  const epochMs = chain.slotsPerEpoch * scheduler.slotMs;
  b.doppelganger.start(Math.max(0, Math.ceil((clock.now() - genesisClockMs) / epochMs)));
  return {
    scheduler,
    qbft,
    wired,
    stop() {
      scheduler.stop();
      wired.stop();
      qbft.close();
      parsigex.close();
    },
  };
}

function buildScheduler(b: NodeBase, chain: ChainInfo, genesisClockMs: number): Scheduler {
  const o = b.opts.options ?? {};
  return createScheduler({
    clock: b.opts.clock,
    chain,
    genesisClockMs,
    beacon: b.beacon,
    pubkeys: [...b.keys.validatorPubkeys.values()],
    offsets: o.offsets,
    attestOnHead: o.attestOnHead,
    feeRecipients: b.keys.feeRecipients,
    aggregation: o.aggregation,
    builderRegistrations: o.builder?.registrations,
    onDuty: (d, defs) => b.ports.onDuty(d, defs),
    onSlot: (s) => b.ports.onSlot(s),
    onError: o.onError,
    onValidator: (ch) => b.ports.onValidator(ch),
  });
}

/** QBFT with the validity check (it reads the slashing-protection view the signer advances). */
function buildConsensus(
  b: NodeBase,
  chain: ChainInfo,
  roots: SigningRoots,
  handlers: ReadonlyMap<number, DutyHandler>,
): QbftNode {
  const { opts, keys, metrics, ports } = b;
  return createQbftNode({
    timer: slotScaledTimer(chain.secondsPerSlot * 1000),
    ...opts.options?.qbft,
    n: keys.operatorIds.length,
    self: b.index,
    transport: b.transport.consensus,
    clock: opts.clock,
    signer: opts.identity.signer,
    verifier: opts.identity.verifier,
    isValid: createValidityCheck({
      chain,
      roots,
      view: b.view,
      validators: new Set(keys.pubkeys),
      feeRecipients: keys.feeRecipients,
      localDuty: (slot, type, pk) => ports.localDuty(slot, type, pk),
      onReject: (reason) => metrics.consensusRejected.inc({ reason }),
      handlers,
    }),
  });
}

function buildSigAgg(b: NodeBase): SigAgg {
  const { ports, metrics } = b;
  return createSigAgg({
    threshold: b.opts.cluster.threshold,
    validatorPubkeys: b.keys.validatorPubkeys,
    sharePubkeys: b.keys.sharePubkeys,
    onAggregated: (d, pk, root, sig, backup) => ports.onAggregated(d, pk, root, sig, backup),
    count: (l, by) => metrics.parsigex.inc({ event: `sigagg.${l}` }, by),
    deferMs: (d, pk) => ports.deferMs(d, pk),
    setTimer: (ms, cb) => {
      b.opts.clock.setTimeout(cb, ms);
    },
  });
}

function buildParSigEx(b: NodeBase, scheduler: Scheduler): ParSigEx {
  return createParSigEx({
    transport: b.transport.parsigex,
    operatorIds: b.keys.operatorIds,
    sharePubkeys: b.keys.sharePubkeys,
    currentSlot: () => scheduler.currentSlot(),
    onReceived: (d, partials, from) => b.ports.onReceived(d, partials, from),
    count: (l, by) => b.metrics.parsigex.inc({ event: l }, by),
  });
}

/** Block graffiti: UTF-8, truncated to 32 bytes, zero-padded (default "rpdvt"). */
function graffitiBytes(text: string | undefined): Uint8Array {
  const graffiti = new Uint8Array(32);
  graffiti.set(new TextEncoder().encode(text ?? "rpdvt").subarray(0, 32));
  return graffiti;
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
