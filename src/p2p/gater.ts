/**
 * Cluster-only connection gater (libp2p ConnectionGater, @libp2p/interface connection-gater.ts).
 *
 * A DV node talks to the n − 1 other operators of its cluster and nobody else, so every peer id
 * that is not one of them is refused at each point libp2p asks:
 * - dial: `denyDialPeer` (before any socket is opened) and `denyOutboundConnection` (a dialled
 *   multiaddr naming a foreign /p2p/ id);
 * - after the Noise handshake has authenticated the remote's static key, in both directions:
 *   `denyInboundEncryptedConnection` / `denyOutboundEncryptedConnection` — the first point where
 *   an *inbound* peer's identity is known, so an outsider never gets a muxer or a stream;
 * - relays: always refused (no circuit relay in rpdvt).
 * Refusals are counted (inbound/outbound) for metrics.
 */
import type { ConnectionGater, PeerId } from "@libp2p/interface";

/**
 * Refusal counters, mutated by the gater.
 *
 * @example
 * const counters: GaterCounters = { refusedInbound: 0, refusedOutbound: 0 };
 */
export type GaterCounters = { refusedInbound: number; refusedOutbound: number };

/**
 * A gater admitting only peers for which `isMember(peerId)` is true (the other operators).
 *
 * @example
 * const members = new Set(peers.map((p) => p.peerId));
 * const gater = clusterGater((id) => members.has(id), counters);
 */
export function clusterGater(
  isMember: (peerId: string) => boolean,
  counters: GaterCounters,
): ConnectionGater {
  const outbound = (peer: PeerId): boolean => {
    if (isMember(peer.toString())) return false;
    counters.refusedOutbound++;
    return true;
  };
  return {
    denyDialPeer: outbound,
    denyOutboundConnection: outbound,
    denyOutboundEncryptedConnection: outbound,
    denyInboundEncryptedConnection: (peer) => {
      if (isMember(peer.toString())) return false;
      counters.refusedInbound++;
      return true;
    },
    denyInboundRelayReservation: () => true,
    denyOutboundRelayedConnection: () => true,
    denyInboundRelayedConnection: () => true,
  };
}
