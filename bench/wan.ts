/**
 * DV duties over a WAN (issue 17 items 2–3): n operators on the simulated network with the WAN
 * model of test/simnet/wan.ts (per pair RTT drawn from 50–150 ms, or a fixed RTT; 10 ms jitter;
 * 1% loss as TCP retransmissions), one operator down, every duty type of a 12 s mainnet slot at
 * its spec offset (attester ⅓, aggregator ⅔, …). Simulated time: CPU costs no time here (see the
 * per-process libp2p bench for that), so a duty's decided-by time is what the network and the
 * round timers make it — the part a WAN adds.
 *
 * Reported per duty type: decided-by time from the duty's start (median / p99 over every
 * validator's duty) and the fraction decided before 2.5 s (the margin a 3 s attestation deadline
 * leaves for signing, exchange and broadcast), with the adaptive round timer (consensus/timer.ts,
 * the default) against the fixed 750 ms one measured in the same run.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  DEFAULT_ROUND_TIMER,
  FIXED_ROUND_TIMER,
  type RoundTimerConfig,
} from "../src/core/consensus/timer.js";
import { DutyType, dutyTypeName } from "../src/core/types.js";
import { createDvSimCluster, simnetDvNetwork } from "../test/simnet/dv.js";
import { createSimnet } from "../test/simnet/network.js";
import { WAN_PRESET, wanModel } from "../test/simnet/wan.js";
import { type Stats, summarize, table } from "./util.js";

/**
 * Decided-by times of one duty type.
 *
 * @example
 * const row: WanTypeResult = { type: "attester", stats, before2500: 0.998, duties: 300 };
 */
export type WanTypeResult = { type: string; stats: Stats; before2500: number; duties: number };

/**
 * One WAN configuration's result.
 *
 * @example
 * const r = await runWanBench({ n: 7, validators: 100, slots: 64, rttMs: 100 });
 */
export type WanResult = {
  perType: WanTypeResult[];
  /** Duties started but never decided by an up operator (in the window). */
  undecided: number;
  /** Round-1 timer of operator 0 at the end (ms) and its measured p95 RTT. */
  firstRoundMs: number | undefined;
  rttP95Ms: number | undefined;
};

/** Duty types decided by consensus that the bench reports. */
const REPORTED = new Set<number>([
  DutyType.Attester,
  DutyType.Aggregator,
  DutyType.Proposer,
  DutyType.SyncMessage,
  DutyType.SyncContribution,
]);

/**
 * Run n operators (one down) over the simulated WAN for `slots` slots.
 *
 * @example
 * const r = await runWanBench({ n: 4, validators: 100, slots: 32, rttMs: [50, 150] });
 */
