/**
 * A recording, optionally lagging, Beacon API proxy on 127.0.0.1 in front of a real beacon node
 * (the devnet's Lodestar): every request is forwarded (ethereum/beacon-APIs paths unchanged, the
 * event stream piped chunk by chunk), after `delayMs`; with `lagSlots`, attestation data is
 * answered from a head `lagSlots` slots back (beacon_block_root replaced by the canonical block
 * root at slot − lagSlots, or the last block before it) and head events are held back by
 * `lagSlots` slots — what a beacon node that follows the chain late serves. A proxy rather than
 * a second Lodestar: `lodestar dev` peers are not controllable on a 2-core host, the proxy makes
 * the lag exact and repeatable. Records the attestation-data requests and the attestations
 * posted (time, slot, block root) for the measurements of test/e2e/beacon-strategy-devnet.test.ts.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * What the proxy saw: an attestation-data request or a posted attestation.
 *
 * @example
 * proxy.records.filter((r: ProxyRecord) => r.kind === "attestation");
 */
export type ProxyRecord =
  | { kind: "attestation-data"; atMs: number; slot: number; root: string }
  | { kind: "attestation"; atMs: number; slot: number; root: string; bits: string };

/**
 * Options of {@link startBeaconProxy}.
 *
 * @example
 * const o: BeaconProxyOptions = { upstream: "http://127.0.0.1:5052", lagSlots: 2, secondsPerSlot: 2 };
 */
export type BeaconProxyOptions = {
  upstream: string;
  /** Added before every answer (ms). */
  delayMs?: number;
  /** Serve attestation data and head events this many slots late. */
  lagSlots?: number;
  /** Slot length, for holding head events back (default 2 s, the devnet's). */
  secondsPerSlot?: number;
};

/**
 * A running proxy.
 *
 * @example
 * const p: BeaconProxy = await startBeaconProxy({ upstream });
 */
export type BeaconProxy = { url: string; records: ProxyRecord[]; close(): Promise<void> };

/**
 * Start the proxy on 127.0.0.1 (port 0).
 *
 * @example
 * const lagging = await startBeaconProxy({ upstream: devnet.restUrl, lagSlots: 2 });
 */
export async function startBeaconProxy(o: BeaconProxyOptions): Promise<BeaconProxy> {
  const records: ProxyRecord[] = [];
  const streams = new Set<AbortController>();
  const server: Server = createServer((req, res) => {
    void handle(o, records, streams, req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(502, { "content-type": "application/json" });
      res.end(JSON.stringify({ code: 502, message: `proxy: ${(err as Error)?.message ?? err}` }));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    records,
    close: () =>
      new Promise<void>((r) => {
        for (const s of streams) s.abort();
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function handle(
  o: BeaconProxyOptions,
  records: ProxyRecord[],
  streams: Set<AbortController>,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const url = new URL(req.url ?? "/", "http://x");
  const body = await readBody(req);
  const atMs = Date.now();
  if (o.delayMs) await sleep(o.delayMs);
  if (url.pathname === "/eth/v1/events") return pipeEvents(o, url, streams, res);
  const headers: Record<string, string> = {};
  for (const h of ["content-type", "accept", "eth-consensus-version"]) {
    const v = req.headers[h];
    if (typeof v === "string") headers[h] = v;
  }
  const up = await fetch(o.upstream + url.pathname + url.search, {
    method: req.method,
    headers,
    body: body.length ? body : undefined,
  });
  let text = Buffer.from(await up.arrayBuffer());
  if (url.pathname === "/eth/v1/validator/attestation_data" && up.status === 200) {
    const json = JSON.parse(text.toString("utf8")) as { data: Record<string, unknown> };
    const slot = Number(json.data.slot);
    if (o.lagSlots) json.data.beacon_block_root = await rootAtOrBefore(o, slot - o.lagSlots);
    records.push({
      kind: "attestation-data",
      atMs,
      slot,
      root: String(json.data.beacon_block_root),
    });
    text = Buffer.from(JSON.stringify(json));
  }
  if (url.pathname.endsWith("/beacon/pool/attestations") && req.method === "POST") {
    try {
      const atts = JSON.parse(body.toString("utf8")) as {
        data: { slot: string; beacon_block_root: string };
        aggregation_bits: string;
      }[];
      for (const a of atts)
        records.push({
          kind: "attestation",
          atMs,
          slot: Number(a.data.slot),
          root: a.data.beacon_block_root,
          bits: a.aggregation_bits,
        });
    } catch {
      // not ours to judge: forwarded as is
    }
  }
  const type = up.headers.get("content-type");
  res.writeHead(up.status, type ? { "content-type": type } : {});
  res.end(text);
}

/** The canonical block root at `slot`, or at the last slot before it that has a block. */
async function rootAtOrBefore(o: BeaconProxyOptions, slot: number): Promise<string> {
  for (let s = Math.max(0, slot); s >= 0; s--) {
    const r = await fetch(`${o.upstream}/eth/v1/beacon/blocks/${s}/root`);
    if (r.status === 200) return ((await r.json()) as { data: { root: string } }).data.root;
    await r.body?.cancel();
  }
  throw new Error(`no block at or before slot ${slot}`);
}

/** Pipe the upstream event stream, each chunk held back by the lag. */
async function pipeEvents(
  o: BeaconProxyOptions,
  url: URL,
  streams: Set<AbortController>,
  res: ServerResponse,
): Promise<void> {
  const abort = new AbortController();
  streams.add(abort);
  res.on("close", () => abort.abort());
  try {
    const up = await fetch(o.upstream + url.pathname + url.search, {
      headers: { accept: "text/event-stream" },
      signal: abort.signal,
    });
    res.writeHead(up.status, { "content-type": "text/event-stream", "cache-control": "no-cache" });
    if (!up.body) return void res.end();
    const holdMs = (o.lagSlots ?? 0) * (o.secondsPerSlot ?? 2) * 1000;
    for await (const chunk of up.body) {
      if (holdMs) setTimeout(() => res.writable && res.write(chunk), holdMs);
      else res.write(chunk);
    }
    res.end();
  } catch {
    res.end();
  } finally {
    streams.delete(abort);
  }
}
