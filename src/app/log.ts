/**
 * The operator node's log: one JSON object per line on stderr (`time`, `event`, fields), never a
 * secret (keys, passwords and tokens are never passed to it). `quiet` drops every line.
 */
import type { DutyReport } from "../core/tracker/tracker.js";

/**
 * Write one log line.
 *
 * @example
 * log("peer-connected", { operatorIndex: 2 });
 */
export type NodeLog = (event: string, fields?: Record<string, unknown>) => void;

/**
 * A {@link NodeLog} on stderr, silent when `quiet`.
 *
 * @example
 * const log = createNodeLog(false);
 * log("started", { operatorId: 1 });
 */
export function createNodeLog(quiet: boolean | undefined): NodeLog {
  return (event, fields = {}) => {
    if (quiet) return;
    process.stderr.write(
      `${JSON.stringify({ time: new Date().toISOString(), event, ...fields })}\n`,
    );
  };
}

/**
 * An error's message for a log line (no stack).
 *
 * @example
 * log("error", { what: "http request", message: errorMessage(err) });
 */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * The fields of a `duty` log line for a finished duty (the validator's pubkey shortened).
 *
 * @example
 * dv.tracker.onReport((r) => log("duty", { ...dutyLogFields(r), latencyMs: r.latencyMs }));
 */
export function dutyLogFields(r: DutyReport): Record<string, unknown> {
  return {
    slot: r.slot,
    type: r.type,
    validator: r.pubkey.slice(0, 12),
    outcome: r.outcome,
    reason: r.reason,
    details: r.details,
  };
}
