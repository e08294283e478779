/**
 * Blinded (MEV-Boost) proposals in the DV node (issue 15 item 2; src/core/duties/proposer.ts): the
 * consensus rule every operator runs on a blinded block (wrong fee recipient, value below the
 * minimum, wrong slot, wrong proposer → refused), the codec of the `blinded_block` value, slashing
 * protection treating a blinded and a full block at one slot as a double proposal, and on the
 * simulated network and beacon (which verifies every published block's signature — blinded ones
 * over the blinded root) n = 4 and n = 7 squads with 24 validators: blinded proposals decided,
 * signed once and published; a builder paying someone else or failing → local blocks land.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SecretKey } from "@chainsafe/blst";
import type { ProducedBlindedBlock } from "../../../../src/core/beacon.js";
import { decodeUnsignedSet, encodeUnsignedSet } from "../../../../src/core/codec.js";
import { createSigningRoots } from "../../../../src/core/domain.js";
import { createDutyHandlers } from "../../../../src/core/duties/index.js";
import { blindedSigningRoot } from "../../../../src/core/duties/proposer.js";
import { indexHandlers } from "../../../../src/core/duty-handler.js";
import { createValidityCheck } from "../../../../src/core/fetcher/validate.js";
import { DutyType, type UnsignedData } from "../../../../src/core/types.js";
import { publicKeyOf } from "../../../../src/crypto/bls.js";
import { toHex } from "../../../../src/util/hex.js";
import { withDvCluster } from "../../../helpers.js";
import { createSimBeacon } from "../../../simnet/beacon.js";
import { randomSecret } from "../../../simnet/dv.js";
import { createPrng } from "../../../simnet/prng.js";

const FEE = "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed";
const OTHER = `0x${"66".repeat(20)}`;

/** A validity check over the node's handlers with builder options, and a blinded block. */
async function fixture(minBidWei = 0n) {
  const secret = randomSecret(createPrng(81));
  const pubkey = publicKeyOf(secret);
  const pk = toHex(pubkey);
  const clock = { now: () => 0, setTimeout: () => () => {} };
  const beacon = createSimBeacon({
    clock,
    validators: [pubkey],
    slotsPerEpoch: 4,
    proposerEvery: 1,
  });
  await beacon.prepareBeaconProposer([{ validatorIndex: 100, feeRecipient: FEE }]);
  beacon.builder.enabled = true;
  const roots = createSigningRoots(beacon.chain);
  const feeRecipients = new Map([[pk, FEE]]);
  const signedSlots = new Map<number, string>();
  const view = {
    attestationOk: () => true,
    blockOk: (_pk: string, slot: bigint, root: Uint8Array) =>
      signedSlots.get(Number(slot)) === undefined || signedSlots.get(Number(slot)) === toHex(root),
    recordAttestation() {},
    recordBlock() {},
  };
  const handlers = indexHandlers(
    createDutyHandlers({ proposer: { minBidWei, feeRecipients, chain: beacon.chain } }),
  );
  const rejects: string[] = [];
  const isValid = createValidityCheck({
    chain: beacon.chain,
    roots,
    view,
    validators: new Set([pk]),
    feeRecipients,
    localDuty: () => undefined,
    onReject: (r) => rejects.push(r),
    handlers,
  });
  const randao = SecretKey.fromBytes(secret).sign(roots.randao(0)).toBytes();
  const produce = async (slot = 2) =>
    (await beacon.produceProposal?.(slot, randao, new Uint8Array(32), {})) as ProducedBlindedBlock;
  const value = (u: UnsignedData) => encodeUnsignedSet(new Map([[pk, u]]));
  const inst = { slot: 2, dutyType: DutyType.Proposer };
  return { beacon, roots, pk, isValid, rejects, produce, value, inst, signedSlots, randao };
}

