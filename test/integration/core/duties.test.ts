/**
 * The other duty types on the simnet: proposer (randao reveal and block both threshold-signed,
 * block produced/published, verified by the simulated beacon with Lodestar's domains), aggregator
 * (selection proof threshold-signed, is_aggregator, AggregateAndProof), voluntary exit (EIP-7044:
 * Capella domain while Deneb is current; needs t consenting operators), doppelganger protection,
 * and the tracker / metrics API.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { metricValue } from "../../../src/core/metrics.js";
import { DutyType } from "../../../src/core/types.js";
import { withDvCluster } from "../../helpers.js";

const withCluster = withDvCluster;

describe("DV proposer duty", () => {
  for (const n of [4, 7] as const) {
    it(`n = ${n}: randao + block threshold-signed, published once per proposal slot`, async () => {
      await withCluster(
        { n, validators: 3, seed: 100 + n, latencyMs: 20, beacon: { proposerEvery: 3 } },
        async (c) => {
          c.crash(n - 1); // and with an operator down
          await c.startAll({ aggregation: false });
          await c.runToSlot(13);
          const slots = [...new Set(c.beacon.blocks.map((b) => b.slot))].sort((a, b) => a - b);
          assert.deepEqual(slots, [0, 3, 6, 9, 12]);
          // All operators that published agree on the block (one root per slot).
          for (const s of slots) {
            assert.equal(
              new Set(c.beacon.blocks.filter((b) => b.slot === s).map((b) => b.root)).size,
              1,
            );
          }
          assert.deepEqual(c.beacon.invalid, []);
          assert.deepEqual(c.beacon.slashings, []);
          // Finalised so far (deadline + one slot of grace): slots 0..9, all successful.
          const s = c.nodes[0]?.tracker.summary();
          assert.deepEqual(s?.proposer, { success: 4 }, JSON.stringify(s));
          assert.deepEqual(s?.randao, { success: 4 }, JSON.stringify(s));
          const pending = c.nodes[0]?.tracker
            .pending()
            .filter((p) => p.dutyType === DutyType.Proposer);
          assert.equal(pending?.[0]?.slot, 12);
          assert.equal(pending?.[0]?.outcome, "success");
        },
      );
    });
  }
});

describe("DV aggregator duty", () => {
  it("selection proofs, is_aggregator, AggregateAndProof accepted by the beacon", async () => {
    // committee length 8 < TARGET_AGGREGATORS_PER_COMMITTEE: modulo 1, every attester aggregates.
    await withCluster(
      { n: 4, validators: 4, seed: 111, latencyMs: 20, beacon: { committeeLength: 8 } },
      async (c) => {
        await c.startAll();
        await c.runToSlot(10);
        const duties = c.attesterDuties(1, 9);
        for (const d of duties) {
          assert.ok(
            c.beacon.aggregates.some(
              (a) => a.slot === d.slot && a.aggregatorIndex === d.validatorIndex,
            ),
            `aggregate of ${d.validatorIndex} at slot ${d.slot}`,
          );
        }
        assert.deepEqual(c.beacon.invalid, []);
        const s = c.nodes[1]?.tracker.summary();
        assert.ok((s?.aggregator?.success ?? 0) >= duties.length, JSON.stringify(s));
        assert.ok((s?.prepare_aggregator?.success ?? 0) >= duties.length, JSON.stringify(s));
      },
    );
  });

  it("with a large committee only the selected validators aggregate", async () => {
    await withCluster(
      { n: 4, validators: 4, seed: 112, latencyMs: 20, beacon: { committeeLength: 512 } },
      async (c) => {
        await c.startAll();
        await c.runToSlot(34);
        const duties = c.attesterDuties(1, 33).length;
        const aggs = new Set(c.beacon.aggregates.map((a) => `${a.slot}/${a.aggregatorIndex}`)).size;
        // modulo 32: about 1 in 32 is selected — strictly fewer than all.
        assert.ok(aggs < duties, `${aggs} of ${duties}`);
        assert.deepEqual(c.beacon.invalid, []);
      },
    );
  });
});

describe("DV voluntary exit (EIP-7044)", () => {
  it("t consenting operators produce an exit valid under the Capella domain; t−1 do not", async () => {
    await withCluster({ n: 4, validators: 2, seed: 121, latencyMs: 20 }, async (c) => {
      await c.startAll({ aggregation: false });
      await c.runToSlot(9);
      const [pk0, pk1] = c.pubkeys as [string, string];
      // Validator 0: all t = 3 of 4 operators consent. Validator 1: only 2.
      for (const i of [0, 1, 2]) c.nodes[i]?.requestExit(pk0, 2);
      for (const i of [0, 1]) c.nodes[i]?.requestExit(pk1, 2);
      await c.runToSlot(12);
      assert.deepEqual(c.beacon.exits, [{ validatorIndex: 100, epoch: 2 }]);
      assert.deepEqual(c.beacon.invalid, []);
      const r = c.nodes[0]?.tracker
        .pending()
        .find((p) => p.pubkey === pk1 && p.dutyType === DutyType.Exit);
      assert.equal(r?.partials, 2, "two partials for the unconsented exit");
    });
  });
});

describe("DV doppelganger protection", () => {
  it("a validator live elsewhere during the watch is never signed; the others start after it", async () => {
    await withCluster({ n: 4, validators: 4, seed: 131, latencyMs: 20 }, async (c) => {
      const doppel = c.beacon.indexOf(Buffer.from((c.pubkeys[0] as string).slice(2), "hex"));
      c.beacon.markLive(doppel, 0); // someone else signs validator 0 in epoch 0
      await c.startAll({ aggregation: false, doppelgangerEpochs: 1 });
      await c.runToSlot(14);
      assert.equal(c.beacon.attestations.filter((a) => a.validatorIndex === doppel).length, 0);
      for (const d of c.attesterDuties(5, 13)) {
        if (d.validatorIndex !== doppel) assert.ok(c.beacon.included(d.validatorIndex, d.slot));
      }
      // Epoch 0 (the watch) signs nothing at all.
      assert.equal(c.beacon.attestations.filter((a) => a.slot < 4).length, 0);
      const node = c.nodes[2];
      assert.deepEqual(node?.doppelgangers(), [c.pubkeys[0]]);
      const reasons = node?.tracker
        .reports({ pubkey: c.pubkeys[0], outcome: "failed" })
        .map((r) => r.reason);
      assert.ok(
        reasons?.length && reasons.every((r) => r === "doppelganger"),
        JSON.stringify(reasons),
      );
    });
  });

  it("a restarted operator is not fooled by its own cluster's liveness", async () => {
    await withCluster({ n: 4, validators: 4, seed: 132, latencyMs: 20 }, async (c) => {
      await c.startAll({ aggregation: false });
      await c.runToSlot(5);
      c.crash(3);
      await c.restart(3, { aggregation: false, doppelgangerEpochs: 1 });
      await c.runToSlot(14);
      assert.deepEqual(c.nodes[3]?.doppelgangers(), []);
      const signed = c.nodes[3]?.tracker
        .reports({ sinceSlot: 9 })
        .filter((r) => r.outcome === "success");
      assert.ok((signed?.length ?? 0) > 0);
      const m3 = c.nodes[3]?.metrics;
      assert.ok(m3);
      assert.ok(
        (await metricValue(m3.signerRefusals, { reason: "doppelganger" })) > 0,
        "it waited",
      );
    });
  });
});

describe("DV tracker and metrics", () => {
  it("per-node registries expose outcomes, latency, rounds, partials and peers", async () => {
    await withCluster({ n: 4, validators: 2, seed: 141, latencyMs: 20 }, async (c) => {
      await c.startAll({ aggregation: false });
      await c.runToSlot(8);
      const a = (await c.nodes[0]?.metrics.registry.metrics()) ?? "";
      const b = (await c.nodes[1]?.metrics.registry.metrics()) ?? "";
      assert.notEqual(c.nodes[0]?.metrics.registry, c.nodes[1]?.metrics.registry);
      for (const name of [
        'rpdvt_duty_outcomes_total{type="attester",outcome="success",reason=""}',
        "rpdvt_duty_latency_seconds_bucket",
        'rpdvt_duty_fetch_to_broadcast_seconds_bucket{le="0.005",type="attester"}',
        "rpdvt_consensus_decided_round_count",
        'rpdvt_parsigex_messages_total{event="accepted"}',
        "rpdvt_peers_seen 3",
      ]) {
        assert.ok(a.includes(name), name);
        assert.ok(b.includes(name), name);
      }
      // Fetched → aggregated: at least the simnet's 2 message delays (consensus, partials).
      const m0 = c.nodes[0]?.metrics;
      assert.ok(m0);
      const n = await metricValue(m0.fetchToBroadcast, { type: "attester" });
      const sum = await metricValue(m0.fetchToBroadcast, { type: "attester" }, "sum");
      assert.ok(n > 0 && sum / n >= 0.04, `${n} observations, mean ${sum / n} s`);
      // Node 0 backs up some validators (not a primary aggregator for them: deferred 1/6 slot);
      // those late-on-purpose aggregations are not latency samples.
      assert.ok((await metricValue(m0.parsigex, { event: "sigagg.deferred" })) > 0);
      assert.ok(sum / n < 0.5, `mean ${sum / n} s: no backup in the latency histogram`);
      const seen: string[] = [];
      c.nodes[0]?.tracker.onReport((r) => seen.push(`${r.slot}/${r.type}/${r.outcome}`));
      await c.runToSlot(11);
      assert.ok(
        seen.length > 0 && seen.every((s) => s.endsWith("/attester/success")),
        String(seen),
      );
      const r = c.nodes[0]?.tracker.reports({ outcome: "success" })[0];
      assert.ok(
        r && r.latencyMs !== undefined && r.latencyMs > 0 && r.round === 1 && r.partials >= 3,
      );
    });
  });

  it("a beacon node that is down is reported as beacon-error for the affected duties", async () => {
    await withCluster({ n: 4, validators: 4, seed: 142, latencyMs: 20 }, async (c) => {
      await c.startAll({ aggregation: false });
      await c.runToSlot(9);
      for (const b of c.beacons) b.setDown(true);
      await c.runToSlot(10);
      for (const b of c.beacons) b.setDown(false);
      await c.runToSlot(13);
      const r = c.nodes[0]?.tracker.reports({ sinceSlot: 9 }) ?? [];
      assert.equal(r.find((x) => x.slot === 9)?.reason, "beacon-error");
      assert.ok(
        r.some((x) => x.slot === 10 && x.outcome === "success"),
        JSON.stringify(r),
      );
      for (const d of c.attesterDuties(9, 10))
        assert.equal(c.beacon.included(d.validatorIndex, d.slot), false);
    });
  });
});
