/**
 * DV node metrics over prom-client: per-node registries are independent, the text exposition
 * carries HELP/TYPE lines for every metric, and histogram observations land in the right bucket.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  createDvMetrics,
  histogramQuantile,
  metricValue,
  parseHistogramBuckets,
} from "../../../src/core/metrics.js";

describe("DV metrics (prom-client)", () => {
  it("two nodes' registries are independent and expose the expected series", async () => {
    const a = createDvMetrics();
    const b = createDvMetrics();
    assert.notEqual(a.registry, b.registry);
    a.parsigex.inc({ event: "valid" }, 3);
    a.consensusRounds.observe({ type: "attester" }, 2);
    a.peers.set(3);

    assert.equal(await metricValue(a.parsigex, { event: "valid" }), 3);
    assert.equal(await metricValue(b.parsigex, { event: "valid" }), 0);
    assert.equal(await metricValue(b.consensusRounds), 0);

    const text = await a.registry.metrics();
    for (const [name, type] of [
      ["rpdvt_duty_outcomes_total", "counter"],
      ["rpdvt_duty_latency_seconds", "histogram"],
      ["rpdvt_duty_fetch_to_broadcast_seconds", "histogram"],
      ["rpdvt_consensus_duration_seconds", "histogram"],
      ["rpdvt_consensus_decided_round", "histogram"],
      ["rpdvt_consensus_timeouts_total", "counter"],
      ["rpdvt_consensus_invalid_proposals_total", "counter"],
      ["rpdvt_parsigex_messages_total", "counter"],
      ["rpdvt_signer_refusals_total", "counter"],
      ["rpdvt_peers_seen", "gauge"],
      ["rpdvt_peer_last_seen_slot", "gauge"],
    ]) {
      assert.match(text, new RegExp(`^# HELP ${name} \\S`, "m"), name);
      assert.ok(text.includes(`\n# TYPE ${name} ${type}\n`), `${name} ${type}`);
    }
    assert.match(text, /^rpdvt_parsigex_messages_total\{event="valid"\} 3$/m);
    assert.match(text, /^rpdvt_peers_seen 3$/m);
    // Round 2 is in the le="2" bucket and above, not in le="1".
    assert.match(text, /^rpdvt_consensus_decided_round_bucket\{le="1",type="attester"\} 0$/m);
    assert.match(text, /^rpdvt_consensus_decided_round_bucket\{le="2",type="attester"\} 1$/m);
    assert.match(text, /^rpdvt_consensus_decided_round_bucket\{le="\+Inf",type="attester"\} 1$/m);
    assert.match(text, /^rpdvt_consensus_decided_round_sum\{type="attester"\} 2$/m);
    assert.equal(await metricValue(a.consensusRounds, { type: "attester" }, "sum"), 2);

    const other = await b.registry.metrics();
    assert.equal(other.includes('event="valid"'), false);
    assert.equal(other.includes('type="attester"'), false);
  });

  it("histograms scraped from several nodes pool by bucket; quantiles interpolate like histogram_quantile", async () => {
    const a = createDvMetrics();
    const b = createDvMetrics();
    // 10 observations: 0.02 (×4, bucket 0.01–0.02), 0.09 (×5, bucket 0.075–0.1), 5 (×1, 4–8).
    for (let i = 0; i < 4; i++) a.fetchToBroadcast.observe({ type: "attester" }, 0.02);
    for (let i = 0; i < 5; i++) b.fetchToBroadcast.observe({ type: "attester" }, 0.09);
    b.fetchToBroadcast.observe({ type: "attester" }, 5);
    b.fetchToBroadcast.observe({ type: "proposer" }, 0.001); // another label: not counted
    const texts = [await a.registry.metrics(), await b.registry.metrics()];
    const buckets = parseHistogramBuckets(texts, "rpdvt_duty_fetch_to_broadcast_seconds", {
      type: "attester",
    });
    assert.deepEqual(buckets.at(-1), { le: Number.POSITIVE_INFINITY, count: 10 });
    assert.deepEqual(
      buckets.find((x) => x.le === 0.02),
      { le: 0.02, count: 4 },
    );
    assert.equal(buckets.find((x) => x.le === 0.005)?.count, 0);
    // Median: rank 5 of 10 → 1 of the 5 in (0.075, 0.1] → 0.075 + 0.025 · 1/5 = 0.08.
    assert.ok(Math.abs((histogramQuantile(buckets, 0.5) as number) - 0.08) < 1e-9);
    // p99: rank 9.9 → in (4, 8], 0.9 of its single observation → 7.6.
    assert.ok(Math.abs((histogramQuantile(buckets, 0.99) as number) - 7.6) < 1e-9);
    assert.equal(histogramQuantile(buckets, 0.2), 0.015, "rank 2 of 4 in (0.01, 0.02]");
    assert.equal(histogramQuantile([], 0.5), null);
    assert.equal(
      histogramQuantile(
        [
          { le: 1, count: 1 },
          { le: Number.POSITIVE_INFINITY, count: 2 },
        ],
        0.99,
      ),
      1,
      "in the +Inf bucket: the highest finite bound",
    );
  });
});
