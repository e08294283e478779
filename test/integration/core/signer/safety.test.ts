/**
 * DV safety and recovery (simnet, real BLS, real slashing DB files): with F+1 operators down no
 * aggregate and nothing slashable appears, and duties resume once they are back; an operator
 * killed mid-duty and restarted on the same slashing-protection file (fresh memory) refuses to
 * sign a different value for the same duty — in the signer and already in consensus validity.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ssz } from "@lodestar/types";
import { encodeUnsignedSet } from "../../../../src/core/codec.js";
import { createSigningRoots } from "../../../../src/core/domain.js";
import { createDutyHandlers } from "../../../../src/core/duties/index.js";
import { indexHandlers } from "../../../../src/core/duty-handler.js";
import { createValidityCheck } from "../../../../src/core/fetcher/validate.js";
import { createProtectionView } from "../../../../src/core/protection.js";
import { createSigner } from "../../../../src/core/signer/signer.js";
import { DutyType } from "../../../../src/core/types.js";
import { SlashingProtectionDb } from "../../../../src/slashing/db.js";
import { createDvSimCluster, type DvSimCluster } from "../../../simnet/dv.js";

async function withCluster(
  opts: Omit<Parameters<typeof createDvSimCluster>[0], "dataDir">,
  fn: (c: DvSimCluster, dir: string) => Promise<void>,
): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "rpdvt-dvs-"));
  const c = await createDvSimCluster({ ...opts, dataDir: dir });
  try {
    await fn(c, dir);
  } finally {
    c.close();
    await rm(dir, { recursive: true, force: true });
  }
}

for (const n of [4, 7] as const) {
  const f = (n - 1) / 3;
  describe(`DV safety, n = ${n}`, () => {
    it(`F+1 = ${f + 1} operators down: no aggregate, nothing slashable; back up: duties resume`, async () => {
      await withCluster({ n, validators: 4, seed: 80 + n, latencyMs: 20 }, async (c) => {
        await c.startAll({ aggregation: false });
        await c.runToSlot(3);
        const down = Array.from({ length: f + 1 }, (_, k) => n - 1 - k);
        for (const i of down) c.crash(i);
        await c.runToSlot(8);
        const during = c.attesterDuties(4, 8);
        assert.ok(during.length > 0);
        for (const d of during) {
          assert.equal(
            c.beacon.included(d.validatorIndex, d.slot),
            false,
            `no aggregate at slot ${d.slot}`,
          );
        }
        const up = c.nodes[0];
        assert.ok(up);
        await c.runToSlot(9, 1); // let the tracker finalise slots ≤ 7
        const failed = up.tracker.reports({ type: DutyType.Attester, outcome: "failed" });
        assert.ok(
          failed.some((r) => r.slot >= 4 && r.reason === "no-quorum"),
          JSON.stringify(up.tracker.summary()),
        );
        for (const i of down) await c.restart(i, { aggregation: false });
        await c.runToSlot(16);
        const after = c.attesterDuties(10, 15);
        assert.ok(after.length > 0);
        for (const d of after) {
          assert.ok(c.beacon.included(d.validatorIndex, d.slot), `resumed at slot ${d.slot}`);
        }
        assert.deepEqual(c.beacon.slashings, []);
        assert.deepEqual(c.beacon.invalid, []);
      });
    });
  });
}

describe("DV restart mid-duty", () => {
  it("a restarted operator (same DB file, fresh memory) refuses a different value for the same duty", async () => {
    await withCluster({ n: 4, validators: 4, seed: 91, latencyMs: 20 }, async (c, dir) => {
      await c.startAll({ aggregation: false });
      // Find a duty, run until operator 0 has signed it (attestation at ⅓ slot + consensus), kill it.
      const slot = 6;
      const [duty] = c.beacon.dutiesAt(slot);
      assert.ok(duty);
      await c.runToSlot(slot, c.slotMs / 3 + 150);
      const signedBefore = c.nodes[0]?.tracker.pending().find((r) => r.slot === slot);
      assert.ok(signedBefore, "operator 0 is mid-duty");
      c.crash(0);
      await c.restart(0, { aggregation: false });
      await c.runToSlot(slot + 2);
      assert.ok(c.beacon.included(duty.validatorIndex, slot), "the duty completed");
      assert.deepEqual(c.beacon.slashings, []);

      // The value operator 0 signed before the crash (what the beacon served) …
      const chain = c.beacon.chain;
      const roots = createSigningRoots(chain);
      const honest = await c.beacon.attestationData(slot, duty.committeeIndex);
      // … and a conflicting one for the same duty (same target, another head).
      const forced = { ...honest, beaconBlockRoot: new Uint8Array(32).fill(0xee) };
      const pk = c.pubkeys[duty.validatorIndex - 100] as string;
      // A fresh process on the same file: new DB handle, new view, new signer (no memory).
      c.crash(0);
      const db = SlashingProtectionDb.open(join(dir, "operator-1"), {
        genesisValidatorsRoot: chain.genesisValidatorsRoot,
      });
      try {
        const view = createProtectionView(db);
        const signer = createSigner({
          shares: c.shares[0] as Map<string, Uint8Array>,
          shareIdx: 1,
          slashingDb: db,
          view,
        });
        const protect = {
          kind: "attestation" as const,
          source: BigInt(forced.source.epoch),
          target: BigInt(forced.target.epoch),
        };
        // Consensus validity already refuses the conflicting value …
        const isValid = createValidityCheck({
          chain,
          roots,
          view,
          validators: new Set(c.pubkeys),
          localDuty: () => undefined,
          handlers: indexHandlers(createDutyHandlers()),
        });
        const value = (data: typeof honest) =>
          encodeUnsignedSet(new Map([[pk, { kind: "attestation", data, duty }]]));
        assert.equal(isValid(value(forced), { slot, dutyType: DutyType.Attester }), false);
        assert.equal(
          isValid(value(honest), { slot, dutyType: DutyType.Attester }),
          true,
          "the same value is fine",
        );
        // … and the signer refuses it (slashing protection first), while re-signing the same data is allowed.
        const refused = signer.sign(
          [{ pubkey: pk, signingRoot: roots.attestation(forced), protect }],
          { slot, type: DutyType.Attester },
        );
        assert.equal(refused.signed.length, 0);
        assert.equal(refused.refused[0]?.reason, "slashing-protection");
        const again = signer.sign(
          [{ pubkey: pk, signingRoot: roots.attestation(honest), protect }],
          { slot, type: DutyType.Attester },
        );
        assert.equal(again.signed.length, 1, "an identical repeat is not slashable");
        assert.notDeepEqual(
          ssz.phase0.AttestationData.hashTreeRoot(forced),
          ssz.phase0.AttestationData.hashTreeRoot(honest),
        );
        signer.close();
      } finally {
        db.close();
      }
    });
  });
});
