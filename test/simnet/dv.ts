/**
 * DV cluster harness on the simulated network: real BLS keys split with src/keysplit/split.ts,
 * a real cluster definition (hash included), one real slashing-protection database file per
 * operator (in `dataDir`), the simulated beacon node (a view per operator, one shared judge), and
 * n {@link DvNode}s with their two channels (consensus, parsigex) multiplexed over one simnet
 * transport by a 1-byte channel prefix. Crash = stop the node, drop its memory and close its
 * database; restart = a fresh node on the same database file.
 *
 * Byzantine behaviours are built from what a faulty operator has — its own identity key, its own
 * key shares, the network: an equivocating consensus leader, corrupted partial signatures
 * (garbage bytes or a valid signature by a wrong key), and floods of random / mutated / replayed
 * messages on both channels.
 *
 * The network is abstracted as {@link DvNetwork} so benchmarks can swap the simnet for another
 * transport (e.g. real libp2p on the system clock).
 */
import { join } from "node:path";
import { SecretKey } from "@chainsafe/blst";
import {
  decodeEnvelope,
  encodeEnvelope,
  hashValue,
  signingBytes,
} from "../../src/core/consensus/codec.js";
import { type Signer, secp256k1TestKeys, type Verifier } from "../../src/core/consensus/signer.js";
import { MsgType } from "../../src/core/consensus/types.js";
import { createDvNode, type DvNode, type DvNodeOptions } from "../../src/core/node.js";
import { decodeParSigMessage, encodeParSigMessage } from "../../src/core/parsigex/parsigex.js";
import type { Clock, MessageHandler, Transport } from "../../src/core/transport.js";
import type { PubkeyHex } from "../../src/core/types.js";
import { CURVE_ORDER, publicKeyOf } from "../../src/crypto/bls.js";
import type { ClusterDefinition } from "../../src/keysplit/cluster.js";
import { clusterDefinitionHash } from "../../src/keysplit/cluster-hash.js";
import { splitValidatorKey } from "../../src/keysplit/split.js";
import { SlashingProtectionDb } from "../../src/slashing/db.js";
import { toHex } from "../../src/util/hex.js";
import { createSimBeacon, type SimBeacon, type SimBeaconOptions } from "./beacon.js";
import { mutate } from "./byzantine.js";
import { createSimnet, type Simnet } from "./network.js";
import { createPrng, type Prng } from "./prng.js";
import { macTestSigning } from "./signing.js";

/**
 * Channel prefix byte of consensus messages on the shared simnet transport.
 *
 * @example
 * if (bytes[0] === CH_CONSENSUS) decodeEnvelope(bytes.subarray(1));
 */
export const CH_CONSENSUS = 1;
/**
 * Channel prefix byte of parsigex messages on the shared simnet transport.
 *
 * @example
 * if (bytes[0] === CH_PARSIGEX) decodeParSigMessage(bytes.subarray(1));
 */
export const CH_PARSIGEX = 2;

/**
 * A network for a DV cluster: two channels per operator plus clocks and a way to let time pass.
 *
 * @example
 * const net: DvNetwork = simnetDvNetwork(createSimnet({ n: 4, seed: 1 }));
 * await net.run(net.now() + 12_000);
 */
export interface DvNetwork {
  readonly n: number;
  transports(i: number): { consensus: Transport; parsigex: Transport };
  clock(i: number): Clock;
  /** Clock for drivers (never affected by crashes). */
  readonly globalClock: Clock;
  now(): number;
  run(untilMs: number): Promise<void>;
}

/**
 * Prefix every message with a channel byte; deliver only that channel's messages.
 *
 * @example
 * const consensus = muxTransport(net.transport(0), CH_CONSENSUS);
 */
export function muxTransport(base: Transport, channel: number): Transport {
  const wrap = (bytes: Uint8Array): Uint8Array => {
    const out = new Uint8Array(bytes.length + 1);
    out[0] = channel;
    out.set(bytes, 1);
    return out;
  };
  return {
    self: base.self,
    n: base.n,
    send: (to, bytes) => base.send(to, wrap(bytes)),
    broadcast: (bytes) => base.broadcast(wrap(bytes)),
    onMessage(cb: MessageHandler) {
      return base.onMessage((from, bytes) => {
        if (bytes[0] === channel) cb(from, bytes.subarray(1));
      });
    },
  };
}

