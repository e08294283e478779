/**
 * The DV workflow after Electra (EIP-7549; consensus-specs electra validator.md "Construct
 * attestation" / "Construct aggregate", p2p-interface.md `beacon_aggregate_and_proof`) and Fulu
 * (EIP-7594 cell proofs in BlockContents), by the fork of the duty's slot:
 * - validity: attestation data.index = 0 post-Electra (the committee only in the duty), aggregate
 *   committee_bits = exactly the duty's committee, pre-Electra rules unchanged;
 * - codec: Electra aggregates keep committee_bits (own kind byte, fork named), Fulu blob bundles
 *   carry CELLS_PER_EXT_BLOB proofs per blob;
 * - the simulated beacon judges with Lodestar's electra types and domains: an electra aggregate
 *   signed over the phase0 container is rejected;
 * - DV clusters on the simnet with Electra from genesis (1 operator down) and across Deneb →
 *   Electra → Fulu attest (right committee), aggregate and propose.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SecretKey } from "@chainsafe/blst";
import { BitArray } from "@chainsafe/ssz";
import {
  CELLS_PER_EXT_BLOB,
  DOMAIN_AGGREGATE_AND_PROOF,
  ForkName,
  MAX_COMMITTEES_PER_SLOT,
} from "@lodestar/params";
import { type electra, type phase0, ssz, sszTypesFor } from "@lodestar/types";
import type { AttesterDuty } from "../../../src/core/beacon.js";
import { buildAttestation } from "../../../src/core/broadcast/broadcast.js";
import {
  decodeUnsignedSet,
  encodeUnsignedSet,
  UNSIGNED_KIND,
  UNSIGNED_KIND_AGGREGATE_ELECTRA,
} from "../../../src/core/codec.js";
import { computeSigningRoot, createSigningRoots, forkAtSlot } from "../../../src/core/domain.js";
import { createDutyHandlers } from "../../../src/core/duties/index.js";
import { indexHandlers } from "../../../src/core/duty-handler.js";
import { createFetcher } from "../../../src/core/fetcher/fetcher.js";
import { createValidityCheck } from "../../../src/core/fetcher/validate.js";
import {
  type AnyAggregateAndProof,
  DutyType,
  type UnsignedData,
  type UnsignedDataSet,
} from "../../../src/core/types.js";
import { toHex } from "../../../src/util/hex.js";
import { withDvCluster } from "../../helpers.js";
import { createSimBeacon, type SimBeacon } from "../../simnet/beacon.js";
import { type DvSimCluster, randomSecret } from "../../simnet/dv.js";
import { createPrng } from "../../simnet/prng.js";

const SPE = 4;
const clock = { now: () => 10_000_000, setTimeout: () => () => {} };
const rng = createPrng(0xe1ec);
const sks = [0, 1].map(() => SecretKey.fromBytes(randomSecret(rng)));
const pks = sks.map((sk) => sk.toPublicKey().toBytes());
const pk1 = toHex(pks[1] as Uint8Array);
const sk1 = sks[1] as SecretKey;

/** Deneb in epoch 0, Electra from epoch 1 (committee length 8: every attester aggregates). */
function sim(): SimBeacon {
  return createSimBeacon({
    clock,
    validators: pks,
    slotsPerEpoch: SPE,
    electraEpoch: 1,
    committeeLength: 8,
    committeesPerSlot: 2,
  });
}

/** Validator 1's duty in `epoch` (committee 1: pre-Electra data.index would be 1). */
async function dutyOf(b: SimBeacon, epoch: number): Promise<AttesterDuty> {
  const [d] = await b.attesterDuties(epoch, [b.indexOf(pks[1] as Uint8Array)]);
  assert.ok(d);
  assert.equal(d.committeeIndex, 1);
  return d;
}

const view = {
  attestationOk: () => true,
  blockOk: () => true,
  recordAttestation() {},
  recordBlock() {},
};

function check(b: SimBeacon, local?: AttesterDuty) {
  const rejects: string[] = [];
  const isValid = createValidityCheck({
    chain: b.chain,
    roots: createSigningRoots(b.chain),
    view,
    validators: new Set([pk1]),
    localDuty: () => (local ? { kind: "attester", duty: local } : undefined),
    handlers: indexHandlers(createDutyHandlers()),
    onReject: (r) => rejects.push(r),
  });
  return { isValid, rejects };
}

