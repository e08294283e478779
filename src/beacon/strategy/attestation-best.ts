/**
 * Attestation data by best score (Vouch strategies/attestationdata/best, score.go): score =
 * source epoch + target epoch + 1 / (1 + slot − head slot), the head slot being that of
 * beacon_block_root (unknown: no head term). A node with a stale head (or a stale checkpoint)
 * scores lower; a tie goes to the answer that came first. Pure functions.
 */
import type { DataAnswer } from "./attestation-majority.js";

/**
 * The score of one node's attestation data (higher is better).
 *
 * @example
 * scoreAttestationData(data, 9) // e.g. 2 + 3 + 1/(1 + 10 − 9) = 5.5
 */
export function scoreAttestationData(
  data: DataAnswer["data"],
  headSlot: number | undefined,
): number {
  const epochs = data.source.epoch + data.target.epoch;
  if (headSlot === undefined || headSlot > data.slot) return epochs;
  return epochs + 1 / (1 + data.slot - headSlot);
}

/**
 * The best-scored answer (the first of equals), with its score; undefined when there is none.
 *
 * @example
 * const best = chooseBestData(answers)?.answer.data;
 */
export function chooseBestData(
  answers: readonly DataAnswer[],
): { answer: DataAnswer; score: number } | undefined {
  let best: { answer: DataAnswer; score: number } | undefined;
  for (const a of answers) {
    const score = scoreAttestationData(a.data, a.headSlot);
    if (!best || score > best.score) best = { answer: a, score };
  }
  return best;
}
