/**
 * Backup aggregation (see node.ts `aggregationBackupDelayMs`): per slot and validator, f + 1
 * operators aggregate and broadcast at once, the others this much later as a backup for a primary
 * whose beacon node failed; their aggregation CPU stays out of the window where the cluster races
 * for the first aggregate. Only duties whose aggregate is only broadcast are deferred (the duty
 * handler's `broadcastOnly`); randao and selection proofs are used locally and never wait.
 */
import type { DutyHandler } from "./duty-handler.js";
import type { Duty, DutyType, PubkeyHex } from "./types.js";

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

/**
 * Where this operator stands among the cluster's aggregators.
 *
 * @example
 * const b: BackupPolicy = { index: 0, n: 4, positions: new Map([[pk, 0]]), delayMs: 2000 };
 */
export type BackupPolicy = {
  /** This operator's index in the cluster definition. */
  index: number;
  n: number;
  /** validator pubkey → its place in the cluster definition. */
  positions: ReadonlyMap<PubkeyHex, number>;
  /** Backup delay (ms); 0 = every operator aggregates at once. */
  delayMs: number;
};

/**
 * sigagg's `deferMs`: the backup delay for a broadcast-only duty this operator is not a primary
 * aggregator of, else 0.
 *
 * @example
 * createSigAgg({ ..., deferMs: (d, pk) => ports.deferMs(d, pk) });
 * ports.deferMs = backupDelay(policy, handlers);
 */
export function backupDelay(
  policy: BackupPolicy,
  handlers: ReadonlyMap<DutyType, DutyHandler>,
): (duty: Duty, pubkey: PubkeyHex) => number {
  return (duty, pubkey) =>
    handlers.get(duty.type)?.broadcastOnly &&
    !isPrimaryAggregator(policy.index, policy.n, duty.slot, policy.positions.get(pubkey) ?? 0)
      ? policy.delayMs
      : 0;
}