const one = (u: UnsignedData): UnsignedDataSet => new Map([[pk1, u]]);
/**
 * hash_tree_root as the phase0 container (of a fresh copy: Lodestar caches an AggregateAndProof's
 * root on the object, whichever container type computed it).
 */
const phase0Root = (ap: AnyAggregateAndProof): Uint8Array =>
  ssz.phase0.AggregateAndProof.hashTreeRoot(
    ssz.phase0.AggregateAndProof.deserialize(ssz.phase0.AggregateAndProof.serialize(ap)),
  );

describe("Electra validity (EIP-7549)", () => {
  it("attestation: data.index = 0 post-Electra, = committee pre-Electra", async () => {
    const b = sim();
    const { isValid, rejects } = check(b);
    const post = await dutyOf(b, 2);
    const data = await b.attestationData(post.slot, post.committeeIndex);
    assert.equal(data.index, 0, "Electra attestation_data has index 0");
    const inst = { slot: post.slot, dutyType: DutyType.Attester };
    const att = (d: phase0.AttestationData, duty: AttesterDuty) =>
      encodeUnsignedSet(one({ kind: "attestation", data: d, duty }));
    assert.equal(isValid(att(data, post), inst), true, rejects.join());
    assert.equal(isValid(att({ ...data, index: post.committeeIndex }, post), inst), false);
    assert.equal(rejects.at(-1), "committee");
    // A committee index outside the slot's committees is refused too.
    assert.equal(isValid(att(data, { ...post, committeeIndex: 2 }), inst), false);
    assert.equal(rejects.at(-1), "committee");

    const pre = await dutyOf(b, 0);
    const preData = await b.attestationData(pre.slot, pre.committeeIndex);
    assert.equal(preData.index, 1, "Deneb attestation_data names the committee");
    const preInst = { slot: pre.slot, dutyType: DutyType.Attester };
    assert.equal(isValid(att(preData, pre), preInst), true, rejects.join());
    assert.equal(isValid(att({ ...preData, index: 0 }, pre), preInst), false);
    assert.equal(rejects.at(-1), "committee");
  });

  it("aggregate: committee_bits must be exactly the duty's committee, data.index 0, fork of the slot", async () => {
    const b = sim();
    const post = await dutyOf(b, 2);
    const { isValid, rejects } = check(b, post);
    const roots = createSigningRoots(b.chain);
    const data = await b.attestationData(post.slot, post.committeeIndex);
    const selectionProof = sk1.sign(roots.selectionProof(post.slot)).toBytes();
    const agg = (committees: number[], d = data): electra.Attestation => {
      const committeeBits = BitArray.fromBitLen(MAX_COMMITTEES_PER_SLOT);
      for (const c of committees) committeeBits.set(c, true);
      return {
        aggregationBits: BitArray.fromSingleBit(8, post.validatorCommitteeIndex),
        data: d,
        signature: new Uint8Array(96),
        committeeBits,
      };
    };
    const value = (aggregate: AnyAggregateAndProof["aggregate"], fork?: ForkName) =>
      encodeUnsignedSet(
        one({
          kind: "aggregate",
          committeeLength: 8,
          fork,
          aggregateAndProof: { aggregatorIndex: post.validatorIndex, aggregate, selectionProof },
        }),
      );
    const inst = { slot: post.slot, dutyType: DutyType.Aggregator };
    const good = value(agg([1]), ForkName.electra);
    assert.equal(good[1], UNSIGNED_KIND_AGGREGATE_ELECTRA);
    assert.equal(isValid(good, inst), true, rejects.join());
    const cases: [string, Uint8Array, string][] = [
      ["another committee", value(agg([0]), ForkName.electra), "committee"],
      ["two committees", value(agg([0, 1]), ForkName.electra), "committee"],
      ["no committee", value(agg([]), ForkName.electra), "committee"],
      ["data.index ≠ 0", value(agg([1], { ...data, index: 1 }), ForkName.electra), "committee"],
      ["tagged with another fork", value(agg([1]), ForkName.fulu), "fork"],
    ];
    for (const [what, v, why] of cases) {
      assert.equal(isValid(v, inst), false, what);
      assert.equal(rejects.at(-1), why, what);
    }
    // A phase0-shaped aggregate (no committee_bits) after Electra.
    const { committeeBits: _drop, ...phase0Shaped } = agg([1]);
    const p0 = value(phase0Shaped);
    assert.equal(p0[1], UNSIGNED_KIND.aggregate);
    assert.equal(isValid(p0, inst), false);
    assert.equal(rejects.at(-1), "fork");
  });
});

