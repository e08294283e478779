/**
 * One DV operator in its own process, for bench/dv.bench.ts `--processes`: its own real libp2p
 * transport on 127.0.0.1 (consensus on the QBFT protocol, parsigex on its own channel), its own
 * DV node, slashing-protection database (synchronous=FULL) and simulated beacon node (built from
 * the same seed, validators and genesis as every other operator's, so all see the same chain and
 * duties). Driven by its parent over the fork IPC channel:
 *
 *   parent → init  ⇒ worker → address (listening)
 *   parent → peers ⇒ worker → connected (to every other operator)
 *   parent → start ⇒ worker → started (node running)
 *   parent → cpu   (clock times of the measured window; the worker samples process CPU there)
 *   parent → stop  ⇒ worker → result (event times, CPU ms) and exits
 *
 * Times: every process reads one clock, the parent's `performance.now()` (its timeOrigin is
 * passed in), so event times and slot boundaries are comparable across processes.
 *
 * WAN (`init.wan`): every peer is dialed through a delaying TCP link (bench/wan-link.ts: one-way
 * delay + jitter, loss as TCP retransmissions), so every byte between two operators crosses one
 * link whichever side dialed; `init.down` operators are not started (the others wait for the
 * rest only). `init.allDuties`: every duty type at its spec offset with aggregation (else the
 * attester duty alone at offset 0, as before); each type's start and decided times are recorded.
 */
import { join } from "node:path";
import { secp256k1TestKeys } from "../src/core/consensus/signer.js";
import { createDvNode, type DvNode } from "../src/core/node.js";
import type { Clock } from "../src/core/transport.js";
import { DutyType, type PubkeyHex } from "../src/core/types.js";
import type { ClusterDefinition } from "../src/keysplit/cluster.js";
import { toHostPort } from "../src/p2p/address.js";
import { identityFromSecretKey } from "../src/p2p/identity.js";
import { createP2PTransport, type P2PTransport } from "../src/p2p/transport.js";
import { SlashingProtectionDb } from "../src/slashing/db.js";
import { fromHex } from "../src/util/hex.js";
import { createSimBeacon } from "../test/simnet/beacon.js";
import { startWanLink, type WanLink, type WanLinkModel } from "./wan-link.js";

/**
 * Parent → worker messages.
 *
 * @example
 * child.send({ type: "peers", addresses } satisfies ToWorker);
 */
export type ToWorker =
  | {
      type: "init";
      index: number;
      seed: number;
      cluster: ClusterDefinition;
      /** This operator's shares: [validator pubkey, share secret hex]. */
      shares: [PubkeyHex, string][];
      /** Every operator's libp2p identity secret key (hex; test keys). */
      identities: string[];
      dataDir: string;
      beacon: { slotsPerEpoch: number; secondsPerSlot: number; genesisClockMs: number };
      /** The parent's performance.timeOrigin: clock 0 of every process. */
      origin: number;
      /** Dial every peer through a delaying link with this model. */
      wan?: WanLinkModel | undefined;
      /** Operator indices that are not running (one operator down). */
      down?: number[] | undefined;
      /** Every duty type at its spec offset, with aggregation. */
      allDuties?: boolean | undefined;
    }
  | { type: "peers"; addresses: string[] }
  | { type: "start" }
  | { type: "cpu"; fromMs: number; toMs: number }
  | { type: "stop" };

/**
 * Worker → parent messages.
 *
 * @example
 * process.send?.({ type: "connected" } satisfies FromWorker);
 */
export type FromWorker =
  | { type: "address"; address: string }
  | { type: "connected" }
  | { type: "started" }
  | {
      type: "result";
      /** slot → clock time the attester duty started here. */
      start: [number, number][];
      /** `${slot}/${pubkey}` → clock time of each step here. */
      decided: [string, number][];
      signed: [string, number][];
      ready: [string, number][];
      /** Process CPU (user + system) in the measured window, ms. */
      cpuMs: number;
      /** `${type}/${slot}` → clock time that duty type started here (its first validator). */
      typeStart: [string, number][];
      /** `${type}/${slot}/${pubkey}` → clock time decided here. */
      typeDecided: [string, number][];
      /** Delaying links: chunks sent, chunks charged a retransmission. */
      wan?: { chunks: number; lost: number } | undefined;
    };

const send = (m: FromWorker): void => {
  process.send?.(m);
};

let init: Extract<ToWorker, { type: "init" }> | undefined;
let transport: P2PTransport | undefined;
let node: DvNode | undefined;
let db: SlashingProtectionDb | undefined;
let clock: Clock | undefined;
let cpuMs = Number.NaN;
const start = new Map<number, number>();
const decided = new Map<string, number>();
const signed = new Map<string, number>();
const ready = new Map<string, number>();
const typeStart = new Map<string, number>();
const typeDecided = new Map<string, number>();
const links: WanLink[] = [];

async function onInit(m: Extract<ToWorker, { type: "init" }>): Promise<void> {
  init = m;
  const origin = m.origin;
  clock = {
    now: () => performance.timeOrigin + performance.now() - origin,
    setTimeout(cb, ms) {
      const t = setTimeout(cb, Math.max(0, ms));
      return () => clearTimeout(t);
    },
  };
  const ids = m.identities.map((h) => identityFromSecretKey(fromHex(h)));
  transport = await createP2PTransport({
    identity: ids[m.index] as (typeof ids)[number],
    self: m.index,
    peers: ids.map((id, j) => ({ index: j, publicKey: id.publicKey })),
    listen: "127.0.0.1:0",
    redial: { initialMs: 50, maxMs: 400 },
    dialGraceMs: 300,
  });
  transport.channel("parsigex");
  await transport.start();
  send({ type: "address", address: toHostPort(transport.addresses()[0] as string) });
}

