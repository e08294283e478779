/**
 * Prometheus metrics of a DV node, one registry per node (no process-global default registry, so
 * several nodes in one process — simnet tests, benchmarks — never collide).
 *
 * Exposition: Prometheus text format 0.0.4 (prometheus.io/docs/instrumenting/exposition_formats).
 * A small built-in registry (counter, gauge, histogram with labels) rather than prom-client:
 * `npm install prom-client` fails in this repository (EOVERRIDE: the package.json override of
 * @chainsafe/ssz conflicts with its direct dependency), and the metric names/types below are
 * what prom-client would expose, so swapping it in later changes no dashboard.
 */

type Labels = Record<string, string>;
const labelKey = (names: readonly string[], l: Labels): string =>
  names.map((n) => l[n] ?? "").join("\u0000");
const escapeLabel = (v: string): string =>
  v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
const fmtLabels = (names: readonly string[], values: string[], extra = ""): string => {
  const parts = names.map((n, i) => `${n}="${escapeLabel(values[i] ?? "")}"`);
  if (extra) parts.push(extra);
  return parts.length ? `{${parts.join(",")}}` : "";
};

/**
 * A labelled counter or gauge.
 *
 * @example
 * const c = registry.counter("rpdvt_x_total", "X happened", ["type"]);
 * c.inc({ type: "attester" });
 */
export class Series {
  readonly values = new Map<string, { labels: string[]; value: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: "counter" | "gauge",
    readonly labelNames: readonly string[],
  ) {}
  /** Add `by` (default 1). */
  inc(labels: Labels = {}, by = 1): void {
    const k = labelKey(this.labelNames, labels);
    const v = this.values.get(k);
    if (v) v.value += by;
    else this.values.set(k, { labels: this.labelNames.map((n) => labels[n] ?? ""), value: by });
  }
  /** Set (gauges). */
  set(labels: Labels, value: number): void {
    const k = labelKey(this.labelNames, labels);
    this.values.set(k, { labels: this.labelNames.map((n) => labels[n] ?? ""), value });
  }
  /** Current value (0 if never set). */
  get(labels: Labels = {}): number {
    return this.values.get(labelKey(this.labelNames, labels))?.value ?? 0;
  }
  /** Text exposition lines. */
  render(): string[] {
    const out = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} ${this.type}`];
    for (const v of this.values.values()) {
      out.push(`${this.name}${fmtLabels(this.labelNames, v.labels)} ${v.value}`);
    }
    return out;
  }
}

/**
 * A labelled histogram with fixed upper bounds.
 *
 * @example
 * const h = registry.histogram("rpdvt_latency_seconds", "Latency", ["type"], [0.1, 1]);
 * h.observe({ type: "attester" }, 0.25);
 */
export class Histogram {
  readonly values = new Map<
    string,
    { labels: string[]; buckets: number[]; sum: number; count: number }
  >();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
    readonly bounds: readonly number[],
  ) {}
  /** Record one observation. */
  observe(labels: Labels, v: number): void {
    const k = labelKey(this.labelNames, labels);
    let s = this.values.get(k);
    if (!s) {
      s = {
        labels: this.labelNames.map((n) => labels[n] ?? ""),
        buckets: this.bounds.map(() => 0),
        sum: 0,
        count: 0,
      };
      this.values.set(k, s);
    }
    const buckets = s.buckets;
    this.bounds.forEach((b, i) => {
      if (v <= b) buckets[i] = (buckets[i] ?? 0) + 1;
    });
    s.sum += v;
    s.count++;
  }
  /** Observation count for labels. */
  count(labels: Labels = {}): number {
    return this.values.get(labelKey(this.labelNames, labels))?.count ?? 0;
  }
  /** Text exposition lines. */
  render(): string[] {
    const out = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const s of this.values.values()) {
      this.bounds.forEach((b, i) => {
        out.push(
          `${this.name}_bucket${fmtLabels(this.labelNames, s.labels, `le="${b}"`)} ${s.buckets[i]}`,
        );
      });
      out.push(
        `${this.name}_bucket${fmtLabels(this.labelNames, s.labels, 'le="+Inf"')} ${s.count}`,
      );
      out.push(`${this.name}_sum${fmtLabels(this.labelNames, s.labels)} ${s.sum}`);
      out.push(`${this.name}_count${fmtLabels(this.labelNames, s.labels)} ${s.count}`);
    }
    return out;
  }
}

/**
 * A metric registry (one per node).
 *
 * @example
 * const r = new Registry();
 * r.counter("a_total", "A", []).inc();
 * r.metrics(); // "# HELP a_total A\n# TYPE a_total counter\na_total 1\n"
 */
export class Registry {
  readonly #all: (Series | Histogram)[] = [];
  /** Register a counter. */
  counter(name: string, help: string, labelNames: readonly string[] = []): Series {
    const s = new Series(name, help, "counter", labelNames);
    this.#all.push(s);
    return s;
  }
  /** Register a gauge. */
  gauge(name: string, help: string, labelNames: readonly string[] = []): Series {
    const s = new Series(name, help, "gauge", labelNames);
    this.#all.push(s);
    return s;
  }
  /** Register a histogram. */
  histogram(
    name: string,
    help: string,
    labelNames: readonly string[],
    bounds: readonly number[],
  ): Histogram {
    const h = new Histogram(name, help, labelNames, bounds);
    this.#all.push(h);
    return h;
  }
  /** Prometheus text exposition (Content-Type: text/plain; version=0.0.4). */
  metrics(): string {
    return `${this.#all.flatMap((m) => m.render()).join("\n")}\n`;
  }
}

