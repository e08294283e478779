/**
 * HTTP handler of the local web dashboard (node:http, no framework). Routes:
 *  - GET /              the single self-contained page (./page.ts);
 *  - GET /api/cluster   the cluster view (./view.ts) as JSON;
 *  - GET /events        Server-Sent Events (html.spec.whatwg.org "server-sent events"): one
 *                       `cluster` event with the view on connect and every `intervalMs`; at
 *                       most MAX_EVENT_STREAMS open at once (then 503);
 *  - GET /api/plan      planner results (./plan.ts) for the query string, computed in a worker
 *                       thread (./plan-worker.ts), never on the node's event loop; inputs are
 *                       bounded (400 naming the field) and queries above PLAN_OPEN_LIMITS need
 *                       the dashboard token (401); busy or too slow: 503;
 *  - POST /api/exit     `{pubkey, epoch?, validatorIndex?}`: this operator consents to a
 *                       threshold-signed voluntary exit (source.requestExit → DvNode.requestExit);
 *                       403 when the node has no dashboard token configured, 401 without the
 *                       token, 400 on bad input, 202 when accepted;
 *  - any other method   refused 401 without the dashboard token (./auth.ts); with it, 405.
 * Requests whose Host is not this server on loopback, and requests a browser marks cross-site
 * (Sec-Fetch-Site), are refused 403; a malformed request target is answered 400. The handler never
 * binds a socket itself: `rpdvt node run --dashboard` mounts it on the node's guarded HTTP server
 * (src/core/http-server.ts); {@link startDashboardServer} binds 127.0.0.1 for tests.
 */
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import {
  closeServer,
  createGuardedServer,
  listenLoopback,
  parseRequestTarget,
} from "../core/http-server.js";
import { BaseError, InputError } from "../errors.js";
import { hasValidToken, isCrossSite, isLoopbackHost } from "./auth.js";
import { dashboardHtml } from "./page.js";
import { parsePlanQuery, planNeedsToken } from "./plan.js";
import { createPlanRunner, type PlanRunner, PlanUnavailableError } from "./plan-worker.js";
import type { DashboardSource, ExitRequest } from "./types.js";
import { clusterView } from "./view.js";

/**
 * Default push period of /events: the page updates once per second.
 *
 * @example
 * DEFAULT_EVENT_INTERVAL_MS; // 1_000
 */
export const DEFAULT_EVENT_INTERVAL_MS = 1_000;
/**
 * Open /events streams allowed at once (each holds a connection; the rest are refused 503).
 *
 * @example
 * MAX_EVENT_STREAMS; // 16
 */
export const MAX_EVENT_STREAMS = 16;
/**
 * Paths the dashboard answers (the metrics server keeps /metrics and /status).
 *
 * @example
 * DASHBOARD_PATHS; // ["/", "/api/cluster", "/api/plan", "/events"] as const
 */
export const DASHBOARD_PATHS = ["/", "/api/cluster", "/api/plan", "/events"] as const;

/**
 * Options of {@link createDashboard}.
 *
 * @example
 * const opts: DashboardOptions = { source, token: process.env.RPDVT_DASHBOARD_TOKEN };
 */
export type DashboardOptions = {
  source: DashboardSource;
  /** Token required by state-changing (non-GET) requests; none → they are always refused. */
  token?: string | undefined;
  /** /events push period (default {@link DEFAULT_EVENT_INTERVAL_MS}). */
  intervalMs?: number | undefined;
  /** Planner of /api/plan (default: a worker-thread planner, closed with the dashboard). */
  planner?: PlanRunner | undefined;
};

/**
 * A mounted dashboard: `handle` answers a request if it is a dashboard request (returns whether
 * it did; `url` is the parsed target when the caller has it); `close` ends the open event streams
 * and the planner worker (call before `server.close()`).
 *
 * @example
 * const server = createServer((req, res) => dashboard.handle(req, res) || res.writeHead(404).end());
 */
export type Dashboard = {
  handle(req: IncomingMessage, res: ServerResponse, url?: URL): boolean;
  close(): Promise<void>;
};

const SECURITY_HEADERS = {
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "cache-control": "no-store",
};