async function onPeers(addresses: string[]): Promise<void> {
  const t = transport as P2PTransport;
  const m = init as NonNullable<typeof init>;
  const down = new Set(m.down ?? []);
  for (const [j, a] of addresses.entries()) {
    if (j === t.self || down.has(j)) continue;
    if (!m.wan) {
      t.setPeerAddress(j, a);
      continue;
    }
    // One link per ordered pair; seeded by the pair, so runs repeat.
    const link = await startWanLink({
      target: a,
      model: m.wan,
      seed: m.seed * 1000 + t.self * 31 + j,
    });
    links.push(link);
    t.setPeerAddress(j, link.address);
  }
  const want = t.n - 1 - [...down].filter((j) => j !== t.self).length;
  while (t.connectedPeers().length < want) await new Promise((r) => setTimeout(r, 10));
  send({ type: "connected" });
}

async function onStart(): Promise<void> {
  const m = init as NonNullable<typeof init>;
  const c = clock as Clock;
  const t = transport as P2PTransport;
  const beacon = createSimBeacon({
    clock: c,
    validators: m.cluster.validators.map((v) => fromHex(v.pubkey)),
    seed: m.seed,
    verifySubmissions: false,
    ...m.beacon,
  });
  const operatorId = m.cluster.operators[m.index]?.id as number;
  db = SlashingProtectionDb.open(join(m.dataDir, `operator-${operatorId}`), {
    genesisValidatorsRoot: beacon.chain.genesisValidatorsRoot,
  });
  const keys = secp256k1TestKeys(t.n, m.seed);
  node = createDvNode({
    cluster: m.cluster,
    operatorId,
    shares: new Map(m.shares.map(([pk, s]) => [pk, fromHex(s)])),
    transport: { consensus: t, parsigex: t.channel("parsigex") },
    clock: c,
    beacon: beacon.view(),
    slashingDb: db,
    identity: {
      signer: keys.signers[m.index] as (typeof keys.signers)[number],
      verifier: keys.verifier,
    },
    options: {
      genesisClockMs: m.beacon.genesisClockMs,
      doppelgangerEpochs: 0,
      ...(m.allDuties ? {} : { aggregation: false, offsets: { attester: 0 } }),
      onEvent: (e) => {
        const now = c.now();
        const tk = `${e.duty.type}/${e.duty.slot}`;
        if (e.step === "duty" && !typeStart.has(tk)) typeStart.set(tk, now);
        if (e.step === "decided" && !typeDecided.has(`${tk}/${e.pubkey}`)) {
          typeDecided.set(`${tk}/${e.pubkey}`, now);
        }
        if (e.duty.type !== DutyType.Attester) return;
        if (e.step === "duty" && !start.has(e.duty.slot)) start.set(e.duty.slot, now);
        const k = `${e.duty.slot}/${e.pubkey}`;
        const into =
          e.step === "decided"
            ? decided
            : e.step === "signed"
              ? signed
              : e.step === "aggregated"
                ? ready
                : undefined;
        if (into && !into.has(k)) into.set(k, now);
      },
    },
  });
  await node.start();
  send({ type: "started" });
}

function onCpu(fromMs: number, toMs: number): void {
  const c = clock as Clock;
  c.setTimeout(() => {
    const cpu0 = process.cpuUsage();
    c.setTimeout(() => {
      const cpu = process.cpuUsage(cpu0);
      cpuMs = (cpu.user + cpu.system) / 1000;
    }, toMs - c.now());
  }, fromMs - c.now());
}

async function onStop(): Promise<void> {
  if (process.env.RPDVT_BENCH_DEBUG) {
    console.error(
      `dv-worker ${init?.index}: QBFT ${JSON.stringify(node?.consensusStats()?.counters)}`,
    );
  }
  node?.stop();
  db?.close();
  await transport?.stop();
  await Promise.all(links.map((l) => l.close()));
  const result: FromWorker = {
    type: "result",
    start: [...start],
    decided: [...decided],
    signed: [...signed],
    ready: [...ready],
    cpuMs,
    typeStart: [...typeStart],
    typeDecided: [...typeDecided],
    wan: links.length
      ? {
          chunks: links.reduce((a, l) => a + l.stats.chunks, 0),
          lost: links.reduce((a, l) => a + l.stats.lost, 0),
        }
      : undefined,
  };
  // Exit once the result is out (so a --cpu-prof profile gets written; lingering handles don't matter).
  process.send?.(result, () => process.exit(0));
}

process.on("message", (m: ToWorker) => {
  const done = (p: Promise<void> | void): void => {
    Promise.resolve(p).catch((err: unknown) => {
      console.error(`dv-worker: ${m.type} failed:`, err);
      process.exit(1);
    });
  };
  if (m.type === "init") done(onInit(m));
  else if (m.type === "peers") done(onPeers(m.addresses));
  else if (m.type === "start") done(onStart());
  else if (m.type === "cpu") onCpu(m.fromMs, m.toMs);
  else if (m.type === "stop") done(onStop());
});
