/**
 * The operator node's HTTP server on 127.0.0.1 (the guarded server of src/core/http-server.ts:
 * loopback Host only, malformed requests answered 400): GET /metrics (Prometheus text), GET
 * /status (JSON: peers, duty summary, recent reports; read by `rpdvt demo`), then the dashboard
 * (src/dashboard) if any; anything else 404. It is bound before anything else starts (a port in
 * use fails before any key is decrypted) and answers 503 until the node runs.
 */
import type { Registry } from "prom-client";
import {
  closeServer,
  createGuardedServer,
  type GuardedHandler,
  listenLoopback,
  sendError,
} from "../core/http-server.js";
import type { DvNode } from "../core/node.js";
import type { Dashboard } from "../dashboard/handler.js";
import type { KeyGuard } from "../ops/guard/guard.js";
import type { P2PTransport } from "../p2p/transport.js";
import { errorMessage, type NodeLog } from "./log.js";

/**
 * Status document served at /status (and used by `rpdvt demo`): peers, duty summary, recent
 * failures.
 *
 * @example
 * const s = nodeStatus(node, transport, 1);
 */
export function nodeStatus(
  node: DvNode,
  transport: P2PTransport,
  operatorId: number,
  keyGuard?: Pick<KeyGuard, "exposed"> | undefined,
) {
  const reports = node.tracker.reports();
  return {
    operatorId,
    peerId: transport.peerId,
    connectedPeers: transport.connectedPeers(),
    summary: node.tracker.summary(),
    doppelgangers: node.doppelgangers(),
    /** Validators the key guard refuses (src/ops/guard/guard.ts): where their key was found. */
    keyExposed: keyGuard?.exposed() ?? [],
    recent: reports.slice(-50),
  };
}

/**
 * Routes of the node's HTTP server (mount on {@link createGuardedServer}): GET /metrics
 * (Prometheus text from `registry`), GET /status (JSON from `status()`), then the dashboard if
 * any; anything else 404.
 *
 * @example
 * const server = createGuardedServer(nodeHttpRoutes({ registry, status: () => nodeStatus(node, transport, 1) }));
 */
export function nodeHttpRoutes(opts: {
  registry: Registry;
  status: () => unknown;
  dashboard?: Dashboard | undefined;
}): GuardedHandler {
  return async (req, res, url) => {
    if (url.pathname === "/metrics" || url.pathname === "/status") {
      if (req.method !== "GET" && req.method !== "HEAD") {
        res.setHeader("allow", "GET, HEAD");
        sendError(res, 405, `${url.pathname} answers GET only`);
        return;
      }
      if (url.pathname === "/status") {
        const body = JSON.stringify(opts.status());
        res.writeHead(200, { "content-type": "application/json", "cache-control": "no-store" });
        res.end(body);
        return;
      }
      const text = await opts.registry.metrics();
      res.writeHead(200, { "content-type": opts.registry.contentType });
      res.end(text);
      return;
    }
    if (!opts.dashboard?.handle(req, res, url)) sendError(res, 404, `No route ${url.pathname}`);
  };
}

/**
 * The node's server, bound: it answers 503 until {@link NodeHttpServer.serve} gets the routes.
 *
 * @example
 * const http = await bindNodeHttp(9100, log);
 * http.serve(nodeHttpRoutes({ registry, status }));
 */
export type NodeHttpServer = {
  port: number;
  serve(routes: GuardedHandler): void;
  close(): Promise<void>;
};

/**
 * Bind the node's HTTP server on 127.0.0.1:`port` (an InputError on `--metrics-port` if taken).
 *
 * @example
 * const http = await bindNodeHttp(9100, log);
 */
export async function bindNodeHttp(port: number, log: NodeLog): Promise<NodeHttpServer> {
  let routes: GuardedHandler | undefined;
  const server = createGuardedServer(
    (req, res, url) =>
      routes ? routes(req, res, url) : sendError(res, 503, "The node is starting"),
    { onError: (err) => log("error", { what: "http request", message: errorMessage(err) }) },
  );
  const bound = await listenLoopback(server, port, "--metrics-port");
  return {
    port: bound,
    serve(r) {
      routes = r;
    },
    close: () => closeServer(server),
  };
}
