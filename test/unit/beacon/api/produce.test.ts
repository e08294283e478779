/**
 * Block production and publication on the builder path (src/beacon/api/produce.ts
 * `produceProposal`, src/beacon/api/blocks.ts `publishBlindedBlock`; issue 15 item 2) against a
 * fake beacon node: produceBlockV3 with the caller's builder_boost_factor accepts a blinded
 * answer with its value; Lodestar 1.5.1 (no v3) gets GET /eth/v1/validator/blinded_blocks and
 * POST /eth/v1/beacon/blinded_blocks; builder_boost_factor=0 never yields a blinded block.
 */
import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, test } from "node:test";
import { ssz } from "@lodestar/types";
import { createBeaconClient } from "../../../../src/beacon/index.js";
import { chainRoutes, type FakeBeacon, startFakeBeacon } from "../../../support/beacon-fake.js";

const hexOf = (u: Uint8Array) => `0x${Buffer.from(u).toString("hex")}`;
const FEE = new Uint8Array(20).fill(0xd4);

function blindedAt(slot: number) {
  const block = ssz.capella.BlindedBeaconBlock.defaultValue();
  block.slot = slot;
  block.proposerIndex = 50;
  block.parentRoot = new Uint8Array(32).fill(7);
  block.body.executionPayloadHeader.feeRecipient = FEE;
  return block;
}

let a: FakeBeacon;
beforeEach(async () => {
  a = await startFakeBeacon();
  chainRoutes(a);
});
afterEach(async () => {
  await a.close();
});

describe("builder path: produceProposal / publishBlindedBlock", () => {
  test("v3 with builder_boost_factor: a blinded answer is read with its value; omitted factor is not sent", async () => {
    const block = blindedAt(33);
    a.on("GET /eth/v3/validator/blocks/33", () => ({
      json: {
        version: "capella",
        execution_payload_blinded: true,
        execution_payload_value: "123456789000",
        consensus_block_value: "1",
        data: ssz.capella.BlindedBeaconBlock.toJson(block),
      },
    }));
    const beacon = createBeaconClient([a.url], { timeoutMs: 2000 });
    const randao = new Uint8Array(96).fill(4);
    const graffiti = new Uint8Array(32).fill(5);
    const p = await beacon.produceProposal?.(33, randao, graffiti, { builderBoostFactor: 100n });
    assert.ok(p && "blinded" in p && p.blinded);
    assert.equal(p.fork, "capella");
    assert.equal(p.valueWei, 123456789000n);
    assert.deepEqual(p.block.body.executionPayloadHeader.feeRecipient, FEE);
    // The blinded root is the full block's root (the header's root is the payload's).
    assert.deepEqual(
      (p as unknown as { blockRoot: Uint8Array }).blockRoot,
      ssz.capella.BlindedBeaconBlock.hashTreeRoot(block),
    );
    const req = a.requests.find((r) => r.path === "/eth/v3/validator/blocks/33");
    assert.equal(req?.query.get("builder_boost_factor"), "100");
    assert.equal(req?.query.get("randao_reveal"), hexOf(randao));

    await beacon.produceProposal?.(33, randao, graffiti, {});
    const last = a.requests.filter((r) => r.path === "/eth/v3/validator/blocks/33").at(-1);
    assert.equal(last?.query.has("builder_boost_factor"), false, "the beacon node's choice");
  });

  test("builder_boost_factor=0: a blinded answer is refused (a broken beacon node), negative factor refused", async () => {
    a.on("GET /eth/v3/validator/blocks/34", () => ({
      json: {
        version: "capella",
        execution_payload_blinded: true,
        data: ssz.capella.BlindedBeaconBlock.toJson(blindedAt(34)),
      },
    }));
    const beacon = createBeaconClient([a.url], { timeoutMs: 2000 });
    await assert.rejects(
      beacon.produceProposal?.(34, new Uint8Array(96), new Uint8Array(32), {
        builderBoostFactor: 0n,
      }) as Promise<unknown>,
      /blinded block although builder_boost_factor=0/,
    );
    await assert.rejects(
      beacon.produceProposal?.(34, new Uint8Array(96), new Uint8Array(32), {
        builderBoostFactor: -1n,
      }) as Promise<unknown>,
      /builder_boost_factor must be ≥ 0/,
    );
  });

  test("Lodestar 1.5.1 (no v3): blinded_blocks v1 when the builder is asked for, v2 otherwise; publication v2 → v1 with the fork header", async () => {
    const block = blindedAt(40);
    a.on("GET /eth/v1/validator/blinded_blocks/40", () => ({
      json: { version: "capella", data: ssz.capella.BlindedBeaconBlock.toJson(block) },
    }));
    const full = ssz.capella.BeaconBlock.defaultValue();
    full.slot = 40;
    a.on("GET /eth/v2/validator/blocks/40", () => ({
      json: { version: "capella", data: ssz.capella.BeaconBlock.toJson(full) },
    }));
    a.on("POST /eth/v1/beacon/blinded_blocks", () => ({ status: 200 }));
    const beacon = createBeaconClient([a.url], { timeoutMs: 2000 });
    const randao = new Uint8Array(96).fill(4);
    const p = await beacon.produceProposal?.(40, randao, new Uint8Array(32), { blinded: true });
    assert.ok(p && "blinded" in p);
    assert.equal(p.valueWei, undefined, "1.5.1 reports no value");
    assert.equal((p as unknown as { endpoint: string }).endpoint, "v1-blinded");
    const local = await beacon.produceProposal?.(40, randao, new Uint8Array(32), {
      blinded: true,
      builderBoostFactor: 0n,
    });
    assert.ok(local && !("blinded" in local), "factor 0: the local block");
    const signature = new Uint8Array(96).fill(6);
    await beacon.publishBlindedBlock?.({ ...p, signature });
    const pub = a.requests.filter((r) => r.method === "POST");
    assert.deepEqual(
      pub.map((r) => r.path),
      ["/eth/v2/beacon/blinded_blocks", "/eth/v1/beacon/blinded_blocks"],
    );
    assert.equal(pub[1]?.headers["eth-consensus-version"], "capella");
    assert.deepEqual(
      pub[1]?.body,
      ssz.capella.SignedBlindedBeaconBlock.toJson({ message: block, signature }),
    );
  });
});
