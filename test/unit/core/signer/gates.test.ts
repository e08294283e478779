/**
 * The signer's gates (src/core/signer/signer.ts step 1, src/core/interfaces.ts SigningGate): a
 * gate's refusal keeps a request away from slashing protection and BLS signing, with the gate's
 * reason and details; the duty reaches the gate; other validators of the batch are signed.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { SecretKey } from "@chainsafe/blst";
import type { SigningGate } from "../../../../src/core/interfaces.js";
import { createProtectionView } from "../../../../src/core/protection.js";
import { createSigner } from "../../../../src/core/signer/signer.js";
import { type Duty, DutyType } from "../../../../src/core/types.js";
import { SlashingProtectionDb } from "../../../../src/slashing/db.js";
import { toHex } from "../../../../src/util/hex.js";

describe("signer gates", () => {
  it("a refusing gate keeps the request out of slashing protection; the rest is signed", async () => {
    const dir = await mkdtemp(join(tmpdir(), "rpdvt-gates-"));
    const db = SlashingProtectionDb.open(dir, { genesisValidatorsRoot: new Uint8Array(32) });
    try {
      const shares = new Map<string, Uint8Array>();
      const pks: string[] = [];
      for (let i = 0; i < 24; i++) {
        const sk = SecretKey.fromKeygen(new Uint8Array(32).fill(i + 1));
        const pk = toHex(sk.toPublicKey().toBytes());
        pks.push(pk);
        shares.set(pk, sk.toBytes());
      }
      const blocked = new Set(pks.slice(0, 5));
      const seen: Duty[] = [];
      let open = false;
      const gate: SigningGate = (pk, duty) => {
        seen.push(duty);
        return blocked.has(pk) && !open
          ? { reason: "key-exposed", details: `test gate at slot ${duty.slot}` }
          : undefined;
      };
      const signer = createSigner({
        shares,
        shareIdx: 1,
        slashingDb: db,
        view: createProtectionView(db),
        gate,
      });
      const duty = { slot: 64, type: DutyType.Attester };
      const req = (pk: string, fill: number) => ({
        pubkey: pk,
        signingRoot: new Uint8Array(32).fill(fill),
        protect: { kind: "attestation" as const, source: 1n, target: 2n },
      });
      const first = signer.sign(
        pks.map((pk) => req(pk, 1)),
        duty,
      );
      assert.equal(first.signed.length, 19);
      assert.deepEqual(
        first.refused.map((r) => [r.pubkey, r.reason, r.details]),
        [...blocked].map((pk) => [pk, "key-exposed", "test gate at slot 64"]),
      );
      assert.ok(
        seen.every((d) => d === duty),
        "the gate sees the duty being signed",
      );
      // Nothing was recorded for the refused ones: once the gate opens, a different root for the
      // same target is accepted for them (it would be a double vote had the refusal inserted).
      open = true;
      const second = signer.sign(
        [...blocked].map((pk) => req(pk, 2)),
        duty,
      );
      assert.equal(second.signed.length, 5);
      signer.close();
    } finally {
      db.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