// The page is fully inline: no external origin is ever contacted.
const CSP =
  "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; connect-src 'self'; base-uri 'none'; form-action 'none'";

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { ...SECURITY_HEADERS, "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

/**
 * Largest accepted POST body (an exit request is ~150 bytes).
 *
 * @example
 * MAX_BODY_BYTES; // 4_096
 */
export const MAX_BODY_BYTES = 4_096;

class BodyTooLargeError extends InputError {}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((ok, fail) => {
    let size = 0;
    const chunks: Buffer[] = [];
    // Reading stops at the limit: the caller answers 413 and closes the connection, so a client
    // streaming an endless body costs nothing more.
    const onData = (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        req.off("data", onData);
        req.pause();
        fail(new BodyTooLargeError(`Request body larger than ${MAX_BODY_BYTES} bytes`));
      } else chunks.push(c);
    };
    req.on("data", onData);
    req.on("end", () => ok(Buffer.concat(chunks).toString("utf8")));
    req.on("error", fail);
  });
}

const uintField = (v: unknown, field: string): number | undefined => {
  if (v === undefined || v === null) return undefined;
  const n = typeof v === "string" && /^\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== "number" || !Number.isSafeInteger(n) || n < 0)
    throw new InputError(`${field} must be a non-negative integer`, {
      field,
      details: `got ${JSON.stringify(v)}`,
    });
  return n;
};

/**
 * Validate the JSON body of POST /api/exit.
 *
 * @example
 * parseExitRequest('{"pubkey":"0x93ab…","epoch":12}'); // { pubkey: "0x93ab…", epoch: 12 }
 */
export function parseExitRequest(text: string): ExitRequest {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new InputError("The exit request must be a JSON object", {
      metaMessages: ['Example: {"pubkey":"0x…","epoch":123}'],
    });
  }
  if (typeof body !== "object" || body === null || Array.isArray(body))
    throw new InputError("The exit request must be a JSON object");
  const b = body as Record<string, unknown>;
  const unknown = Object.keys(b).filter((k) => !["pubkey", "epoch", "validatorIndex"].includes(k));
  if (unknown.length > 0)
    throw new InputError(`Unknown field(s) in the exit request: ${unknown.join(", ")}`, {
      field: unknown[0],
    });
  if (typeof b.pubkey !== "string" || !/^0x[0-9a-fA-F]{96}$/.test(b.pubkey))
    throw new InputError("pubkey must be a 0x-prefixed 48-byte hex BLS public key", {
      field: "pubkey",
    });
  const out: ExitRequest = { pubkey: b.pubkey.toLowerCase() };
  const epoch = uintField(b.epoch, "epoch");
  const validatorIndex = uintField(b.validatorIndex, "validatorIndex");
  if (epoch !== undefined) out.epoch = epoch;
  if (validatorIndex !== undefined) out.validatorIndex = validatorIndex;
  return out;
}

function errorBody(e: unknown): { error: string; field?: string; details?: string } {
  if (e instanceof InputError) {
    return {
      error: e.shortMessage,
      field: e.field,
      details: e.details ?? e.metaMessages.join("; "),
    };
  }
  if (e instanceof BaseError) return { error: e.shortMessage, details: e.details };
  return { error: e instanceof Error ? e.message : String(e) };
}

/** What the dashboard's routes share: its options, the planner (created on first use), streams. */
type DashboardContext = {
  opts: DashboardOptions;
  intervalMs: number;
  planner: PlanRunner | undefined;
  streams: Set<ServerResponse>;
  timer: NodeJS.Timeout | undefined;
};

/**
 * Create the dashboard handler over a status source.
 *
 * @example
 * const dashboard = createDashboard({ source: nodeDashboardSource(node, transport, def, id) });
 * if (!dashboard.handle(req, res)) res.writeHead(404).end();
 */
export function createDashboard(opts: DashboardOptions): Dashboard {
  const ctx: DashboardContext = {
    opts,
    intervalMs: opts.intervalMs ?? DEFAULT_EVENT_INTERVAL_MS,
    planner: opts.planner,
    streams: new Set(),
    timer: undefined,
  };
  const ownPlanner = opts.planner === undefined;
  return {
    handle: (req, res, parsed) => handle(ctx, req, res, parsed),
    async close() {
      if (ctx.timer) clearInterval(ctx.timer);
      ctx.timer = undefined;
      for (const res of ctx.streams) res.end();
      ctx.streams.clear();
      if (ownPlanner) await ctx.planner?.close();
    },
  };
}

