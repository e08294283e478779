/**
 * The dashboard's status source for a running DV node: operators from the cluster definition
 * (src/keysplit/cluster.ts) with their connection state from the libp2p transport
 * (src/p2p/transport.ts stats()), duties from the node's tracker (src/core/tracker/tracker.ts).
 */
import type { DvNode } from "../core/node.js";
import type { ClusterDefinition } from "../keysplit/cluster.js";
import type { P2PTransport } from "../p2p/transport.js";
import type { ClusterSnapshot, DashboardSource } from "./types.js";

/** Finalised reports handed to the dashboard per snapshot (newest kept). */
export const SNAPSHOT_REPORTS = 1_000;

/**
 * Status source over a running node.
 *
 * @example
 * const dashboard = createDashboard({ source: nodeDashboardSource(node, transport, def, op.operatorId) });
 */
export function nodeDashboardSource(
  node: Pick<DvNode, "tracker" | "doppelgangers">,
  transport: Pick<P2PTransport, "peerId" | "stats">,
  def: Pick<ClusterDefinition, "name" | "threshold" | "operators" | "validators">,
  operatorId: number,
): DashboardSource {
  return {
    snapshot(): ClusterSnapshot {
      const peers = new Map(transport.stats().peers.map((p) => [p.index, p]));
      return {
        time: Date.now(),
        operatorId,
        clusterName: def.name,
        threshold: def.threshold,
        operators: def.operators.map((o, index) => {
          const self = o.id === operatorId;
          const p = peers.get(index);
          return {
            index,
            id: o.id,
            name: o.name,
            peerId: self ? transport.peerId : (p?.peerId ?? ""),
            self,
            online: self || (p?.connected ?? false),
          };
        }),
        validators: def.validators.map((v) => v.pubkey),
        reports: node.tracker.reports().slice(-SNAPSHOT_REPORTS),
        pending: node.tracker.pending(),
        summary: node.tracker.summary(),
        doppelgangers: node.doppelgangers(),
      };
    },
  };
}
