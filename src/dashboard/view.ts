/**
 * Derives what the dashboard's cluster view shows from a {@link ClusterSnapshot}: operators with
 * their connected-peer count, validators with their beacon state, latest duties and effectiveness
 * (share of their finalised duties that succeeded), the newest duties (newest slot first) with
 * outcome and failure reason, failure counts by reason, and consensus statistics from the
 * reports' `round` and `latencyMs` fields (src/core/tracker/tracker.ts). Pure functions, no I/O.
 */
import type { DutyReport } from "../core/tracker/tracker.js";
import type { ClusterSnapshot, KeyExposedView, OperatorView, ValidatorState } from "./types.js";

/** Duties listed in the duty table (newest first). */
export const MAX_DUTY_ROWS = 200;
/** Latest duties shown per validator. */
export const DUTIES_PER_VALIDATOR = 5;

/**
 * One row of the duty table.
 *
 * @example
 * const row: DutyRow = { slot: 12, type: "attester", pubkey: "0xab…", outcome: "success", partials: 3 };
 */
export type DutyRow = {
  slot: number;
  type: string;
  pubkey: string;
  outcome: DutyReport["outcome"];
  reason?: string | undefined;
  details?: string | undefined;
  round?: number | undefined;
  latencyMs?: number | undefined;
  partials: number;
};

/**
 * The cluster view served at /api/cluster and pushed on /events.
 *
 * @example
 * const v = clusterView(source.snapshot());
 * v.operators.filter((o) => o.online).length;
 */
export type ClusterView = {
  time: number;
  operatorId: number;
  clusterName?: string | undefined;
  threshold: number;
  operators: Array<OperatorView & { connectedPeers: number | null }>;
  validators: Array<
    ValidatorState & {
      short: string;
      doppelganger: boolean;
      /** The key guard refuses it (shown red): its state and where the key was found. */
      keyExposed: { state: "exposed" | "releasing"; where: string[]; sinceEpoch: number } | null;
      lastDuties: Array<Pick<DutyRow, "slot" | "type" | "outcome" | "reason">>;
      /** Successful / finalised duties of this validator in the snapshot (null: none yet). */
      effectiveness: number | null;
      /** Finalised duties of this validator in the snapshot. */
      duties: number;
    }
  >;
  duties: DutyRow[];
  pending: DutyRow[];
  totals: { duties: number; success: number; failed: number };
  failuresByReason: Record<string, number>;
  consensus: {
    /** Decided round → number of reports. */
    rounds: Record<string, number>;
    latencyMs: { count: number; p50: number | null; p95: number | null; max: number | null };
  };
  summary: Record<string, Record<string, number>>;
};

/**
 * Shorten a 0x-hex public key for display: "0xa1b2c3…d4e5".
 *
 * @example
 * shortKey("0x" + "ab".repeat(48)); // "0xababab…abab"
 */
export function shortKey(pubkey: string): string {
  return pubkey.length <= 14 ? pubkey : `${pubkey.slice(0, 8)}…${pubkey.slice(-4)}`;
}

/**
 * Nearest-rank quantile of ascending-sorted values (null when empty).
 *
 * @example
 * quantile([1, 2, 3, 4], 0.5); // 2
 */
export function quantile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1] ?? null;
}

/** A validator's key-guard state for the view (null: not refused). */
function exposedView(
  k: KeyExposedView | undefined,
): ClusterView["validators"][number]["keyExposed"] {
  return k ? { state: k.state, where: [...k.where], sinceEpoch: k.sinceEpoch } : null;
}

function row(r: DutyReport): DutyRow {
  return {
    slot: r.slot,
    type: r.type,
    pubkey: r.pubkey,
    outcome: r.outcome,
    reason: r.reason,
    details: r.details,
    round: r.round,
    latencyMs: r.latencyMs,
    partials: r.partials,
  };
}

/**
 * Build the cluster view of a snapshot.
 *
 * @example
 * const view = clusterView(snapshot);
 * view.duties[0]?.slot; // newest slot
 */
export function clusterView(snap: ClusterSnapshot): ClusterView {
  const online = snap.operators.filter((o) => o.online && !o.self).length;
  const operators = snap.operators.map((o) => ({
    ...o,
    // Only this node's own connections are known; other operators' peer counts are not reported.
    connectedPeers: o.self ? online : null,
  }));
  const newestFirst = [...snap.reports].sort(
    (a, b) => b.slot - a.slot || b.startedAt - a.startedAt,
  );
  const doppel = new Set(snap.doppelgangers);
  const exposed = new Map((snap.keyExposed ?? []).map((k) => [k.pubkey, k]));
  const validators = snap.validators.map((v) => {
    const own = newestFirst.filter((r) => r.pubkey === v.pubkey);
    const ok = own.filter((r) => r.outcome === "success").length;
    return {
      ...v,
      short: shortKey(v.pubkey),
      doppelganger: doppel.has(v.pubkey),
      keyExposed: exposedView(exposed.get(v.pubkey)),
      lastDuties: own
        .slice(0, DUTIES_PER_VALIDATOR)
        .map((r) => ({ slot: r.slot, type: r.type, outcome: r.outcome, reason: r.reason })),
      effectiveness: own.length ? ok / own.length : null,
      duties: own.length,
    };
  });
  const failuresByReason: Record<string, number> = {};
  const rounds: Record<string, number> = {};
  const latencies: number[] = [];
  let success = 0;
  for (const r of snap.reports) {
    if (r.outcome === "success") success++;
    if (r.outcome === "failed") {
      const k = r.reason ?? "unknown";
      failuresByReason[k] = (failuresByReason[k] ?? 0) + 1;
    }
    if (r.round !== undefined) rounds[String(r.round)] = (rounds[String(r.round)] ?? 0) + 1;
    if (r.latencyMs !== undefined) latencies.push(r.latencyMs);
  }
  latencies.sort((a, b) => a - b);
  return {
    time: snap.time,
    operatorId: snap.operatorId,
    clusterName: snap.clusterName,
    threshold: snap.threshold,
    operators,
    validators,
    duties: newestFirst.slice(0, MAX_DUTY_ROWS).map(row),
    pending: snap.pending.map(row),
    totals: {
      duties: snap.reports.length,
      success,
      failed: snap.reports.filter((r) => r.outcome === "failed").length,
    },
    failuresByReason,
    consensus: {
      rounds,
      latencyMs: {
        count: latencies.length,
        p50: quantile(latencies, 0.5),
        p95: quantile(latencies, 0.95),
        max: latencies.at(-1) ?? null,
      },
    },
    summary: snap.summary,
  };
}