/**
 * The simnet as a {@link DvNetwork} (two channels muxed over one transport).
 *
 * @example
 * const dvnet = simnetDvNetwork(net);
 */
export function simnetDvNetwork(net: Simnet): DvNetwork {
  return {
    n: net.n,
    transports: (i) => ({
      consensus: muxTransport(net.transport(i), CH_CONSENSUS),
      parsigex: muxTransport(net.transport(i), CH_PARSIGEX),
    }),
    clock: (i) => net.clock(i),
    globalClock: net.globalClock,
    now: () => net.now(),
    run: (until) => net.run(until),
  };
}

/**
 * A random valid BLS secret key from a PRNG (tests only): 32 bytes reduced below the curve order.
 *
 * @example
 * const sk = randomSecret(createPrng(1));
 */
export function randomSecret(rng: Prng): Uint8Array {
  for (;;) {
    const b = rng.bytes(32);
    b[0] = (b[0] as number) & 0x3f; // < 2^254 < r… almost; checked below
    const v = BigInt(`0x${Buffer.from(b).toString("hex")}`);
    if (v > 0n && v < CURVE_ORDER) return b;
  }
}

/** Fee recipient of simulated validator i: "0x1000…0<i+1>" (digits only, so valid EIP-55). */
const simFeeRecipient = (i: number): string => `0x1${String(i + 1).padStart(39, "0")}`;

/**
 * Options of {@link createDvSimCluster}.
 *
 * @example
 * const o: DvSimOptions = { n: 4, validators: 4, seed: 1, dataDir, latencyMs: 20 };
 */
export type DvSimOptions = {
  n: 4 | 7 | 10 | 13;
  validators: number;
  seed: number;
  /** Directory for the operators' slashing-protection databases (tests: an mkdtemp dir). */
  dataDir: string;
  latencyMs?: number | undefined;
  jitterMs?: number | undefined;
  dropRate?: number | undefined;
  /** Operator identity signatures: cheap MAC (default) or real secp256k1. */
  signing?: "mac" | "secp256k1" | undefined;
  /** Simulated beacon options (e.g. `{ electraEpoch: 0 }`: Electra from genesis). */
  beacon?: Partial<Omit<SimBeaconOptions, "clock" | "validators">> | undefined;
  node?: DvNodeOptions["options"] | undefined;
  /** Use this network instead of a fresh simnet (benchmarks). */
  network?: ((n: number) => DvNetwork) | undefined;
};

/**
 * The harness. See {@link createDvSimCluster}.
 *
 * @example
 * const c = await createDvSimCluster(opts);
 * await c.startAll();
 * await c.runSlots(8);
 */
export interface DvSimCluster {
  readonly n: number;
  readonly threshold: number;
  readonly sim: Simnet | undefined;
  readonly network: DvNetwork;
  readonly beacon: SimBeacon;
  /** Per-operator beacon views (override/down independently). */
  readonly beacons: SimBeacon[];
  readonly cluster: ClusterDefinition;
  readonly pubkeys: PubkeyHex[];
  /** Full validator secrets (tests that play a doppelganger / baseline). */
  readonly secrets: Uint8Array[];
  readonly shares: Map<PubkeyHex, Uint8Array>[];
  readonly identity: { signers: Signer[]; verifier: Verifier };
  readonly nodes: (DvNode | undefined)[];
  readonly dbs: (SlashingProtectionDb | undefined)[];
  slotMs: number;
  /** Start node i (fresh memory, its database file reopened). */
  startNode(i: number, extra?: DvNodeOptions["options"]): Promise<DvNode>;
  startAll(extra?: DvNodeOptions["options"]): Promise<void>;
  /** Stop node i, drop its memory, close its database, cut it from the network. */
  crash(i: number): void;
  restart(i: number, extra?: DvNodeOptions["options"]): Promise<DvNode>;
  /** Run until the start of slot `slot` (+ `extraMs`). */
  runToSlot(slot: number, extraMs?: number): Promise<void>;
  /** Attester duties whose slot lies in [from, to). */
  attesterDuties(from: number, to: number): { validatorIndex: number; slot: number }[];
  /**
   * Byzantine: node i sends a different PRE-PREPARE value to the peers `alt` returns one for.
   * Returns a function counting the PRE-PREPAREs rewritten so far.
   */
  equivocate(
    i: number,
    alt: (value: Uint8Array, to: number) => Uint8Array | undefined,
  ): () => number;
  /** Byzantine: node i's partial signatures are garbage or signed by a wrong key. */
  corruptPartials(i: number, mode: "garbage" | "wrong-key"): void;
  /** Byzantine: node i floods both channels with random, mutated and replayed messages. */
  flood(i: number, o: { everyMs: number; perTick: number; untilMs: number }): void;
  close(): void;
}

