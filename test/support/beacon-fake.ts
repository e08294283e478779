/**
 * A tiny fake beacon node for the Beacon API client's unit tests (src/beacon; paths as in
 * ethereum/beacon-APIs): an HTTP server on 127.0.0.1 (port 0)
 * whose routes are plain functions, recording every request (method, path, repeated query
 * parameters, headers, JSON body). Not a beacon node: each test installs the answers it needs.
 */
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A request as the fake received it (repeated query parameters kept).
 *
 * @example
 * bn.requests.filter((r: FakeRequest) => r.method === "POST").map((r) => r.body);
 */
export type FakeRequest = {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: unknown;
};
/**
 * What a route answers: status (200), JSON body or raw text, optional delay.
 *
 * @example
 * const a: FakeAnswer = { status: 503, json: { message: "syncing" }, delayMs: 100 };
 */
export type FakeAnswer = { status?: number; json?: unknown; delayMs?: number; raw?: string };
/**
 * A route: the answer to one request.
 *
 * @example
 * const route: FakeRoute = (r) => ({ json: { data: r.query.getAll("id") } });
 */
export type FakeRoute = (req: FakeRequest) => FakeAnswer | Promise<FakeAnswer>;

/**
 * A running fake beacon node.
 *
 * @example
 * const bn: FakeBeacon = await startFakeBeacon();
 */
export type FakeBeacon = {
  url: string;
  requests: FakeRequest[];
  /** Routes by "METHOD /path" (exact path, no query). */
  routes: Map<string, FakeRoute>;
  on(key: string, route: FakeRoute): void;
  close(): Promise<void>;
};

/**
 * Start a fake beacon node; unknown routes answer fastify's 404 like Lodestar 1.5.
 *
 * @example
 * const bn = await startFakeBeacon();
 * bn.on("GET /eth/v1/node/version", () => ({ json: { data: { version: "fake" } } }));
 */
export async function startFakeBeacon(): Promise<FakeBeacon> {
  const requests: FakeRequest[] = [];
  const routes = new Map<string, FakeRoute>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      const u = new URL(req.url ?? "/", "http://x");
      const text = Buffer.concat(chunks).toString("utf8");
      const fr: FakeRequest = {
        method: req.method ?? "GET",
        path: u.pathname,
        query: u.searchParams,
        headers: req.headers,
        body: text ? JSON.parse(text) : undefined,
      };
      requests.push(fr);
      const route = routes.get(`${fr.method} ${fr.path}`);
      const a: FakeAnswer = route
        ? await route(fr)
        : {
            status: 404,
            json: {
              message: `Route ${fr.method}:${req.url} not found`,
              error: "Not Found",
              statusCode: 404,
            },
          };
      if (a.delayMs) await new Promise((r) => setTimeout(r, a.delayMs));
      if (res.destroyed) return;
      res.writeHead(a.status ?? 200, { "content-type": "application/json" });
      res.end(a.raw ?? (a.json === undefined ? "" : JSON.stringify(a.json)));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    routes,
    on: (key, route) => routes.set(key, route),
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/**
 * A port nothing listens on (bound, then closed).
 *
 * @example
 * const dead = `http://127.0.0.1:${await deadPort()}`;
 */
export async function deadPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

const hex = (n: number, byte: string) => `0x${byte.repeat(n)}`;

/**
 * Install genesis, spec and fork schedule: phase0..capella at epoch 0, deneb (as the pre-rename
 * EIP4844 key) at FAR_FUTURE_EPOCH, or electra from `electraEpoch` on.
 *
 * @example
 * chainRoutes(bn, { secondsPerSlot: 1 });
 */
export function chainRoutes(
  bn: FakeBeacon,
  o: {
    secondsPerSlot?: number;
    electraEpoch?: number;
    preset?: string;
    /** Publish SLOT_DURATION_MS (ms) instead of SECONDS_PER_SLOT, as newer specs may. */
    slotDurationMs?: number;
  } = {},
): void {
  const FAR = "18446744073709551615";
  bn.on("GET /eth/v1/beacon/genesis", () => ({
    json: {
      data: {
        genesis_time: "1700000000",
        genesis_validators_root: hex(32, "ab"),
        genesis_fork_version: "0x00000001",
      },
    },
  }));
  bn.on("GET /eth/v1/config/spec", () => ({
    json: {
      data: {
        PRESET_BASE: o.preset ?? "mainnet",
        CONFIG_NAME: "fake",
        ...(o.slotDurationMs === undefined
          ? { SECONDS_PER_SLOT: String(o.secondsPerSlot ?? 12) }
          : { SLOT_DURATION_MS: String(o.slotDurationMs) }),
        SLOTS_PER_EPOCH: "8",
        GENESIS_FORK_VERSION: "0x00000001",
        ALTAIR_FORK_VERSION: "0x01000001",
        BELLATRIX_FORK_VERSION: "0x02000001",
        CAPELLA_FORK_VERSION: "0x03000001",
        EIP4844_FORK_VERSION: "0x04000001",
        ELECTRA_FORK_VERSION: "0x05000001",
      },
    },
  }));
  const electra = o.electraEpoch === undefined ? FAR : String(o.electraEpoch);
  bn.on("GET /eth/v1/config/fork_schedule", () => ({
    json: {
      data: [
        // Deliberately out of order: the client sorts by epoch.
        { previous_version: "0x04000001", current_version: "0x05000001", epoch: electra },
        { previous_version: "0x00000001", current_version: "0x00000001", epoch: "0" },
        { previous_version: "0x00000001", current_version: "0x01000001", epoch: "0" },
        { previous_version: "0x01000001", current_version: "0x02000001", epoch: "0" },
        { previous_version: "0x02000001", current_version: "0x03000001", epoch: "0" },
        {
          previous_version: "0x03000001",
          current_version: "0x04000001",
          epoch: o.electraEpoch === undefined ? FAR : "0",
        },
      ],
    },
  }));
}

/**
 * Lodestar v1.39's reading of repeated `id` query parameters: its query parser (qs, `comma: true`,
 * arrayLimit 20) turns more than 20 repeated values into an object and the route answers 400
 * "querystring/id must be array" ({@link TOO_MANY_IDS}); up to 20, comma lists are split too.
 * Undefined when the request would be refused.
 *
 * @example
 * const ids = lodestarQueryIds(req); if (!ids) return TOO_MANY_IDS;
 */
export function lodestarQueryIds(r: FakeRequest): string[] | undefined {
  const raw = r.query.getAll("id");
  return raw.length > 20 ? undefined : raw.flatMap((x) => x.split(","));
}

/**
 * Lodestar v1.39's answer to more than 20 repeated `id` parameters.
 *
 * @example
 * bn.on("GET /eth/v1/beacon/states/head/validators", (r) => (lodestarQueryIds(r) ? { json: { data: [] } } : TOO_MANY_IDS));
 */
export const TOO_MANY_IDS: FakeAnswer = {
  status: 400,
  json: { code: 400, message: "querystring/id must be array" },
};
