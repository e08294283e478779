/**
 * The demo's live line, once per slot: each operator's view from its own `GET /status`
 * (src/core/http-server.ts: connected peers and the tracker's summary, src/core/tracker) — its
 * attester duties ok / watching (doppelganger protection) / failed — or "down" / "no answer".
 * The newest reports each node lists go into the run's collector (./node-reports.ts).
 */

import type { DutyReport } from "../../core/tracker/tracker.js";
import type { Squad } from "../squad.js";
import { DEMO_OPERATOR_IDS } from "./config.js";
import { type ReportCollector, summaryCounts } from "./node-reports.js";

/**
 * One operator's cell of the live line.
 *
 * @example
 * statusCell(4, undefined, false) // "op4: down"
 * statusCell(1, { connectedPeers: [2, 3], summary: { attester: { success: 5 } } }, true) // "op1: 2 peers, 5 ok/0 watching/0 failed"
 */
export function statusCell(
  id: number,
  status: Record<string, unknown> | undefined,
  running: boolean,
): string {
  if (!status) return `op${id}: ${running ? "no answer" : "down"}`;
  const c = summaryCounts(status.summary as Record<string, Record<string, number>>, "attester");
  return `op${id}: ${(status.connectedPeers as number[]).length} peers, ${c.success} ok/${c.watching} watching/${c.failed} failed`;
}

/**
 * Ask every operator for its status (each lists its newest 50 reports, ~2 slots of this squad's),
 * keep their reports, and return the live line's cells.
 *
 * @example
 * (await pollOperators(squad, reports)).join(" | ")
 */
export async function pollOperators(squad: Squad, reports: ReportCollector): Promise<string[]> {
  const statuses = await Promise.all(DEMO_OPERATOR_IDS.map((id) => squad.status(id)));
  for (const [i, s] of statuses.entries()) {
    reports.add(DEMO_OPERATOR_IDS[i] as number, s?.recent as DutyReport[] | undefined);
  }
  return statuses.map((s, i) => {
    const id = DEMO_OPERATOR_IDS[i] as number;
    return statusCell(id, s, squad.running(id));
  });
}
