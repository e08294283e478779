/**
 * Scale (issue 17 item 1): one n-operator cluster with V validators (3,000 = SSV's per-operator
 * ceiling and the largest published Charon cluster) for E epochs, every duty type (attester,
 * aggregator with its selection proofs, sync committee when the fork has it) at its spec offset
 * of a 12 s slot, against the same run at V/10 validators as the baseline (ratios).
 *
 * All n operators run in THIS process on the simulated network (test/simnet, 10 ms links), real
 * BLS shares, real SQLite slashing databases, MAC-signed QBFT. Simulated time does not advance
 * while the CPU works, so "within its deadline" here checks that every duty was decided and
 * broadcast, in simulated time, before its deadline (attestation by ⅔ of the slot, when
 * aggregators collect; aggregate by the end of the slot); the CPU budget is checked by the
 * measured CPU per operator per slot against the 12 s slot (and, per process on real time, by
 * `--processes`). Reported: duties and misses per type, latest broadcast offset in the slot, CPU
 * per operator per slot (process CPU / n), heap per validator per operator, messages and bytes
 * per slot on the network (they must not grow with V: one consensus instance per duty type and
 * one parsigex message per duty, whatever the number of validators).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DutyType, dutyTypeName } from "../src/core/types.js";
import { createDvSimCluster } from "../test/simnet/dv.js";
import { ms, table } from "./util.js";

const SPE = 32;
const SLOT_MS = 12_000;
/** Deadline of each broadcast duty type, ms into its slot (phase0 validator.md). */
const DEADLINE_MS: Partial<Record<number, number>> = {
  [DutyType.Attester]: (2 * SLOT_MS) / 3,
  [DutyType.Aggregator]: SLOT_MS,
  [DutyType.SyncMessage]: (2 * SLOT_MS) / 3,
  [DutyType.SyncContribution]: SLOT_MS,
};

/**
 * One scale run's numbers.
 *
 * @example
 * const r = await runScaleBench({ validators: 3000, epochs: 3 });
 */
export type ScaleResult = {
  validators: number;
  slots: number;
  perType: { type: string; duties: number; missed: number; latestMs: number; late: number }[];
  cpuMsPerOperatorSlot: number;
  heapBytesPerValidatorOperator: number;
  messagesPerSlot: number;
  bytesPerSlot: number;
};

/**
 * Run one cluster (module header).
 *
 * @example
 * const r = await runScaleBench({ validators: 300, epochs: 1 });
 */
