/**
 * What the demo's operator nodes say about their own duties, next to what the beacon node shows
 * (src/devnet/judge.ts): the tracker's finalised reports (src/core/tracker/tracker.ts), read from
 * each node's `GET /status` (`recent`, the newest reports) while the demo runs, kept once per
 * (operator, slot, duty type, validator).
 *
 * A duty refused by doppelganger protection is not a failure: the node is *watching* the
 * validator's liveness before its first signature and does not sign on purpose. It is counted as
 * `watching`, apart from `failed` (every other failure reason).
 */
import type { DutyReport } from "../../core/tracker/tracker.js";

/**
 * How one report counts.
 *
 * @example
 * classifyReport({ outcome: "failed", reason: "doppelganger" }); // "watching"
 */
export type ReportClass = "success" | "watching" | "failed" | "pending";

/**
 * Counts of operator-reported duties (summed over the operators).
 *
 * @example
 * const c: NodeDutyCounts = { success: 30, watching: 0, failed: 2 };
 */
export type NodeDutyCounts = { success: number; watching: number; failed: number };

/**
 * success, watching (doppelganger protection refused on purpose), failed (any other reason).
 *
 * @example
 * classifyReport({ outcome: "failed", reason: "no-quorum" }); // "failed"
 */
export function classifyReport(r: Pick<DutyReport, "outcome" | "reason">): ReportClass {
  if (r.outcome === "success") return "success";
  if (r.outcome === "pending") return "pending";
  return r.reason === "doppelganger" ? "watching" : "failed";
}

/**
 * The live-line counts of one node's tracker summary (`type` → `success` | `failed:<reason>` → n).
 *
 * @example
 * summaryCounts({ attester: { success: 4, "failed:doppelganger": 2, "failed:no-quorum": 1 } }, "attester");
 * // { success: 4, watching: 2, failed: 1 }
 */
export function summaryCounts(
  summary: Record<string, Record<string, number>> | undefined,
  type: string,
): NodeDutyCounts {
  const out: NodeDutyCounts = { success: 0, watching: 0, failed: 0 };
  for (const [k, v] of Object.entries(summary?.[type] ?? {})) {
    if (k === "success") out.success += v;
    else if (k === "failed:doppelganger") out.watching += v;
    else if (k.startsWith("failed")) out.failed += v;
  }
  return out;
}

/**
 * Collects the nodes' reports over a run (deduplicated), and counts them by slot range.
 *
 * @example
 * const c = createReportCollector();
 * c.add(1, status.recent);
 * c.count({ fromSlot: 24, toSlot: 39, type: "attester" }); // { success, watching, failed }
 */
export function createReportCollector() {
  const seen = new Map<string, { operator: number; report: DutyReport }>();
  return {
    /** Reports one operator's /status listed (finalised ones; pending ones are skipped). */
    add(operator: number, reports: readonly DutyReport[] | undefined): void {
      for (const r of reports ?? []) {
        if (r.outcome === "pending") continue;
        seen.set(`${operator}/${r.slot}/${r.type}/${r.pubkey}`, { operator, report: r });
      }
    },
    /** Counts over slots [fromSlot, toSlot], optionally one duty type and/or one validator. */
    count(f: { fromSlot: number; toSlot: number; type?: string; pubkey?: string }): NodeDutyCounts {
      const out: NodeDutyCounts = { success: 0, watching: 0, failed: 0 };
      for (const { report: r } of seen.values()) {
        if (r.slot < f.fromSlot || r.slot > f.toSlot) continue;
        if (f.type !== undefined && r.type !== f.type) continue;
        if (f.pubkey !== undefined && r.pubkey.toLowerCase() !== f.pubkey.toLowerCase()) continue;
        const c = classifyReport(r);
        if (c !== "pending") out[c]++;
      }
      return out;
    },
    /** Reports kept so far. */
    size: () => seen.size,
  };
}

/** What {@link createReportCollector} returns. */
export type ReportCollector = ReturnType<typeof createReportCollector>;
