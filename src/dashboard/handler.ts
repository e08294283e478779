/**
 * HTTP handler of the local web dashboard (node:http, no framework). Routes:
 *  - GET /              the single self-contained page (./page.ts);
 *  - GET /api/cluster   the cluster view (./view.ts) as JSON;
 *  - GET /events        Server-Sent Events (html.spec.whatwg.org "server-sent events"): one
 *                       `cluster` event with the view on connect and every `intervalMs`;
 *  - GET /api/plan      planner results (./plan.ts) for the query string;
 *  - any other method   refused 401 without the dashboard token (./auth.ts); with it, 405 —
 *                       this version has no state-changing route.
 * Requests whose Host is not loopback are refused 403. The handler never binds a socket itself:
 * `rpdvt node run --dashboard` mounts it on the metrics server; {@link startDashboardServer}
 * binds 127.0.0.1 for tests.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { BaseError, InputError } from "../errors.js";
import { hasValidToken, isLoopbackHost } from "./auth.js";
import { dashboardHtml } from "./page.js";
import { parsePlanQuery, planDashboard } from "./plan.js";
import type { DashboardSource } from "./types.js";
import { clusterView } from "./view.js";

/** Default push period of /events: the page updates once per second. */
export const DEFAULT_EVENT_INTERVAL_MS = 1_000;
/** Paths the dashboard answers (the metrics server keeps /metrics and /status). */
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
};

/**
 * A mounted dashboard: `handle` answers a request if it is a dashboard request (returns whether
 * it did); `close` ends the open event streams (call before `server.close()`).
 *
 * @example
 * const server = createServer((req, res) => dashboard.handle(req, res) || res.writeHead(404).end());
 */
export type Dashboard = {
  handle(req: IncomingMessage, res: ServerResponse): boolean;
  close(): void;
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

/**
 * Create the dashboard handler over a status source.
 *
 * @example
 * const dashboard = createDashboard({ source: nodeDashboardSource(node, transport, def, id) });
 * if (!dashboard.handle(req, res)) res.writeHead(404).end();
 */
export function createDashboard(opts: DashboardOptions): Dashboard {
  const intervalMs = opts.intervalMs ?? DEFAULT_EVENT_INTERVAL_MS;
  const streams = new Set<ServerResponse>();
  let timer: NodeJS.Timeout | undefined;

  const viewJson = () => JSON.stringify(clusterView(opts.source.snapshot()));
  const push = (res: ServerResponse, json: string) =>
    res.write(`event: cluster\ndata: ${json}\n\n`);
  const tick = () => {
    let json: string;
    try {
      json = viewJson();
    } catch (e) {
      json = JSON.stringify({ error: errorBody(e).error });
    }
    for (const res of streams) push(res, json);
  };
  const openStream = (req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      "content-type": "text/event-stream",
      connection: "keep-alive",
    });
    res.write(`retry: ${intervalMs}\n\n`);
    streams.add(res);
    push(res, viewJson());
    if (!timer) timer = setInterval(tick, intervalMs);
    req.on("close", () => {
      streams.delete(res);
      if (streams.size === 0 && timer) {
        clearInterval(timer);
        timer = undefined;
      }
    });
  };

  const handle = (req: IncomingMessage, res: ServerResponse): boolean => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const path = url.pathname;
    if (!(DASHBOARD_PATHS as readonly string[]).includes(path) && !path.startsWith("/api/")) {
      return false;
    }
    if (!isLoopbackHost(req.headers.host)) {
      sendJson(res, 403, { error: "The dashboard answers loopback hosts only (127.0.0.1)" });
      return true;
    }
    const method = req.method ?? "GET";
    if (method !== "GET" && method !== "HEAD") {
      if (!hasValidToken(req, opts.token)) {
        res.setHeader("www-authenticate", 'Bearer realm="rpdvt-dashboard"');
        sendJson(res, 401, { error: "A valid dashboard token is required (--dashboard-token)" });
      } else {
        res.setHeader("allow", "GET, HEAD");
        sendJson(res, 405, { error: "No state-changing dashboard route in this version" });
      }
      req.resume();
      return true;
    }
    try {
      if (path === "/") {
        res.writeHead(200, {
          ...SECURITY_HEADERS,
          "content-type": "text/html; charset=utf-8",
          "content-security-policy": CSP,
        });
        res.end(dashboardHtml());
      } else if (path === "/api/cluster") {
        sendJson(res, 200, JSON.parse(viewJson()));
      } else if (path === "/api/plan") {
        sendJson(res, 200, planDashboard(parsePlanQuery(url.searchParams)));
      } else if (path === "/events") {
        openStream(req, res);
      } else {
        sendJson(res, 404, { error: `No dashboard route ${path}` });
      }
    } catch (e) {
      sendJson(res, e instanceof InputError ? 400 : 500, errorBody(e));
    }
    return true;
  };

  return {
    handle,
    close() {
      if (timer) clearInterval(timer);
      timer = undefined;
      for (const res of streams) res.end();
      streams.clear();
    },
  };
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
  const server = createServer((req, res) => {
    if (!dashboard.handle(req, res)) res.writeHead(404).end();
  });
  await new Promise<void>((ok, fail) => {
    server.once("error", fail);
    server.listen(port, "127.0.0.1", () => ok());
  });
  const address = server.address();
  const bound = typeof address === "object" && address ? address.port : port;
  return {
    url: `http://127.0.0.1:${bound}/`,
    port: bound,
    server,
    close: async () => {
      dashboard.close();
      server.closeAllConnections();
      await new Promise<void>((ok) => server.close(() => ok()));
    },
  };
}