describe("Electra / Fulu codec and signing roots", () => {
  it("an Electra aggregate round-trips with its committee_bits; pre-Electra encoding unchanged", async () => {
    const b = sim();
    const post = await dutyOf(b, 2);
    const data = await b.attestationData(post.slot, 1);
    const aggregate: electra.Attestation = {
      aggregationBits: BitArray.fromSingleBit(8, 3),
      data,
      signature: new Uint8Array(96).fill(7),
      committeeBits: BitArray.fromSingleBit(MAX_COMMITTEES_PER_SLOT, 1),
    };
    const ap = { aggregatorIndex: 101, aggregate, selectionProof: new Uint8Array(96).fill(9) };
    const bytes = encodeUnsignedSet(
      one({ kind: "aggregate", committeeLength: 8, fork: ForkName.electra, aggregateAndProof: ap }),
    );
    const d = decodeUnsignedSet(bytes);
    const u = d?.set.get(pk1);
    assert.ok(u?.kind === "aggregate" && u.fork === ForkName.electra);
    assert.ok(
      ssz.electra.AggregateAndProof.equals(u.aggregateAndProof as electra.AggregateAndProof, ap),
    );
    // Signing root: Lodestar's electra container under the Electra domain, not phase0's.
    const roots = createSigningRoots(b.chain);
    const domain = roots.domains.at(DOMAIN_AGGREGATE_AND_PROOF, 2);
    assert.deepEqual(
      roots.aggregateAndProof(ap),
      computeSigningRoot(ssz.electra.AggregateAndProof.hashTreeRoot(ap), domain),
    );
    assert.notDeepEqual(roots.aggregateAndProof(ap), computeSigningRoot(phase0Root(ap), domain));
    // Pre-Electra: the original layout (kind 3, committeeLength ‖ SSZ(phase0 AggregateAndProof)).
    const pre = await dutyOf(b, 0);
    const preAp: phase0.AggregateAndProof = {
      aggregatorIndex: 101,
      aggregate: {
        aggregationBits: BitArray.fromSingleBit(8, 3),
        data: await b.attestationData(pre.slot, 1),
        signature: new Uint8Array(96),
      },
      selectionProof: new Uint8Array(96),
    };
    const preBytes = encodeUnsignedSet(
      one({ kind: "aggregate", committeeLength: 8, aggregateAndProof: preAp }),
    );
    const ssz0 = ssz.phase0.AggregateAndProof.serialize(preAp);
    assert.equal(preBytes[1], UNSIGNED_KIND.aggregate);
    assert.deepEqual(preBytes.subarray(preBytes.length - ssz0.length), ssz0);
    assert.equal(preBytes.length, 1 + 1 + 4 + 48 + 4 + 4 + ssz0.length);
    assert.equal(forkAtSlot(b.chain, pre.slot), ForkName.deneb);
    assert.equal(forkAtSlot(b.chain, post.slot), ForkName.electra);
  });

  it("Fulu blocks carry CELLS_PER_EXT_BLOB cell proofs per blob; other counts do not encode or decode", () => {
    const block = sszTypesFor(ForkName.fulu).BeaconBlock.defaultValue();
    block.slot = 9;
    block.body.blobKzgCommitments = [new Uint8Array(48).fill(0xc0)];
    block.body.executionRequests.withdrawals = [
      {
        sourceAddress: new Uint8Array(20).fill(1),
        validatorPubkey: new Uint8Array(48).fill(2),
        amount: 5n,
      },
    ] as typeof block.body.executionRequests.withdrawals;
    const blob = new Uint8Array(131072).fill(3);
    const proofs = Array.from({ length: CELLS_PER_EXT_BLOB }, (_, i) => new Uint8Array(48).fill(i));
    const set = (kzgProofs: Uint8Array[]): UnsignedDataSet =>
      one({ kind: "block", block: { fork: ForkName.fulu, block, kzgProofs, blobs: [blob] } });
    const bytes = encodeUnsignedSet(set(proofs));
    const u = decodeUnsignedSet(bytes)?.set.get(pk1);
    assert.ok(u?.kind === "block" && u.block.fork === ForkName.fulu);
    assert.equal(u.block.kzgProofs?.length, CELLS_PER_EXT_BLOB);
    assert.deepEqual(u.block.blobs?.[0], blob);
    assert.ok(sszTypesFor(ForkName.fulu).BeaconBlock.equals(u.block.block as typeof block, block));
    // One proof per blob (Deneb/Electra shape) is not a Fulu bundle.
    assert.throws(() => encodeUnsignedSet(set(proofs.slice(0, 1))), /Blob bundle/);
    // An Electra block with the same body shape but one proof per blob is fine.
    const eBlock = sszTypesFor(ForkName.electra).BeaconBlock.defaultValue();
    eBlock.body.blobKzgCommitments = [new Uint8Array(48)];
    const eBytes = encodeUnsignedSet(
      one({
        kind: "block",
        block: {
          fork: ForkName.electra,
          block: eBlock,
          kzgProofs: [proofs[0] as Uint8Array],
          blobs: [blob],
        },
      }),
    );
    assert.ok(decodeUnsignedSet(eBytes));
  });
});

