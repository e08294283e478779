/**
 * The shared context of the Beacon API client's endpoint modules (src/beacon/api/*): the fallback
 * transport over several beacon nodes (src/beacon/http.ts), timeouts fitted to the slot, the chain
 * info cache, which node lacks which endpoint (old-node fallbacks, remembered per node), and the
 * request helpers every endpoint uses (zod-checked GET, POST, GET-or-404, send-to-every-node).
 *
 * Paths and shapes: ethereum/beacon-APIs (apis/**.yaml, types/http.yaml). Errors are
 * {@link BeaconApiError} (a BaseError): they name the request, every node tried, and what to do.
 */
import type { z } from "zod";
import { InputError } from "../errors.js";
import { BeaconApiError } from "./errors.js";
import {
  createFallbackHttp,
  type FallbackHttp,
  type HttpRequest,
  type HttpResponse,
  type Query,
} from "./http.js";
import { dataResponse } from "./json.js";
import type { BeaconChainInfo, BeaconClientOptions } from "./types.js";

/**
 * Slot fractions bounding each request kind (consensus-specs phase0 validator.md: attest at 1/3
 * of the slot, aggregate at 2/3; a block should be out well before the 1/3 attestation deadline).
 * Attestation data and aggregates must arrive within the third they are needed in; submissions
 * within the next third; a block within half a slot (later blocks are mostly orphaned); duties are
 * fetched ahead, so a whole slot.
 *
 * @example
 * SLOT_FRACTION.attestationData * 12_000 // 4000 ms on mainnet
 */
export const SLOT_FRACTION = {
  attestationData: 1 / 3,
  blockRoot: 1 / 3,
  submitSyncMessages: 1 / 3,
  contribution: 1 / 3,
  submitContributions: 1 / 3,
  submitAttestations: 1 / 3,
  aggregate: 1 / 3,
  submitAggregates: 1 / 3,
  produceBlock: 1 / 2,
  publishBlock: 1 / 2,
  duties: 1,
} as const;

/**
 * The client's state shared by every endpoint function.
 *
 * @example
 * const ctx = createBeaconContext(["http://127.0.0.1:5052"], { timeoutMs: 5000 });
 * await getJson(ctx, versionResponse, "/eth/v1/node/version");
 */
export type BeaconContext = {
  readonly http: FallbackHttp;
  /** Upper bound of every attempt (ms). */
  readonly timeoutMs: number;
  /** Slot length used for timeouts until the chain info is read. */
  readonly secondsPerSlot: number | undefined;
  /** Added to every error: what the user can do (see BeaconClientOptions.hint). */
  readonly hint: string | undefined;
  /** Chain info, once read (src/beacon/api/config.ts). */
  chain: BeaconChainInfo | undefined;
  chainPending: Promise<BeaconChainInfo> | undefined;
  /** `url feature` of nodes found without an endpoint (see {@link withEndpointFallback}). */
  readonly lacking: Set<string>;
};

/**
 * Check the options and build the context (transport over `urls`, empty caches).
 *
 * @example
 * const ctx = createBeaconContext(["http://127.0.0.1:5052"], { timeoutMs: 5000 });
 */
export function createBeaconContext(
  urls: readonly string[],
  opts: BeaconClientOptions,
): BeaconContext {
  if (!(opts.timeoutMs > 0)) {
    throw new InputError("Beacon client timeout must be a positive number of milliseconds", {
      field: "timeoutMs",
    });
  }
  return {
    http: createFallbackHttp(urls, {
      clock: opts.clock,
      retryFailedAfterMs: opts.retryFailedAfterMs,
      hint: opts.hint,
    }),
    timeoutMs: opts.timeoutMs,
    secondsPerSlot: opts.secondsPerSlot,
    hint: opts.hint,
    chain: undefined,
    chainPending: undefined,
    lacking: new Set(),
  };
}

/**
 * The attempt timeout for a request bounded by `fraction` of a slot (never above the configured
 * timeout, at least 1 ms); the configured timeout when no fraction or no slot length is known.
 *
 * @example
 * timeoutFor(ctx, SLOT_FRACTION.attestationData) // 4000 on mainnet with timeoutMs ≥ 4000
 */
