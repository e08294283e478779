/**
 * DV attester duty cost: for n = 4, 7 operators and 1, 100, 1,000 validators, the time from duty
 * start to aggregate ready (median / p99 per validator duty) and process CPU ms per slot, against
 * a single-signer baseline measured in the same run (one key signing the same duties with
 * slashing protection — batch check-and-insert in one transaction — and no consensus, no
 * exchange, no aggregation).
 *
 * Network: a transport factory (`DvNetwork`, test/simnet/dv.ts); default the simnet with zero
 * latency, so simulated time stands still and wall-clock time is pure CPU. All n operators run in
 * this ONE process, so "latency" here is the whole cluster's serial work until the first operator
 * has the aggregate (a real operator, on its own CPU, does ≈ 1/n of the per-slot CPU). Real BLS
 * (blst + herumi), real SQLite slashing DBs (synchronous=FULL) in a temp dir, MAC identity
 * signatures for QBFT (see bench/qbft.bench.ts for secp256k1's cost). Duties: SLOTS_PER_EPOCH =
 * 32, each validator attests once per epoch (≈ N/32 duties per slot). The beacon's judge does not
 * re-verify submissions here (its cost is not DV cost).
 *
 * Network `libp2p` (`--network libp2p`): every operator on its own real libp2p transport on
 * 127.0.0.1 (src/p2p/local-cluster.ts; consensus on the QBFT protocol, parsigex on its own
 * channel, noise + yamux over TCP), the system clock, real secp256k1 QBFT signatures, and the
 * simulated beacon (still the judge) on real time with short slots (see LIBP2P_PLAN). All n
 * operators and their transports still share this ONE process on 2 cores: CPU per slot is the
 * whole cluster's; per operator ≈ that / n. Latency then includes event-loop queueing behind the
 * other operators' work, so it is an upper bound on a real operator's on its own host.
 *
 * Per-process mode (`--processes`, implies libp2p): each operator in its OWN process
 * (bench/dv-worker.ts) with its own transport, node, database and simulated beacon (same seed and
 * genesis, so the same chain and duties), as on an operator's own host. CPU per slot is summed
 * over the processes; per operator it is the busiest process's. Still pessimistic on a 2-core
 * machine: n processes (plus the parent) share 2 cores, where real operators have their own.
 *
 * --quick: fewer slots (libp2p: see LIBP2P_PLAN; simnet: no 1,000-validator runs).
 * --samples FILE: append every duty's phase times (JSON lines; missed duties too, per-process
 * mode) — for finding what sets the tail. --cpu-prof DIR: per-process mode, a V8 CPU profile of
 * each operator process.
 * --validators V [--epochs E]: the scale table instead (bench/scale.ts: one 4-operator cluster with V
 * and V/10 validators, every duty type, E epochs; default 3,000 and 3).
 * --wan: the WAN table instead (bench/wan.ts: simulated WAN, one operator down, per duty type;
 * `--n 4,7` to limit the sizes).
 * --wan-libp2p [--n 4,7]: the per-process libp2p bench over delaying TCP links (bench/wan-link.ts:
 * 100 ms RTT, ±10 ms jitter, 1% loss as TCP retransmissions), one operator down, every duty type
 * at its spec offset of a 12 s slot, 100 validators: decided-by (until the threshold of operators
 * decided) median/p99 per duty type and the fraction decided within 2.5 s.
 * Run: npx tsx bench/dv.bench.ts [--quick] [--network simnet|libp2p] [--processes]
 *      [--only 4x100,7x1000] [--skip 13x1000] [--samples FILE] [--cpu-prof DIR] [--wan [--n 4,7]]
 * Reuse over another transport: import { runDvBench } and pass `network: (n) => myDvNetwork(n)`.
 */
import { type ChildProcess, fork } from "node:child_process";
import { appendFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SecretKey } from "@chainsafe/blst";
import { createSigningRoots } from "../src/core/domain.js";
import { systemClock } from "../src/core/transport.js";
import { DutyType, dutyTypeName, type PubkeyHex } from "../src/core/types.js";
import { generateIdentity } from "../src/p2p/identity.js";
import { type LocalCluster, startLocalCluster } from "../src/p2p/local-cluster.js";
import { SlashingProtectionDb } from "../src/slashing/db.js";
import { toHex } from "../src/util/hex.js";
import { createDvSimCluster, type DvNetwork, type DvSimCluster } from "../test/simnet/dv.js";
import type { FromWorker, ToWorker } from "./dv-worker.js";
import { printScaleTable } from "./scale.js";
import { ms, type Stats, summarize, table } from "./util.js";
import { printWanTable } from "./wan.js";
import type { WanLinkModel } from "./wan-link.js";

