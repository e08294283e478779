/**
 * Per beacon node metrics of the strategy beacon (beacon.ts), in the node's prom-client registry:
 * `rpdvt_beacon_node_requests_total{node,call,outcome}` (answer / error / late),
 * `rpdvt_beacon_node_wins_total{node,call}` (its answer was the one used) and
 * `rpdvt_beacon_node_latency_seconds{node,call}` (answers and errors); and an in-memory tally of
 * the same for reports (devnet measurements). Labels are host:port names, never credentials.
 */
import { Counter, Histogram, type Registry } from "prom-client";
import type { StrategyBeacon, StrategyCall } from "./beacon.js";

/**
 * Register the strategy beacon's per-node metrics on `registry`; returns the unsubscribe.
 *
 * @example
 * registerStrategyMetrics(dv.metrics.registry, beacon);
 */
export function registerStrategyMetrics(registry: Registry, beacon: StrategyBeacon): () => void {
  const requests = new Counter({
    name: "rpdvt_beacon_node_requests_total",
    help: "Duty requests per beacon node and how they ended (answer, error, late: after the strategy's budget)",
    labelNames: ["node", "call", "outcome"],
    registers: [registry],
  });
  const wins = new Counter({
    name: "rpdvt_beacon_node_wins_total",
    help: "Duty requests whose answer from this beacon node was the one used (strategy choice)",
    labelNames: ["node", "call"],
    registers: [registry],
  });
  const latency = new Histogram({
    name: "rpdvt_beacon_node_latency_seconds",
    help: "Time from a duty request to this beacon node's answer or error",
    labelNames: ["node", "call"],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 4],
    registers: [registry],
  });
  return beacon.onEvent((e) => {
    if (e.kind === "win") wins.inc({ node: e.node, call: e.call });
    else {
      requests.inc({ node: e.node, call: e.call, outcome: e.outcome });
      if (e.outcome !== "late") latency.observe({ node: e.node, call: e.call }, e.ms / 1000);
    }
  });
}

/**
 * One node's tally for one request kind.
 *
 * @example
 * const t: NodeTally = { answers: 10, errors: 0, late: 1, wins: 9, latencyMs: [12, 15] };
 */
export type NodeTally = {
  answers: number;
  errors: number;
  late: number;
  wins: number;
  latencyMs: number[];
};

/**
 * Tally the strategy beacon's events in memory: `snapshot()` → node → call → {@link NodeTally}.
 *
 * @example
 * const t = tallyStrategy(beacon); …; console.log(t.snapshot());
 */
export function tallyStrategy(beacon: StrategyBeacon): {
  snapshot(): Map<string, Map<StrategyCall, NodeTally>>;
  stop(): void;
} {
  const tally = new Map<string, Map<StrategyCall, NodeTally>>();
  const get = (node: string, call: StrategyCall): NodeTally => {
    const byCall = tally.get(node) ?? new Map<StrategyCall, NodeTally>();
    tally.set(node, byCall);
    const t = byCall.get(call) ?? { answers: 0, errors: 0, late: 0, wins: 0, latencyMs: [] };
    byCall.set(call, t);
    return t;
  };
  const stop = beacon.onEvent((e) => {
    const t = get(e.node, e.call);
    if (e.kind === "win") t.wins++;
    else if (e.outcome === "late") t.late++;
    else {
      if (e.outcome === "answer") t.answers++;
      else t.errors++;
      if (t.latencyMs.length < 100_000) t.latencyMs.push(e.ms);
    }
  });
  return { snapshot: () => tally, stop };
}
