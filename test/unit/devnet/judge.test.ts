/**
 * The devnet judge (src/devnet/judge.ts) counts inclusions the way consensus-specs does: up to
 * Deneb by data.index, from Electra (EIP-7549) by committee_bits with aggregation bits over the
 * covered committees concatenated — against a fake beacon node serving Electra-shaped blocks
 * (GET /eth/v2/beacon/blocks/{id}/attestations, electra.Attestation JSON from Lodestar's types).
 */
import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, test } from "node:test";
import { BitArray } from "@chainsafe/ssz";
import { MAX_COMMITTEES_PER_SLOT } from "@lodestar/params";
import { ssz } from "@lodestar/types";
import { privateKeyToAccount } from "viem/accounts";
import { createBeaconClient } from "../../../src/beacon/index.js";
import { createJudge } from "../../../src/devnet/judge.js";
import { chainRoutes, type FakeBeacon, startFakeBeacon } from "../../support/beacon-fake.js";

const SPE = 8; // chainRoutes' SLOTS_PER_EPOCH
const pk = (i: number) => `0x${i.toString(16).padStart(2, "0").repeat(48)}`;

// Slot 9 (epoch 1): committee 0 = [10, 49, 11], committee 1 = [50, 13, 48, 14].
const COMMITTEES = [
  { index: "0", slot: "9", validators: ["10", "49", "11"] },
  { index: "1", slot: "9", validators: ["50", "13", "48", "14"] },
];
const duty = (v: number, committee: number, pos: number, length: number) => ({
  pubkey: pk(v),
  validator_index: String(v),
  committee_index: String(committee),
  committee_length: String(length),
  committees_at_slot: "2",
  validator_committee_index: String(pos),
  slot: "9",
});
const DUTIES = [duty(48, 1, 2, 4), duty(49, 0, 1, 3), duty(50, 1, 0, 4)];

const data = (slot: number, index: number) => ({
  slot,
  index,
  beaconBlockRoot: new Uint8Array(32).fill(1),
  source: { epoch: 0, root: new Uint8Array(32) },
  target: { epoch: 1, root: new Uint8Array(32).fill(2) },
});

/** An on-chain Electra aggregate covering `committees`, with `bits` set over their members. */
function electraAttestation(committees: number[], length: number, bits: number[]) {
  const committeeBits = BitArray.fromBitLen(MAX_COMMITTEES_PER_SLOT);
  for (const c of committees) committeeBits.set(c, true);
  const aggregationBits = BitArray.fromBitLen(length);
  for (const b of bits) aggregationBits.set(b, true);
  return ssz.electra.Attestation.toJson({
    aggregationBits,
    data: data(9, 0),
    signature: new Uint8Array(96).fill(3),
    committeeBits,
  });
}

let bn: FakeBeacon;
beforeEach(async () => {
  bn = await startFakeBeacon();
});
afterEach(async () => {
  await bn.close();
});

function serve(o: { blockAt10: unknown[]; committees: boolean; version?: string }) {
  chainRoutes(bn, { electraEpoch: 0 });
  for (const e of [1, 2]) {
    bn.on(`POST /eth/v1/validator/duties/attester/${e}`, () => ({
      json: { dependent_root: `0x${"11".repeat(32)}`, data: e === 1 ? DUTIES : [] },
    }));
    bn.on(`GET /eth/v1/validator/duties/proposer/${e}`, () => ({ json: { data: [] } }));
  }
  for (const stateId of ["head", "8", "16"]) {
    bn.on(`GET /eth/v1/beacon/states/${stateId}/committees`, (r) =>
      o.committees
        ? { json: { data: r.query.get("epoch") === "1" ? COMMITTEES : [] } }
        : { status: 404, json: { code: 404, message: "State not found" } },
    );
  }
  for (let s = 9; s <= 23; s++) {
    bn.on(`GET /eth/v2/beacon/blocks/${s}/attestations`, () =>
      s === 10
        ? { json: { version: o.version ?? "electra", data: o.blockAt10 } }
        : s % 2
          ? { json: { version: "electra", data: [] } }
          : { status: 404, json: { code: 404, message: `No block found for id '${s}'` } },
    );
  }
}

