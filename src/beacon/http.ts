/**
 * HTTP with fallback over several beacon nodes (the transport under the Beacon API client,
 * src/beacon/context.ts).
 *
 * - Order: nodes that have not failed recently, in the configured order, then the ones that did
 *   (last resort). A node that failed is retried first again `retryFailedAfterMs` later, or as
 *   soon as it answers.
 * - One attempt per node per request, each with its own timeout (AbortController). On a timeout, a
 *   network error, an unparsable answer or an HTTP 5xx the next node is tried; a 4xx is the
 *   node's verdict on the request itself and is final (another node would say the same).
 * - Arrays in `query` become repeated parameters (`id=1&id=2`): the OpenAPI default
 *   (style: form, explode: true) used by ethereum/beacon-APIs, and the only array form
 *   Lodestar ≤ 1.5 reads.
 * - Responses are JSON (beacon-APIs serves `application/json` unless SSZ is asked for).
 */

import { InputError } from "../errors.js";
import { type Clock, systemClock } from "../util/clock.js";
import { BeaconApiError, type BeaconAttemptFailure, type BeaconItemFailure } from "./errors.js";

/**
 * Query values: arrays repeat the key.
 *
 * @example
 * withQuery("/eth/v1/beacon/states/head/validators", { id: [1, 2] });
 */
export type Query = Record<
  string,
  string | number | boolean | readonly (string | number)[] | undefined
>;

/**
 * One request of the fallback transport.
 *
 * @example
 * await http.request({ method: "GET", path: "/eth/v1/node/version", timeoutMs: 2000 });
 */
export type HttpRequest = {
  method: "GET" | "POST";
  path: string;
  query?: Query | undefined;
  body?: unknown;
  headers?: Record<string, string> | undefined;
  /** Per-attempt timeout in ms. */
  timeoutMs: number;
  /** Statuses returned to the caller instead of failing (e.g. 206/503 for /node/health). */
  acceptStatus?: readonly number[] | undefined;
};

/**
 * A successful (or accepted-status) answer.
 *
 * @example
 * const { status, body } = await http.request(req);
 */
export type HttpResponse = {
  url: string;
  status: number;
  headers: Headers;
  /** Parsed JSON body, or undefined for an empty body. */
  body: unknown;
};

/**
 * The fallback transport of {@link createFallbackHttp}.
 *
 * @example
 * const http: FallbackHttp = createFallbackHttp(["http://127.0.0.1:5052"]);
 */
export type FallbackHttp = {
  readonly urls: readonly string[];
  request(req: HttpRequest): Promise<HttpResponse>;
  /** Send to one node only (no fallback); never marks health. */
  requestOne(url: string, req: HttpRequest): Promise<HttpResponse>;
  /** Record the health of a node found by a health check. */
  markHealth(url: string, healthy: boolean): void;
  /** The order the next request will try the nodes in. */
  order(): string[];
};

/**
 * Options of {@link createFallbackHttp}.
 *
 * @example
 * createFallbackHttp(urls, { retryFailedAfterMs: 6000 });
 */
export type FallbackHttpOptions = {
  clock?: Clock | undefined;
  /** How long a failed node stays at the back of the order. Default {@link DEFAULT_RETRY_FAILED_AFTER_MS}. */
  retryFailedAfterMs?: number | undefined;
  /** Added to every error: what the user can do (e.g. which flag gave the URL). */
  hint?: string | undefined;
};

/**
 * 12 s: one mainnet slot (consensus-specs phase0 SECONDS_PER_SLOT = 12) — a node that failed is
 * tried first again one slot later.
 *
 * @example
 * createFallbackHttp(urls, { retryFailedAfterMs: DEFAULT_RETRY_FAILED_AFTER_MS });
 */
export const DEFAULT_RETRY_FAILED_AFTER_MS = 12_000;

/**
 * Check and normalise beacon node URLs: http(s), no trailing slash, at least one, no duplicates.
 *
 * @example
 * normalizeUrls(["http://127.0.0.1:5052/"]) // ["http://127.0.0.1:5052"]
 */