export function timeoutFor(ctx: BeaconContext, fraction?: number): number {
  const sps = ctx.chain?.secondsPerSlot ?? ctx.secondsPerSlot;
  if (fraction === undefined || sps === undefined) return ctx.timeoutMs;
  return Math.max(1, Math.min(ctx.timeoutMs, Math.floor(fraction * sps * 1000)));
}

/**
 * The error for an answer that is not what ethereum/beacon-APIs documents.
 *
 * @example
 * throw badResponse(ctx, req, res.url, "data is not an array");
 */
export function badResponse(
  ctx: BeaconContext,
  req: HttpRequest,
  url: string,
  message: string,
  cause?: unknown,
): BeaconApiError {
  return new BeaconApiError(`Unexpected answer from the beacon node to ${req.path}`, {
    method: req.method,
    path: req.path,
    attempts: [{ url, kind: "bad-response", message }],
    cause,
    metaMessages: [
      "The beacon node's API differs from ethereum/beacon-APIs as rpdvt reads it: check its version, or use another node.",
      ...(ctx.hint ? [ctx.hint] : []),
    ],
  });
}

/**
 * Parse an answer with a zod schema (src/beacon/json.ts); a mismatch names the first bad field.
 *
 * @example
 * const d = parseAnswer(ctx, syncingResponse, res.body, req, res.url).data;
 */
export function parseAnswer<S extends z.ZodType>(
  ctx: BeaconContext,
  schema: S,
  body: unknown,
  req: HttpRequest,
  url: string,
): z.infer<S> {
  const r = schema.safeParse(body);
  if (r.success) return r.data as z.infer<S>;
  const issue = r.error.issues[0];
  throw badResponse(ctx, req, url, `${issue?.path.join(".") || "(root)"}: ${issue?.message}`);
}

/**
 * Read a consensus container with its SSZ type's `fromJson` (@lodestar/types); a mismatch is a
 * {@link badResponse}.
 *
 * @example
 * const data = fromJsonAnswer(ctx, ssz.phase0.AttestationData, json, req, res.url);
 */
export function fromJsonAnswer<T>(
  ctx: BeaconContext,
  type: { fromJson(j: unknown): T },
  json: unknown,
  req: HttpRequest,
  url: string,
): T {
  try {
    return type.fromJson(json);
  } catch (err) {
    throw badResponse(ctx, req, url, (err as Error)?.message ?? String(err), err);
  }
}

/**
 * Send `req` (with fallback over the nodes) and read the answer's `data` as a consensus container
 * with `type`'s `fromJson`: the `{ data }` envelope and the container are checked
 * ({@link parseAnswer}, {@link fromJsonAnswer}).
 *
 * @example
 * const data = await requestContainer(ctx, req, ssz.phase0.AttestationData);
 */
export async function requestContainer<T>(
  ctx: BeaconContext,
  req: HttpRequest,
  type: { fromJson(j: unknown): T },
): Promise<T> {
  const res = await ctx.http.request(req);
  const data = parseAnswer(ctx, dataResponse, res.body, req, res.url).data;
  return fromJsonAnswer(ctx, type, data, req, res.url);
}

/**
 * GET `path?query` (with fallback over the nodes), parsed with `schema`.
 *
 * @example
 * const v = (await getJson(ctx, versionResponse, "/eth/v1/node/version")).data.version;
 */
export async function getJson<S extends z.ZodType>(
  ctx: BeaconContext,
  schema: S,
  path: string,
  query?: Query,
  timeoutMs = ctx.timeoutMs,
): Promise<z.infer<S>> {
  const req: HttpRequest = { method: "GET", path, query, timeoutMs };
  const res = await ctx.http.request(req);
  return parseAnswer(ctx, schema, res.body, req, res.url);
}

/**
 * POST a JSON body (with fallback over the nodes); the answer is not read.
 *
 * @example
 * await postJson(ctx, "/eth/v1/beacon/pool/voluntary_exits", exitJson, 4000);
 */
export async function postJson(
  ctx: BeaconContext,
  path: string,
  body: unknown,
  timeoutMs: number,
  headers?: Record<string, string>,
): Promise<HttpResponse> {
  return ctx.http.request({ method: "POST", path, body, timeoutMs, headers });
}