export async function runWanBench(o: {
  n: 4 | 7 | 10 | 13;
  validators: number;
  slots: number;
  rttMs: number | readonly [number, number];
  timer?: RoundTimerConfig | undefined;
  seed?: number | undefined;
  /** Operator index that is down for the whole run (default: the last). */
  down?: number | undefined;
}): Promise<WanResult> {
  const seed = o.seed ?? 1;
  const dir = await mkdtemp(join(tmpdir(), "rpdvt-wan-bench-"));
  const wan = wanModel({ n: o.n, seed, ...WAN_PRESET, rttMs: o.rttMs });
  const sim = createSimnet({ n: o.n, seed, links: wan.link });
  const c = await createDvSimCluster({
    n: o.n,
    validators: o.validators,
    seed,
    dataDir: dir,
    network: () => simnetDvNetwork(sim),
    beacon: { slotsPerEpoch: 32, verifySubmissions: false },
  });
  try {
    const down = o.down ?? o.n - 1;
    const start = new Map<string, number>(); // `${type}/${slot}` → first duty start
    const decided = new Map<string, number>(); // `${type}/${slot}/${pubkey}` → first decision
    const first = 2;
    const last = first + o.slots;
    c.crash(down);
    for (let i = 0; i < o.n; i++) {
      if (i === down) continue;
      await c.startNode(i, {
        qbft: { timer: o.timer ?? DEFAULT_ROUND_TIMER },
        onEvent: (e) => {
          if (!REPORTED.has(e.duty.type) || e.duty.slot < first || e.duty.slot >= last) return;
          const now = sim.now();
          const k = `${e.duty.type}/${e.duty.slot}`;
          if (e.step === "duty" && !start.has(k)) start.set(k, now);
          if (e.step === "decided" && e.pubkey && !decided.has(`${k}/${e.pubkey}`)) {
            decided.set(`${k}/${e.pubkey}`, now);
          }
        },
      });
    }
    // One slot after the window so late decisions count.
    for (let s = 1; s <= last + 1; s++) await c.runToSlot(s);
    const byType = new Map<number, number[]>();
    for (const [k, t] of decided) {
      const [type, slot] = k.split("/");
      const t0 = start.get(`${type}/${slot}`);
      if (t0 === undefined) continue;
      const list = byType.get(Number(type)) ?? [];
      list.push(t - t0);
      byType.set(Number(type), list);
    }
    const expected = countDuties(c, first, last);
    const perType: WanTypeResult[] = [...byType]
      .sort(([a], [b]) => a - b)
      .map(([type, times]) => ({
        type: dutyTypeName(type),
        stats: summarize(times),
        before2500: times.filter((x) => x < 2500).length / times.length,
        duties: times.length,
      }));
    const stats = c.nodes[0]?.consensusStats();
    return {
      perType,
      undecided: Math.max(0, expected - (byType.get(DutyType.Attester)?.length ?? 0)),
      firstRoundMs: stats?.firstRoundMs,
      rttP95Ms: stats?.rttP95Ms,
    };
  } finally {
    c.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Attester duties in [from, to) (every validator attests once per epoch). */
function countDuties(
  c: { attesterDuties(a: number, b: number): unknown[] },
  from: number,
  to: number,
): number {
  return c.attesterDuties(from, to).length;
}

/**
 * The WAN table: n = 4, 7, 10, 13 × 100 validators on 50–150 ms RTT, and n = 7 on a fixed
 * 100 ms RTT (the goal of item 3), each with the adaptive and the fixed round timer.
 *
 * @example
 * await printWanTable({ slots: 64, ns: [4, 7] });
 */
export async function printWanTable(o: {
  slots: number;
  validators?: number | undefined;
  ns?: readonly (4 | 7 | 10 | 13)[] | undefined;
}): Promise<void> {
  const rows: (string | number)[][] = [
    [
      "n",
      "RTT",
      "timer",
      "duty",
      "decided",
      "median",
      "p99",
      "< 2.5 s",
      "undecided att.",
      "t(1)",
      "p95 RTT",
    ],
  ];
  const configs: { n: 4 | 7 | 10 | 13; rttMs: number | readonly [number, number] }[] = [
    ...(o.ns ?? ([4, 7, 10, 13] as const)).map((n) => ({ n, rttMs: WAN_PRESET.rttMs })),
    { n: 7, rttMs: 100 },
  ];
  for (const cfg of configs) {
    for (const [name, timer] of [
      ["adaptive", DEFAULT_ROUND_TIMER],
      ["fixed 750", FIXED_ROUND_TIMER],
    ] as const) {
      const t0 = performance.now();
      const r = await runWanBench({
        ...cfg,
        validators: o.validators ?? 100,
        slots: o.slots,
        timer,
      });
      const rtt =
        typeof cfg.rttMs === "number" ? `${cfg.rttMs} ms` : `${cfg.rttMs[0]}–${cfg.rttMs[1]} ms`;
      for (const t of r.perType) {
        const row = [
          cfg.n,
          rtt,
          name,
          t.type,
          t.duties,
          `${t.stats.median.toFixed(0)} ms`,
          `${t.stats.p99.toFixed(0)} ms`,
          `${(100 * t.before2500).toFixed(1)}%`,
          r.undecided,
          r.firstRoundMs === undefined ? "-" : `${r.firstRoundMs.toFixed(0)} ms`,
          r.rttP95Ms === undefined ? "-" : `${r.rttP95Ms.toFixed(0)} ms`,
        ];
        rows.push(row);
        console.error(row.join("  ")); // as it comes (a long run can be cut short)
      }
      console.error(
        `done n=${cfg.n} RTT ${rtt} timer ${name} in ${((performance.now() - t0) / 1000).toFixed(0)} s`,
      );
    }
  }
  console.log(
    `DV duties over the simulated WAN (test/simnet/wan.ts: jitter ${WAN_PRESET.jitterMs} ms, ` +
      `${WAN_PRESET.lossRate * 100}% loss as TCP retransmissions), one operator down, ` +
      `${o.validators ?? 100} validators, ${o.slots} slots of 12 s, spec offsets; decided-by = ` +
      "duty start → decision (first up operator), simulated time (CPU not included).",
  );
  table(rows);
}