export function normalizeUrls(urls: readonly string[]): string[] {
  if (urls.length === 0) {
    throw new InputError("No beacon node URL given", {
      field: "beacon nodes",
      metaMessages: ["Give at least one beacon node REST URL, e.g. http://127.0.0.1:5052."],
    });
  }
  const out = urls.map((raw) => {
    let u: URL;
    try {
      u = new URL(raw);
    } catch (err) {
      throw new InputError(`Not a URL: ${raw}`, { field: "beacon nodes", cause: err });
    }
    if (u.protocol !== "http:" && u.protocol !== "https:") {
      throw new InputError(`Beacon node URL must be http(s): ${raw}`, { field: "beacon nodes" });
    }
    return u.toString().replace(/\/+$/, "");
  });
  if (new Set(out).size !== out.length) {
    throw new InputError("A beacon node URL is given twice", { field: "beacon nodes" });
  }
  return out;
}

/**
 * Build `path?query` with repeated keys for arrays.
 *
 * @example
 * withQuery("/eth/v1/beacon/states/head/validators", { id: [48, 49] })
 * // "/eth/v1/beacon/states/head/validators?id=48&id=49"
 */
export function withQuery(path: string, query: Query | undefined): string {
  if (!query) return path;
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const x of v) q.append(k, String(x));
    else q.append(k, String(v));
  }
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

/** Read a beacon node's error body: beacon-APIs `{code, message, failures}` or fastify's. */
function errorOf(body: unknown, text: string): { message: string; failures: BeaconItemFailure[] } {
  if (body && typeof body === "object") {
    const b = body as { message?: unknown; error?: unknown; failures?: unknown };
    const failures = Array.isArray(b.failures)
      ? b.failures.map((f: { index?: unknown; message?: unknown }) => ({
          index: Number(f?.index),
          message: String(f?.message ?? ""),
        }))
      : [];
    const message =
      typeof b.message === "string" ? b.message : typeof b.error === "string" ? b.error : text;
    return { message, failures };
  }
  return { message: text || "(empty body)", failures: [] };
}

class AttemptError extends Error {
  constructor(
    readonly failure: BeaconAttemptFailure,
    readonly final: boolean,
    readonly itemFailures: BeaconItemFailure[] = [],
  ) {
    super(failure.message);
  }
}

/** One HTTP exchange with one node; what went wrong is an {@link AttemptError}. */
async function fetchAttempt(
  clock: Clock,
  url: string,
  req: HttpRequest,
): Promise<{ res: Response; text: string }> {
  const controller = new AbortController();
  let timedOut = false;
  const cancel = clock.setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, req.timeoutMs);
  try {
    const res = await fetch(url + withQuery(req.path, req.query), {
      method: req.method,
      headers: {
        accept: "application/json",
        ...(req.body !== undefined ? { "content-type": "application/json" } : {}),
        ...req.headers,
      },
      body: req.body === undefined ? undefined : JSON.stringify(req.body),
      signal: controller.signal,
    });
    return { res, text: await res.text() };
  } catch (err) {
    const message = timedOut
      ? `no answer within ${req.timeoutMs} ms`
      : ((err as { cause?: { code?: string; message?: string } })?.cause?.code ??
        (err as Error)?.message ??
        String(err));
    throw new AttemptError({ url, kind: timedOut ? "timeout" : "network", message }, false);
  } finally {
    cancel();
  }
}

/**
 * One attempt against one node: the answer (success or an accepted status), or an
 * {@link AttemptError} — final for a 4xx (the node's verdict on the request itself).
 */
async function attempt(clock: Clock, url: string, req: HttpRequest): Promise<HttpResponse> {
  const { res, text } = await fetchAttempt(clock, url, req);
  let body: unknown;
  if (text.length > 0) {
    try {
      body = JSON.parse(text);
    } catch {
      if (res.ok) {
        const failure = { url, kind: "bad-response" as const, status: res.status };
        throw new AttemptError({ ...failure, message: "body is not JSON" }, false);
      }
    }
  }
  if (res.ok || req.acceptStatus?.includes(res.status)) {
    return { url, status: res.status, headers: res.headers, body };
  }
  const { message, failures } = errorOf(body, text.slice(0, 500));
  const failure: BeaconAttemptFailure = { url, kind: "http", status: res.status, message };
  throw new AttemptError(failure, res.status < 500, failures);
}

