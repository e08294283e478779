/**
 * Committee subscriptions (issue 13): a beacon node pools attestations for aggregation only on a
 * (subnet, slot) with an earlier aggregator subscription (Lodestar's AggregatorTracker; the
 * simulated beacon's `poolRequiresSubscription`). Every operator subscribes its beacon node for
 * every cluster attester duty with is_aggregator = true as soon as the epoch's duties are known —
 * the next epoch's before it starts — so aggregation works from the first slot and again right
 * after an operator restarts. Without the subscriptions every aggregate fails with "No aggregated
 * attestation for slot=…".
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { withDvCluster } from "../../helpers.js";

const SPE = 4; // the DV simnet's slots per epoch

describe("DV committee subscriptions", () => {
  for (const [n, validators] of [
    [4, 6],
    [7, 21],
  ] as const) {
    it(`n = ${n}, ${validators} validators: every operator subscribes every duty as aggregator before its epoch; aggregates work, also after a restart`, async () => {
      await withDvCluster(
        {
          n,
          validators,
          seed: 1400 + n,
          latencyMs: 20,
          // Committees shorter than 16·TARGET_AGGREGATORS make every attester an aggregator.
          beacon: { poolRequiresSubscription: true, committeeLength: 16 },
        },
        async (c) => {
          await c.startAll();
          await c.runToSlot(SPE + 1);
          c.crash(n - 1);
          await c.runToSlot(SPE + 2, c.slotMs / 2);
          await c.restart(n - 1);
          const restartedAt = c.beacon.genesisClockMs + (SPE + 2.5) * c.slotMs;
          await c.runToSlot(4 * SPE);

          assert.deepEqual(c.beacon.invalid, []);
          assert.deepEqual(c.beacon.slashings, []);
          const duties = c.attesterDuties(0, 4 * SPE);
          assert.equal(duties.length, validators * 4);
          const epochStart = (slot: number) =>
            c.beacon.genesisClockMs + Math.floor(slot / SPE) * SPE * c.slotMs;
          for (const [i, view] of c.beacons.entries()) {
            for (const d of duties) {
              const subs = view.subscriptions.filter(
                (s) => s.slot === d.slot && s.validatorIndex === d.validatorIndex,
              );
              assert.ok(subs.length > 0, `operator ${i}: no subscription for ${JSON.stringify(d)}`);
              assert.ok(subs.every((s) => s.isAggregator));
              // Epochs ≥ 1: subscribed during the epoch before (the next epoch's duties).
              if (d.slot >= SPE) {
                assert.ok(
                  subs.some((s) => s.at < epochStart(d.slot)),
                  `operator ${i}: slot ${d.slot} subscribed only at ${subs.map((s) => s.at)}`,
                );
              }
            }
          }
          // The restarted operator re-subscribed its node at once (before the next duty's slot).
          const again = (c.beacons[n - 1]?.subscriptions ?? []).filter((s) => s.at >= restartedAt);
          const rest = duties.filter((d) => d.slot >= SPE + 3 && d.slot < 3 * SPE);
          for (const d of rest) {
            assert.ok(
              again.some(
                (s) => s.slot === d.slot && s.at < c.beacon.genesisClockMs + d.slot * c.slotMs,
              ),
              `restarted operator: slot ${d.slot}`,
            );
          }
          // Every attester (all are aggregators) got its aggregate accepted, every slot.
          for (const d of duties.filter((x) => x.slot < 4 * SPE - 1)) {
            assert.ok(
              c.beacon.aggregates.some(
                (a) => a.slot === d.slot && a.aggregatorIndex === d.validatorIndex,
              ),
              `aggregate of ${d.validatorIndex} at slot ${d.slot}`,
            );
          }
        },
      );
    });
  }
});