export async function runScaleBench(o: {
  validators: number;
  epochs: number;
  n?: 4 | 7 | undefined;
}): Promise<ScaleResult> {
  const n = o.n ?? 4;
  const dir = await mkdtemp(join(tmpdir(), "rpdvt-scale-bench-"));
  global.gc?.();
  const heap0 = process.memoryUsage().heapUsed;
  const c = await createDvSimCluster({
    n,
    validators: o.validators,
    seed: 7,
    dataDir: dir,
    latencyMs: 10,
    beacon: { slotsPerEpoch: SPE, verifySubmissions: false },
  });
  try {
    const first = SPE; // epoch 1: the first epoch's duties were resolved at start
    const last = first + o.epochs * SPE;
    // `${type}/${slot}/${pubkey}` → first broadcast, ms into the slot
    const broadcast = new Map<string, number>();
    const started = new Map<number, number>(); // type → duties started (validator count)
    await c.startAll({
      onEvent: (e) => {
        if (e.duty.slot < first || e.duty.slot >= last) return;
        if (e.step === "fetched") started.set(e.duty.type, (started.get(e.duty.type) ?? 0) + 1);
        if (e.step !== "broadcast" || !e.pubkey) return;
        const k = `${e.duty.type}/${e.duty.slot}/${e.pubkey}`;
        if (!broadcast.has(k)) {
          broadcast.set(k, c.network.now() - (c.beacon.genesisClockMs + e.duty.slot * SLOT_MS));
        }
      },
    });
    await c.runToSlot(first);
    const sent0 = c.sim?.stats.sent ?? 0;
    const bytes0 = c.sim?.stats.bytes ?? 0;
    const cpu0 = process.cpuUsage();
    for (let s = first + 1; s <= last; s++) await c.runToSlot(s);
    const cpu = process.cpuUsage(cpu0);
    const sent = (c.sim?.stats.sent ?? 0) - sent0;
    const bytes = (c.sim?.stats.bytes ?? 0) - bytes0;
    await c.runToSlot(last + 1); // the last slot's aggregates
    const heap = process.memoryUsage().heapUsed - heap0;
    const byType = new Map<number, number[]>();
    for (const [k, at] of broadcast) {
      const type = Number(k.split("/")[0]);
      byType.set(type, [...(byType.get(type) ?? []), at]);
    }
    const expected = new Map<number, number>([
      [DutyType.Attester, c.attesterDuties(first, last).length],
    ]);
    const perType = [...byType]
      .filter(([type]) => DEADLINE_MS[type] !== undefined)
      .sort(([a], [b]) => a - b)
      .map(([type, times]) => {
        const duties = expected.get(type) ?? times.length;
        return {
          type: dutyTypeName(type),
          duties,
          missed: Math.max(0, duties - times.length),
          latestMs: Math.max(...times),
          late: times.filter((t) => t > (DEADLINE_MS[type] as number)).length,
        };
      });
    // Aggregators: every selected aggregator's duty (tracker) must have been broadcast.
    const summary = c.nodes[0]?.tracker.summary() ?? {};
    for (const row of perType) {
      const failed = Object.entries(summary[row.type] ?? {})
        .filter(([k]) => k.startsWith("failed"))
        .reduce((a, [, v]) => a + (v as number), 0);
      row.missed += failed;
    }
    const slots = last - first;
    return {
      validators: o.validators,
      slots,
      perType,
      cpuMsPerOperatorSlot: (cpu.user + cpu.system) / 1000 / slots / n,
      heapBytesPerValidatorOperator: heap / o.validators / n,
      messagesPerSlot: sent / slots,
      bytesPerSlot: bytes / slots,
    };
  } finally {
    c.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Print the scale table: V and V/10 validators (the baseline), E epochs each.
 *
 * @example
 * await printScaleTable({ validators: 3000, epochs: 3 });
 */
export async function printScaleTable(o: { validators: number; epochs: number }): Promise<void> {
  const sizes = [Math.max(1, Math.round(o.validators / 10)), o.validators];
  const results: ScaleResult[] = [];
  for (const v of sizes) {
    const t0 = performance.now();
    results.push(await runScaleBench({ validators: v, epochs: o.epochs }));
    console.error(`done V=${v} in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  }
  const rows: (string | number)[][] = [
    ["validators", "slots", "duty", "duties", "missed", "late", "latest broadcast in slot"],
  ];
  for (const r of results) {
    for (const t of r.perType) {
      rows.push([r.validators, r.slots, t.type, t.duties, t.missed, t.late, ms(t.latestMs)]);
    }
  }
  console.log(
    "Scale: 4 operators in one process, simulated network (10 ms links), 12 s slots, spec offsets; " +
      "deadlines: attestation/sync message ⅔ slot, aggregate/contribution end of slot (simulated time).",
  );
  table(rows);
  const [small, large] = results as [ScaleResult, ScaleResult];
  const ratio = (a: number, b: number): string => `${(b / a).toFixed(2)}×`;
  table([
    ["", `V=${small.validators}`, `V=${large.validators}`, "ratio (validators ×10)"],
    [
      "CPU / operator / slot",
      ms(small.cpuMsPerOperatorSlot),
      ms(large.cpuMsPerOperatorSlot),
      ratio(small.cpuMsPerOperatorSlot, large.cpuMsPerOperatorSlot),
    ],
    [
      "heap / validator / operator",
      `${(small.heapBytesPerValidatorOperator / 1024).toFixed(1)} KiB`,
      `${(large.heapBytesPerValidatorOperator / 1024).toFixed(1)} KiB`,
      ratio(small.heapBytesPerValidatorOperator, large.heapBytesPerValidatorOperator),
    ],
    [
      "messages / slot (network)",
      small.messagesPerSlot.toFixed(1),
      large.messagesPerSlot.toFixed(1),
      ratio(small.messagesPerSlot, large.messagesPerSlot),
    ],
    [
      "bytes / slot (network)",
      `${(small.bytesPerSlot / 1024).toFixed(0)} KiB`,
      `${(large.bytesPerSlot / 1024).toFixed(0)} KiB`,
      ratio(small.bytesPerSlot, large.bytesPerSlot),
    ],
  ]);
}
