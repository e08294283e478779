/**
 * The dashboard's status source for a running DV node: operators from the cluster definition
 * (src/keysplit/cluster.ts) with their connection state from the libp2p transport
 * (src/p2p/transport.ts stats()), duties from the node's tracker (src/core/tracker/tracker.ts).
 */
import type { DvNode } from "../core/node.js";
import { InputError } from "../errors.js";
import type { ClusterDefinition } from "../keysplit/cluster.js";
import type { P2PTransport } from "../p2p/transport.js";
import type { ClusterSnapshot, DashboardSource, ExitAccepted, ExitRequest } from "./types.js";

/** Finalised reports handed to the dashboard per snapshot (newest kept). */
export const SNAPSHOT_REPORTS = 1_000;

/**
 * Status source over a running node. With `currentEpoch` it also takes exit requests
 * (POST /api/exit → {@link DvNode.requestExit}): only for the cluster's own validators, at the
 * given epoch or else the current one.
 *
 * @example
 * const dashboard = createDashboard({ source: nodeDashboardSource(node, transport, def, op.operatorId, { currentEpoch }) });
 */
export function nodeDashboardSource(
  node: Pick<DvNode, "tracker" | "doppelgangers"> & Partial<Pick<DvNode, "requestExit">>,
  transport: Pick<P2PTransport, "peerId" | "stats">,
  def: Pick<ClusterDefinition, "name" | "threshold" | "operators" | "validators">,
  operatorId: number,
  opts: { currentEpoch?: () => number } = {},
): DashboardSource {
  const requestExit = (req: ExitRequest): ExitAccepted => {
    const pubkey = req.pubkey.toLowerCase();
    if (!def.validators.some((v) => v.pubkey.toLowerCase() === pubkey)) {
      throw new InputError(`Validator ${pubkey} is not a validator of this cluster`, {
        field: "pubkey",
        metaMessages: [`Cluster validators: ${def.validators.map((v) => v.pubkey).join(", ")}`],
      });
    }
    const epoch = req.epoch ?? opts.currentEpoch?.();
    if (epoch === undefined)
      throw new InputError("No epoch given and none known", { field: "epoch" });
    node.requestExit?.(pubkey, epoch, req.validatorIndex);
    return { pubkey, epoch, validatorIndex: req.validatorIndex, operatorId };
  };
  return {
    ...(node.requestExit ? { requestExit } : {}),
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
