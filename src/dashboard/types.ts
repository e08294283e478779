/**
 * Data model of the local web dashboard: what a status source (a running DV node, or a fake in
 * tests) hands the dashboard once per refresh. Duty reports are the tracker's own
 * ({@link DutyReport}, src/core/tracker/tracker.ts); operators are seen from this node (self is
 * online, another operator is online while its libp2p connection is up, src/p2p/transport.ts).
 */
import type { DutyReport } from "../core/tracker/tracker.js";

/**
 * One cluster operator as seen from this node.
 *
 * @example
 * const op: OperatorView = { index: 0, id: 1, peerId: "16Uiu2…", self: true, online: true };
 */
export type OperatorView = {
  /** Index in the cluster definition (= transport index). */
  index: number;
  /** Operator id (Shamir x-coordinate). */
  id: number;
  name?: string | undefined;
  /** libp2p peer id ("" when unknown). */
  peerId: string;
  /** Whether this is the node serving the dashboard. */
  self: boolean;
  /** Self: always; others: connected to self right now. */
  online: boolean;
};

/**
 * A point-in-time snapshot of one node's view of its cluster.
 *
 * @example
 * const snap: ClusterSnapshot = source.snapshot();
 * snap.operators.filter((o) => !o.online).map((o) => o.id);
 */
export type ClusterSnapshot = {
  /** Wall-clock time of the snapshot (ms since epoch). */
  time: number;
  /** Operator id of the node serving the dashboard. */
  operatorId: number;
  clusterName?: string | undefined;
  /** Signing threshold t of the cluster. */
  threshold: number;
  operators: OperatorView[];
  /** Validator public keys (0x-hex) of the cluster. */
  validators: string[];
  /** Finalised duty reports, oldest first (the dashboard shows the newest ones). */
  reports: DutyReport[];
  /** Duties still in flight. */
  pending: DutyReport[];
  /** Tracker summary: type → (`success` | `failed:<reason>`) → count. */
  summary: Record<string, Record<string, number>>;
  /** Validators for which a doppelganger was detected. */
  doppelgangers: string[];
};

/**
 * Where the dashboard reads the cluster state from.
 *
 * @example
 * const source: DashboardSource = { snapshot: () => fakeSnapshot };
 */
export interface DashboardSource {
  snapshot(): ClusterSnapshot;
}