describe("blinded proposals: the rule every operator runs before signing", () => {
  it("accepts the right blinded block; refuses another fee recipient, a low value, another slot or proposer", async () => {
    const f = await fixture(10n ** 15n);
    const good = await f.produce();
    assert.equal(good.blinded, true);
    assert.equal(f.isValid(f.value({ kind: "blinded_block", block: good }), f.inst), true);

    f.beacon.builder.feeRecipient = OTHER;
    const paysOther = await f.produce();
    assert.equal(f.isValid(f.value({ kind: "blinded_block", block: paysOther }), f.inst), false);
    f.beacon.builder.feeRecipient = undefined;

    const low = { ...good, valueWei: 10n ** 15n - 1n };
    assert.equal(f.isValid(f.value({ kind: "blinded_block", block: low }), f.inst), false);
    const noValue = { ...good, valueWei: undefined };
    assert.equal(f.isValid(f.value({ kind: "blinded_block", block: noValue }), f.inst), false);

    const otherSlot = await f.produce(3);
    assert.equal(f.isValid(f.value({ kind: "blinded_block", block: otherSlot }), f.inst), false);

    const otherProposer = structuredClone(good);
    otherProposer.block.proposerIndex = 7;
    const v = f.value({ kind: "blinded_block", block: otherProposer });
    const withDuty = createValidityCheck({
      chain: f.beacon.chain,
      roots: f.roots,
      view: {
        attestationOk: () => true,
        blockOk: () => true,
        recordAttestation() {},
        recordBlock() {},
      },
      validators: new Set([f.pk]),
      feeRecipients: new Map([[f.pk, FEE]]),
      localDuty: () => ({
        kind: "proposer",
        duty: { pubkey: new Uint8Array(48), validatorIndex: 100, slot: 2 },
      }),
      onReject: (r) => f.rejects.push(r),
      handlers: indexHandlers(
        createDutyHandlers({
          proposer: { minBidWei: 0n, feeRecipients: new Map([[f.pk, FEE]]), chain: f.beacon.chain },
        }),
      ),
    });
    assert.equal(withDuty(v, f.inst), false);
    assert.deepEqual(f.rejects, ["fee-recipient", "value", "value", "slot", "proposer"]);
  });

  it("a node without builder options refuses every blinded value (kind)", async () => {
    const f = await fixture();
    const isValid = createValidityCheck({
      chain: f.beacon.chain,
      roots: f.roots,
      view: {
        attestationOk: () => true,
        blockOk: () => true,
        recordAttestation() {},
        recordBlock() {},
      },
      validators: new Set([f.pk]),
      feeRecipients: new Map([[f.pk, FEE]]),
      localDuty: () => undefined,
      handlers: indexHandlers(createDutyHandlers()),
    });
    assert.equal(
      isValid(f.value({ kind: "blinded_block", block: await f.produce() }), f.inst),
      false,
    );
  });

  it("codec: a blinded_block value round-trips canonically (value and fork kept)", async () => {
    const f = await fixture();
    const b = await f.produce();
    const bytes = f.value({ kind: "blinded_block", block: b });
    assert.equal(bytes[1], 8);
    const back = decodeUnsignedSet(bytes);
    assert.equal(back?.kind, "blinded_block");
    const u = back?.set.get(f.pk);
    assert.ok(u?.kind === "blinded_block");
    assert.equal(u.block.valueWei, b.valueWei);
    assert.equal(u.block.fork, b.fork);
    assert.deepEqual(encodeUnsignedSet(back.set), bytes);
  });

  it("a blinded block's signing root is its full block's; blinded + full at one slot are a double proposal", async () => {
    const f = await fixture();
    const blinded = await f.produce();
    const full = await f.beacon.produceBlock(2, f.randao, new Uint8Array(32));
    const fullRoot = f.roots.block(full.fork, full.block);
    const blindedRoot = blindedSigningRoot(f.roots, 4, blinded);
    assert.notEqual(toHex(fullRoot), toHex(blindedRoot), "different payloads: different roots");
    // The blinded block is signed: the full block at that slot is refused, and vice versa.
    f.signedSlots.set(2, toHex(blindedRoot));
    assert.equal(f.isValid(f.value({ kind: "block", block: full }), f.inst), false);
    assert.equal(f.isValid(f.value({ kind: "blinded_block", block: blinded }), f.inst), true);
    f.signedSlots.set(2, toHex(fullRoot));
    assert.equal(f.isValid(f.value({ kind: "blinded_block", block: blinded }), f.inst), false);
  });
});

for (const n of [4, 7] as const) {
  describe(`blinded proposals on the simnet, n = ${n}, 24 validators`, () => {
    it("blinded proposals are decided, signed once, published and verified", async () => {
      await withDvCluster(
        { n, validators: 24, seed: 2500 + n, latencyMs: 20, beacon: { proposerEvery: 2 } },
        async (c) => {
          c.beacon.builder.enabled = true;
          await c.startAll({ aggregation: false, builder: { boostFactor: 100n } });
          await c.runToSlot(10);
          const want = (index: number) =>
            c.cluster.validators[index - 100]?.feeRecipient.toLowerCase();
          const blinded = c.beacon.blocks.filter((b) => b.blinded);
          assert.ok(blinded.length >= 3, JSON.stringify(c.beacon.blocks));
          const slots = c.beacon.blocks.map((b) => b.slot);
          const roots = new Set(c.beacon.blocks.map((b) => `${b.slot}/${b.root}`));
          assert.equal(roots.size, new Set(slots).size, "one block root per slot");
          for (const b of c.beacon.blocks) assert.equal(b.feeRecipient, want(b.proposerIndex));
          assert.deepEqual(c.beacon.slashings, []);
          assert.deepEqual(c.beacon.invalid, []);
        },
      );
    });

    it("a builder paying someone else, then a failing builder: local blocks land in the slot", async () => {
      await withDvCluster(
        { n, validators: 24, seed: 2600 + n, latencyMs: 20, beacon: { proposerEvery: 2 } },
        async (c) => {
          c.beacon.builder.enabled = true;
          c.beacon.builder.feeRecipient = OTHER;
          const fallbacks: string[] = [];
          await c.startAll({
            aggregation: false,
            builder: { boostFactor: 100n },
            onError: (what, err) => fallbacks.push(`${what}: ${(err as Error).message}`),
          });
          await c.runToSlot(6);
          c.beacon.builder.feeRecipient = undefined;
          c.beacon.builder.fail = true;
          await c.runToSlot(12);
          assert.ok(c.beacon.builder.produced >= 2);
          const want = (index: number) =>
            c.cluster.validators[index - 100]?.feeRecipient.toLowerCase();
          assert.deepEqual(
            c.beacon.blocks.filter((b) => b.blinded),
            [],
          );
          const slots = [...new Set(c.beacon.blocks.map((b) => b.slot))];
          assert.ok(slots.length >= 5, JSON.stringify(slots));
          for (const b of c.beacon.blocks) assert.equal(b.feeRecipient, want(b.proposerIndex));
          assert.ok(
            fallbacks.some((e) => e.includes("fee-recipient")),
            fallbacks.join("\n"),
          );
          assert.ok(
            fallbacks.some((e) => e.includes("unavailable")),
            fallbacks.join("\n"),
          );
          assert.deepEqual(c.beacon.slashings, []);
          assert.deepEqual(c.beacon.invalid, []);
        },
      );
    });
  });
}
