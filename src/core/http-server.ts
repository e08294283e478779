/**
 * The node's local HTTP servers (/metrics, /status, the dashboard) behind one guard, so that no
 * request — malformed, oversized, slow or from a foreign origin — can throw out of a handler or
 * stall the DV node:
 *  - the request target must be origin-form (RFC 9112 §3.2.1: `/path?query`) and at most
 *    {@link MAX_URL_LENGTH} characters, else 400 / 414 (`GET http://[ HTTP/1.1` made `new URL()`
 *    throw out of the handler and killed the node);
 *  - the Host header must name loopback (127.0.0.1, localhost, [::1], any port; see
 *    isLoopbackHost in src/dashboard/auth.ts), else 403: a web page cannot read /status or
 *    /metrics through DNS rebinding (RFC 9110 §7.2);
 *  - a declared body over {@link MAX_REQUEST_BODY_BYTES} is refused 413 and the connection closed;
 *    a body the route did not read is drained for {@link LINGER_MS} after the answer at most, then
 *    the connection is closed;
 *  - headers over {@link MAX_HEADER_BYTES} (431), unparsable requests (400) and slow clients (408)
 *    are answered by node:http's `clientError` event, never by a crash;
 *  - a handler that throws or rejects answers 500 (or closes the socket if the answer started)
 *    and is reported through `onError`; the server keeps serving.
 * Servers bind 127.0.0.1 only; {@link listenLoopback} turns EADDRINUSE/EACCES into an InputError
 * naming the flag and the port.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { InputError } from "../errors.js";
import { isLoopbackHost } from "../util/host-header.js";

/**
 * Longest request target accepted (414 above).
 *
 * @example
 * MAX_URL_LENGTH; // 2_048
 */
export const MAX_URL_LENGTH = 2_048;
/**
 * Largest header section accepted (node:http answers 431 above).
 *
 * @example
 * MAX_HEADER_BYTES; // 16 * 1024
 */
export const MAX_HEADER_BYTES = 16 * 1024;
/**
 * Largest request body any route accepts (an exit request is ~150 bytes).
 *
 * @example
 * MAX_REQUEST_BODY_BYTES; // 64 * 1024
 */
export const MAX_REQUEST_BODY_BYTES = 64 * 1024;
/**
 * Time allowed to receive a whole request (headers and body).
 *
 * @example
 * REQUEST_TIMEOUT_MS; // 10_000
 */
export const REQUEST_TIMEOUT_MS = 10_000;
/**
 * Time a request body nobody reads is drained after the answer before the socket is closed.
 *
 * @example
 * LINGER_MS; // 1_000
 */
export const LINGER_MS = 1_000;
/**
 * Simultaneous connections (open /events streams count).
 *
 * @example
 * MAX_CONNECTIONS; // 128
 */
export const MAX_CONNECTIONS = 128;

/**
 * A route handler: the request with its parsed target. It may answer asynchronously; a throw or a
 * rejection is caught by the guard.
 *
 * @example
 * const routes: GuardedHandler = (req, res, url) => { res.writeHead(url.pathname === "/" ? 200 : 404).end(); };
 */
export type GuardedHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
) => void | Promise<void>;

/**
 * Parse an origin-form request target (`/path?query`); null for anything else (absolute-form,
 * authority-form, `*`, empty, or unparsable).
 *
 * @example
 * parseRequestTarget("/api/plan?n=4")?.pathname; // "/api/plan"
 * parseRequestTarget("http://[");               // null
 */
export function parseRequestTarget(target: string | undefined): URL | null {
  if (target === undefined || !target.startsWith("/") || target.startsWith("//")) return null;
  try {
    return new URL(target, "http://127.0.0.1");
  } catch {
    return null;
  }
}

/**
 * Answer a JSON error and close the connection when asked (the request body is not read).
 *
 * @example
 * sendError(res, 400, "Malformed request target");
 */
export function sendError(
  res: ServerResponse,
  status: number,
  error: string,
  opts: { close?: boolean } = {},
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "x-content-type-options": "nosniff",
    "cache-control": "no-store",
  };
  if (opts.close) headers.connection = "close";
  res.writeHead(status, headers);
  res.end(JSON.stringify({ error }));
}

const CLIENT_ERROR_STATUS: Record<string, string> = {
  HPE_HEADER_OVERFLOW: "431 Request Header Fields Too Large",
  ERR_HTTP_REQUEST_TIMEOUT: "408 Request Timeout",
  HPE_REQUEST_TIMEOUT: "408 Request Timeout",
};

