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
  /** Software version it announced (src/p2p/peerinfo.ts); self: this node's own. */
  version?: string | undefined;
  /** Round-trip time of this node's link to it (peer-info ping); undefined for self / unknown. */
  rttMs?: number | undefined;
};

/**
 * One cluster validator, with its beacon-chain state when the node has read it (GET
 * /eth/v1/beacon/states/head/validators; refreshed periodically).
 *
 * @example
 * const v: ValidatorState = { pubkey: "0x93ab…", index: 48, status: "active_ongoing", balanceGwei: 32_000_000_000 };
 */
export type ValidatorState = {
  /** Public key, 0x-hex lower case. */
  pubkey: string;
  index?: number | undefined;
  /** Beacon-API validator status ("pending_queued", "active_ongoing", "exited_unslashed", …). */
  status?: string | undefined;
  /** Balance in Gwei (a Number: exact up to 9·10^15 Gwei). */
  balanceGwei?: number | undefined;
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
  /** The cluster's validators (beacon state not known yet: pubkey only). */
  validators: ValidatorState[];
  /** Finalised duty reports, oldest first (the dashboard shows the newest ones). */
  reports: DutyReport[];
  /** Duties still in flight. */
  pending: DutyReport[];
  /** Tracker summary: type → (`success` | `failed:<reason>`) → count. */
  summary: Record<string, Record<string, number>>;
  /** Validators for which a doppelganger was detected. */
  doppelgangers: string[];
  /**
   * Validators the key guard refuses (src/ops/guard/guard.ts): their key was found outside the
   * cluster (`exposed`), or is gone and the liveness watch has not finished (`releasing`).
   */
  keyExposed?: KeyExposedView[] | undefined;
};

/**
 * One validator the key guard refuses, as the dashboard shows it (red).
 *
 * @example
 * const k: KeyExposedView = { pubkey: "0x93ab…", state: "exposed", where: ["validators/teku/keys/0x93ab….json"], sinceEpoch: 12 };
 */
export type KeyExposedView = {
  pubkey: string;
  state: "exposed" | "releasing";
  /** Relative paths in the Smartnode folder, or the keymanager URL (never a secret). */
  where: string[];
  sinceEpoch: number;
};

/**
 * A request for this operator's consent to a voluntary exit (POST /api/exit). Without `epoch` the
 * node uses the current epoch; without `validatorIndex` the index the node resolved from its duties.
 *
 * @example
 * const req: ExitRequest = { pubkey: "0x93ab…", epoch: 12 };
 */
export type ExitRequest = { pubkey: string; epoch?: number | undefined; validatorIndex?: number };

/**
 * What a node answers to an accepted {@link ExitRequest}: its partial signature is on its way to
 * the other operators; the cluster submits the exit once t operators consented with the same epoch.
 *
 * @example
 * const r: ExitAccepted = { pubkey: "0x93ab…", epoch: 12, operatorId: 1 };
 */
export type ExitAccepted = {
  pubkey: string;
  epoch: number;
  validatorIndex?: number | undefined;
  operatorId: number;
};

/**
 * Where the dashboard reads the cluster state from; `requestExit` (optional) makes POST /api/exit
 * available.
 *
 * @example
 * const source: DashboardSource = { snapshot: () => fakeSnapshot };
 */
export interface DashboardSource {
  snapshot(): ClusterSnapshot;
  /** This operator consents to exiting a cluster validator (throws InputError on bad input). */
  requestExit?(req: ExitRequest): ExitAccepted;
}
