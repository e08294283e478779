/**
 * Block proposal by best value (Vouch strategies/beaconblockproposal/best, score.go): score =
 * execution payload value + consensus block value (wei; beacon-APIs GET /eth/v3/validator/blocks
 * `execution_payload_value`, `consensus_block_value`). A node that does not say a value scores 0;
 * a tie goes to the block that came first. Pure functions.
 */
import type { ProducedBlock } from "../../core/beacon.js";

/**
 * A produced block with the values the producing node reported (src/beacon ProducedBeaconBlock).
 *
 * @example
 * const b: ValuedBlock = { fork: "deneb", block, executionPayloadValue: 10n ** 16n };
 */
export type ValuedBlock = ProducedBlock & {
  executionPayloadValue?: bigint | undefined;
  consensusBlockValue?: bigint | undefined;
};

/**
 * The value of a proposal in wei (execution + consensus, 0 when unknown).
 *
 * @example
 * scoreProposal({ ...b, executionPayloadValue: 5n, consensusBlockValue: 2n }) // 7n
 */
export function scoreProposal(block: ValuedBlock): bigint {
  return (block.executionPayloadValue ?? 0n) + (block.consensusBlockValue ?? 0n);
}

/**
 * The most valuable of `answers` (in arrival order; the first of equals), undefined when none.
 *
 * @example
 * const best = chooseBestProposal([{ node: "a", block: b1 }, { node: "b", block: b2 }]);
 */
export function chooseBestProposal<T extends ValuedBlock>(
  answers: readonly { node: string; block: T }[],
): { node: string; block: T; value: bigint } | undefined {
  let best: { node: string; block: T; value: bigint } | undefined;
  for (const a of answers) {
    const value = scoreProposal(a.block);
    if (!best || value > best.value) best = { ...a, value };
  }
  return best;
}
