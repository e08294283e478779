/**
 * The libp2p node under the transport: TCP + Noise + Yamux and nothing else.
 *
 * - Transport: TCP (@libp2p/tcp). Security: Noise XX with the operator's secp256k1 identity key
 *   (libp2p noise spec, github.com/libp2p/specs/noise: "Noise_XX_25519_ChaChaPoly_SHA256", the
 *   handshake payload carries the libp2p public key and a signature over the Noise static key, so
 *   the remote peer id is authenticated). Muxer: Yamux (libp2p yamux spec / hashicorp yamux
 *   spec.md). Protocol negotiation: multistream-select 1.0.
 * - No identify, no peer discovery (mDNS/DHT/bootstrap), no pubsub, no relay, no AutoNAT/UPnP:
 *   peers come from the cluster definition, addresses are announced to nobody.
 * - The connection monitor stays on (libp2p default: a ping stream every 10 s, connection aborted
 *   when it times out) to detect dead TCP connections; rpdvt does not serve /ipfs/ping, which the
 *   monitor treats as "alive" (multistream-select answered).
 */
import "./node20.js";
import { noise } from "@chainsafe/libp2p-noise";
import { yamux } from "@chainsafe/libp2p-yamux";
import { privateKeyFromRaw } from "@libp2p/crypto/keys";
import type { ConnectionGater, Libp2p } from "@libp2p/interface";
import { tcp } from "@libp2p/tcp";
import { createLibp2p } from "libp2p";
import type { NodeIdentity } from "./identity.js";

/**
 * Default dial timeout: 5 s. Far above a TCP + Noise handshake across continents (≈ 3 RTT ≲ 1 s),
 * and short enough that a dead address does not hold the redial loop for long.
 *
 * @example
 * createLibp2pNode({ ...opts, dialTimeoutMs: DEFAULT_DIAL_TIMEOUT_MS });
 */
export const DEFAULT_DIAL_TIMEOUT_MS = 5_000;

/**
 * Options of {@link createLibp2pNode}.
 *
 * @example
 * const opts: Libp2pNodeOptions = { identity, listen: ["/ip4/127.0.0.1/tcp/0"], gater };
 */
export type Libp2pNodeOptions = {
  identity: NodeIdentity;
  /** Listen multiaddrs (may be empty: dial-only). */
  listen: string[];
  gater: ConnectionGater;
  /** Connection cap (default 64). */
  maxConnections?: number | undefined;
  /** Inbound connections per second per remote IP before refusing (default 32). */
  inboundConnectionThreshold?: number | undefined;
  dialTimeoutMs?: number | undefined;
};

/**
 * Create (not start) a libp2p node with the operator's identity key.
 *
 * @example
 * const node = await createLibp2pNode({ identity, listen: ["/ip4/127.0.0.1/tcp/0"], gater });
 * await node.start();
 */
export async function createLibp2pNode(opts: Libp2pNodeOptions): Promise<Libp2p> {
  const dialTimeout = opts.dialTimeoutMs ?? DEFAULT_DIAL_TIMEOUT_MS;
  return createLibp2p({
    start: false,
    privateKey: privateKeyFromRaw(opts.identity.secretKey),
    addresses: { listen: opts.listen },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionGater: opts.gater,
    connectionManager: {
      maxConnections: opts.maxConnections ?? 64,
      // libp2p's default (5/s per IP) is meant for public nodes; operators behind one NAT or a
      // single-host test cluster legitimately exceed it on reconnect storms.
      inboundConnectionThreshold: opts.inboundConnectionThreshold ?? 32,
      dialTimeout,
      addressDialTimeout: dialTimeout,
      // Our own redial loop (dialer.ts) handles reconnects; libp2p's is for KEEP_ALIVE tags.
      reconnectRetries: 0,
    },
  });
}
