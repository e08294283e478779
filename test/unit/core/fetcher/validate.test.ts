/**
 * The generic frame of the consensus validity predicate (src/core/fetcher/validate.ts, issue 14
 * item 8): it holds no rule of its own — a duty type's kind, whole-value rule and per-entry rule
 * are its handler's (`decides`/`alsoDecides`, `validateSet`, `validate`), so a new duty type's
 * rule is a new handler file. 24 validators, mixed: 20 of the cluster, 4 not.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { encodeUnsignedSet } from "../../../../src/core/codec.js";
import { createSigningRoots } from "../../../../src/core/domain.js";
import { createDutyHandlers } from "../../../../src/core/duties/index.js";
import { type DutyHandler, indexHandlers } from "../../../../src/core/duty-handler.js";
import { createValidityCheck } from "../../../../src/core/fetcher/validate.js";
import {
  DutyType,
  type PubkeyHex,
  type UnsignedData,
  type UnsignedDataSet,
} from "../../../../src/core/types.js";
import { publicKeyOf } from "../../../../src/crypto/bls.js";
import { toHex } from "../../../../src/util/hex.js";
import { createSimBeacon } from "../../../simnet/beacon.js";
import { randomSecret } from "../../../simnet/dv.js";
import { createPrng } from "../../../simnet/prng.js";

const SLOT = 9;
const rng = createPrng(23);
const keys = Array.from({ length: 24 }, () => publicKeyOf(randomSecret(rng)));
const cluster = keys.slice(0, 20);
const clock = { now: () => 100_000, setTimeout: () => () => {} };
const beacon = createSimBeacon({ clock, validators: keys, slotsPerEpoch: 4 });
const roots = createSigningRoots(beacon.chain);
const view = {
  attestationOk: () => true,
  blockOk: () => true,
  recordAttestation() {},
  recordBlock() {},
};

/** A sync-message value of `pks`, every entry on `root` unless `odd` names one on another. */
function syncValue(pks: readonly Uint8Array[], odd?: number): Uint8Array {
  const set: UnsignedDataSet = new Map();
  for (const [i, pk] of pks.entries()) {
    const beaconBlockRoot = new Uint8Array(32).fill(i === odd ? 2 : 1);
    set.set(toHex(pk), { kind: "sync_message", slot: SLOT, beaconBlockRoot, validatorIndex: i });
  }
  return encodeUnsignedSet(set);
}

/** The predicate over `handlers`, with its refusal reasons. */
function check(handlers: DutyHandler[]) {
  const rejects: string[] = [];
  const isValid = createValidityCheck({
    chain: beacon.chain,
    roots,
    view,
    validators: new Set(cluster.map((k) => toHex(k))),
    localDuty: () => undefined,
    onReject: (r) => rejects.push(r),
    handlers: indexHandlers(handlers),
  });
  return { isValid, rejects };
}

describe("validity frame: the rules are the handlers'", () => {
  const inst = { slot: SLOT, dutyType: DutyType.SyncMessage };

  it("runs the duty type's handler rules: whole value first, then every entry", () => {
    const { isValid, rejects } = check(createDutyHandlers());
    assert.equal(isValid(syncValue(cluster), inst), true, rejects.join());
    assert.equal(isValid(syncValue(cluster, 7), inst), false);
    assert.equal(
      isValid(syncValue(cluster.slice(0, 19).concat(keys[22] as Uint8Array)), inst),
      false,
    );
    assert.equal(isValid(syncValue(cluster), { slot: SLOT + 1, dutyType: inst.dutyType }), false);
    assert.deepEqual(rejects, ["block-root-mismatch", "unknown-validator", "slot-mismatch"]);
  });

  it("a replaced handler's rule is the only rule (no per-type rule left in the frame)", () => {
    const seen: { pk: PubkeyHex; u: UnsignedData }[] = [];
    const handlers = createDutyHandlers().map(
      (h): DutyHandler =>
        h.type !== DutyType.SyncMessage
          ? h
          : {
              ...h,
              validateSet: () => true, // the built-in one-root rule dropped: the frame has none
              validate: (_v, _s, pk, u) => {
                seen.push({ pk, u });
                return seen.length === 20 ? "custom-reason" : true;
              },
            },
    );
    const { isValid, rejects } = check(handlers);
    assert.equal(isValid(syncValue(cluster, 3), inst), false);
    assert.equal(seen.length, 20, "every entry reached the handler's validate");
    assert.deepEqual(rejects, ["custom-reason"]);
  });

  it("refuses a value of a kind its duty type does not decide, and a duty type deciding nothing", () => {
    const { isValid, rejects } = check(createDutyHandlers());
    assert.equal(isValid(syncValue(cluster), { slot: SLOT, dutyType: DutyType.Attester }), false);
    assert.equal(isValid(syncValue(cluster), { slot: SLOT, dutyType: DutyType.Exit }), false);
    assert.equal(isValid(new Uint8Array([0xff, 1, 2]), inst), false);
    assert.deepEqual(rejects, ["kind", "kind", "malformed"]);
  });

  it("a handler that decides values must bring its validate (caught when the node is built)", () => {
    const handlers = createDutyHandlers().map((h) =>
      h.type === DutyType.Attester ? { ...h, validate: undefined } : h,
    );
    assert.throws(() => indexHandlers(handlers), /Attester|attester.*validate/i);
  });
});
