/**
 * Prometheus metrics of a DV node, built on prom-client (github.com/siimon/prom-client): one
 * prom-client `Registry` per node, never the process-global default registry, so several nodes in
 * one process — simnet tests, benchmarks — never collide.
 *
 * Exposition: `registry.metrics()` (async) renders the Prometheus text format 0.0.4
 * (prometheus.io/docs/instrumenting/exposition_formats); serve it with `registry.contentType`.
 * prom-client has no per-label-set getter, so `metricValue` reads one series (or the sum of the
 * series matching some labels) for status pages and tests.
 */

import { Counter, Gauge, Histogram, Registry } from "prom-client";

/**
 * Latency buckets (seconds): a duty has 4 s (attestation) to 12 s (one slot, SECONDS_PER_SLOT).
 *
 * @example
 * new Histogram({ name: "x_seconds", help: "X", buckets: [...LATENCY_BUCKETS], registers: [r] });
 */
export const LATENCY_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 12] as const;
/**
 * Fine buckets (seconds) for the DV's own share of a duty's time, tens to hundreds of ms: quantiles
 * interpolated from them (Prometheus `histogram_quantile`) are within half a bucket width.
 *
 * @example
 * new Histogram({ name: "y_seconds", help: "Y", buckets: [...FINE_LATENCY_BUCKETS], registers: [r] });
 */
export const FINE_LATENCY_BUCKETS = [
  0.005, 0.01, 0.02, 0.03, 0.04, 0.05, 0.075, 0.1, 0.125, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.75, 1,
  1.5, 2, 4, 8, 12,
] as const;
/**
 * Round buckets: round 1 is the happy path; each extra round costs ≥ 750 ms (consensus/timer.ts).
 *
 * @example
 * new Histogram({ name: "rounds", help: "Rounds", buckets: [...ROUND_BUCKETS], registers: [r] });
 */
export const ROUND_BUCKETS = [1, 2, 3, 4, 6, 10] as const;

/**
 * The DV node's metrics, registered in a fresh prom-client `Registry` of their own.
 *
 * @example
 * const m = createDvMetrics();
 * m.dutyOutcomes.inc({ type: "attester", outcome: "success", reason: "" });
 * console.log(await m.registry.metrics());
 */
export function createDvMetrics() {
  const registry = new Registry();
  const registers = [registry];
  return {
    registry,
    ...dutyMetrics(registers),
    ...consensusMetrics(registers),
    ...nodeMetrics(registers),
  };
}

/** Per duty: outcomes and latencies. */
function dutyMetrics(registers: Registry[]) {
  return {
    dutyOutcomes: new Counter({
      name: "rpdvt_duty_outcomes_total",
      help: "Duties per validator by type, outcome (success|failed) and failure reason",
      labelNames: ["type", "outcome", "reason"] as const,
      registers,
    }),
    dutyLatency: new Histogram({
      name: "rpdvt_duty_latency_seconds",
      help: "Time from duty start to aggregate signature ready",
      labelNames: ["type"] as const,
      buckets: [...LATENCY_BUCKETS],
      registers,
    }),
    fetchToBroadcast: new Histogram({
      name: "rpdvt_duty_fetch_to_broadcast_seconds",
      help: "Per validator: time from the unsigned data fetched to the aggregate signature handed to the beacon node (consensus, signing, exchange, aggregation: what a DV adds over a single signer, plus its one signature)",
      labelNames: ["type"] as const,
      buckets: [...FINE_LATENCY_BUCKETS],
      registers,
    }),
  };
}

/** Per consensus instance: duration, round, timeouts, refused proposals. */
function consensusMetrics(registers: Registry[]) {
  return {
    consensusLatency: new Histogram({
      name: "rpdvt_consensus_duration_seconds",
      help: "Time from proposing to deciding a consensus instance",
      labelNames: ["type"] as const,
      buckets: [...LATENCY_BUCKETS],
      registers,
    }),
    consensusRounds: new Histogram({
      name: "rpdvt_consensus_decided_round",
      help: "Round in which a consensus instance decided",
      labelNames: ["type"] as const,
      buckets: [...ROUND_BUCKETS],
      registers,
    }),
    consensusTimeouts: new Counter({
      name: "rpdvt_consensus_timeouts_total",
      help: "Consensus instances abandoned at the duty deadline",
      labelNames: ["type"] as const,
      registers,
    }),
    consensusRejected: new Counter({
      name: "rpdvt_consensus_invalid_proposals_total",
      help: "Proposals rejected by the validity predicate, by reason",
      labelNames: ["reason"] as const,
      registers,
    }),
  };
}

/** Partial signatures, signer refusals, peers, validators and the key guard. */
function nodeMetrics(registers: Registry[]) {
  return {
    parsigex: new Counter({
      name: "rpdvt_parsigex_messages_total",
      help: "Partial-signature exchange events: received, valid, sent, drop.<reason>",
      labelNames: ["event"] as const,
      registers,
    }),
    signerRefusals: new Counter({
      name: "rpdvt_signer_refusals_total",
      help: "Signatures refused by the signer, by reason",
      labelNames: ["reason"] as const,
      registers,
    }),
    peers: new Gauge({
      name: "rpdvt_peers_seen",
      help: "Operators heard from (consensus or parsigex) within the last epoch, excluding self",
      registers,
    }),
    peerLastSeen: new Gauge({
      name: "rpdvt_peer_last_seen_slot",
      help: "Last slot in which a message from the operator was received",
      labelNames: ["peer"] as const,
      registers,
    }),
    validators: new Gauge({
      name: "rpdvt_validators",
      help: "Cluster validators by life-cycle state (unknown, pending, active, exiting, exited) read from the beacon node",
      labelNames: ["state"] as const,
      registers,
    }),
    keyExposed: new Gauge({
      name: "rpdvt_validator_key_exposed",
      help: "1 while the key guard (src/ops/guard) found this validator's key outside the cluster (Smartnode keystore or VC keymanager) and this operator refuses to sign for it, else 0",
      labelNames: ["validator"] as const,
      registers,
    }),
  };
}

