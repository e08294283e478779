/**
 * What the demo reads from its nodes' Prometheus endpoints (`GET /metrics`, Prometheus text
 * exposition format 0.0.4): the life-cycle gauge `rpdvt_validators{state}` and the
 * fetched → broadcast histogram (src/core/metrics.ts). A node that does not answer within
 * {@link SCRAPE_TIMEOUT_MS} reads as empty: the demo goes on with the others.
 */
import { type HistogramBucket, parseHistogramBuckets } from "../../core/metrics.js";

/** A local node answers in milliseconds; a starved one may not, and is then skipped. */
const SCRAPE_TIMEOUT_MS = 2_000;

/**
 * The nodes' histogram of unsigned data fetched → aggregate handed to the beacon node.
 *
 * @example
 * parseHistogramBuckets(texts, LATENCY_METRIC, { type: "attester" })
 */
export const LATENCY_METRIC = "rpdvt_duty_fetch_to_broadcast_seconds";

/**
 * One node's `/metrics` text on 127.0.0.1:`port` ("" if it does not answer).
 *
 * @example
 * const text = await fetchMetricsText(9100);
 */
export async function fetchMetricsText(port: number): Promise<string> {
  return fetch(`http://127.0.0.1:${port}/metrics`, {
    signal: AbortSignal.timeout(SCRAPE_TIMEOUT_MS),
  }).then(
    (r) => (r.ok ? r.text() : ""),
    () => "",
  );
}

/**
 * A node's `rpdvt_validators{state}` gauge (validators by life-cycle state), null if absent.
 *
 * @example
 * await scrapeValidatorStates(9100) // { active: 15, exited: 1, pending: 2 }
 */
export async function scrapeValidatorStates(
  port: number | undefined,
): Promise<Record<string, number> | null> {
  if (port === undefined) return null;
  return parseValidatorStates(await fetchMetricsText(port));
}

/**
 * The `rpdvt_validators{state}` gauge in one `/metrics` text, null if absent.
 *
 * @example
 * parseValidatorStates('rpdvt_validators{state="active"} 15\n') // { active: 15 }
 */
export function parseValidatorStates(text: string): Record<string, number> | null {
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^rpdvt_validators\{state="([a-z_]+)"\} (\d+)$/gm)) {
    out[m[1] as string] = Number(m[2]);
  }
  return Object.keys(out).length > 0 ? out : null;
}

/**
 * The attester fetched → broadcast histogram pooled over the nodes on `ports`.
 *
 * @example
 * const buckets = await scrapeLatencyBuckets([9100, 9101, 9102, 9103]);
 */
export async function scrapeLatencyBuckets(ports: readonly number[]): Promise<HistogramBucket[]> {
  const texts = await Promise.all(ports.map((p) => fetchMetricsText(p)));
  return parseHistogramBuckets(texts, LATENCY_METRIC, { type: "attester" });
}