/**
 * Create a guarded HTTP server (see the module header); call {@link listenLoopback} to bind it.
 *
 * @example
 * const server = createGuardedServer((req, res, url) => res.end(url.pathname), {
 *   onError: (e) => console.error(e),
 * });
 * await listenLoopback(server, 9100, "--metrics-port");
 */
export function createGuardedServer(
  handler: GuardedHandler,
  opts: { onError?: (err: unknown) => void } = {},
): Server {
  const report = (err: unknown) => {
    try {
      opts.onError?.(err);
    } catch {
      // a broken logger must not take the server down either
    }
  };
  const server = createServer(
    { maxHeaderSize: MAX_HEADER_BYTES, requestTimeout: REQUEST_TIMEOUT_MS },
    (req, res) => {
      const fail = (err: unknown) => {
        report(err);
        sendError(res, 500, "Internal error", { close: true });
      };
      try {
        if ((req.url?.length ?? 0) > MAX_URL_LENGTH) {
          sendError(res, 414, `Request target longer than ${MAX_URL_LENGTH} characters`, {
            close: true,
          });
          return;
        }
        const url = parseRequestTarget(req.url);
        if (url === null) {
          sendError(res, 400, "Malformed request target (expected /path?query)", { close: true });
          return;
        }
        if (!isLoopbackHost(req.headers.host)) {
          sendError(
            res,
            403,
            "This server answers loopback hosts only (127.0.0.1:<port>, localhost:<port>, [::1]:<port>)",
            { close: true },
          );
          return;
        }
        const length = Number(req.headers["content-length"] ?? 0);
        if (!(length >= 0 && length <= MAX_REQUEST_BODY_BYTES)) {
          sendError(res, 413, `Request body larger than ${MAX_REQUEST_BODY_BYTES} bytes`, {
            close: true,
          });
          return;
        }
        // A body no route read (e.g. endless chunks sent with a GET) is drained for at most
        // LINGER_MS after the answer (so the client can read it), then the connection is closed.
        res.once("finish", () => {
          if (req.complete) return;
          const timer = setTimeout(() => req.socket.destroy(), LINGER_MS);
          timer.unref();
          req.once("end", () => clearTimeout(timer));
          req.once("close", () => clearTimeout(timer));
          req.resume();
        });
        const done = handler(req, res, url);
        if (done instanceof Promise) done.catch(fail);
      } catch (err) {
        fail(err);
      }
    },
  );
  server.headersTimeout = REQUEST_TIMEOUT_MS;
  server.maxConnections = MAX_CONNECTIONS;
  server.on("clientError", (err: NodeJS.ErrnoException, socket: Socket) => {
    // node:http calls this for unparsable requests, oversized headers and timeouts; without a
    // listener it answers 400 itself, but it must never reach the process as an exception.
    if (socket.writable && !socket.destroyed) {
      const status = CLIENT_ERROR_STATUS[err.code ?? ""] ?? "400 Bad Request";
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    }
    socket.destroy();
  });
  return server;
}

/**
 * Bind `server` on 127.0.0.1:`port` (0: any free port) and resolve with the bound port; a port in
 * use or not permitted is an InputError naming `flag` and the port.
 *
 * @example
 * const port = await listenLoopback(server, 9100, "--metrics-port");
 */
export function listenLoopback(server: Server, port: number, flag: string): Promise<number> {
  return new Promise((ok, fail) => {
    const onError = (err: NodeJS.ErrnoException) => {
      const inUse = err.code === "EADDRINUSE";
      fail(
        new InputError(
          inUse
            ? `Port ${port} on 127.0.0.1 is already in use`
            : `Cannot listen on 127.0.0.1:${port} (${err.code ?? err.message})`,
          {
            field: flag,
            cause: err,
            metaMessages: [
              inUse
                ? `Stop the process holding it (e.g. \`ss -ltnp 'sport = :${port}'\`) or give another ${flag}.`
                : `Give another ${flag} (1024..65535 needs no privileges).`,
            ],
          },
        ),
      );
    };
    server.once("error", onError);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", onError);
      const address = server.address();
      ok(typeof address === "object" && address ? address.port : port);
    });
  });
}

/**
 * Close a server: end every connection (open event streams too) and wait for it.
 *
 * @example
 * await closeServer(server);
 */
export function closeServer(server: Server): Promise<void> {
  return new Promise((ok) => {
    if (!server.listening) {
      ok();
      return;
    }
    server.close(() => ok());
    server.closeAllConnections();
  });
}
