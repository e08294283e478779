/**
 * Broadcast: "already known" answers (another operator submitted first) count as success, for
 * every client's wording; a block publication that failed otherwise counts when the block is on
 * chain.
 */
import assert from "node:assert/strict";
import { describe, it, test } from "node:test";
import { ForkName } from "@lodestar/params";
import { sszTypesFor } from "@lodestar/types";
import type { BeaconNode, ProducedBlock } from "../../../../src/core/beacon.js";
import { createBroadcaster, isAlreadyKnown } from "../../../../src/core/broadcast/broadcast.js";

test("already-known beacon errors are recognised, mixed or other errors are not", () => {
  const lodestar = (...lines: string[]) =>
    new Error(
      [
        "Beacon node rejected POST /eth/v1/beacon/pool/attestations (HTTP 500)",
        "",
        "Request: POST /eth/v1/beacon/pool/attestations",
        "  http://127.0.0.1:34389: HTTP 500 — Multiple errors on submitPoolAttestations",
        ...lines,
      ].join("\n"),
    );
  assert.equal(
    isAlreadyKnown(
      lodestar(
        "ATTESTATION_ERROR_ATTESTATION_ALREADY_KNOWN",
        "ATTESTATION_ERROR_ATTESTATION_ALREADY_KNOWN",
      ),
    ),
    true,
  );
  assert.equal(
    isAlreadyKnown(
      lodestar(
        "ATTESTATION_ERROR_ATTESTATION_ALREADY_KNOWN",
        "ATTESTATION_ERROR_INVALID_SIGNATURE",
      ),
    ),
    false,
  );
  assert.equal(isAlreadyKnown(lodestar("ATTESTATION_ERROR_INVALID_SIGNATURE")), false);
  assert.equal(isAlreadyKnown(new Error("BLOCK_ERROR_ALREADY_KNOWN")), true);
  assert.equal(
    isAlreadyKnown(
      new Error(
        "Beacon node rejected POST /eth/v1/beacon/blocks (HTTP 500)\n\nRequest: POST /eth/v1/beacon/blocks\n  http://127.0.0.1:1: HTTP 500 — PublishError.Duplicate",
      ),
    ),
    true,
  );
  assert.equal(isAlreadyKnown(new Error("connect ECONNREFUSED 127.0.0.1:5052")), false);
});

test("duplicate answers of every client are recognised (Lodestar Fulu's duplicate column, Lighthouse, Prysm, Teku, Nimbus); mixed with a real error they are not", () => {
  const http500 = (msg: string) =>
    new Error(
      `Beacon node rejected POST /eth/v2/beacon/blocks (HTTP 500)\n\nRequest: POST /eth/v2/beacon/blocks\n  http://127.0.0.1:9596: HTTP 500 — ${msg}`,
    );
  // Lodestar v1.39 (Fulu), the 2nd and 3rd publication of one block.
  assert.equal(
    isAlreadyKnown(http500("Cannot addColumn to BlockInputColumns with duplicate column index")),
    true,
  );
  assert.equal(isAlreadyKnown(http500("Duplicate")), true); // Lighthouse gossip publish
  assert.equal(isAlreadyKnown(http500("DuplicateFullyImported")), true); // Lighthouse BlockError
  assert.equal(isAlreadyKnown(http500("attestation already seen")), true); // Prysm / Nimbus pools
  assert.equal(isAlreadyKnown(http500("block already imported")), true); // Teku
  assert.equal(
    isAlreadyKnown(
      http500(
        "Cannot addColumn to BlockInputColumns with duplicate column index\n  item 0: invalid signature",
      ),
    ),
    false,
  );
  assert.equal(isAlreadyKnown(http500("BLOCK_ERROR_INVALID_SIGNATURE")), false);
});

describe("a block whose publication failed is looked up on chain before the proposal fails", () => {
  const produced = (): ProducedBlock => {
    const block = sszTypesFor(ForkName.deneb).BeaconBlock.defaultValue();
    block.slot = 5;
    block.proposerIndex = 48;
    return { fork: ForkName.deneb, block };
  };
  const rootOf = (p: ProducedBlock) =>
    (
      sszTypesFor(p.fork).BeaconBlock as unknown as { hashTreeRoot(b: unknown): Uint8Array }
    ).hashTreeRoot(p.block);
  /** A beacon node whose publication fails with `err` and whose chain answers `roots` in turn. */
  const beaconWith = (err: Error, roots: (Uint8Array | undefined)[]) => {
    const lookups: (number | "head")[] = [];
    const node = {
      publishBlock: async () => {
        throw err;
      },
      beaconBlockRoot: async (id: number | "head") => {
        lookups.push(id);
        const r = roots.shift();
        if (!r) throw new Error("Block not found");
        return r;
      },
    } as unknown as BeaconNode;
    return { node, lookups };
  };
  const fast = { sleep: async () => {}, landedChecksMs: [0, 10, 20] };

  it("an unrecognised error, but the canonical block at the slot is ours (another operator's copy): success", async () => {
    const p = produced();
    const { node, lookups } = beaconWith(new Error("HTTP 500 — some new wording"), [
      undefined,
      rootOf(p),
    ]);
    await createBroadcaster(node, fast).block(p, new Uint8Array(96));
    assert.deepEqual(lookups, [5, 5], "looked up at the block's slot until it was there");
  });

  it("another block (or none) at the slot: the publication error stands", async () => {
    const p = produced();
    const other = beaconWith(new Error("HTTP 500 — boom"), [new Uint8Array(32).fill(7)]);
    await assert.rejects(createBroadcaster(other.node, fast).block(p, new Uint8Array(96)), /boom/);
    const none = beaconWith(new Error("HTTP 400 — BLOCK_ERROR_INVALID_SIGNATURE"), []);
    await assert.rejects(
      createBroadcaster(none.node, fast).block(p, new Uint8Array(96)),
      /INVALID_SIGNATURE/,
    );
    assert.equal(none.lookups.length, 3, "every check was made");
  });

  it("a duplicate answer needs no lookup", async () => {
    const { node, lookups } = beaconWith(
      new Error("HTTP 500 — Cannot addColumn to BlockInputColumns with duplicate column index"),
      [],
    );
    await createBroadcaster(node, fast).block(produced(), new Uint8Array(96));
    assert.deepEqual(lookups, []);
  });
});
