/**
 * DV duties with a Byzantine operator (simnet, real BLS, real slashing DBs): an equivocating
 * consensus leader, invalid partial signatures (garbage bytes / a valid signature by a wrong key),
 * a flooder, and a leader proposing slashable (surround) attestation data. Every duty still
 * produces a valid aggregate, honest operators agree, nothing slashable is ever signed.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decodeUnsignedSet, encodeUnsignedSet } from "../../../src/core/codec.js";
import { defaultLeader } from "../../../src/core/consensus/params.js";
import { metricValue } from "../../../src/core/metrics.js";
import { DutyType } from "../../../src/core/types.js";
import { withDvCluster } from "../../helpers.js";
import type { DvSimCluster } from "../../simnet/dv.js";

const withCluster = withDvCluster;

function assertAllIncluded(c: DvSimCluster, from: number, to: number): void {
  const duties = c.attesterDuties(from, to);
  assert.ok(duties.length > 0);
  const missing = duties.filter((d) => !c.beacon.included(d.validatorIndex, d.slot));
  assert.deepEqual(missing, [], "every attester duty has an aggregate at the beacon");
  assert.deepEqual(c.beacon.invalid, [], "the beacon rejected nothing");
  assert.deepEqual(c.beacon.slashings, [], "nothing slashable was ever submitted");
  // Agreement: one attestation data root per (validator, slot).
  const roots = new Map<string, Set<string>>();
  for (const a of c.beacon.attestations) {
    const k = `${a.validatorIndex}/${a.slot}`;
    roots.set(k, (roots.get(k) ?? new Set()).add(a.dataRoot));
  }
  for (const [k, s] of roots) assert.equal(s.size, 1, `one data root for ${k}`);
}

const parsigexCount = async (c: DvSimCluster, i: number, event: string): Promise<number> => {
  const m = c.nodes[i]?.metrics;
  return m ? metricValue(m.parsigex, { event }) : 0;
};

/** Another valid attestation set: every entry's beacon_block_root changed. */
function altValue(value: Uint8Array): Uint8Array | undefined {
  const d = decodeUnsignedSet(value);
  if (d?.kind !== "attestation") return undefined;
  for (const u of d.set.values()) {
    if (u.kind === "attestation") {
      u.data = { ...u.data, beaconBlockRoot: new Uint8Array(32).fill(0xab) };
    }
  }
  return encodeUnsignedSet(d.set);
}

for (const n of [4, 7] as const) {
  describe(`DV with a Byzantine operator, n = ${n}`, () => {
    it("an equivocating leader cannot split the honest operators", async () => {
      await withCluster(
        { n, validators: 4, seed: 40 + n, latencyMs: 20, jitterMs: 10 },
        async (c) => {
          const byz = 1;
          await c.startAll({ aggregation: false });
          const rewritten = c.equivocate(byz, (v, to) => (to % 2 ? altValue(v) : undefined));
          await c.runToSlot(13);
          assertAllIncluded(c, 1, 12);
          assert.ok(rewritten() > 0, "the leader did equivocate");
        },
      );
    });

    for (const mode of ["garbage", "wrong-key"] as const) {
      it(`invalid partial signatures (${mode}) are dropped, duties still aggregate`, async () => {
        await withCluster({ n, validators: 4, seed: 50 + n, latencyMs: 20 }, async (c) => {
          // Share id 2: among the first t partials an operator aggregates (aggregate first), so
          // its bad partial makes the first aggregate fail and takes the fallback path.
          const byz = 1;
          await c.startAll({ aggregation: false });
          c.corruptPartials(byz, mode);
          await c.runToSlot(10);
          assertAllIncluded(c, 1, 9);
          const honest = [...Array(n).keys()].filter((i) => i !== byz);
          const count = async (e: string) =>
            (await Promise.all(honest.map((i) => parsigexCount(c, i, e)))).reduce((a, b) => a + b);
          assert.ok((await count("sigagg.drop.invalid-signature")) > 0, "bad partials counted");
          const fallbacks = await count("sigagg.fallback");
          assert.ok(fallbacks > 0, "the fallback path ran");
          assert.ok(
            fallbacks <= honest.length,
            `once per honest operator, then the sender is a suspect (${fallbacks})`,
          );
        });
      });
    }

    it("a flooder (random, mutated, replayed messages) changes nothing", async () => {
      await withCluster({ n, validators: 4, seed: 60 + n, latencyMs: 20 }, async (c) => {
        const byz = 2;
        await c.startAll({ aggregation: false });
        c.flood(byz, { everyMs: 200, perTick: 10, untilMs: 10 * c.slotMs });
        await c.runToSlot(10);
        assertAllIncluded(c, 1, 9);
        const drops = (
          await Promise.all(
            [
              "drop.malformed",
              "drop.duplicate",
              "drop.share-mismatch",
              "sigagg.drop.invalid-signature",
            ].map((e) => parsigexCount(c, 0, e)),
          )
        ).reduce((a, b) => a + b, 0);
        assert.ok(drops > 50, `flood traffic dropped (${drops})`);
        assert.ok(
          Object.keys(c.nodes[0]?.consensusStats()?.counters ?? {}).some((k) =>
            k.startsWith("decode."),
          ),
        );
      });
    });
  });
}

describe("DV with a Byzantine leader proposing slashable data", () => {
  it("a surround vote is never decided; the duty still succeeds with honest data", async () => {
    const n = 4;
    await withCluster({ n, validators: 4, seed: 71, latencyMs: 20 }, async (c) => {
      await c.startAll({ aggregation: false });
      // Epochs 0..2 (spe = 4) run normally: every validator votes (e−1 → e).
      await c.runToSlot(12);
      // In epoch 3 pick a slot whose attester round-1 leader will be Byzantine.
      const slot = [12, 13, 14, 15].find((s) => c.beacon.dutiesAt(s).length > 0) as number;
      const byz = defaultLeader({ slot, dutyType: DutyType.Attester }, 1, n);
      // Its beacon node serves data with source epoch 0: (0 → 3) surrounds (1 → 2).
      c.beacons[byz]?.overrideAttestationData((d) =>
        d.slot === slot ? { ...d, source: { epoch: 0, root: new Uint8Array(32) } } : d,
      );
      await c.runToSlot(17);
      const duties = c.beacon.dutiesAt(slot);
      for (const d of duties) {
        const atts = c.beacon.attestations.filter(
          (a) => a.validatorIndex === d.validatorIndex && a.slot === slot,
        );
        assert.ok(atts.length > 0, "the duty was aggregated");
        assert.ok(
          atts.every((a) => a.source === 2 && a.target === 3),
          "with the honest source",
        );
      }
      assert.deepEqual(c.beacon.slashings, []);
      const rejected = await Promise.all(
        [0, 1, 2, 3]
          .filter((i) => i !== byz)
          .map(async (i) => {
            const m = c.nodes[i]?.metrics;
            return m ? metricValue(m.consensusRejected, { reason: "slashing-protection" }) : 0;
          }),
      );
      assert.ok(
        rejected.every((r) => r > 0),
        `honest operators rejected the proposal (${rejected})`,
      );
      assertAllIncluded(c, 1, 16);
    });
  });
});