const quick = process.argv.includes("--quick");
const networkArg = process.argv[process.argv.indexOf("--network") + 1];
const networkMode: "simnet" | "libp2p" =
  process.argv.includes("--network") && networkArg === "libp2p" ? "libp2p" : "simnet";
if (process.argv.includes("--network") && networkArg !== "libp2p" && networkArg !== "simnet") {
  throw new Error("--network must be simnet or libp2p");
}
const SPE = 32;
/** `--cpu-prof DIR`: each operator process writes a V8 CPU profile there (open in Chrome DevTools). */
const cpuProfDir = process.argv.includes("--cpu-prof")
  ? process.argv[process.argv.indexOf("--cpu-prof") + 1]
  : undefined;
const workerProfileArgs = cpuProfDir ? ["--cpu-prof", `--cpu-prof-dir=${cpuProfDir}`] : [];
/** `--samples FILE`: append every sample's phases (JSON lines: slot, pubkey, ms from duty start). */
const samplesFile = process.argv.includes("--samples")
  ? process.argv[process.argv.indexOf("--samples") + 1]
  : undefined;

/**
 * Result of one configuration.
 *
 * @example
 * const r = await runDvBench({ n: 4, validators: 100, slots: 64 });
 */
export type DvBenchResult = {
  dv: Stats;
  baseline: Stats;
  /** CPU ms per slot of the whole cluster (all n operators). */
  dvCpuMsPerSlot: number;
  /** … of one operator: / n in one process; the busiest operator with `--processes`. */
  dvCpuMsPerOperatorSlot: number;
  baselineCpuMsPerSlot: number;
  duties: number;
  /** Duties never aggregated (real time only; 0 on the simnet, where that throws). */
  missed: number;
  slots: number;
  /** Medians of duty→decided, decided→signed, signed→aggregated (first operator each), ms. */
  phases: { consensus: number; sign: number; exchange: number };
};

/**
 * Run the DV cluster and the single-signer baseline over the same duties.
 *
 * @example
 * const r = await runDvBench({ n: 7, validators: 1000, slots: 64, network: (n) => libp2pNet(n) });
 */
