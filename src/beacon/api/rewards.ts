/**
 * Beacon API "beacon" group, rewards (ethereum/beacon-APIs apis/beacon/rewards/attestations.yaml):
 * POST /eth/v1/beacon/rewards/attestations/{epoch} with the validator indices. A node without the
 * endpoint (Lodestar ≤ 1.5: fastify "Route … not found", or 405/501) answers null = not available;
 * a 404 for an epoch the node cannot serve stays an error.
 */
import { type BeaconContext, isMissingRoute, parseAnswer } from "../context.js";
import type { HttpRequest } from "../http.js";
import * as J from "../json.js";
import type { AttestationRewards } from "../types.js";

/**
 * Attestation rewards of `indices` in `epoch` (an empty body would mean "every validator": none
 * asked answers empty lists without a request); null when the node has no rewards endpoint.
 *
 * @example
 * const r = await getAttestationsRewards(ctx, 300000, [48, 49]);
 * r?.total.map((t) => t.head + t.target + t.source);
 */
export async function getAttestationsRewards(
  ctx: BeaconContext,
  epoch: number,
  indices: readonly number[],
): Promise<AttestationRewards | null> {
  if (indices.length === 0) return { ideal: [], total: [] };
  const path = `/eth/v1/beacon/rewards/attestations/${epoch}`;
  const req: HttpRequest = {
    method: "POST",
    path,
    body: indices.map(String),
    timeoutMs: ctx.timeoutMs,
  };
  let answer: { body: unknown; url: string };
  try {
    answer = await ctx.http.request(req);
  } catch (err) {
    if (isMissingRoute(err)) return null;
    throw err;
  }
  const d = parseAnswer(ctx, J.attestationRewardsResponse, answer.body, req, answer.url).data;
  return {
    ideal: d.ideal_rewards.map((r) => ({
      effectiveBalanceGwei: r.effective_balance,
      head: r.head,
      target: r.target,
      source: r.source,
    })),
    total: d.total_rewards.map((r) => ({
      validatorIndex: r.validator_index,
      head: r.head,
      target: r.target,
      source: r.source,
    })),
  };
}