describe("simulated beacon judges Electra with Lodestar's types", () => {
  it("accepts an electra aggregate-and-proof, rejects one signed over the phase0 container or without committee_bits", async () => {
    const b = sim();
    const roots = createSigningRoots(b.chain);
    for (const [epoch, fork] of [
      [0, ForkName.deneb],
      [2, ForkName.electra],
    ] as const) {
      const d = await dutyOf(b, epoch);
      const data = await b.attestationData(d.slot, d.committeeIndex);
      const att = buildAttestation(data, d, sk1.sign(roots.attestation(data)).toBytes());
      await b.submitAttestations([att], [d]);
      const seen = b.attestations.at(-1);
      assert.equal(seen?.committeeIndex, d.committeeIndex);
      const aggregate = await b.aggregateAttestation(
        d.slot,
        ssz.phase0.AttestationData.hashTreeRoot(data),
        d.committeeIndex,
      );
      assert.equal("committeeBits" in aggregate, fork === ForkName.electra);
      const message = {
        aggregatorIndex: d.validatorIndex,
        aggregate,
        selectionProof: sk1.sign(roots.selectionProof(d.slot)).toBytes(),
      };
      await b.submitAggregateAndProofs([
        { message, signature: sk1.sign(roots.aggregateAndProof(message)).toBytes() },
      ]);
      assert.deepEqual(b.invalid, []);
      const a = b.aggregates.at(-1);
      assert.equal(a?.fork, fork);
      assert.equal(a?.committeeIndex, d.committeeIndex);
      if (fork !== ForkName.electra) continue;
      const domain = roots.domains.at(DOMAIN_AGGREGATE_AND_PROOF, epoch);
      const p0Root = computeSigningRoot(phase0Root(message), domain);
      await assert.rejects(
        b.submitAggregateAndProofs([{ message, signature: sk1.sign(p0Root).toBytes() }]),
      );
      const { committeeBits: _drop, ...p0 } = aggregate as electra.Attestation;
      const p0Message = { ...message, aggregate: p0 };
      await assert.rejects(
        b.submitAggregateAndProofs([{ message: p0Message, signature: sk1.sign(p0Root).toBytes() }]),
      );
      assert.equal(b.invalid.length, 2, b.invalid.join("\n"));
      assert.match(b.invalid.join("\n"), /no committee_bits/);
      // An Electra attestation without its duty cannot become a SingleAttestation.
      await assert.rejects(b.submitAttestations([att]));
    }
  });

  it("the fetcher asks attestation_data once per slot after Electra, once per committee before", async () => {
    const b = sim();
    const calls: number[] = [];
    const spy: SimBeacon = {
      ...b,
      attestationData: (slot, ci) => {
        calls.push(ci);
        return b.attestationData(slot, ci);
      },
    };
    const fetcher = createFetcher(spy);
    for (const [epoch, want] of [
      [0, [0, 1]],
      [2, [0]],
    ] as const) {
      const slot = epoch * SPE + 1;
      calls.length = 0;
      const duties = [0, 1].map((ci) => ({
        pubkey: pks[ci] as Uint8Array,
        validatorIndex: 100 + ci,
        committeeIndex: ci,
        committeeLength: 8,
        committeesAtSlot: 2,
        validatorCommitteeIndex: 0,
        slot,
      }));
      const { set, failed } = await fetcher.attestations(slot, duties);
      assert.deepEqual(failed, []);
      assert.deepEqual(calls.sort(), [...want]);
      for (const d of duties) {
        const u = set.get(toHex(d.pubkey));
        assert.ok(u?.kind === "attestation");
        assert.equal(u.data.index, epoch === 0 ? d.committeeIndex : 0);
      }
    }
  });
});

