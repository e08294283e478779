/**
 * DV node metrics over prom-client: per-node registries are independent, the text exposition
 * carries HELP/TYPE lines for every metric, and histogram observations land in the right bucket.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createDvMetrics, metricValue } from "../../src/core/metrics.js";

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
});
