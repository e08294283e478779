/**
 * DV attester duty on the simnet (real BLS shares, real slashing DBs, QBFT): every attestation
 * duty produces a valid aggregate at the simulated beacon (which verifies it with Lodestar's
 * domains) with F operators crashed, under 30% message loss, and with a round-1 leader offline.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { defaultLeader } from "../../../src/core/consensus/params.js";
import { metricValue } from "../../../src/core/metrics.js";
import { DutyType } from "../../../src/core/types.js";
import { withDvCluster } from "../../helpers.js";
import type { DvSimCluster } from "../../simnet/dv.js";

const withCluster = withDvCluster;

function assertAllIncluded(c: DvSimCluster, from: number, to: number): number {
  const duties = c.attesterDuties(from, to);
  assert.ok(duties.length > 0, "the window has attester duties");
  const missing = duties.filter((d) => !c.beacon.included(d.validatorIndex, d.slot));
  assert.deepEqual(missing, [], "every attester duty has an aggregate at the beacon");
  assert.deepEqual(c.beacon.invalid, [], "the beacon rejected nothing");
  assert.deepEqual(c.beacon.slashings, [], "nothing slashable was ever submitted");
  return duties.length;
}

for (const n of [4, 7] as const) {
  const f = (n - 1) / 3;
  describe(`DV attester, n = ${n}`, () => {
    it(`every duty is aggregated with F = ${f} operators crashed`, async () => {
      await withCluster({ n, validators: 4, seed: 10 + n, latencyMs: 20 }, async (c) => {
        for (let i = 0; i < f; i++) c.crash(n - 1 - i);
        await c.startAll({ aggregation: false });
        await c.runToSlot(13);
        const count = assertAllIncluded(c, 1, 12);
        assert.ok(count >= 10);
        const up = c.nodes[0];
        assert.ok(up);
        const s = up.tracker.summary().attester ?? {};
        assert.ok((s.success ?? 0) >= 10, JSON.stringify(s));
        assert.equal(
          Object.keys(s).filter((k) => k.startsWith("failed")).length,
          0,
          JSON.stringify(s),
        );
        // Partial signatures from the crashed operators never arrived; t = 2F+1 sufficed.
        const reports = up.tracker.reports({ type: DutyType.Attester, outcome: "success" });
        assert.ok(reports.every((r) => r.partials >= c.threshold && r.partials <= n - f));
      });
    });

    it("every duty is aggregated with 30% message loss (3 copies per message)", async () => {
      // i.i.d. 30% loss without retransmission makes QBFT rounds fail for tens of seconds (see
      // simnet-qbft.test.ts: 120 s budget); the node's `resend` option is the datagram answer.
      await withCluster(
        {
          n,
          validators: 4,
          seed: 20 + n,
          latencyMs: 30,
          jitterMs: 20,
          dropRate: 0.3,
          node: { resend: { copies: 3, spacingMs: 100 } },
        },
        async (c) => {
          await c.startAll({ aggregation: false });
          await c.runToSlot(13);
          assertAllIncluded(c, 1, 12);
          const dropped = c.sim?.stats.dropped ?? 0;
          assert.ok(dropped > 100, `the network dropped messages (${dropped})`);
        },
      );
    });

    it("a round-1 leader offline costs a round, not the duty", async () => {
      await withCluster({ n, validators: 4, seed: 30 + n, latencyMs: 20 }, async (c) => {
        await c.startAll({ aggregation: false });
        await c.runToSlot(4);
        // Crash the round-1 leader of the attester instance of slots 4..11 that it leads.
        const slot = 5;
        const leader = defaultLeader({ slot, dutyType: DutyType.Attester }, 1, n);
        c.crash(leader);
        await c.runToSlot(13);
        assertAllIncluded(c, 1, 12);
        const other = c.nodes[(leader + 1) % n];
        assert.ok(other);
        const h = other.metrics.consensusRounds;
        const [sum, count] = [await metricValue(h, {}, "sum"), await metricValue(h, {}, "count")];
        assert.ok(sum > count, "some instance decided after round 1");
      });
    });
  });
}