/**
 * The metrics object of a DV node.
 *
 * @example
 * const m: DvMetrics = node.metrics;
 */
export type DvMetrics = ReturnType<typeof createDvMetrics>;

/**
 * Current value of a counter or gauge, or a histogram's `count` (default) or `sum`, summed over
 * every series whose labels include `labels` (like PromQL `sum(metric{labels})`); 0 if none.
 *
 * @example
 * await metricValue(m.signerRefusals, { reason: "doppelganger" }); // 2
 * await metricValue(m.consensusRounds, {}, "sum"); // sum of decided rounds over all types
 */
export async function metricValue(
  metric: Counter<string> | Gauge<string> | Histogram<string>,
  labels: Record<string, string | number> = {},
  sample: "count" | "sum" = "count",
): Promise<number> {
  const { name, values } = await metric.get();
  const want = metric instanceof Histogram ? `${name}_${sample}` : name;
  let total = 0;
  for (const v of values) {
    const metricName = "metricName" in v ? v.metricName : undefined;
    if ((metricName ?? name) !== want) continue;
    const l: Partial<Record<string, string | number>> = v.labels;
    if (Object.entries(labels).every(([k, x]) => String(l[k] ?? "") === String(x))) {
      total += v.value;
    }
  }
  return total;
}

/**
 * One histogram bucket of the text exposition: cumulative `count` of observations ≤ `le`.
 *
 * @example
 * const b: HistogramBucket = { le: 0.1, count: 42 };
 */
export type HistogramBucket = { le: number; count: number };

/**
 * Read a histogram's cumulative buckets from Prometheus text exposition(s), summing the series
 * whose labels include `labels` (like PromQL `sum by (le)`); pass several nodes' scrapes to pool
 * them. Buckets ascend by `le`, the last is `+Inf` (Infinity).
 *
 * @example
 * const buckets = parseHistogramBuckets([textA, textB], "rpdvt_duty_fetch_to_broadcast_seconds", { type: "attester" });
 */
export function parseHistogramBuckets(
  texts: readonly string[],
  name: string,
  labels: Record<string, string> = {},
): HistogramBucket[] {
  const byLe = new Map<number, number>();
  const line = new RegExp(`^${name}_bucket\\{([^}]*)\\}\\s+(\\S+)`);
  for (const text of texts) {
    for (const l of text.split("\n")) {
      const m = line.exec(l);
      if (!m) continue;
      const got = new Map<string, string>();
      for (const kv of (m[1] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
        got.set(kv[1] as string, kv[2] as string);
      }
      if (!Object.entries(labels).every(([k, v]) => got.get(k) === v)) continue;
      const leText = got.get("le");
      if (leText === undefined) continue;
      const le = leText === "+Inf" ? Number.POSITIVE_INFINITY : Number(leText);
      byLe.set(le, (byLe.get(le) ?? 0) + Number(m[2]));
    }
  }
  return [...byLe].map(([le, count]) => ({ le, count })).sort((a, b) => a.le - b.le);
}

/**
 * The q-quantile (0..1) of a histogram, interpolated linearly inside the bucket it falls in, as
 * Prometheus `histogram_quantile` does (the first bucket's lower bound is 0; a quantile in the
 * `+Inf` bucket answers the highest finite bound). Approximate: exact to within the bucket's
 * width. `null` when there are no observations.
 *
 * @example
 * histogramQuantile([{ le: 0.1, count: 5 }, { le: 0.2, count: 10 }, { le: Infinity, count: 10 }], 0.5) // 0.1
 */
export function histogramQuantile(buckets: readonly HistogramBucket[], q: number): number | null {
  const total = buckets.at(-1)?.count ?? 0;
  if (total <= 0) return null;
  const rank = q * total;
  let lower = 0;
  let below = 0;
  for (const b of buckets) {
    if (b.count >= rank) {
      if (b.le === Number.POSITIVE_INFINITY) return lower;
      if (b.count === below) return b.le;
      return lower + ((b.le - lower) * (rank - below)) / (b.count - below);
    }
    lower = b.le;
    below = b.count;
  }
  return lower;
}

/**
 * Register `rpdvt_peer_rtt_seconds{peer}` on `registry`: each other operator's last measured
 * round-trip time (the /rpdvt/peerinfo ping, src/p2p/peerinfo.ts), read at scrape time from
 * `rttMs` (undefined: not measured on the current connection — no sample for that peer).
 *
 * @example
 * registerPeerRtt(node.metrics.registry, [1, 2, 3], (i) => peerInfo.get(i)?.rttMs);
 */
export function registerPeerRtt(
  registry: Registry,
  peers: readonly number[],
  rttMs: (peer: number) => number | undefined,
): void {
  new Gauge({
    name: "rpdvt_peer_rtt_seconds",
    help: "Round-trip time to the operator (peer-info ping), seconds; absent while not measured",
    labelNames: ["peer"] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const p of peers) {
        const ms = rttMs(p);
        if (ms !== undefined) this.set({ peer: String(p) }, ms / 1000);
      }
    },
  });
}
