/**
 * Sync-committee duties on the simnet (consensus-specs altair validator.md): sync committee
 * messages (one QBFT instance per slot decides the head block root, threshold-signed under
 * DOMAIN_SYNC_COMMITTEE), selection proofs (SyncAggregatorSelectionData,
 * DOMAIN_SYNC_COMMITTEE_SELECTION_PROOF, `is_sync_committee_aggregator`) and contributions
 * (ContributionAndProof, DOMAIN_CONTRIBUTION_AND_PROOF) — every submission verified by the
 * simulated beacon with Lodestar's domains; with an operator crashed; and t − 1 valid partials
 * produce nothing.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import {
  createSigningRoots,
  isSyncCommitteeAggregator,
  syncSubcommitteeOf,
} from "../../../src/core/domain.js";
import { signMessage } from "../../../src/crypto/bls.js";
import { toHex } from "../../../src/util/hex.js";
import { createDvSimCluster, type DvSimCluster } from "../../simnet/dv.js";

async function withCluster(
  opts: Omit<Parameters<typeof createDvSimCluster>[0], "dataDir">,
  fn: (c: DvSimCluster) => Promise<void>,
): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "rpdvt-dvs-"));
  const c = await createDvSimCluster({ ...opts, dataDir: dir });
  try {
    await fn(c);
  } finally {
    c.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Validator index → full secret (the harness keeps them for baselines). */
const secretOf = (c: DvSimCluster, index: number): Uint8Array => {
  const i = c.pubkeys.findIndex(
    (pk) => c.beacon.indexOf(Buffer.from(pk.slice(2), "hex")) === index,
  );
  return c.secrets[i] as Uint8Array;
};

// 6 validators, the first 5 in the sync committee: validators 0 and 4 share subcommittee 0.
const OPTS = { validators: 6, latencyMs: 20, beacon: { syncCommittee: 5 } } as const;
const FROM = 1;
const TO = 10; // slots [FROM, TO) are checked

describe("DV sync committee duties", () => {
  for (const crashed of [undefined, 3] as const) {
    it(`n = 4${crashed === undefined ? "" : ", operator 3 crashed"}: messages and contributions verified by the beacon`, async () => {
      await withCluster({ n: 4, seed: 201 + (crashed ?? 0), ...OPTS }, async (c) => {
        if (crashed !== undefined) c.crash(crashed);
        await c.startAll();
        await c.runToSlot(TO + 1);
        assert.deepEqual(c.beacon.invalid, []);
        const members = c.beacon.syncDuties;
        assert.equal(members.length, 5);
        const roots = createSigningRoots(c.beacon.chain);
        let expectedContributions = 0;
        for (let slot = FROM; slot < TO; slot++) {
          const head = toHex(await c.beacon.beaconBlockRoot(slot));
          for (const d of members) {
            const msgs = c.beacon.syncMessages.filter(
              (m) => m.slot === slot && m.validatorIndex === d.validatorIndex,
            );
            assert.ok(msgs.length > 0, `sync message of ${d.validatorIndex} at slot ${slot}`);
            // Every operator submitted the decided root: the slot's block root.
            assert.deepEqual([...new Set(msgs.map((m) => m.root))], [head]);
            // Aggregators per spec, from the full key (BLS signatures are deterministic).
            const sub = syncSubcommitteeOf(d.validatorSyncCommitteeIndices) as number;
            const proof = signMessage(
              secretOf(c, d.validatorIndex),
              roots.syncSelectionProof(slot, sub),
            );
            const got = c.beacon.contributions.filter(
              (x) => x.slot === slot && x.aggregatorIndex === d.validatorIndex,
            );
            if (isSyncCommitteeAggregator(proof)) {
              expectedContributions++;
              assert.ok(got.length > 0, `contribution of ${d.validatorIndex} at slot ${slot}`);
              for (const x of got) {
                assert.equal(x.subcommitteeIndex, sub);
                // Subcommittee 0 holds validators 0 and 4: both messages aggregated.
                assert.equal(x.bits, sub === 0 ? 2 : 1);
              }
            } else {
              assert.equal(got.length, 0, `no contribution of ${d.validatorIndex} at ${slot}`);
            }
          }
        }
        assert.ok(expectedContributions > 0, "some validator is a sync aggregator");
        // The non-member never signs a sync message.
        const outsider = c.beacon.indexOf(Buffer.from((c.pubkeys[5] as string).slice(2), "hex"));
        assert.equal(c.beacon.syncMessages.filter((m) => m.validatorIndex === outsider).length, 0);
        const s = c.nodes[0]?.tracker.summary();
        assert.ok((s?.sync_message?.success ?? 0) >= 5 * (TO - 1 - FROM), JSON.stringify(s));
        assert.ok((s?.sync_contribution?.success ?? 0) > 0, JSON.stringify(s));
        assert.deepEqual(c.beacon.slashings, []);
      });
    });
  }

  it("t − 1 valid partials reach the beacon: nothing is produced", async () => {
    await withCluster({ n: 4, seed: 211, ...OPTS }, async (c) => {
      // Operators 2 and 3 send corrupted partials and their beacon nodes drop sync submissions:
      // consensus still decides (4 live operators), but operators 0 and 1 only ever hold
      // t − 1 = 2 valid partials, and what 2 and 3 aggregate never reaches the chain.
      c.corruptPartials(2, "garbage");
      c.corruptPartials(3, "wrong-key");
      for (const i of [2, 3]) {
        const b = c.beacons[i];
        assert.ok(b);
        b.submitSyncCommitteeMessages = async () => {};
        b.submitContributionAndProofs = async () => {};
      }
      await c.startAll();
      await c.runToSlot(8);
      assert.deepEqual(c.beacon.syncMessages, []);
      assert.deepEqual(c.beacon.contributions, []);
      assert.deepEqual(c.beacon.invalid, []);
      const failed = c.nodes[0]?.tracker
        .reports({ outcome: "failed" })
        .filter((r) => r.type === "sync_message");
      assert.ok(failed?.length, "sync messages failed");
      for (const r of failed ?? []) {
        assert.equal(r.reason, "insufficient-partials", JSON.stringify(r));
        assert.equal(r.partials, 2);
      }
    });
  });
});