/** The error of a request no node served: refused (the last node answered) or unanswered. */
function requestError(
  req: HttpRequest,
  attempts: BeaconAttemptFailure[],
  items: BeaconItemFailure[],
  hint: string | undefined,
): BeaconApiError {
  const answered = attempts.some((a) => a.kind === "http");
  const last = attempts[attempts.length - 1];
  return new BeaconApiError(
    answered && last?.kind === "http"
      ? `Beacon node rejected ${req.method} ${req.path} (HTTP ${last.status})`
      : `No beacon node answered ${req.method} ${req.path}`,
    {
      method: req.method,
      path: req.path,
      attempts,
      failures: items,
      metaMessages: [
        ...(answered
          ? []
          : [
              "Check that the beacon node(s) run, that their REST API is enabled (Lodestar --rest, Lighthouse --http, Teku --rest-api-enabled, Prysm --grpc-gateway / --http) and reachable from here.",
            ]),
        ...(hint ? [hint] : []),
      ],
    },
  );
}

/** The transport's state: the nodes, and when each last failed. */
type Nodes = {
  list: string[];
  clock: Clock;
  retryAfter: number;
  failedAt: Map<string, number>;
  hint: string | undefined;
};

/** Nodes that have not failed recently, in the configured order, then the ones that did. */
function nodeOrder(n: Nodes): string[] {
  const isDown = (url: string) => {
    const t = n.failedAt.get(url);
    return t !== undefined && n.clock.now() - t < n.retryAfter;
  };
  return [...n.list.filter((u) => !isDown(u)), ...n.list.filter((u) => isDown(u))];
}

/** Try the nodes in order until one answers (see the header for the rules). */
async function requestWithFallback(n: Nodes, req: HttpRequest): Promise<HttpResponse> {
  const attempts: BeaconAttemptFailure[] = [];
  let items: BeaconItemFailure[] = [];
  for (const url of nodeOrder(n)) {
    try {
      const res = await attempt(n.clock, url, req);
      n.failedAt.delete(url);
      return res;
    } catch (err) {
      if (!(err instanceof AttemptError)) throw err;
      attempts.push(err.failure);
      items = err.itemFailures;
      if (err.final) {
        // The node answered: it is up, the request itself was refused.
        n.failedAt.delete(url);
        break;
      }
      // 500 often means "your item is invalid" (Lodestar ≤ 1.5 answers a bad attestation
      // signature with 500): try the next node, but keep this one in front. No answer, 502,
      // 503 (not ready / syncing) and 504 move it to the back.
      if (err.failure.kind !== "http" || err.failure.status !== 500) {
        n.failedAt.set(url, n.clock.now());
      }
    }
  }
  throw requestError(req, attempts, items, n.hint);
}

/**
 * Create the fallback transport over `urls` (see the header comment for the rules).
 *
 * @example
 * const http = createFallbackHttp(["http://127.0.0.1:5052", "http://10.0.0.2:5052"]);
 * const res = await http.request({ method: "GET", path: "/eth/v1/node/version", timeoutMs: 2000 });
 */
export function createFallbackHttp(
  urls: readonly string[],
  opts: FallbackHttpOptions = {},
): FallbackHttp {
  const n: Nodes = {
    list: normalizeUrls(urls),
    clock: opts.clock ?? systemClock,
    retryAfter: opts.retryFailedAfterMs ?? DEFAULT_RETRY_FAILED_AFTER_MS,
    failedAt: new Map(),
    hint: opts.hint,
  };
  return {
    urls: n.list,
    order: () => nodeOrder(n),
    markHealth(url, healthy) {
      if (healthy) n.failedAt.delete(url);
      else n.failedAt.set(url, n.clock.now());
    },
    async requestOne(url, req) {
      try {
        return await attempt(n.clock, url, req);
      } catch (err) {
        if (!(err instanceof AttemptError)) throw err;
        throw requestError(req, [err.failure], err.itemFailures, n.hint);
      }
    },
    request: (req) => requestWithFallback(n, req),
  };
}
