/**
 * The QBFT validity predicate's cost shape (src/core/fetcher/validate.ts): within one value, the
 * attestation signing root is computed once per distinct AttestationData, and every entry is
 * still checked against slashing protection with ITS OWN data's signing root.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { phase0 } from "@lodestar/types";
import { encodeUnsignedSet } from "../../../../src/core/codec.js";
import { createSigningRoots } from "../../../../src/core/domain.js";
import { createDutyHandlers } from "../../../../src/core/duties/index.js";
import { indexHandlers } from "../../../../src/core/duty-handler.js";
import { createValidityCheck } from "../../../../src/core/fetcher/validate.js";
import { DutyType, type PubkeyHex, type UnsignedDataSet } from "../../../../src/core/types.js";
import { publicKeyOf } from "../../../../src/crypto/bls.js";
import { toHex } from "../../../../src/util/hex.js";
import { createSimBeacon } from "../../../simnet/beacon.js";
import { randomSecret } from "../../../simnet/dv.js";
import { createPrng } from "../../../simnet/prng.js";

const SLOT = 6;
const rng = createPrng(11);
const pubkeys = Array.from({ length: 5 }, () => publicKeyOf(randomSecret(rng)));
const clock = { now: () => 100_000, setTimeout: () => () => {} };
const beacon = createSimBeacon({ clock, validators: pubkeys, slotsPerEpoch: 4 });
const realRoots = createSigningRoots(beacon.chain);

/** 5 validators: 3 in committee 0 (same data), 2 in committee 1 (other data). */
async function attSet(): Promise<{
  set: UnsignedDataSet;
  dataOf: Map<PubkeyHex, phase0.AttestationData>;
}> {
  const set: UnsignedDataSet = new Map();
  const dataOf = new Map<PubkeyHex, phase0.AttestationData>();
  for (const [i, pk] of pubkeys.entries()) {
    const committeeIndex = i < 3 ? 0 : 1;
    const data = await beacon.attestationData(SLOT, committeeIndex);
    const duty = {
      pubkey: pk,
      validatorIndex: i,
      committeeIndex,
      committeeLength: 8,
      committeesAtSlot: 2,
      validatorCommitteeIndex: i,
      slot: SLOT,
    };
    set.set(toHex(pk), { kind: "attestation", data, duty });
    dataOf.set(toHex(pk), data);
  }
  return { set, dataOf };
}

describe("validity predicate cost", () => {
  it("hashes each distinct AttestationData once per value; each entry is checked with its own root", async () => {
    const { set, dataOf } = await attSet();
    let hashed = 0;
    const roots = {
      ...realRoots,
      attestation: (d: phase0.AttestationData) => {
        hashed++;
        return realRoots.attestation(d);
      },
    };
    const checked = new Map<PubkeyHex, string>();
    let refuse: PubkeyHex | undefined;
    const view = {
      attestationOk: (pk: PubkeyHex, _s: bigint, _t: bigint, root: Uint8Array) => {
        checked.set(pk, toHex(root));
        return pk !== refuse;
      },
      blockOk: () => true,
      recordAttestation() {},
      recordBlock() {},
    };
    const rejects: string[] = [];
    const isValid = createValidityCheck({
      chain: beacon.chain,
      roots,
      view,
      validators: new Set([...set.keys()]),
      localDuty: () => undefined,
      handlers: indexHandlers(createDutyHandlers()),
      onReject: (r) => rejects.push(r),
    });
    const value = encodeUnsignedSet(set);
    const inst = { slot: SLOT, dutyType: DutyType.Attester };
    assert.equal(isValid(value, inst), true, rejects.join());
    assert.equal(hashed, 2, "two committees → two distinct AttestationData → two roots");
    assert.equal(checked.size, 5, "every entry checked against slashing protection");
    for (const [pk, root] of checked) {
      assert.equal(root, toHex(realRoots.attestation(dataOf.get(pk) as phase0.AttestationData)));
    }
    assert.notEqual(
      checked.get(toHex(pubkeys[0] as Uint8Array)),
      checked.get(toHex(pubkeys[4] as Uint8Array)),
    );
    // A second value is hashed afresh (no roots carried across values)…
    assert.equal(isValid(value, inst), true);
    assert.equal(hashed, 4);
    // …and a slashing-protection refusal of any one entry still rejects the whole value.
    refuse = toHex(pubkeys[4] as Uint8Array);
    assert.equal(isValid(value, inst), false);
    assert.deepEqual(rejects, ["slashing-protection"]);
  });
});
