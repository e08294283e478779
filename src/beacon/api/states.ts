/**
 * Beacon API "beacon" group, state reads (ethereum/beacon-APIs apis/beacon/states/validators.yaml,
 * validator_balances.yaml, finality_checkpoints.yaml, committees.yaml).
 *
 * Validator ids go in POST bodies (…/validators `{ids}`, …/validator_balances `[ids]`), at most
 * {@link IDS_PER_POST} per request. Where the POST is missing (404/405/501: Lodestar ≤ 1.11 —
 * 1.5.1 has only the GETs; remembered per node) they go as repeated `id` query parameters, at most
 * {@link IDS_PER_QUERY} per GET.
 */
import { ssz } from "@lodestar/types";
import type { z } from "zod";
import { toHex } from "../../util/hex.js";
import {
  type BeaconContext,
  fromJsonAnswer,
  getJson,
  parseAnswer,
  withEndpointFallback,
} from "../context.js";
import type { HttpRequest } from "../http.js";
import * as J from "../json.js";
import type { BeaconValidator, Committee, FinalityCheckpoints, StateId } from "../types.js";

/**
 * Max ids per GET query, as repeated `id` parameters: current Lodestar parses queries with qs
 * (`comma: true`), whose array limit (20) turns more repeated values into an object — v1.39
 * answers 400 "id must be array"; Lodestar 1.5.1 parses with node's querystring and does not split
 * comma-separated ids, so repeated parameters, ≤ 20, are what both read (also keeps URLs < 2.5
 * KiB: 48-byte pubkeys are 98 hex chars each). Only the fallback for nodes without the POSTs.
 *
 * @example
 * chunks(ids, IDS_PER_QUERY)
 */
export const IDS_PER_QUERY = 20;

/**
 * Ids per POST …/validators or …/validator_balances body (bounded request and answer size).
 *
 * @example
 * chunks(ids, IDS_PER_POST)
 */
export const IDS_PER_POST = 1000;

/**
 * Split `xs` into runs of at most `n`.
 *
 * @example
 * chunks([1, 2, 3], 2) // [[1, 2], [3]]
 */
export function chunks<T>(xs: readonly T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
}

/** A validator id as the API writes it: index in decimal, pubkey as 0x-hex. */
function idParam(id: Uint8Array | number): string {
  return typeof id === "number" ? String(id) : toHex(id);
}

/**
 * POST `path` with `body(ids)` per {@link IDS_PER_POST}, or — on a node without the POST — GET it
 * with repeated `id` parameters per {@link IDS_PER_QUERY}. Answers every response, parsed.
 *
 * @example
 * await idsRequest(ctx, J.balancesResponse, path, [48, 49], (part) => part);
 */
export async function idsRequest<S extends z.ZodType>(
  ctx: BeaconContext,
  schema: S,
  path: string,
  ids: readonly (Uint8Array | number)[],
  body: (ids: string[]) => unknown,
): Promise<z.infer<S>[]> {
  const out: z.infer<S>[] = [];
  let rest = ids.map(idParam);
  const byPost = async () => {
    for (const part of chunks(rest, IDS_PER_POST)) {
      const req: HttpRequest = { method: "POST", path, body: body(part), timeoutMs: ctx.timeoutMs };
      const res = await ctx.http.request(req);
      out.push(parseAnswer(ctx, schema, res.body, req, res.url));
      rest = rest.slice(part.length);
    }
    return out;
  };
  const byGet = async () => {
    for (const part of chunks(rest, IDS_PER_QUERY)) {
      out.push(await getJson(ctx, schema, path, { id: part }));
    }
    return out;
  };
  return withEndpointFallback(ctx, `POST ${path}`, byPost, byGet);
}

/**
 * GET|POST /eth/v1/beacon/states/{state_id}/validators: the validators with these indices or
 * pubkeys (unknown ones are left out).
 *
 * @example
 * const [v] = await getStateValidators(ctx, [pubkey]);
 */
export async function getStateValidators(
  ctx: BeaconContext,
  ids: readonly (Uint8Array | number)[],
  stateId: StateId = "head",
): Promise<BeaconValidator[]> {
  if (ids.length === 0) return [];
  const path = `/eth/v1/beacon/states/${stateId}/validators`;
  const answers = await idsRequest(ctx, J.validatorsResponse, path, ids, (part) => ({ ids: part }));
  return answers.flatMap((res) =>
    res.data.map((v) => ({
      index: v.index,
      pubkey: v.validator.pubkey,
      status: v.status,
      balanceGwei: v.balance,
      withdrawalCredentials: v.validator.withdrawal_credentials,
      effectiveBalanceGwei: v.validator.effective_balance,
      slashed: v.validator.slashed,
      activationEpoch: v.validator.activation_epoch,
      exitEpoch: v.validator.exit_epoch,
    })),
  );
}

/**
 * GET|POST /eth/v1/beacon/states/{state_id}/validator_balances: index → Gwei. Lodestar ≤ 1.5
 * ignores numeric ids there (answers []): those are read via …/validators.
 *
 * @example
 * (await getStateValidatorBalances(ctx, [48])).get(48) // 32000000000n
 */
export async function getStateValidatorBalances(
  ctx: BeaconContext,
  ids: readonly (Uint8Array | number)[],
  stateId: StateId = "head",
): Promise<Map<number, bigint>> {
  const out = new Map<number, bigint>();
  if (ids.length === 0) return out;
  const path = `/eth/v1/beacon/states/${stateId}/validator_balances`;
  for (const res of await idsRequest(ctx, J.balancesResponse, path, ids, (part) => part)) {
    for (const b of res.data) out.set(b.index, b.balance);
  }
  const missing = ids.filter((id): id is number => typeof id === "number" && !out.has(id));
  if (missing.length) {
    for (const v of await getStateValidators(ctx, missing, stateId)) {
      out.set(v.index, v.balanceGwei);
    }
  }
  return out;
}

/**
 * GET /eth/v1/beacon/states/{state_id}/finality_checkpoints.
 *
 * @example
 * const { finalized } = await getStateFinalityCheckpoints(ctx);
 */
export async function getStateFinalityCheckpoints(
  ctx: BeaconContext,
  stateId: StateId = "head",
): Promise<FinalityCheckpoints> {
  const path = `/eth/v1/beacon/states/${stateId}/finality_checkpoints`;
  const req: HttpRequest = { method: "GET", path, timeoutMs: ctx.timeoutMs };
  const res = await ctx.http.request(req);
  const d = parseAnswer(ctx, J.finalityResponse, res.body, req, res.url).data;
  const cp = (j: unknown) => fromJsonAnswer(ctx, ssz.phase0.Checkpoint, j, req, res.url);
  return {
    previousJustified: cp(d.previous_justified),
    currentJustified: cp(d.current_justified),
    finalized: cp(d.finalized),
  };
}

/**
 * GET /eth/v1/beacon/states/{state_id}/committees?epoch[&slot].
 *
 * @example
 * const committees = await getEpochCommittees(ctx, 10);
 */
export async function getEpochCommittees(
  ctx: BeaconContext,
  epoch: number,
  slot?: number,
  stateId: StateId = "head",
): Promise<Committee[]> {
  const path = `/eth/v1/beacon/states/${stateId}/committees`;
  const res = await getJson(ctx, J.committeesResponse, path, { epoch, slot });
  return res.data.map((c) => ({ index: c.index, slot: c.slot, validators: c.validators }));
}
