/**
 * Attestation data by majority (Vouch strategies/attestationdata/majority): the answers are
 * grouped by hash_tree_root(AttestationData); the group answered by most nodes wins, a tie goes to
 * the newer head (the slot of beacon_block_root, when known: Vouch keeps a block root → slot cache
 * from the head events), then to the more recent target and source checkpoints, then to the group
 * answered first.
 * Collection stops as soon as the outcome is settled: one group holds a strict majority of the
 * nodes asked, or leads the others by more than the nodes still out (none of them could tie it);
 * else at the deadline the caller sets (the best so far). Pure functions; the requests are
 * src/beacon/strategy/collect.ts.
 */
import type { phase0 } from "@lodestar/types";
import { toHex } from "../../util/hex.js";

/**
 * One node's attestation data, with its SSZ root and its head block's slot (when known).
 *
 * @example
 * const a: DataAnswer = { node: "127.0.0.1:5052", data, root: toHex(ssz.phase0.AttestationData.hashTreeRoot(data)), headSlot: 9 };
 */
export type DataAnswer = {
  node: string;
  data: phase0.AttestationData;
  /** 0x-hex hash_tree_root(data). */
  root: string;
  headSlot: number | undefined;
};

/**
 * The smallest count that is a strict majority of `nodes` (Vouch: requests/2 + 1).
 *
 * @example
 * strictMajority(3) // 2
 */
export function strictMajority(nodes: number): number {
  return Math.floor(nodes / 2) + 1;
}

/**
 * Does some data already hold a strict majority of the `nodes` asked?
 *
 * @example
 * if (hasMajority(answers, 3)) stopWaiting();
 */
export function hasMajority(answers: readonly DataAnswer[], nodes: number): boolean {
  const counts = new Map<string, number>();
  for (const a of answers) counts.set(a.root, (counts.get(a.root) ?? 0) + 1);
  return Math.max(0, ...counts.values()) >= strictMajority(nodes);
}

/**
 * Is the majority choice settled? Yes when one group holds a strict majority of the `nodes`
 * asked, or when it leads the runner-up by more than the `pending` nodes (not answered, not
 * failed): whatever they answer, it stays the only group with the most votes. With every node
 * settled it is always true.
 *
 * @example
 * majoritySettled(answers, 3, 1) // 2 of 3 agree → true; 1 vs 1 with one node out → false
 */
export function majoritySettled(
  answers: readonly Pick<DataAnswer, "root">[],
  nodes: number,
  pending: number,
): boolean {
  if (pending <= 0) return true;
  const counts = new Map<string, number>();
  for (const a of answers) counts.set(a.root, (counts.get(a.root) ?? 0) + 1);
  const [top = 0, second = 0] = [...counts.values()].sort((x, y) => y - x);
  return top >= strictMajority(nodes) || top > second + pending;
}

/**
 * The majority choice among `answers` (in arrival order): the data, how many nodes answered it
 * and which; undefined when there is no answer.
 *
 * @example
 * const c = chooseMajority(answers); // { answer, votes: 2, nodes: ["a", "b"] }
 */
export function chooseMajority(
  answers: readonly DataAnswer[],
): { answer: DataAnswer; votes: number; nodes: string[] } | undefined {
  const groups = new Map<string, DataAnswer[]>();
  for (const a of answers) groups.set(a.root, [...(groups.get(a.root) ?? []), a]);
  let best: DataAnswer[] | undefined;
  for (const g of groups.values()) if (!best || compareGroups(g, best) > 0) best = g;
  const first = best?.[0];
  if (!best || !first) return undefined;
  return { answer: first, votes: best.length, nodes: best.map((a) => a.node) };
}

const headOf = (g: readonly DataAnswer[]): number =>
  Math.max(-1, ...g.map((a) => a.headSlot ?? -1));

/**
 * > 0 when group `a` beats group `b`: more nodes, then the head block with the higher slot (an
 * unknown slot loses to any known one), then the more recent target, then source checkpoint;
 * 0 (equal) keeps the group answered first.
 */
function compareGroups(a: readonly DataAnswer[], b: readonly DataAnswer[]): number {
  const da = (a[0] as DataAnswer).data;
  const db = (b[0] as DataAnswer).data;
  return (
    a.length - b.length ||
    headOf(a) - headOf(b) ||
    da.target.epoch - db.target.epoch ||
    da.source.epoch - db.source.epoch
  );
}

/**
 * The 0x-hex root of attestation data, the grouping key (identical data, identical root).
 *
 * @example
 * dataKey(data, ssz.phase0.AttestationData.hashTreeRoot) // "0x…"
 */
export function dataKey(
  data: phase0.AttestationData,
  hashTreeRoot: (d: phase0.AttestationData) => Uint8Array,
): string {
  return toHex(hashTreeRoot(data));
}