/** The cluster view as JSON (./view.ts over the source's snapshot). */
function viewJson(ctx: DashboardContext): string {
  return JSON.stringify(clusterView(ctx.opts.source.snapshot()));
}

/** 401 with the Bearer challenge. */
function sendUnauthorized(res: ServerResponse, body: { error: string; details?: string }): void {
  res.setHeader("www-authenticate", 'Bearer realm="rpdvt-dashboard"');
  sendJson(res, 401, body);
}

/** The token-required answer of state-changing requests. */
const TOKEN_REQUIRED = "A valid dashboard token is required (the node's --dashboard-token-file)";

/** Answer a dashboard request (see the module header); false when it is not one. */
function handle(
  ctx: DashboardContext,
  req: IncomingMessage,
  res: ServerResponse,
  parsed?: URL,
): boolean {
  const url = parsed ?? parseRequestTarget(req.url);
  if (url === null) {
    sendJson(res, 400, { error: "Malformed request target (expected /path?query)" });
    return true;
  }
  const path = url.pathname;
  if (!(DASHBOARD_PATHS as readonly string[]).includes(path) && !path.startsWith("/api/")) {
    return false;
  }
  if (refusedOrigin(req, res)) return true;
  const method = req.method ?? "GET";
  if (method === "POST" && path === "/api/exit") {
    handleExit(ctx, req, res);
    return true;
  }
  if (method !== "GET" && method !== "HEAD") {
    refuseMethod(ctx, req, res, method, path);
    return true;
  }
  try {
    routeGet(ctx, req, res, url);
  } catch (e) {
    sendJson(res, e instanceof InputError ? 400 : 500, errorBody(e));
  }
  return true;
}

/** 403 for a Host that is not loopback or a request a browser marks cross-site. */
function refusedOrigin(req: IncomingMessage, res: ServerResponse): boolean {
  if (!isLoopbackHost(req.headers.host)) {
    sendJson(res, 403, {
      error: "The dashboard answers loopback hosts only (127.0.0.1:<port>, localhost:<port>)",
    });
    return true;
  }
  if (isCrossSite(req)) {
    req.resume();
    sendJson(res, 403, { error: "Cross-site requests to the dashboard are refused" });
    return true;
  }
  return false;
}

/** Any other method: 401 without the token, 405 with it. */
function refuseMethod(
  ctx: DashboardContext,
  req: IncomingMessage,
  res: ServerResponse,
  method: string,
  path: string,
): void {
  if (!hasValidToken(req, ctx.opts.token)) {
    sendUnauthorized(res, { error: TOKEN_REQUIRED });
  } else {
    res.setHeader("allow", "GET, HEAD");
    sendJson(res, 405, { error: `No ${method} route ${path} (state-changing: POST /api/exit)` });
  }
  req.resume();
}

/** GET /, /api/cluster, /api/plan, /events. */
function routeGet(
  ctx: DashboardContext,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): void {
  const path = url.pathname;
  if (path === "/") {
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      "content-type": "text/html; charset=utf-8",
      "content-security-policy": CSP,
    });
    res.end(dashboardHtml());
  } else if (path === "/api/cluster") {
    sendJson(res, 200, JSON.parse(viewJson(ctx)));
  } else if (path === "/api/plan") {
    handlePlan(ctx, req, res, url);
  } else if (path === "/events") {
    openStream(ctx, req, res);
  } else {
    sendJson(res, 404, { error: `No dashboard route ${path}` });
  }
}

/** One `cluster` event. */
function push(res: ServerResponse, json: string): void {
  res.write(`event: cluster\ndata: ${json}\n\n`);
}

/** Every open stream gets the current view (or the error that replaced it). */
function tick(ctx: DashboardContext): void {
  let json: string;
  try {
    json = viewJson(ctx);
  } catch (e) {
    json = JSON.stringify({ error: errorBody(e).error });
  }
  for (const res of ctx.streams) push(res, json);
}