export async function runDvBench(o: {
  n: 4 | 7 | 10 | 13;
  validators: number;
  slots: number;
  seed?: number;
  network?: ((n: number) => DvNetwork) | undefined;
  /** QBFT identity signatures (default MAC, as before). */
  signing?: "mac" | "secp256k1" | undefined;
  /**
   * Real-time network (system clock): the beacon runs on it with these slots, genesis now, and
   * the first measured slot is two slots after the nodes started.
   */
  realTime?: { secondsPerSlot: number; slotsPerEpoch?: number | undefined } | undefined;
}): Promise<DvBenchResult> {
  const dir = await mkdtemp(join(tmpdir(), "rpdvt-dv-bench-"));
  const rt = o.realTime;
  const c = await createDvSimCluster({
    n: o.n,
    validators: o.validators,
    seed: o.seed ?? 1,
    dataDir: dir,
    latencyMs: 0,
    network: o.network,
    signing: o.signing,
    beacon: rt
      ? {
          slotsPerEpoch: rt.slotsPerEpoch ?? SPE,
          verifySubmissions: false,
          secondsPerSlot: rt.secondsPerSlot,
          genesisClockMs: systemClock.now(),
        }
      : { slotsPerEpoch: SPE, verifySubmissions: false },
  });
  try {
    // ── DV cluster ────────────────────────────────────────────────────────────────────────────
    const start = new Map<number, number>(); // slot → wall time the duty started (first operator)
    const ready = new Map<string, number>(); // slot/pubkey → wall time of the first aggregate
    const decided = new Map<string, number>(); // slot/pubkey → first operator's decision
    const signed = new Map<string, number>(); // slot/pubkey → first operator's partial signed
    await c.startAll({
      aggregation: false,
      offsets: { attester: 0 },
      onEvent: (e) => {
        if (e.duty.type !== DutyType.Attester) return;
        const now = performance.now();
        if (e.step === "duty" && !start.has(e.duty.slot)) start.set(e.duty.slot, now);
        const k = `${e.duty.slot}/${e.pubkey}`;
        if (e.step === "aggregated" && !ready.has(k)) ready.set(k, now);
        if (e.step === "decided" && !decided.has(k)) decided.set(k, now);
        if (e.step === "signed" && !signed.has(k)) signed.set(k, now);
      },
    });
    const first = rt ? Math.floor((c.network.now() - c.beacon.genesisClockMs) / c.slotMs) + 2 : 1;
    await c.runToSlot(first);
    const cpu0 = process.cpuUsage();
    for (let s = first; s <= first + o.slots; s++) await c.runToSlot(s, 1);
    const cpu = process.cpuUsage(cpu0);
    const duties = c.attesterDuties(first, first + o.slots);
    const inWindow = (k: string): boolean => {
      const slot = Number(k.split("/")[0]);
      return slot >= first && slot < first + o.slots;
    };
    if (rt) {
      // Late aggregates (latency > one slot) still count: wait up to 3 more slots for them.
      for (let s = first + o.slots + 1; s <= first + o.slots + 3; s++) {
        if ([...ready.keys()].filter(inWindow).length >= duties.length) break;
        await c.runToSlot(s, 1);
      }
    }
    const { lat, phases } = latencies({ start, ready, decided, signed }, inWindow);
    // Real time: a duty not aggregated within 3 slots is reported as missed (column), not fatal.
    if (!rt && lat.length !== duties.length) {
      throw new Error(`n=${o.n} N=${o.validators}: ${lat.length} of ${duties.length} aggregated`);
    }
    const dvCpuMsPerSlot = (cpu.user + cpu.system) / 1000 / o.slots;
    c.close();

    const base = await measureBaseline(c, dir, first, o.slots);
    return {
      dv: summarize(lat),
      baseline: base.stats,
      dvCpuMsPerSlot,
      dvCpuMsPerOperatorSlot: dvCpuMsPerSlot / o.n,
      baselineCpuMsPerSlot: base.cpuMsPerSlot,
      duties: duties.length,
      missed: duties.length - lat.length,
      slots: o.slots,
      phases,
    };
  } finally {
    c.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Like {@link runDvBench} over real libp2p, but each operator runs in its OWN process
 * (bench/dv-worker.ts, child_process.fork), as on a real operator's own host: latency includes
 * no other operator's work, only the OS sharing this machine's cores between the n processes
 * (so on 2 cores it is still pessimistic for n > 2). CPU per operator is the busiest worker's.
 *
 * @example
 * const r = await runDvBenchProcesses({ n: 4, validators: 100, slots: 16, secondsPerSlot: 1, slotsPerEpoch: 32 });
 */
export async function runDvBenchProcesses(o: {
  n: 4 | 7 | 10 | 13;
  validators: number;
  slots: number;
  secondsPerSlot: number;
  slotsPerEpoch: number;
  seed?: number;
  /** Every link through a delaying TCP proxy (bench/wan-link.ts). */
  wan?: WanLinkModel | undefined;
  /** Operator indices not started (down for the whole run). */
  down?: readonly number[] | undefined;
  /** Every duty type at its spec offset with aggregation (else the attester alone at 0). */
  allDuties?: boolean | undefined;
}): Promise<DvBenchResult & { perType: ProcTypeResult[] }> {
  const dir = await mkdtemp(join(tmpdir(), "rpdvt-dv-bench-"));
  const seed = o.seed ?? 1;
  const sleepUntil = (t: number): Promise<void> =>
    new Promise((r) => setTimeout(r, Math.max(0, t - systemClock.now())));
  // Keys, cluster definition and the (deterministic) simulated beacon; the network is unused.
  const idle: DvNetwork = {
    n: o.n,
    transports: () => {
      throw new Error("per-process bench: operators have their own transports");
    },
    clock: () => systemClock,
    globalClock: systemClock,
    now: () => systemClock.now(),
    run: sleepUntil,
  };
  const beaconOpts = {
    slotsPerEpoch: o.slotsPerEpoch,
    secondsPerSlot: o.secondsPerSlot,
    genesisClockMs: systemClock.now(),
  };
  const c = await createDvSimCluster({
    n: o.n,
    validators: o.validators,
    seed,
    dataDir: dir,
    network: () => idle,
    beacon: { ...beaconOpts, verifySubmissions: false },
  });
  const identities = Array.from({ length: o.n }, () => toHex(generateIdentity().secretKey));
  const down = new Set(o.down ?? []);
  const up = Array.from({ length: o.n }, (_, i) => i).filter((i) => !down.has(i));
  const workers = up.map(() =>
    fork(new URL("./dv-worker.ts", import.meta.url).pathname, [], {
      execArgv: ["--import", "tsx", ...workerProfileArgs],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    }),
  );
  const next = (w: ChildProcess, type: FromWorker["type"]): Promise<FromWorker> =>
    new Promise((resolve, reject) => {
      const onMsg = (m: FromWorker): void => {
        if (m.type !== type) return;
        w.off("message", onMsg);
        w.off("exit", onExit);
        resolve(m);
      };
      const onExit = (code: number | null): void =>
        reject(new Error(`dv-worker exited (${code}) before "${type}"`));
      w.on("message", onMsg);
      w.once("exit", onExit);
    });
  const all = (type: FromWorker["type"], msg?: ToWorker): Promise<FromWorker[]> =>
    Promise.all(
      workers.map((w) => {
        const p = next(w, type);
        if (msg) w.send(msg);
        return p;
      }),
    );
  try {
    const upAddresses = await Promise.all(
      workers.map((w, wi) => {
        const i = up[wi] as number;
        const p = next(w, "address");
        w.send({
          type: "init",
          index: i,
          wan: o.wan,
          down: [...down],
          allDuties: o.allDuties,
          seed,
          cluster: c.cluster,
          shares: [...(c.shares[i] as Map<PubkeyHex, Uint8Array>)].map(([pk, s]) => [pk, toHex(s)]),
          identities,
          dataDir: dir,
          beacon: beaconOpts,
          origin: performance.timeOrigin,
        } satisfies ToWorker);
        return p;
      }),
    );
    // A down operator's address is never dialed (the workers skip it).
    const addresses = Array.from({ length: o.n }, (_, i) => {
      const a = upAddresses[up.indexOf(i)] as Extract<FromWorker, { type: "address" }> | undefined;
      return a?.address ?? "127.0.0.1:1";
    });
    await all("connected", { type: "peers", addresses });
    await all("started", { type: "start" });
    const slotStart = (s: number): number => c.beacon.genesisClockMs + s * c.slotMs;
    const first = Math.floor((systemClock.now() - c.beacon.genesisClockMs) / c.slotMs) + 2;
    for (const w of workers) {
      w.send({
        type: "cpu",
        fromMs: slotStart(first),
        toMs: slotStart(first + o.slots),
      } satisfies ToWorker);
    }
    // Late aggregates (latency > one slot) still count: 2 more slots for them.
    await sleepUntil(slotStart(first + o.slots + 2));
    const results = (await all("result", { type: "stop" })) as Extract<
      FromWorker,
      { type: "result" }
    >[];
    // First operator's time of each step, as in the one-process mode.
    const earliest = <K>(pick: (r: (typeof results)[number]) => [K, number][]): Map<K, number> => {
      const out = new Map<K, number>();
      for (const r of results) {
        for (const [k, t] of pick(r)) out.set(k, Math.min(t, out.get(k) ?? t));
      }
      return out;
    };
    const inWindow = (k: string): boolean => {
      const slot = Number(k.split("/")[0]);
      return slot >= first && slot < first + o.slots;
    };
    const { lat, phases } = latencies(
      {
        start: earliest((r) => r.start),
        ready: earliest((r) => r.ready),
        decided: earliest((r) => r.decided),
        signed: earliest((r) => r.signed),
      },
      inWindow,
    );
    const cpus = results.map((r) => r.cpuMs / o.slots);
    const duties = c.attesterDuties(first, first + o.slots);
    if (samplesFile && duties.length !== lat.length) {
      const got = new Set(results.flatMap((r) => r.ready.map(([k]) => k)));
      const missing = duties.filter(
        (d) =>
          !got.has(`${d.slot}/${c.cluster.validators[d.validatorIndex]?.pubkey.toLowerCase()}`),
      );
      appendFileSync(samplesFile, `${JSON.stringify({ missing })}\n`);
    }
    const perType = decidedByType(results, c.cluster.threshold, first, first + o.slots, {
      [DutyType.Attester]: c.attesterDuties(first, first + o.slots).length,
    });
    const base = await measureBaseline(c, dir, first, o.slots);
    return {
      perType,
      dv: summarize(lat),
      baseline: base.stats,
      dvCpuMsPerSlot: cpus.reduce((a, b) => a + b, 0),
      dvCpuMsPerOperatorSlot: Math.max(...cpus),
      baselineCpuMsPerSlot: base.cpuMsPerSlot,
      duties: duties.length,
      missed: duties.length - lat.length,
      slots: o.slots,
      phases,
    };
  } finally {
    for (const w of workers) if (w.exitCode === null) w.kill();
    c.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Decided-by times of one duty type in the per-process bench.
 *
 * @example
 * const r: ProcTypeResult = { type: "attester", stats, before2500: 1, duties: 200, undecided: 0 };
 */
export type ProcTypeResult = {
  type: string;
  stats: Stats;
  /** Fraction of the duties decided within 2.5 s of their start (undecided ones count against). */
  before2500: number;
  duties: number;
  undecided: number;
};

/**
 * Per duty type: each validator's duty is decided when `threshold` operators have decided it
 * (enough partial signatures can then exist), counted from the duty's earliest start on any
 * operator; a duty started but not decided by `threshold` operators is undecided.
 */
function decidedByType(
  results: readonly Extract<FromWorker, { type: "result" }>[],
  threshold: number,
  from: number,
  to: number,
  /** Known duty counts per type (a duty nobody decided has no record). */
  expected: Partial<Record<number, number>>,
): ProcTypeResult[] {
  const starts = new Map<string, number>();
  for (const r of results) {
    for (const [k, t] of r.typeStart) starts.set(k, Math.min(t, starts.get(k) ?? t));
  }
  const decided = new Map<string, number[]>();
  for (const r of results) {
    for (const [k, t] of r.typeDecided) decided.set(k, [...(decided.get(k) ?? []), t]);
  }
  const byType = new Map<number, { times: number[]; duties: number }>();
  for (const type of Object.keys(expected)) byType.set(Number(type), { times: [], duties: 0 });
  for (const [k, ts] of decided) {
    const [type, slot] = k.split("/").map(Number) as [number, number];
    if (slot < from || slot >= to) continue;
    const row = byType.get(type) ?? { times: [], duties: 0 };
    byType.set(type, row);
    row.duties++;
    const t0 = starts.get(`${type}/${slot}`);
    const sorted = [...ts].sort((a, b) => a - b);
    const at = sorted[threshold - 1];
    if (t0 !== undefined && at !== undefined) row.times.push(at - t0);
  }
  return [...byType]
    .sort(([a], [b]) => a - b)
    .map(([type, { times, duties: seen }]) => {
      const duties = Math.max(seen, expected[type] ?? 0);
      return {
        type: dutyTypeName(type),
        stats: summarize(times),
        before2500: duties ? times.filter((t) => t < 2500).length / duties : 0,
        duties,
        undecided: duties - times.length,
      };
    });
}

type EventTimes = {
  /** slot → time the attester duty started (first operator). */
  start: Map<number, number>;
  /** `${slot}/${pubkey}` → first operator's time of each step. */
  ready: Map<string, number>;
  decided: Map<string, number>;
  signed: Map<string, number>;
};

/** Duty start → aggregate ready per (slot, validator) in the window, and the phase medians. */
function latencies(
  t: EventTimes,
  inWindow: (k: string) => boolean,
): { lat: number[]; phases: DvBenchResult["phases"] } {
  const lat: number[] = [];
  const ph = { consensus: [] as number[], sign: [] as number[], exchange: [] as number[] };
  const rows: string[] = [];
  for (const [k, r] of t.ready) {
    if (!inWindow(k)) continue;
    const t0 = t.start.get(Number(k.split("/")[0])) as number;
    lat.push(r - t0);
    const td = t.decided.get(k);
    const ts = t.signed.get(k);
    if (td !== undefined && ts !== undefined) {
      ph.consensus.push(td - t0);
      ph.sign.push(ts - td);
      ph.exchange.push(r - ts);
    }
    rows.push(JSON.stringify({ k, ready: r - t0, decided: td && td - t0, signed: ts && ts - t0 }));
  }
  if (samplesFile) appendFileSync(samplesFile, rows.map((l) => `${l}\n`).join(""));
  return {
    lat,
    phases: {
      consensus: summarize(ph.consensus).median,
      sign: summarize(ph.sign).median,
      exchange: summarize(ph.exchange).median,
    },
  };
}

/**
 * The single-signer baseline: one key per validator signs the same duties, with slashing
 * protection (batch check-and-insert in one transaction), no consensus, exchange or aggregation.
 */
async function measureBaseline(
  c: DvSimCluster,
  dir: string,
  first: number,
  slots: number,
): Promise<{ stats: Stats; cpuMsPerSlot: number }> {
  const chain = c.beacon.chain;
  const roots = createSigningRoots(chain);
  const db = SlashingProtectionDb.open(join(dir, "baseline"), {
    genesisValidatorsRoot: chain.genesisValidatorsRoot,
  });
  const keys = new Map(c.secrets.map((s, i) => [c.pubkeys[i] as string, SecretKey.fromBytes(s)]));
  const base: number[] = [];
  const bcpu0 = process.cpuUsage();
  try {
    for (let s = first; s < first + slots; s++) {
      const t0 = performance.now();
      const ds = c.beacon.dutiesAt(s);
      if (!ds.length) continue;
      const byCommittee = new Map<number, Awaited<ReturnType<typeof c.beacon.attestationData>>>();
      for (const d of ds) {
        if (!byCommittee.has(d.committeeIndex)) {
          byCommittee.set(d.committeeIndex, await c.beacon.attestationData(s, d.committeeIndex));
        }
      }
      const items = ds.map((d) => {
        const data = byCommittee.get(d.committeeIndex) as NonNullable<
          ReturnType<typeof byCommittee.get>
        >;
        return { d, data, root: roots.attestation(data) };
      });
      const out = db.checkAndInsertAttestations(
        items.map((it) => ({
          pubkey: it.d.pubkey,
          sourceEpoch: it.data.source.epoch,
          targetEpoch: it.data.target.epoch,
          signingRoot: it.root,
        })),
      );
      items.forEach((it, i) => {
        if (!out[i]?.ok) throw new Error("baseline: slashing protection refused");
        (keys.get(toHex(it.d.pubkey)) as SecretKey).sign(it.root).toBytes();
        base.push(performance.now() - t0);
      });
    }
  } finally {
    db.close();
  }
  const bcpu = process.cpuUsage(bcpu0);
  return { stats: summarize(base), cpuMsPerSlot: (bcpu.user + bcpu.system) / 1000 / slots };
}

/**
 * n real libp2p transports on loopback (one per operator, all in this process) as a
 * {@link DvNetwork}: consensus on the default (QBFT) protocol, parsigex on its own channel; the
 * system clock. Started and fully connected before it is returned.
 *
 * @example
 * const l = await libp2pDvNetwork(4);
 * try { await runDvBench({ n: 4, validators: 100, slots: 32, network: () => l.network }); }
 * finally { await l.close(); }
 */
export async function libp2pDvNetwork(n: number): Promise<{
  network: DvNetwork;
  cluster: LocalCluster;
  close(): Promise<void>;
}> {
  const cluster = await startLocalCluster({
    n,
    redial: { initialMs: 50, maxMs: 400 },
    dialGraceMs: 300,
  });
  await cluster.waitConnected();
  const channels = Array.from({ length: n }, (_, i) => ({
    consensus: cluster.node(i),
    parsigex: cluster.node(i).channel("parsigex"),
  }));
  const network: DvNetwork = {
    n,
    transports: (i) => channels[i] as (typeof channels)[number],
    clock: () => systemClock,
    globalClock: systemClock,
    now: () => systemClock.now(),
    run: (until) => new Promise((r) => setTimeout(r, Math.max(0, until - systemClock.now()))),
  };
  return { network, cluster, close: () => cluster.close() };
}

/**
 * libp2p sweep plan: slot length (s), beacon slots per epoch and measured slots per
 * (validators). Real time, so slots cost wall time: one validator attests once per epoch, so
 * its runs use 1-slot epochs (one duty every slot; the per-duty work is the same).
 */
const LIBP2P_PLAN: Record<
  number,
  { secondsPerSlot: number; slotsPerEpoch: number; slots: number }
> = {
  1: { secondsPerSlot: 1, slotsPerEpoch: 1, slots: quick ? 10 : 60 },
  // 3 epochs: ~300 duties, so p99 is a percentile (the 3rd worst), not the one worst slot.
  100: { secondsPerSlot: 1, slotsPerEpoch: SPE, slots: quick ? 16 : 96 },
  1000: { secondsPerSlot: 3, slotsPerEpoch: SPE, slots: quick ? 6 : 10 },
};

/** `--flag a,b,c` → ["a", "b", "c"] (none when the flag is absent). */
const argList = (flag: string): string[] =>
  process.argv.includes(flag)
    ? (process.argv[process.argv.indexOf(flag) + 1] ?? "").split(",").filter((x) => x)
    : [];

/** Issue 17 item 2 over real libp2p: 100 ms RTT (±10 ms jitter), 1% loss, one operator down. */
const WAN_LINK: WanLinkModel = { oneWayMs: 50, jitterMs: 10, loss: 0.01 };

/**
 * The per-process libp2p bench over delaying links (bench/wan-link.ts), one operator down,
 * every duty type at its spec offset of a 12 s slot: decided-by per duty type.
 */
async function printWanLibp2pTable(nsArg: (4 | 7 | 10 | 13)[]): Promise<void> {
  const ns = nsArg.length ? nsArg : ([4, 7] as const);
  const slots = quick ? 8 : 16;
  const rows: (string | number)[][] = [
    ["n", "duty", "duties", "undecided", "median", "p99", "decided < 2.5 s", "CPU/slot/operator"],
  ];
  for (const n of ns) {
    const t0 = performance.now();
    const r = await runDvBenchProcesses({
      n,
      validators: 100,
      slots,
      secondsPerSlot: 12,
      slotsPerEpoch: 8,
      wan: WAN_LINK,
      down: [n - 1],
      allDuties: true,
    });
    for (const t of r.perType) {
      rows.push([
        n,
        t.type,
        t.duties,
        t.undecided,
        ms(t.stats.median),
        ms(t.stats.p99),
        `${(t.before2500 * 100).toFixed(1)} %`,
        ms(r.dvCpuMsPerOperatorSlot),
      ]);
    }
    console.error(`done WAN n=${n} in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  }
  console.log(
    `DV duties over real libp2p (tcp + noise + yamux), each operator in its own process, every link ` +
      `through a delaying TCP proxy: ${2 * WAN_LINK.oneWayMs} ms RTT, ±${WAN_LINK.jitterMs} ms jitter, ` +
      `${WAN_LINK.loss * 100}% of chunks retransmitted after an RTO; one operator down (the last); ` +
      `100 validators, 12 s slots, 8 slots/epoch, ${slots} slots, spec offsets. Decided-by: from the ` +
      "duty's start until the threshold of operators decided it.",
  );
  table(rows);
}

async function main(): Promise<void> {
  if (process.argv.includes("--validators")) {
    const arg = (flag: string, dflt: number): number => {
      const v = process.argv.includes(flag)
        ? Number(process.argv[process.argv.indexOf(flag) + 1])
        : dflt;
      if (!Number.isInteger(v) || v < 1) throw new Error(`${flag} must be a positive integer`);
      return v;
    };
    await printScaleTable({ validators: arg("--validators", 3000), epochs: arg("--epochs", 3) });
    return;
  }
  if (process.argv.includes("--wan-libp2p")) {
    await printWanLibp2pTable(argList("--n").map((x) => Number(x) as 4 | 7 | 10 | 13));
    return;
  }
  if (process.argv.includes("--wan")) {
    const ns = (process.argv[process.argv.indexOf("--n") + 1] ?? "")
      .split(",")
      .filter((x) => process.argv.includes("--n") && x)
      .map((x) => Number(x) as 4 | 7 | 10 | 13);
    await printWanTable({ slots: quick ? 32 : 64, ns: ns.length ? ns : undefined });
    return;
  }
  const processes = process.argv.includes("--processes");
  const libp2p = networkMode === "libp2p" || processes;
  const header = [
    "n",
    "validators",
    "slots",
    "samples",
    "missed",
    "DV median",
    "DV p99",
    "base median",
    "base p99",
    "added median",
    "added p99",
    "CPU/slot (all n)",
    "CPU/slot/operator",
    "base CPU/slot",
    "consensus|sign|exchange (medians)",
  ];
  const rows: (string | number)[][] = [header];
  const ns = libp2p ? ([4, 7, 10, 13] as const) : ([4, 7] as const);
  const skip = new Set(
    (process.argv[process.argv.indexOf("--skip") + 1] ?? "")
      .split(",")
      .filter((x) => process.argv.includes("--skip") && x),
  );
  const only = new Set(
    (process.argv[process.argv.indexOf("--only") + 1] ?? "")
      .split(",")
      .filter((x) => process.argv.includes("--only") && x),
  );
  for (const n of ns) {
    for (const validators of quick && !libp2p ? [1, 100] : [1, 100, 1000]) {
      if (skip.has(`${n}x${validators}`) || (only.size && !only.has(`${n}x${validators}`))) {
        rows.push([n, validators, "skipped"]);
        continue;
      }
      const plan = LIBP2P_PLAN[validators] as (typeof LIBP2P_PLAN)[number];
      const slots = libp2p ? plan.slots : validators === 1 ? 20 * SPE : quick ? SPE : 2 * SPE;
      const t0 = performance.now();
      let r: DvBenchResult;
      if (processes) {
        r = await runDvBenchProcesses({
          n,
          validators,
          slots,
          secondsPerSlot: plan.secondsPerSlot,
          slotsPerEpoch: plan.slotsPerEpoch,
        });
      } else {
        const net = libp2p ? await libp2pDvNetwork(n) : undefined;
        try {
          r = await runDvBench({
            n,
            validators,
            slots,
            network: net ? () => net.network : undefined,
            signing: libp2p ? "secp256k1" : undefined,
            realTime: libp2p
              ? { secondsPerSlot: plan.secondsPerSlot, slotsPerEpoch: plan.slotsPerEpoch }
              : undefined,
          });
        } finally {
          await net?.close();
        }
      }
      rows.push([
        n,
        validators,
        r.slots,
        r.duties,
        r.missed,
        ms(r.dv.median),
        ms(r.dv.p99),
        ms(r.baseline.median),
        ms(r.baseline.p99),
        ms(r.dv.median - r.baseline.median),
        ms(r.dv.p99 - r.baseline.p99),
        ms(r.dvCpuMsPerSlot),
        ms(r.dvCpuMsPerOperatorSlot),
        ms(r.baselineCpuMsPerSlot),
        `${ms(r.phases.consensus)} | ${ms(r.phases.sign)} | ${ms(r.phases.exchange)}`,
      ]);
      console.error((rows.at(-1) as (string | number)[]).join("  "));
      console.error(
        `done n=${n} N=${validators} in ${((performance.now() - t0) / 1000).toFixed(0)} s`,
      );
    }
  }
  const where = processes
    ? "each operator in its own process (n processes share this machine's cores)"
    : "all n operators in one process";
  console.log(
    libp2p
      ? "DV attester duty over real libp2p (loopback, secp256k1 QBFT, system clock; beacon slots: " +
          Object.entries(LIBP2P_PLAN)
            .map(([v, p]) => `N=${v}: ${p.secondsPerSlot} s, ${p.slotsPerEpoch} slots/epoch`)
            .join("; ") +
          `), ${where}: start → aggregate ready, vs single signer`
      : "DV attester duty: start → aggregate ready (wall, all n operators in one process), vs single signer",
  );
  console.log(
    processes
      ? "CPU/slot (all n) = sum over the operator processes; CPU/slot/operator = the busiest one's."
      : "CPU/slot/operator = process CPU per slot / n (all operators share this process).",
  );
  table(rows);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
