/**
 * n libp2p transports on one host (127.0.0.1, ephemeral ports) wired to each other — for tests,
 * benchmarks and single-host demos. Each node listens first, then every node is told every other
 * node's bound address ({@link P2PTransport.setPeerAddress}), so the normal dialing rule applies.
 * Nodes can be stopped and restarted with the same identity, on the same or a new port.
 */
import { toHostPort } from "./address.js";
import { generateIdentity, type NodeIdentity } from "./identity.js";
import { createP2PTransport, type P2PTransport, type P2PTransportOptions } from "./transport.js";

/**
 * Options: any transport option (applied to every node) plus fixed identities.
 *
 * @example
 * const opts: LocalClusterOptions = { n: 4, redial: { initialMs: 50, maxMs: 200 } };
 */
export type LocalClusterOptions = Partial<
  Omit<P2PTransportOptions, "identity" | "self" | "peers" | "listen">
> & {
  n: number;
  /** Identities (default: fresh random ones). */
  identities?: NodeIdentity[] | undefined;
  /** Listen host (default 127.0.0.1). */
  host?: string | undefined;
};

/**
 * A running local cluster. See {@link startLocalCluster}.
 *
 * @example
 * const c = await startLocalCluster({ n: 4 });
 * await c.waitConnected();
 * c.node(0).broadcast(new Uint8Array([1]));
 * await c.close();
 */
export interface LocalCluster {
  readonly n: number;
  readonly identities: NodeIdentity[];
  /** Node i's transport (throws if i is stopped). */
  node(i: number): P2PTransport;
  /** Whether node i is running. */
  isUp(i: number): boolean;
  /** Node i's last bound host:port. */
  address(i: number): string;
  /** Stop node i. */
  stop(i: number): Promise<void>;
  /** Start node i again with the same identity, on its previous port or a new one. */
  restart(i: number, opts?: { samePort?: boolean }): Promise<P2PTransport>;
  /** Resolve when every running node is connected to every other running node. */
  waitConnected(timeoutMs?: number): Promise<void>;
  /** Stop every node. */
  close(): Promise<void>;
}

const hostPort = (t: P2PTransport): string => {
  const ma = t.addresses()[0];
  if (!ma) throw new Error("transport has no listen address");
  return toHostPort(ma);
};

/** Resolve when every running node is connected to every other running one, else throw. */
async function waitAllConnected(
  nodes: readonly (P2PTransport | undefined)[],
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const up = nodes.flatMap((t, i) => (t ? [{ i, t }] : []));
    const ok = up.every(({ i, t }) => {
      const peers = t.connectedPeers();
      return up.every(({ i: j }) => j === i || peers.includes(j));
    });
    if (ok) return;
    if (Date.now() > deadline) {
      const state = up.map(({ i, t }) => `${i}→[${t.connectedPeers().join(",")}]`).join(" ");
      throw new Error(`local cluster not fully connected after ${timeoutMs} ms: ${state}`);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * Start `n` nodes on loopback and introduce them to each other.
 *
 * @example
 * const c = await startLocalCluster({ n: 4, dialGraceMs: 200 });
 * try { await c.waitConnected(); } finally { await c.close(); }
 */
export async function startLocalCluster(opts: LocalClusterOptions): Promise<LocalCluster> {
  const { n, identities: given, host = "127.0.0.1", ...transportOpts } = opts;
  const identities = given ?? Array.from({ length: n }, generateIdentity);
  const nodes: (P2PTransport | undefined)[] = Array.from({ length: n }, () => undefined);
  const addrs: string[] = Array.from({ length: n }, () => "");

  const launch = async (i: number, port: number, known: boolean): Promise<P2PTransport> => {
    const t = await createP2PTransport({
      ...transportOpts,
      identity: identities[i] as NodeIdentity,
      self: i,
      listen: `${host}:${port}`,
      peers: identities.map((id, j) => ({
        index: j,
        publicKey: id.publicKey,
        address: known ? addrs[j] || undefined : undefined,
      })),
    });
    await t.start();
    addrs[i] = hostPort(t);
    nodes[i] = t;
    return t;
  };

  try {
    // Everyone listens first, then learns every address at once: lower indices dial at once,
    // higher ones only after their dial grace (by then connected), as in a real cluster.
    for (let i = 0; i < n; i++) await launch(i, 0, false);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) if (j !== i) nodes[i]?.setPeerAddress(j, addrs[j]);
    }
  } catch (err) {
    await Promise.all(nodes.map((t) => t?.stop()));
    throw err;
  }

  const node = (i: number): P2PTransport => {
    const t = nodes[i];
    if (!t) throw new Error(`node ${i} is not running`);
    return t;
  };

  return {
    n,
    identities,
    node,
    isUp: (i) => nodes[i] !== undefined,
    address: (i) => addrs[i] as string,
    async stop(i) {
      const t = nodes[i];
      nodes[i] = undefined;
      await t?.stop();
    },
    async restart(i, o = {}) {
      if (nodes[i]) throw new Error(`node ${i} is running`);
      const port = o.samePort ? Number((addrs[i] as string).split(":").pop()) : 0;
      // Peers are not told a new port: the restarted node dials the higher ones itself and the
      // lower ones after its dial grace (transport.ts dialing rule).
      return launch(i, port, true);
    },
    waitConnected: (timeoutMs = 10_000) => waitAllConnected(nodes, timeoutMs),
    async close() {
      await Promise.all(nodes.map((t) => t?.stop()));
      nodes.fill(undefined);
    },
  };
}