/** GET /events: the view now and every interval; the timer runs while a stream is open. */
function openStream(ctx: DashboardContext, req: IncomingMessage, res: ServerResponse): void {
  if (ctx.streams.size >= MAX_EVENT_STREAMS) {
    res.setHeader("retry-after", "10");
    sendJson(res, 503, {
      error: `Too many open dashboards (${MAX_EVENT_STREAMS} event streams); close one`,
    });
    return;
  }
  res.writeHead(200, {
    ...SECURITY_HEADERS,
    "content-type": "text/event-stream",
    connection: "keep-alive",
  });
  res.write(`retry: ${ctx.intervalMs}\n\n`);
  ctx.streams.add(res);
  push(res, viewJson(ctx));
  if (!ctx.timer) ctx.timer = setInterval(() => tick(ctx), ctx.intervalMs);
  req.on("close", () => {
    ctx.streams.delete(res);
    if (ctx.streams.size === 0 && ctx.timer) {
      clearInterval(ctx.timer);
      ctx.timer = undefined;
    }
  });
}

/** POST /api/exit: token checked, body read (bounded) and validated, then the source consents. */
function handleExit(ctx: DashboardContext, req: IncomingMessage, res: ServerResponse): void {
  const { token, source } = ctx.opts;
  if (token === undefined || token === "") {
    req.resume();
    sendJson(res, 403, {
      error:
        "Exits are disabled: this node has no dashboard token (start it with --dashboard-token-file FILE)",
    });
    return;
  }
  if (!hasValidToken(req, token)) {
    req.resume();
    sendUnauthorized(res, { error: TOKEN_REQUIRED });
    return;
  }
  if (!source.requestExit) {
    req.resume();
    sendJson(res, 501, { error: "This dashboard source cannot sign exits" });
    return;
  }
  readBody(req)
    .then((text) => {
      const accepted = source.requestExit?.(parseExitRequest(text));
      sendJson(res, 202, { accepted: true, ...accepted });
    })
    .catch((e: unknown) => {
      if (res.headersSent) return;
      if (e instanceof BodyTooLargeError) {
        res.setHeader("connection", "close");
        sendJson(res, 413, errorBody(e));
        res.on("finish", () => req.socket.destroy());
        return;
      }
      sendJson(res, e instanceof InputError ? 400 : 500, errorBody(e));
    });
}

/** GET /api/plan: a large query needs the token; the worker answers, or 503 when busy. */
function handlePlan(
  ctx: DashboardContext,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): void {
  const query = parsePlanQuery(url.searchParams);
  const costly = planNeedsToken(query);
  if (costly !== undefined && !hasValidToken(req, ctx.opts.token)) {
    sendUnauthorized(res, {
      error: `This planner query is large (${costly}): it needs the dashboard token`,
      details:
        "Send it as Authorization: Bearer <token> (the node's --dashboard-token-file), or ask for less.",
    });
    return;
  }
  ctx.planner ??= createPlanRunner();
  ctx.planner.run(query).then(
    (result) => sendJson(res, 200, result),
    (e: unknown) => {
      if (res.headersSent || res.destroyed) return;
      const status = e instanceof InputError ? 400 : e instanceof PlanUnavailableError ? 503 : 500;
      if (status === 503) res.setHeader("retry-after", "5");
      sendJson(res, status, errorBody(e));
    },
  );
}

/**
 * Serve the dashboard alone on 127.0.0.1:`port` (0 = any free port); for tests and tools.
 *
 * @example
 * const d = await startDashboardServer({ source }, 0);
 * console.log(d.url); // http://127.0.0.1:41234/
 * await d.close();
 */
export async function startDashboardServer(
  opts: DashboardOptions,
  port = 0,
): Promise<{ url: string; port: number; server: Server; close: () => Promise<void> }> {
  const dashboard = createDashboard(opts);
  const server = createGuardedServer((req, res, url) => {
    if (!dashboard.handle(req, res, url)) res.writeHead(404).end();
  });
  let bound: number;
  try {
    bound = await listenLoopback(server, port, "port");
  } catch (e) {
    await dashboard.close();
    throw e;
  }
  return {
    url: `http://127.0.0.1:${bound}/`,
    port: bound,
    server,
    close: async () => {
      await dashboard.close();
      await closeServer(server);
    },
  };
}
