/**
 * DV attester duty cost: for n = 4, 7 operators and 1, 100, 1,000 validators, the time from duty
 * start to aggregate ready (median / p99 per validator duty) and process CPU ms per slot, against
 * a single-signer baseline measured in the same run (one key signing the same duties with
 * slashing protection — batch check-and-insert in one transaction — and no consensus, no
 * exchange, no aggregation).
 *
 * Network: a transport factory (`DvNetwork`, src/core/simnet/dv.ts); default the simnet with zero
 * latency, so simulated time stands still and wall-clock time is pure CPU. All n operators run in
 * this ONE process, so "latency" here is the whole cluster's serial work until the first operator
 * has the aggregate (a real operator, on its own CPU, does ≈ 1/n of the per-slot CPU). Real BLS
 * (blst + herumi), real SQLite slashing DBs (synchronous=FULL) in a temp dir, MAC identity
 * signatures for QBFT (see bench/qbft.bench.ts for secp256k1's cost). Duties: SLOTS_PER_EPOCH =
 * 32, each validator attests once per epoch (≈ N/32 duties per slot). The beacon's judge does not
 * re-verify submissions here (its cost is not DV cost).
 *
 * Run: npx tsx bench/dv.bench.ts [--quick]
 * Reuse over another transport: import { runDvBench } and pass `network: (n) => myDvNetwork(n)`.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SecretKey } from "@chainsafe/blst";
import { createSigningRoots } from "../src/core/signer/domain.js";
import { createDvSimCluster, type DvNetwork } from "../src/core/simnet/dv.js";
import { DutyType, hex } from "../src/core/types.js";
import { SlashingProtectionDb } from "../src/slashing/db.js";
import { ms, type Stats, summarize, table } from "./util.js";

const quick = process.argv.includes("--quick");
const SPE = 32;

/**
 * Result of one configuration.
 *
 * @example
 * const r = await runDvBench({ n: 4, validators: 100, slots: 64 });
 */
export type DvBenchResult = {
  dv: Stats;
  baseline: Stats;
  dvCpuMsPerSlot: number;
  baselineCpuMsPerSlot: number;
  duties: number;
};

/**
 * Run the DV cluster and the single-signer baseline over the same duties.
 *
 * @example
 * const r = await runDvBench({ n: 7, validators: 1000, slots: 64, network: (n) => libp2pNet(n) });
 */
export async function runDvBench(o: {
  n: 4 | 7;
  validators: number;
  slots: number;
  seed?: number;
  network?: ((n: number) => DvNetwork) | undefined;
}): Promise<DvBenchResult> {
  const dir = await mkdtemp(join(tmpdir(), "rpdvt-dv-bench-"));
  const c = await createDvSimCluster({
    n: o.n,
    validators: o.validators,
    seed: o.seed ?? 1,
    dataDir: dir,
    latencyMs: 0,
    network: o.network,
    beacon: { slotsPerEpoch: SPE, verifySubmissions: false },
  });
  try {
    // ── DV cluster ────────────────────────────────────────────────────────────────────────────
    const start = new Map<number, number>(); // slot → wall time the duty started (first operator)
    const ready = new Map<string, number>(); // slot/pubkey → wall time of the first aggregate
    await c.startAll({
      aggregation: false,
      offsets: { attester: 0 },
      onEvent: (e) => {
        if (e.duty.type !== DutyType.Attester) return;
        const now = performance.now();
        if (e.step === "duty" && !start.has(e.duty.slot)) start.set(e.duty.slot, now);
        const k = `${e.duty.slot}/${e.pubkey}`;
        if (e.step === "aggregated" && !ready.has(k)) ready.set(k, now);
      },
    });
    const first = 1;
    await c.runToSlot(first);
    const cpu0 = process.cpuUsage();
    for (let s = first; s <= first + o.slots; s++) await c.runToSlot(s, 1);
    const cpu = process.cpuUsage(cpu0);
    const lat: number[] = [];
    for (const [k, t] of ready) {
      const slot = Number(k.split("/")[0]);
      if (slot < first || slot >= first + o.slots) continue;
      lat.push(t - (start.get(slot) as number));
    }
    const duties = c.attesterDuties(first, first + o.slots);
    if (lat.length !== duties.length) {
      throw new Error(`n=${o.n} N=${o.validators}: ${lat.length} of ${duties.length} aggregated`);
    }
    const dvCpuMsPerSlot = (cpu.user + cpu.system) / 1000 / o.slots;
    c.close();

    // ── Baseline: one key per validator, slashing protection, no consensus ────────────────────
    const chain = c.beacon.chain;
    const roots = createSigningRoots(chain);
    const db = SlashingProtectionDb.open(join(dir, "baseline"), {
      genesisValidatorsRoot: chain.genesisValidatorsRoot,
    });
    const keys = new Map(c.secrets.map((s, i) => [c.pubkeys[i] as string, SecretKey.fromBytes(s)]));
    const base: number[] = [];
    const bcpu0 = process.cpuUsage();
    for (let s = first; s < first + o.slots; s++) {
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
        (keys.get(hex(it.d.pubkey)) as SecretKey).sign(it.root).toBytes();
        base.push(performance.now() - t0);
      });
    }
    const bcpu = process.cpuUsage(bcpu0);
    db.close();
    return {
      dv: summarize(lat),
      baseline: summarize(base),
      dvCpuMsPerSlot,
      baselineCpuMsPerSlot: (bcpu.user + bcpu.system) / 1000 / o.slots,
      duties: duties.length,
    };
  } finally {
    c.close();
    await rm(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const rows: (string | number)[][] = [
    [
      "n",
      "validators",
      "duties",
      "DV median",
      "DV p99",
      "base median",
      "base p99",
      "added median",
      "DV CPU/slot",
      "base CPU/slot",
    ],
  ];
  for (const n of [4, 7] as const) {
    for (const validators of quick ? [1, 100] : [1, 100, 1000]) {
      const slots = validators === 1 ? 20 * SPE : quick ? SPE : 2 * SPE;
      const r = await runDvBench({ n, validators, slots });
      rows.push([
        n,
        validators,
        r.duties,
        ms(r.dv.median),
        ms(r.dv.p99),
        ms(r.baseline.median),
        ms(r.baseline.p99),
        ms(r.dv.median - r.baseline.median),
        ms(r.dvCpuMsPerSlot),
        ms(r.baselineCpuMsPerSlot),
      ]);
      console.error(`done n=${n} N=${validators}`);
    }
  }
  console.log(
    "DV attester duty: start → aggregate ready (wall, all n operators in one process), vs single signer",
  );
  table(rows);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