/**
 * Latency buckets (seconds): a duty has 4 s (attestation) to 12 s (one slot, SECONDS_PER_SLOT).
 *
 * @example
 * registry.histogram("x_seconds", "X", [], LATENCY_BUCKETS);
 */
export const LATENCY_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 12] as const;
/**
 * Round buckets: round 1 is the happy path; each extra round costs ≥ 750 ms (consensus/timer.ts).
 *
 * @example
 * registry.histogram("rounds", "Rounds", [], ROUND_BUCKETS);
 */
export const ROUND_BUCKETS = [1, 2, 3, 4, 6, 10] as const;

/**
 * The DV node's metrics.
 *
 * @example
 * const m = createDvMetrics();
 * m.dutyOutcomes.inc({ type: "attester", outcome: "success", reason: "" });
 * console.log(m.registry.metrics());
 */
export function createDvMetrics() {
  const registry = new Registry();
  return {
    registry,
    dutyOutcomes: registry.counter(
      "rpdvt_duty_outcomes_total",
      "Duties per validator by type, outcome (success|failed) and failure reason",
      ["type", "outcome", "reason"],
    ),
    dutyLatency: registry.histogram(
      "rpdvt_duty_latency_seconds",
      "Time from duty start to aggregate signature ready",
      ["type"],
      LATENCY_BUCKETS,
    ),
    consensusLatency: registry.histogram(
      "rpdvt_consensus_duration_seconds",
      "Time from proposing to deciding a consensus instance",
      ["type"],
      LATENCY_BUCKETS,
    ),
    consensusRounds: registry.histogram(
      "rpdvt_consensus_decided_round",
      "Round in which a consensus instance decided",
      ["type"],
      ROUND_BUCKETS,
    ),
    consensusTimeouts: registry.counter(
      "rpdvt_consensus_timeouts_total",
      "Consensus instances abandoned at the duty deadline",
      ["type"],
    ),
    consensusRejected: registry.counter(
      "rpdvt_consensus_invalid_proposals_total",
      "Proposals rejected by the validity predicate, by reason",
      ["reason"],
    ),
    parsigex: registry.counter(
      "rpdvt_parsigex_messages_total",
      "Partial-signature exchange events: received, valid, sent, drop.<reason>",
      ["event"],
    ),
    signerRefusals: registry.counter(
      "rpdvt_signer_refusals_total",
      "Signatures refused by the signer, by reason",
      ["reason"],
    ),
    peers: registry.gauge(
      "rpdvt_peers_seen",
      "Operators heard from (consensus or parsigex) within the last epoch, excluding self",
    ),
    peerLastSeen: registry.gauge(
      "rpdvt_peer_last_seen_slot",
      "Last slot in which a message from the operator was received",
      ["peer"],
    ),
  };
}

/**
 * The metrics object of a DV node.
 *
 * @example
 * const m: DvMetrics = node.metrics;
 */
export type DvMetrics = ReturnType<typeof createDvMetrics>;
