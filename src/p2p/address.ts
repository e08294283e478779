/**
 * Peer and listen addresses: multiaddrs (multiformats/multiaddr spec; protocol table
 * multiformats/multicodec) or the familiar `host:port`, converted to TCP multiaddrs:
 *   "10.0.0.5:9000"        → /ip4/10.0.0.5/tcp/9000
 *   "[2001:db8::1]:9000"   → /ip6/2001:db8::1/tcp/9000
 *   "node.example.org:9000" → /dns/node.example.org/tcp/9000
 * Dial addresses get the peer's `/p2p/<peer id>` appended (libp2p addressing spec: a dial to
 * `/…/p2p/<id>` makes Noise verify that the remote really is `<id>`).
 */
import { isIPv4, isIPv6 } from "node:net";
import { type Multiaddr, multiaddr } from "@multiformats/multiaddr";
import { InputError } from "../errors.js";

/**
 * Default listen address: loopback, ephemeral port (tests, single-host demos). A node reachable
 * by other operators listens on e.g. "0.0.0.0:9000".
 *
 * @example
 * createP2PTransport({ ...opts, listen: DEFAULT_LISTEN });
 */
export const DEFAULT_LISTEN = "127.0.0.1:0";

/**
 * Parse a multiaddr or `host:port` into a TCP multiaddr. Throws InputError naming `field`.
 *
 * @example
 * toMultiaddr("127.0.0.1:9000").toString() // "/ip4/127.0.0.1/tcp/9000"
 */
export function toMultiaddr(address: string, field = "address"): Multiaddr {
  if (typeof address !== "string" || address.length === 0) {
    throw new InputError("Empty network address", { field });
  }
  if (address.startsWith("/")) {
    try {
      return multiaddr(address);
    } catch (err) {
      throw new InputError(`Invalid multiaddr ${address}`, { field, cause: err });
    }
  }
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(address);
  const host = m?.[1] ?? m?.[2];
  const port = Number(m?.[3]);
  if (!m || !host || !Number.isInteger(port) || port > 65535) {
    throw new InputError(`Invalid address ${address}`, {
      field,
      metaMessages: ['Use "host:port" (e.g. "203.0.113.7:9000", "[::1]:9000") or a multiaddr.'],
    });
  }
  const proto = isIPv4(host) ? "ip4" : isIPv6(host) ? "ip6" : "dns";
  if (m[1] !== undefined && proto !== "ip6") {
    throw new InputError(`Invalid address ${address}: brackets are for IPv6 only`, { field });
  }
  try {
    return multiaddr(`/${proto}/${host}/tcp/${port}`);
  } catch (err) {
    throw new InputError(`Invalid address ${address}`, { field, cause: err });
  }
}

/**
 * The dial address of a peer: `address` with `/p2p/<peerId>` appended, or checked if present.
 *
 * @example
 * dialAddress("127.0.0.1:9000", "16Uiu2HA…").toString() // "/ip4/127.0.0.1/tcp/9000/p2p/16Uiu2HA…"
 */
export function dialAddress(address: string, peerId: string, field = "address"): Multiaddr {
  const ma = toMultiaddr(address, field);
  const given = ma.getComponents().find((c) => c.name === "p2p")?.value;
  if (given === undefined) return ma.encapsulate(`/p2p/${peerId}`);
  if (given !== peerId) {
    throw new InputError(`Address ${address} names another peer id`, {
      field,
      details: `its /p2p/ is ${given}, the operator's identity is ${peerId}`,
    });
  }
  return ma;
}

/**
 * The `host:port` of a TCP multiaddr (IPv6 in brackets), e.g. to print or hand to other operators.
 *
 * @example
 * toHostPort("/ip4/127.0.0.1/tcp/9000/p2p/16Uiu2HA…") // "127.0.0.1:9000"
 */
export function toHostPort(address: string | Multiaddr): string {
  const ma = typeof address === "string" ? toMultiaddr(address) : address;
  const parts = ma.getComponents();
  const host = parts.find((c) => ["ip4", "ip6", "dns", "dns4", "dns6"].includes(c.name));
  const port = parts.find((c) => c.name === "tcp")?.value;
  if (!host?.value || port === undefined) {
    throw new InputError(`Not a TCP address: ${ma.toString()}`, { field: "address" });
  }
  return host.name === "ip6" ? `[${host.value}]:${port}` : `${host.value}:${port}`;
}