/** Every attester duty in [from, to) is included with its committee; nothing invalid/slashable. */
function assertAttested(c: DvSimCluster, from: number, to: number): number {
  let n = 0;
  for (let s = from; s < to; s++) {
    for (const d of c.beacon.dutiesAt(s)) {
      n++;
      const seen = c.beacon.attestations.find(
        (a) => a.validatorIndex === d.validatorIndex && a.slot === s,
      );
      assert.ok(seen, `attestation of ${d.validatorIndex} at slot ${s}`);
      assert.equal(seen.committeeIndex, d.committeeIndex, `committee of ${d.validatorIndex}`);
    }
  }
  assert.ok(n > 0);
  assert.deepEqual(c.beacon.invalid, [], "the beacon rejected nothing");
  assert.deepEqual(c.beacon.slashings, []);
  return n;
}

function assertAggregated(c: DvSimCluster, from: number, to: number): void {
  for (let s = from; s < to; s++) {
    for (const d of c.beacon.dutiesAt(s)) {
      const a = c.beacon.aggregates.find(
        (x) => x.slot === s && x.aggregatorIndex === d.validatorIndex,
      );
      assert.ok(a, `aggregate of ${d.validatorIndex} at slot ${s}`);
      assert.equal(a.committeeIndex, d.committeeIndex);
      assert.equal(a.fork, forkAtSlot(c.beacon.chain, s));
    }
  }
}

describe("DV cluster after Electra (simnet)", () => {
  it("Electra from genesis, 1 of 4 operators down: attestations, aggregations, blocks", async () => {
    await withDvCluster(
      {
        n: 4,
        validators: 4,
        seed: 71,
        latencyMs: 20,
        beacon: { committeeLength: 8, electraEpoch: 0, proposerEvery: 3 },
      },
      async (c) => {
        c.crash(3);
        await c.startAll();
        await c.runToSlot(10);
        assert.equal(forkAtSlot(c.beacon.chain, 1), ForkName.electra);
        assertAttested(c, 1, 9);
        assertAggregated(c, 1, 9);
        const blocks = c.beacon.blocks.filter((x) => x.slot < 9);
        assert.ok(blocks.length >= 2, `blocks ${blocks.length}`);
        assert.ok(blocks.every((x) => x.fork === ForkName.electra));
        const s = c.nodes[0]?.tracker.summary();
        assert.ok((s?.aggregator?.success ?? 0) > 0, JSON.stringify(s));
      },
    );
  });

  it("Deneb → Electra (epoch 1) → Fulu (epoch 2): attests and aggregates across both boundaries", async () => {
    await withDvCluster(
      {
        n: 4,
        validators: 4,
        seed: 72,
        latencyMs: 20,
        beacon: { committeeLength: 8, electraEpoch: 1, fuluEpoch: 2, proposerEvery: 2 },
      },
      async (c) => {
        await c.startAll();
        await c.runToSlot(14);
        assertAttested(c, 1, 13);
        assertAggregated(c, 1, 13);
        const forks = new Set(c.beacon.aggregates.map((a) => a.fork));
        assert.deepEqual([...forks].sort(), [ForkName.deneb, ForkName.electra, ForkName.fulu]);
        const blockForks = new Set(c.beacon.blocks.map((x) => x.fork));
        assert.deepEqual([...blockForks].sort(), [ForkName.deneb, ForkName.electra, ForkName.fulu]);
      },
    );
  });
});