describe("judge: EIP-7549 inclusion", () => {
  test("an aggregate over committees 0 and 1 counts the validators its bits name (offsets over the concatenated committees)", async () => {
    // Bits: 1 → committee 0 position 1 (49); 3 + 2 = 5 → committee 1 position 2 (48); 50 (bit 3)
    // did not attest.
    serve({ blockAt10: [electraAttestation([0, 1], 7, [1, 5])], committees: true });
    const beacon = createBeaconClient([bn.url], { timeoutMs: 2000 });
    const judge = createJudge(beacon, [48, 49, 50], SPE);
    await judge.observe(1);
    const s = await judge.attestations(1, 1, 23);
    assert.deepEqual(
      { duties: s.duties, included: s.included, distance: s.meanInclusionDistance },
      { duties: 3, included: 2, distance: 1 },
    );
    // v2 was asked (post-Electra Lodestar refuses v1 with 400 "Use getBlockAttestationsV2").
    assert.ok(bn.requests.some((r) => r.path === "/eth/v2/beacon/blocks/10/attestations"));
    assert.ok(!bn.requests.some((r) => r.path.startsWith("/eth/v1/beacon/blocks/")));
  });

  test("the same bits read the pre-Electra way (data.index, no offsets) would be wrong: 50 is not counted for bit 3", async () => {
    // Bit 3 is committee 1 position 0 (validator 50) — not committee 0's (it has 3 members).
    serve({ blockAt10: [electraAttestation([0, 1], 7, [3])], committees: true });
    const judge = createJudge(createBeaconClient([bn.url], { timeoutMs: 2000 }), [48, 49, 50], SPE);
    await judge.observe(1);
    const s = await judge.attestations(1, 1, 23);
    assert.equal(s.included, 1);
    assert.equal(s.effectiveness, 1 / 3);
  });

  test("without committees (state not served) a single-committee aggregate still counts by the duty's position", async () => {
    serve({
      blockAt10: [electraAttestation([1], 4, [2]), electraAttestation([0, 1], 7, [1])],
      committees: false,
    });
    const judge = createJudge(createBeaconClient([bn.url], { timeoutMs: 2000 }), [48, 49, 50], SPE);
    await judge.observe(1);
    const s = await judge.attestations(1, 1, 23);
    // 48 (committee 1 alone, position 2) and 49 (committee 0 first, position 1).
    assert.equal(s.included, 2);
  });
});

describe("judge: proposals pay the Rocket Pool recipient, local or builder blocks", () => {
  const RP = "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed";
  const BUILDER_KEY = `0x${"42".repeat(32)}` as const;

  /** A canonical Electra block at `slot` by `proposer` whose payload has these fields. */
  function block(slot: number, proposer: number, feeRecipient: string, transactions: string[]) {
    const b = ssz.electra.SignedBeaconBlock.defaultValue();
    b.message.slot = slot;
    b.message.proposerIndex = proposer;
    const p = b.message.body.executionPayload;
    p.feeRecipient = Buffer.from(feeRecipient.slice(2), "hex");
    p.blockHash = new Uint8Array(32).fill(slot);
    p.transactions = transactions.map((t) => Buffer.from(t.slice(2), "hex"));
    return ssz.electra.SignedBeaconBlock.toJson(b);
  }

  test("a local block paying the recipient, a builder block paying it by its last transaction, one paying someone else (detected), one missed", async () => {
    const builder = privateKeyToAccount(BUILDER_KEY);
    const payment = await builder.signTransaction({
      type: "eip1559",
      chainId: 1,
      nonce: 0,
      to: RP,
      value: 10n ** 16n,
      gas: 21_000n,
      maxFeePerGas: 2n,
      maxPriorityFeePerGas: 1n,
    });
    const toOther = await builder.signTransaction({
      type: "eip1559",
      chainId: 1,
      nonce: 1,
      to: "0x1111111111111111111111111111111111111111",
      value: 10n ** 16n,
      gas: 21_000n,
      maxFeePerGas: 2n,
      maxPriorityFeePerGas: 1n,
    });
    chainRoutes(bn, { electraEpoch: 0 });
    const proposers = [
      [9, 48],
      [10, 49],
      [11, 50],
      [12, 51],
    ];
    bn.on("GET /eth/v1/validator/duties/proposer/1", () => ({
      json: {
        dependent_root: `0x${"11".repeat(32)}`,
        data: proposers.map(([slot, v]) => ({
          pubkey: pk(v as number),
          validator_index: String(v),
          slot: String(slot),
        })),
      },
    }));
    bn.on("POST /eth/v1/validator/duties/attester/1", () => ({
      json: { dependent_root: `0x${"11".repeat(32)}`, data: [] },
    }));
    bn.on("POST /eth/v1/validator/duties/attester/2", () => ({
      json: { dependent_root: `0x${"11".repeat(32)}`, data: [] },
    }));
    bn.on("GET /eth/v1/beacon/states/head/committees", () => ({ json: { data: [] } }));
    const blocks: Record<number, unknown> = {
      9: block(9, 48, RP, []), // local: the payload's fee recipient
      10: block(10, 49, builder.address, [payment]), // builder: pays by its last transaction
      11: block(11, 50, builder.address, [toOther]), // builder paying someone else
    };
    for (let s = 9; s <= 12; s++) {
      bn.on(`GET /eth/v2/beacon/blocks/${s}`, () =>
        blocks[s]
          ? { json: { version: "electra", data: blocks[s] } }
          : { status: 404, json: { code: 404, message: `No block found for id '${s}'` } },
      );
    }
    const fee = new Map([48, 49, 50, 51].map((v) => [v, RP]));
    const judge = createJudge(
      createBeaconClient([bn.url], { timeoutMs: 2000 }),
      [48, 49, 50, 51],
      SPE,
      fee,
    );
    await judge.observe(1);
    const s = await judge.proposals(1, 1, 15);
    assert.equal(s.duties, 4);
    assert.equal(s.landed, 3);
    assert.equal(s.rightFeeRecipient, 2);
    assert.deepEqual(s.wrongFeeRecipients, [
      { slot: 11, validatorIndex: 50, feeRecipient: builder.address.toLowerCase() },
    ]);
    assert.deepEqual(
      s.landedBlocks.map((b) => [b.slot, b.validatorIndex, b.blockHash]),
      [9, 10, 11].map((slot, i) => [
        slot,
        48 + i,
        `0x${slot.toString(16).padStart(2, "0").repeat(32)}`,
      ]),
    );
  });
});