/**
 * Build the keys, cluster, databases, beacon and network (nodes are started separately).
 *
 * @example
 * const c = await createDvSimCluster({ n: 4, validators: 4, seed: 7, dataDir });
 * await c.startAll();
 * await c.runToSlot(10);
 * assert.deepEqual(c.beacon.slashings, []);
 */
export async function createDvSimCluster(o: DvSimOptions): Promise<DvSimCluster> {
  const n = o.n;
  const ids = Array.from({ length: n }, (_, i) => i + 1);
  const rng = createPrng(o.seed ^ 0x5eed);
  const secrets = Array.from({ length: o.validators }, () => randomSecret(rng));
  const split = secrets.map((secret) =>
    splitValidatorKey({ pubkey: publicKeyOf(secret), secret }, ids),
  );
  const threshold = split[0]?.threshold ?? Math.floor((2 * n) / 3) + 1;
  const plain = {
    version: "rpdvt-cluster/v1",
    name: `sim-${o.seed}`,
    createdAt: "2025-01-01T00:00:00.000Z",
    threshold,
    operators: ids.map((id) => ({ id, identity: null })),
    validators: split.map((sv, i) => ({
      pubkey: toHex(sv.pubkey),
      shares: sv.shares.map((s) => ({ operatorId: s.id, pubkey: toHex(s.pubkey) })),
      feeRecipient: simFeeRecipient(i),
    })),
  };
  const cluster = { ...plain, hash: clusterDefinitionHash(plain) } as ClusterDefinition;
  const pubkeys = split.map((sv) => toHex(sv.pubkey));
  const shares = ids.map(
    (_, i) =>
      new Map(
        split.map((sv) => [toHex(sv.pubkey), (sv.shares[i] as { secret: Uint8Array }).secret]),
      ),
  );
  const sim = o.network
    ? undefined
    : createSimnet({
        n,
        seed: o.seed,
        latencyMs: o.latencyMs ?? 10,
        jitterMs: o.jitterMs ?? 0,
        dropRate: o.dropRate ?? 0,
      });
  const network = o.network ? o.network(n) : simnetDvNetwork(sim as Simnet);
  const identity =
    o.signing === "secp256k1" ? secp256k1TestKeys(n, o.seed) : macTestSigning(n, o.seed);
  const beacon = createSimBeacon({
    clock: network.globalClock,
    validators: split.map((sv) => sv.pubkey),
    seed: o.seed,
    slotsPerEpoch: 4,
    ...o.beacon,
  });
  const beacons = ids.map(() => beacon.view());
  const slotMs = beacon.chain.secondsPerSlot * 1000;
  const nodes: (DvNode | undefined)[] = ids.map(() => undefined);
  const dbs: (SlashingProtectionDb | undefined)[] = ids.map(() => undefined);
  const filters: Map<number, ((to: number, b: Uint8Array) => Uint8Array[])[]> = new Map();
  const stoppers: (() => void)[] = [];

  const setFilter = (i: number, f: (to: number, b: Uint8Array) => Uint8Array[]): void => {
    if (!sim) return;
    const list = filters.get(i) ?? [];
    list.push(f);
    filters.set(i, list);
    sim.setOutbound(i, (to, bytes) =>
      list.reduce<Uint8Array[]>((acc, fn) => acc.flatMap((b) => fn(to, b)), [bytes]),
    );
  };
  const prefixed = (ch: number, b: Uint8Array): Uint8Array => {
    const out = new Uint8Array(b.length + 1);
    out[0] = ch;
    out.set(b, 1);
    return out;
  };

  const startNode = async (i: number, extra?: DvNodeOptions["options"]): Promise<DvNode> => {
    const db = SlashingProtectionDb.open(join(o.dataDir, `operator-${ids[i]}`), {
      genesisValidatorsRoot: beacon.chain.genesisValidatorsRoot,
    });
    dbs[i] = db;
    const node = createDvNode({
      cluster,
      operatorId: ids[i] as number,
      shares: shares[i] as Map<PubkeyHex, Uint8Array>,
      transport: network.transports(i),
      clock: network.clock(i),
      beacon: beacons[i] as SimBeacon,
      slashingDb: db,
      identity: { signer: identity.signers[i] as Signer, verifier: identity.verifier },
      options: {
        genesisClockMs: beacon.genesisClockMs,
        doppelgangerEpochs: 0,
        ...o.node,
        ...extra,
      },
    });
    nodes[i] = node;
    await node.start();
    return node;
  };

  const crash = (i: number): void => {
    nodes[i]?.stop();
    nodes[i] = undefined;
    dbs[i]?.close();
    dbs[i] = undefined;
    sim?.crash(i);
  };

  const c: DvSimCluster = {
    n,
    threshold,
    sim,
    network,
    beacon,
    beacons,
    cluster,
    pubkeys,
    secrets,
    shares,
    identity,
    nodes,
    dbs,
    slotMs,
    startNode,
    async startAll(extra) {
      for (let i = 0; i < n; i++) if (!sim || sim.isUp(i)) await startNode(i, extra);
    },
    crash,
    async restart(i, extra) {
      sim?.restart(i);
      return startNode(i, extra);
    },
    runToSlot: (slot, extraMs = 0) => network.run(beacon.genesisClockMs + slot * slotMs + extraMs),
    attesterDuties(from, to) {
      const out: { validatorIndex: number; slot: number }[] = [];
      for (let s = from; s < to; s++) {
        for (const d of beacon.dutiesAt(s)) out.push({ validatorIndex: d.validatorIndex, slot: s });
      }
      return out;
    },
    equivocate(i, alt) {
      const signer = identity.signers[i] as Signer;
      let rewritten = 0;
      setFilter(i, (to, bytes) => {
        if (bytes[0] !== CH_CONSENSUS) return [bytes];
        const r = decodeEnvelope(bytes.subarray(1));
        if (!r.ok || r.envelope.msg.type !== MsgType.PrePrepare || r.envelope.msg.source !== i) {
          return [bytes];
        }
        const { msg, value, justification } = r.envelope;
        const v = value ? alt(value, to) : undefined;
        if (!v) return [bytes];
        const m = { ...msg, valueHash: hashValue(v) };
        const signed = { ...m, signature: signer.sign(signingBytes(m)) };
        rewritten++;
        return [prefixed(CH_CONSENSUS, encodeEnvelope({ msg: signed, value: v, justification }))];
      });
      return () => rewritten;
    },
    corruptPartials(i, mode) {
      const prng = createPrng(o.seed + 1000 + i);
      const wrongKey = SecretKey.fromBytes(randomSecret(prng));
      setFilter(i, (_to, bytes) => {
        if (bytes[0] !== CH_PARSIGEX) return [bytes];
        const m = decodeParSigMessage(bytes.subarray(1));
        if (!m) return [bytes];
        const partials = m.partials.map((p) => ({
          ...p,
          signature: mode === "garbage" ? prng.bytes(96) : wrongKey.sign(p.signingRoot).toBytes(),
        }));
        return [prefixed(CH_PARSIGEX, encodeParSigMessage({ ...m, partials }))];
      });
    },
    flood(i, f) {
      if (!sim) return;
      const prng = createPrng(o.seed + 2000 + i);
      const seen: Uint8Array[] = [];
      sim.transport(i).onMessage((_from, bytes) => {
        seen.push(bytes);
        if (seen.length > 128) seen.shift();
      });
      let stopped = false;
      const tick = (): void => {
        if (stopped || sim.now() > f.untilMs) return;
        for (let to = 0; to < n; to++) {
          if (to === i) continue;
          for (let k = 0; k < f.perTick; k++) {
            const sample = seen.length ? seen[prng.int(seen.length)] : undefined;
            const roll = prng.next();
            let b: Uint8Array;
            if (sample && roll < 0.3)
              b = sample; // replay of someone else's message
            else if (sample && roll < 0.8)
              b = prefixed(sample[0] ?? 1, mutate(prng, sample.subarray(1)));
            else b = prefixed(1 + prng.int(2), prng.bytes(prng.int(400)));
            sim.inject(i, to, b);
          }
        }
        sim.globalClock.setTimeout(tick, f.everyMs);
      };
      sim.globalClock.setTimeout(tick, f.everyMs);
      stoppers.push(() => {
        stopped = true;
      });
    },
    close() {
      for (const s of stoppers) s();
      for (let i = 0; i < n; i++) {
        nodes[i]?.stop();
        dbs[i]?.close();
      }
    },
  };
  return c;
}
