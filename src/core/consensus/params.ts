/**
 * Cluster parameters of QBFT: fault tolerance, quorum size, leader rotation.
 *
 * Quorum: Moniz, "The Istanbul BFT Consensus Algorithm" (arXiv:2002.03613) §2 and the IBFT 2.0
 * analysis (Saltini & Hyland-Wood, arXiv:1909.10194) require any two quorums to intersect in at
 * least one honest process: 2q − n ≥ f + 1  ⇔  q ≥ (n + f + 1)/2. We take the smallest such q,
 * q = ⌈(n + f + 1)/2⌉ with f = ⌊(n − 1)/3⌋. For n = 3F+1 this is exactly 2F+1 (4→3, 7→5, 10→7,
 * 13→9) and equals Charon's ⌈2n/3⌉ (core/qbft/qbft.go `Quorum`) and SSV's for every n.
 *
 * Leader: Charon's rotation (core/consensus/component.go `leader`):
 * leader(λ, r) = (slot + dutyType + r) mod n. Round r+1's leader is the next operator, so a
 * crashed leader costs one round; consecutive slots start at different operators, spreading the
 * proposer load. It is deterministic and needs no shared randomness; it is predictable (a known
 * trade-off shared with Charon and SSV's round robin `(height + round − 1) mod n`).
 */
import type { InstanceId } from "./types.js";

/**
 * Largest number of Byzantine operators tolerated: f = ⌊(n − 1)/3⌋.
 *
 * @example
 * faultyFor(4) // 1
 * faultyFor(13) // 4
 */
export function faultyFor(n: number): number {
  return Math.floor((n - 1) / 3);
}

/**
 * Quorum size q = ⌈(n + f + 1)/2⌉ (2F+1 for n = 3F+1); see the module header.
 *
 * @example
 * quorumFor(4) // 3
 * quorumFor(7) // 5
 */
export function quorumFor(n: number): number {
  return Math.ceil((n + faultyFor(n) + 1) / 2);
}

/**
 * Deterministic leader election: `(instance, round, n) → operator index`.
 *
 * @example
 * const leader: LeaderFn = (instance, round, n) => round % n;
 */
export type LeaderFn = (instance: InstanceId, round: number, n: number) => number;

/**
 * Charon's rotation: (slot + dutyType + round) mod n.
 *
 * @example
 * defaultLeader({ slot: 10, dutyType: 2 }, 1, 4) // (10 + 2 + 1) % 4 = 1
 */
export const defaultLeader: LeaderFn = (instance, round, n) =>
  ((((instance.slot % n) + (instance.dutyType % n) + (round % n)) % n) + n) % n;