/**
 * GET that answers null on 404 (unknown block / state), else the request and its answer.
 *
 * @example
 * const r = await getOrNull(ctx, "/eth/v1/beacon/headers/999"); // null: no such block
 */
export async function getOrNull(
  ctx: BeaconContext,
  path: string,
  timeoutMs = ctx.timeoutMs,
): Promise<{ req: HttpRequest; res: HttpResponse } | null> {
  const req: HttpRequest = { method: "GET", path, timeoutMs, acceptStatus: [404] };
  const res = await ctx.http.request(req);
  return res.status === 404 ? null : { req, res };
}

/**
 * Send `req` to EVERY beacon node (not first-success): registrations and subscriptions must
 * reach whichever node later serves the duty. Any refusal is one BeaconApiError listing every
 * refused node's attempt; a non-API failure is rethrown as is.
 *
 * @example
 * await requestEveryNode(ctx, req, "the fee recipients", "The node retries every epoch.");
 */
export async function requestEveryNode(
  ctx: BeaconContext,
  req: HttpRequest,
  what: string,
  hint: string,
): Promise<void> {
  const { urls } = ctx.http;
  const results = await Promise.allSettled(urls.map((url) => ctx.http.requestOne(url, req)));
  const failed = results.flatMap((r) => (r.status === "rejected" ? [r.reason] : []));
  const other = failed.find((e) => !(e instanceof BeaconApiError));
  if (other) throw other;
  const attempts = failed.flatMap((e) => (e as BeaconApiError).attempts);
  if (attempts.length) {
    throw new BeaconApiError(`${attempts.length} of ${urls.length} beacon nodes refused ${what}`, {
      method: req.method,
      path: req.path,
      attempts,
      metaMessages: [hint, ...(ctx.hint ? [ctx.hint] : [])],
    });
  }
}

/** Statuses meaning "this node has no such endpoint" (route not found / not implemented). */
const MISSING_ENDPOINT = new Set([404, 405, 501]);

/**
 * The URL of the node that answered "no such endpoint" (HTTP 404/405/501), when `err` says so
 * ("" when the error names no node); undefined for any other error.
 *
 * @example
 * const url = lackingNode(err); // "http://127.0.0.1:5052" or undefined
 */
export function lackingNode(err: unknown): string | undefined {
  if (!(err instanceof BeaconApiError && MISSING_ENDPOINT.has(err.status ?? 0))) return undefined;
  return err.attempts[err.attempts.length - 1]?.url ?? "";
}

/**
 * The stricter test for answers turned into "not available" (null): HTTP 405/501, or a 404 whose
 * message names a missing route (fastify "Route POST:… not found") — a 404 for an unknown epoch
 * or state stays an error.
 *
 * @example
 * if (isMissingRoute(err)) return null;
 */
export function isMissingRoute(err: unknown): boolean {
  if (!(err instanceof BeaconApiError)) return false;
  const last = err.attempts[err.attempts.length - 1];
  return (
    err.status === 405 ||
    err.status === 501 ||
    (err.status === 404 && last?.kind === "http" && /route/i.test(last.message))
  );
}

/**
 * Ask with `primary` unless the node asked first is known to lack `feature`; when the node answers
 * that it has no such endpoint (404/405/501), remember that for the node and ask with `fallback`.
 * Old beacon nodes (Lodestar ≤ 1.11; the devnet's 1.5.1) lack several newer endpoints.
 *
 * @example
 * await withEndpointFallback(ctx, "v3 produce", () => v3(), () => v2());
 */
export async function withEndpointFallback<T>(
  ctx: BeaconContext,
  feature: string,
  primary: () => Promise<T>,
  fallback: () => Promise<T>,
): Promise<T> {
  const first = ctx.http.order()[0];
  if (first !== undefined && ctx.lacking.has(`${first} ${feature}`)) return fallback();
  try {
    return await primary();
  } catch (err) {
    const url = lackingNode(err);
    if (url === undefined) throw err;
    if (url) ctx.lacking.add(`${url} ${feature}`);
    return fallback();
  }
}
