/**
 * Beacon API "validator" group, duties and liveness (ethereum/beacon-APIs
 * apis/validator/duties/attester.yaml, duties/proposer.yaml, duties/sync.yaml, liveness.yaml).
 *
 * Duties must lie in the epoch asked for: Lodestar 1.5.1 answers next-epoch proposer duties with
 * the current epoch's slots, and acting on them would propose at the wrong slots. Liveness: the
 * standard POST /eth/v1/validator/liveness/{epoch}, falling back per node to Lodestar ≤ 1.5's GET
 * /eth/v1/validator/liveness?indices=…&epoch=… (answers only for the current epoch ± 1).
 */
import type { z } from "zod";
import type { AttesterDuty, ProposerDuty, SyncCommitteeDuty } from "../../core/beacon.js";
import {
  type BeaconContext,
  getJson,
  parseAnswer,
  SLOT_FRACTION,
  timeoutFor,
  withEndpointFallback,
} from "../context.js";
import { BeaconApiError } from "../errors.js";
import type { HttpRequest, HttpResponse } from "../http.js";
import * as J from "../json.js";
import { chainInfo } from "./config.js";

/**
 * Refuse duties outside `epoch` (a node's bug; see the header).
 *
 * @example
 * assertInEpoch(duties, 3, 32, req, res.url);
 */
export function assertInEpoch(
  duties: readonly { slot: number }[],
  epoch: number,
  slotsPerEpoch: number,
  req: HttpRequest,
  url: string,
): void {
  const bad = duties.find((d) => Math.floor(d.slot / slotsPerEpoch) !== epoch);
  if (!bad) return;
  throw new BeaconApiError(`Beacon node answered duties of epoch ${epoch} with slot ${bad.slot}`, {
    method: req.method,
    path: req.path,
    attempts: [{ url, kind: "bad-response", message: `slot ${bad.slot} is not in epoch ${epoch}` }],
    metaMessages: [
      "Its duties cannot be trusted. Lodestar 1.5 does this for next-epoch proposer duties: ask for the current epoch only, or use another beacon node.",
    ],
  });
}

/** POST the validator indices (decimal strings) to a duties endpoint, within the duties' timeout. */
async function postIndices(
  ctx: BeaconContext,
  path: string,
  indices: readonly number[],
): Promise<{ req: HttpRequest; res: HttpResponse }> {
  const timeoutMs = timeoutFor(ctx, SLOT_FRACTION.duties);
  const req: HttpRequest = { method: "POST", path, body: indices.map(String), timeoutMs };
  return { req, res: await ctx.http.request(req) };
}

/**
 * POST /eth/v1/validator/duties/attester/{epoch} (index strings); none asked: no request.
 *
 * @example
 * const duties = await getAttesterDuties(ctx, 10, [48, 49]);
 */
export async function getAttesterDuties(
  ctx: BeaconContext,
  epoch: number,
  indices: readonly number[],
): Promise<AttesterDuty[]> {
  if (indices.length === 0) return [];
  const path = `/eth/v1/validator/duties/attester/${epoch}`;
  const { req, res } = await postIndices(ctx, path, indices);
  const duties = parseAnswer(ctx, J.attesterDutiesResponse, res.body, req, res.url).data;
  assertInEpoch(duties, epoch, (await chainInfo(ctx)).slotsPerEpoch, req, res.url);
  return duties.map((d) => ({
    pubkey: d.pubkey,
    validatorIndex: d.validator_index,
    committeeIndex: d.committee_index,
    committeeLength: d.committee_length,
    committeesAtSlot: d.committees_at_slot,
    validatorCommitteeIndex: d.validator_committee_index,
    slot: d.slot,
  }));
}

/**
 * GET /eth/v1/validator/duties/proposer/{epoch}: every proposer of the epoch, checked to lie in it.
 *
 * @example
 * const proposers = await getProposerDuties(ctx, 10);
 */
