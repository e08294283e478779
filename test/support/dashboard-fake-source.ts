/**
 * A scriptable in-memory {@link DashboardSource} for tests and UI previews: a cluster of n
 * operators (operator 1 is "self"; others have a version and an RTT while online), fixed active
 * validators (indices 48, 49, …, 32 ETH and a little), and duty reports added slot by slot with
 * outcomes cycling through success and every tracker failure reason
 * (src/core/tracker/tracker.ts).
 */
import type { DutyReport } from "../../src/core/tracker/tracker.js";
import type { ClusterSnapshot, DashboardSource } from "../../src/dashboard/types.js";

/** Failure reasons the tracker reports, in the order the fake cycles through them. */
export const FAKE_FAILURE_REASONS = [
  "no-quorum",
  "consensus-timeout",
  "slashing-protection",
  "insufficient-partials",
  "beacon-error",
  "late",
  "doppelganger",
] as const;

/**
 * The fake: a source plus controls.
 *
 * @example
 * const fake = createFakeSource({ operators: 4, validators: 2 });
 * fake.setOnline(3, false);
 * fake.addSlot(10);
 */
export type FakeSource = DashboardSource & {
  setOnline(operatorId: number, online: boolean): void;
  /** Add one attester report per validator for `slot` (outcome per `failEvery`). */
  addSlot(slot: number): DutyReport[];
  addReport(r: DutyReport): void;
};

/**
 * Create a fake status source.
 *
 * @example
 * const fake = createFakeSource({ operators: 4, validators: 2, failEvery: 3 });
 */
export function createFakeSource(opts: {
  operators: number;
  validators: number;
  /** Every `failEvery`-th report fails (cycling reasons); default 4. */
  failEvery?: number;
}): FakeSource {
  const online = new Map<number, boolean>();
  for (let id = 1; id <= opts.operators; id++) online.set(id, true);
  const validators = Array.from(
    { length: opts.validators },
    (_, i) => `0x${(i + 1).toString(16).padStart(2, "0").repeat(48)}`,
  );
  const reports: DutyReport[] = [];
  const failEvery = opts.failEvery ?? 4;
  let counter = 0;
  const fake: FakeSource = {
    setOnline(id, up) {
      online.set(id, up);
    },
    addReport(r) {
      reports.push(r);
    },
    addSlot(slot) {
      const out = validators.map((pubkey): DutyReport => {
        counter++;
        const fail = counter % failEvery === 0;
        const reason = FAKE_FAILURE_REASONS[(counter / failEvery) % FAKE_FAILURE_REASONS.length];
        const round = 1 + (counter % 5 === 0 ? 1 : 0);
        return {
          slot,
          dutyType: 1,
          type: "attester",
          pubkey,
          outcome: fail ? "failed" : "success",
          reason: fail ? reason : undefined,
          details: fail ? `fake ${reason}` : undefined,
          startedAt: slot * 12_000,
          latencyMs: fail && reason !== "late" ? undefined : 80 + ((counter * 137) % 900),
          round: fail && reason !== "late" ? undefined : round,
          partials: fail ? 2 : 3,
        };
      });
      reports.push(...out);
      return out;
    },
    snapshot(): ClusterSnapshot {
      return {
        time: Date.now(),
        operatorId: 1,
        clusterName: "fake",
        threshold: Math.ceil((2 * opts.operators) / 3),
        operators: [...online.entries()].map(([id, up], index) => ({
          index,
          id,
          name: `op-${id}`,
          peerId: `16Uiu2HAmFake${id}`,
          self: id === 1,
          online: id === 1 || up,
          version: "0.1.0",
          rttMs: id !== 1 && up ? 0.5 + id / 10 : undefined,
        })),
        validators: validators.map((pubkey, i) => ({
          pubkey,
          index: 48 + i,
          status: "active_ongoing",
          balanceGwei: 32_000_000_000 + i * 1_000_000,
        })),
        reports: [...reports],
        pending: [],
        summary: {},
        doppelgangers: [],
      };
    },
  };
  return fake;
}
