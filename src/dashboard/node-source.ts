/**
 * The dashboard's status source for a running DV node: operators from the cluster definition
 * (src/keysplit/cluster.ts) with their connection state from the libp2p transport
 * (src/p2p/transport.ts stats()) and version and RTT from the peer-info exchange
 * (src/p2p/peerinfo.ts), validators' status and balance from the beacon node (read in the
 * background at most every {@link BEACON_REFRESH_MS}), duties from the node's tracker
 * (src/core/tracker/tracker.ts).
 */
import type { BeaconNode } from "../core/beacon.js";
import type { DvNode } from "../core/node.js";
import { InputError } from "../errors.js";
import type { ClusterDefinition } from "../keysplit/cluster.js";
import { type PeerInfoService, RPDVT_VERSION } from "../p2p/peerinfo.js";
import type { P2PTransport } from "../p2p/transport.js";
import { toHex } from "../util/hex.js";
import type {
  ClusterSnapshot,
  DashboardSource,
  ExitAccepted,
  ExitRequest,
  KeyExposedView,
  ValidatorState,
} from "./types.js";

/** Finalised reports handed to the dashboard per snapshot (newest kept). */
export const SNAPSHOT_REPORTS = 1_000;

/**
 * Validator status/balance refresh period: 6 s. Balances change once per epoch (6.4 min on
 * mainnet), statuses more rarely; half a mainnet slot keeps a fresh page within seconds of a
 * change at one cheap beacon request per period (and only while the dashboard is open).
 *
 * @example
 * nodeDashboardSource(node, transport, def, 1, { beacon, beaconRefreshMs: BEACON_REFRESH_MS });
 */
export const BEACON_REFRESH_MS = 6_000;

/**
 * Status source over a running node. With `currentEpoch` it also takes exit requests
 * (POST /api/exit → {@link DvNode.requestExit}): only for the cluster's own validators, at the
 * given epoch or else the current one. With `beacon` it shows the validators' status and balance;
 * with `peerInfo` the other operators' versions and RTTs.
 *
 * @example
 * const dashboard = createDashboard({
 *   source: nodeDashboardSource(node, transport, def, op.operatorId, { currentEpoch, beacon, peerInfo }),
 * });
 */
export function nodeDashboardSource(
  node: SourceNode,
  transport: SourceTransport,
  def: SourceCluster,
  operatorId: number,
  opts: NodeSourceOptions = {},
): DashboardSource {
  const pubkeys = def.validators.map((v) => v.pubkey.toLowerCase());
  const refresh = validatorRefresher(pubkeys, opts);
  return {
    ...(node.requestExit
      ? { requestExit: (req: ExitRequest) => requestExit(node, def, operatorId, opts, req) }
      : {}),
    snapshot(): ClusterSnapshot {
      const onChain = refresh();
      return {
        time: Date.now(),
        operatorId,
        clusterName: def.name,
        threshold: def.threshold,
        operators: operatorRows(transport, def, operatorId, opts.peerInfo),
        validators: pubkeys.map((pubkey) => onChain.get(pubkey) ?? { pubkey }),
        reports: node.tracker.reports().slice(-SNAPSHOT_REPORTS),
        pending: node.tracker.pending(),
        summary: node.tracker.summary(),
        doppelgangers: node.doppelgangers(),
        ...(opts.keyExposed ? { keyExposed: opts.keyExposed() } : {}),
      };
    },
  };
}

/** What the source reads of the node. */
type SourceNode = Pick<DvNode, "tracker" | "doppelgangers"> & Partial<Pick<DvNode, "requestExit">>;
/** What the source reads of the transport. */
type SourceTransport = Pick<P2PTransport, "peerId" | "stats">;
/** What the source reads of the cluster definition. */
type SourceCluster = Pick<ClusterDefinition, "name" | "threshold" | "operators" | "validators">;

/**
 * Options of {@link nodeDashboardSource}.
 *
 * @example
 * const o: NodeSourceOptions = { currentEpoch: () => 12, beacon, peerInfo };
 */
export type NodeSourceOptions = {
  currentEpoch?: () => number;
  /** Where validators' status and balance are read (none: pubkeys only). */
  beacon?: Pick<BeaconNode, "validators"> | undefined;
  beaconRefreshMs?: number | undefined;
  peerInfo?: Pick<PeerInfoService, "version" | "get"> | undefined;
  /** The key guard's refused validators (src/app/guard.ts); none: no guard. */
  keyExposed?: (() => KeyExposedView[]) | undefined;
};

/**
 * The validators' last-read status and balance. snapshot() is synchronous: each call starts a
 * background read when the last one is old enough and returns the last values read (a failed
 * read keeps them; the next snapshot retries).
 */
function validatorRefresher(
  pubkeys: readonly string[],
  opts: NodeSourceOptions,
): () => ReadonlyMap<string, ValidatorState> {
  const onChain = new Map<string, ValidatorState>();
  let readAt = Number.NEGATIVE_INFINITY;
  let reading = false;
  const refreshMs = opts.beaconRefreshMs ?? BEACON_REFRESH_MS;
  return () => {
    const beacon = opts.beacon;
    if (!beacon || reading || Date.now() - readAt < refreshMs) return onChain;
    reading = true;
    beacon
      .validators(pubkeys.map((p) => Buffer.from(p.slice(2), "hex")))
      .then(
        (vs) => {
          readAt = Date.now();
          for (const v of vs) {
            const pubkey = toHex(v.pubkey).toLowerCase();
            onChain.set(pubkey, {
              pubkey,
              index: v.index,
              status: v.status,
              balanceGwei: Number(v.balanceGwei),
            });
          }
        },
        () => {
          readAt = Date.now();
        },
      )
      .finally(() => {
        reading = false;
      });
    return onChain;
  };
}

/** POST /api/exit: a validator of this cluster, at the given epoch or else the current one. */
function requestExit(
  node: SourceNode,
  def: SourceCluster,
  operatorId: number,
  opts: NodeSourceOptions,
  req: ExitRequest,
): ExitAccepted {
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
}

/** Every operator: this one, or a peer with its connection state, version and RTT. */
function operatorRows(
  transport: SourceTransport,
  def: SourceCluster,
  operatorId: number,
  peerInfo: NodeSourceOptions["peerInfo"],
): ClusterSnapshot["operators"] {
  const peers = new Map(transport.stats().peers.map((p) => [p.index, p]));
  return def.operators.map((o, index) => {
    const self = o.id === operatorId;
    const p = peers.get(index);
    const online = self || (p?.connected ?? false);
    const info = self ? undefined : peerInfo?.get(index);
    return {
      index,
      id: o.id,
      name: o.name,
      peerId: self ? transport.peerId : (p?.peerId ?? ""),
      self,
      online,
      version: self ? (peerInfo?.version ?? RPDVT_VERSION) : info?.version,
      rttMs: online ? info?.rttMs : undefined,
    };
  });
}