export async function getProposerDuties(
  ctx: BeaconContext,
  epoch: number,
): Promise<ProposerDuty[]> {
  const path = `/eth/v1/validator/duties/proposer/${epoch}`;
  const req: HttpRequest = {
    method: "GET",
    path,
    timeoutMs: timeoutFor(ctx, SLOT_FRACTION.duties),
  };
  const res = await ctx.http.request(req);
  const duties = parseAnswer(ctx, J.proposerDutiesResponse, res.body, req, res.url).data;
  assertInEpoch(duties, epoch, (await chainInfo(ctx)).slotsPerEpoch, req, res.url);
  return duties.map((d) => ({ pubkey: d.pubkey, validatorIndex: d.validator_index, slot: d.slot }));
}

/** Lodestar ≤ 1.5's refusal of proposer duties outside [current, next] epoch (HTTP 500). */
const PAST_DUTIES = /must equal current \d+ or next epoch/;

/**
 * GET /eth/v1/validator/duties/proposer/{epoch} for an epoch that may be past: null when the node
 * refuses past epochs (Lodestar ≤ 1.5: HTTP 500 "must equal current … or next epoch"). Reads no
 * chain info (the duties are not checked against the epoch length).
 *
 * @example
 * (await getProposerDutiesIfServed(ctx, 2)) ?? "not available"
 */
export async function getProposerDutiesIfServed(
  ctx: BeaconContext,
  epoch: number,
): Promise<{ validatorIndex: number; slot: number }[] | null> {
  const path = `/eth/v1/validator/duties/proposer/${epoch}`;
  try {
    const res = await getJson(ctx, J.proposerDutiesResponse, path);
    return res.data.map((d) => ({ validatorIndex: d.validator_index, slot: d.slot }));
  } catch (err) {
    const last = err instanceof BeaconApiError ? err.attempts.at(-1) : undefined;
    if (last?.kind === "http" && last.status === 500 && PAST_DUTIES.test(last.message)) return null;
    throw err;
  }
}

/**
 * POST /eth/v1/validator/duties/sync/{epoch} (Altair+); none asked: no request.
 *
 * @example
 * const [d] = await getSyncCommitteeDuties(ctx, 10, [48]);
 */
export async function getSyncCommitteeDuties(
  ctx: BeaconContext,
  epoch: number,
  indices: readonly number[],
): Promise<SyncCommitteeDuty[]> {
  if (indices.length === 0) return [];
  const { req, res } = await postIndices(ctx, `/eth/v1/validator/duties/sync/${epoch}`, indices);
  return parseAnswer(ctx, J.syncDutiesResponse, res.body, req, res.url).data.map((d) => ({
    pubkey: d.pubkey,
    validatorIndex: d.validator_index,
    validatorSyncCommitteeIndices: d.validator_sync_committee_indices,
  }));
}

type LivenessRows = z.infer<typeof J.livenessResponse>["data"];

/**
 * POST /eth/v1/validator/liveness/{epoch} (standard), or Lodestar ≤ 1.5's GET form on nodes
 * without it: index → live in `epoch`. None asked: no request.
 *
 * @example
 * (await getLiveness(ctx, 5, [48])).get(48) // true
 */
export async function getLiveness(
  ctx: BeaconContext,
  epoch: number,
  indices: readonly number[],
): Promise<Map<number, boolean>> {
  const out = new Map<number, boolean>();
  if (indices.length === 0) return out;
  const ids = indices.map(String);
  const post = async (): Promise<LivenessRows> => {
    const path = `/eth/v1/validator/liveness/${epoch}`;
    const req: HttpRequest = { method: "POST", path, body: ids, timeoutMs: timeoutFor(ctx) };
    const res = await ctx.http.request(req);
    return parseAnswer(ctx, J.livenessResponse, res.body, req, res.url).data;
  };
  const oldGet = async (): Promise<LivenessRows> => {
    const query = { indices: ids, epoch };
    const res = await getJson(ctx, J.livenessResponse, "/eth/v1/validator/liveness", query);
    return res.data;
  };
  for (const r of await withEndpointFallback(ctx, "POST liveness", post, oldGet)) {
    out.set(r.index, r.is_live);
  }
  return out;
}
