/**
 * A delaying TCP link for the per-process libp2p bench (issue 17 item 2): a proxy on 127.0.0.1
 * in front of one peer's libp2p listener that holds every chunk, in both directions, for a
 * one-way delay plus jitter, keeping TCP's byte order (a chunk never overtakes the one before
 * it), and models loss as TCP does: a lost segment (probability `loss` per chunk) is resent
 * after a retransmission timeout (max(200 ms, RTT + 4·jitter): Linux's minimum RTO, RFC 6298),
 * holding back the stream behind it (head-of-line blocking). Bytes are never dropped or altered,
 * so noise + yamux run unchanged over it — what a lossy WAN looks like above TCP.
 * Bench-only (never under src/): the same link model as test/simnet/wan.ts, on real sockets.
 */
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { createPrng } from "../test/simnet/prng.js";

/**
 * The per-link WAN model.
 *
 * @example
 * const w: WanLinkModel = { oneWayMs: 50, jitterMs: 10, loss: 0.01 };
 */
export type WanLinkModel = { oneWayMs: number; jitterMs: number; loss: number };

/**
 * A running link: the address to dial instead of the peer's, its counters, and close().
 *
 * @example
 * const link = await startWanLink({ target: "127.0.0.1:9000", model, seed: 1 });
 * transport.setPeerAddress(j, link.address);
 */
export type WanLink = {
  address: string;
  stats: { chunks: number; lost: number; bytes: number };
  close(): Promise<void>;
};

/** The TCP retransmission timeout the loss model charges (ms). */
export function retransmitMs(m: WanLinkModel): number {
  return Math.max(200, 2 * m.oneWayMs + 4 * m.jitterMs);
}

/**
 * Start a delaying proxy to `target` (host:port) on 127.0.0.1 (an ephemeral port).
 *
 * @example
 * const link = await startWanLink({ target: "127.0.0.1:9000", model: { oneWayMs: 50, jitterMs: 10, loss: 0.01 }, seed: 7 });
 */
export async function startWanLink(o: {
  target: string;
  model: WanLinkModel;
  seed: number;
}): Promise<WanLink> {
  const [host, port] = splitHostPort(o.target);
  const rng = createPrng(o.seed);
  const stats = { chunks: 0, lost: 0, bytes: 0 };
  const sockets = new Set<Socket>();
  const server: Server = createServer((inbound) => {
    const outbound = createConnection({ host, port });
    for (const s of [inbound, outbound]) {
      sockets.add(s);
      s.setNoDelay(true);
      s.on("close", () => sockets.delete(s));
      s.on("error", () => {
        inbound.destroy();
        outbound.destroy();
      });
    }
    pipeDelayed(inbound, outbound, o.model, rng, stats);
    pipeDelayed(outbound, inbound, o.model, rng, stats);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const addr = server.address();
  if (!addr || typeof addr === "string") throw new Error("wan-link: no listening address");
  return {
    address: `127.0.0.1:${addr.port}`,
    stats,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/**
 * One direction: every chunk from `from` reaches `to` after the model's delay, in order. The
 * chunks wait in one FIFO with one timer for its head (a timer per chunk could reorder chunks due
 * within the same millisecond: Node's timers are per duration list, at 1 ms resolution).
 */
function pipeDelayed(
  from: Socket,
  to: Socket,
  m: WanLinkModel,
  rng: { next(): number },
  stats: WanLink["stats"],
): void {
  const queue: { at: number; chunk: Buffer }[] = [];
  let lastAt = 0;
  let closing = false;
  let timer: NodeJS.Timeout | undefined;
  const flush = (): void => {
    timer = undefined;
    const now = performance.now();
    while (queue.length > 0 && (queue[0] as { at: number }).at <= now + 0.5) {
      const { chunk } = queue.shift() as { chunk: Buffer };
      if (!to.destroyed) to.write(chunk);
    }
    if (queue.length > 0) arm();
    else if (closing) to.end();
  };
  const arm = (): void => {
    if (timer || queue.length === 0) return;
    const head = queue[0] as { at: number };
    timer = setTimeout(flush, Math.max(0, head.at - performance.now()));
  };
  from.on("data", (chunk: Buffer) => {
    stats.chunks++;
    stats.bytes += chunk.length;
    const now = performance.now();
    let at = now + m.oneWayMs + (rng.next() * 2 - 1) * m.jitterMs;
    if (rng.next() < m.loss) {
      stats.lost++;
      at += retransmitMs(m);
    }
    at = Math.max(at, lastAt); // TCP delivers in order
    lastAt = at;
    queue.push({ at, chunk });
    arm();
  });
  from.on("end", () => {
    closing = true;
    if (queue.length === 0) to.end();
  });
  to.on("close", () => {
    if (timer) clearTimeout(timer);
    queue.length = 0;
  });
}

function splitHostPort(a: string): [string, number] {
  const i = a.lastIndexOf(":");
  const port = Number(a.slice(i + 1));
  if (i < 1 || !Number.isInteger(port)) throw new Error(`wan-link: "${a}" is not host:port`);
  return [a.slice(0, i), port];
}
