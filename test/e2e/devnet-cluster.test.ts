/**
 * Devnet keys without a beacon node: the interop key derivation against the published vectors
 * (ethereum/eth2.0-pm interop/mocked_start keygen_10_validators.yaml, validators 0 and 1), index
 * ranges, and createDevnetCluster → an rpdvt cluster that verifyCluster accepts, holding exactly
 * the interop public keys of the chosen validators.
 */
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import {
  createDevnetCluster,
  DEVNET_DV_INDICES,
  interopPublicKey,
  interopSecretKey,
  parseIndexRange,
} from "../../src/devnet/index.js";
import { InputError, OutputError } from "../../src/errors.js";
import { verifyCluster } from "../../src/keysplit/cluster.js";

const hex = (u: Uint8Array) => `0x${Buffer.from(u).toString("hex")}`;
const FEE = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "rpdvt-devnet-cluster-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("interop keys", () => {
  test("validators 0 and 1 match the eth2.0-pm mocked-start vectors", () => {
    assert.equal(
      hex(interopSecretKey(0)),
      "0x25295f0d1d592a90b333e26e85149708208e9f8e8bc18f6c77bd62f8ad7a6866",
    );
    assert.equal(
      hex(interopPublicKey(0)),
      "0xa99a76ed7796f7be22d5b7e85deeb7c5677e88e511e0b337618f8c4eb61349b4bf2d153f649f7b53359fe8b94a38e44c",
    );
    assert.equal(
      hex(interopSecretKey(1)),
      "0x51d0b65185db6989ab0b560d6deed19c7ead0e24b9b6372cbecb1f26bdfad000",
    );
    assert.equal(
      hex(interopPublicKey(1)),
      "0xb89bebc699769726a318c8e9971bd3171297c61aea4a6578a7a4f94b547dcba5bac16a89108b6b6a1fe3695d1a874a0b",
    );
    assert.throws(() => interopSecretKey(-1), InputError);
  });

  test("index ranges: a..b inclusive, comma lists, errors", () => {
    assert.deepEqual(parseIndexRange("48..50"), [48, 49, 50]);
    assert.deepEqual(parseIndexRange("1, 5"), [1, 5]);
    assert.equal(DEVNET_DV_INDICES.length, 16);
    assert.equal(DEVNET_DV_INDICES[0], 48);
    assert.throws(() => parseIndexRange("5..1"), InputError);
    assert.throws(() => parseIndexRange("a..b"), InputError);
  });
});

describe("createDevnetCluster", () => {
  test("splits interop keys 48..51 across 4 operators into a cluster verifyCluster accepts", async () => {
    const out = join(dir, "cluster");
    const res = await createDevnetCluster({
      indices: [48, 49, 50, 51],
      operatorIds: [1, 2, 3, 4],
      outDir: out,
      feeRecipient: FEE,
      kdf: "pbkdf2",
      kdfParams: { c: 1024 },
      quiet: true,
    });
    assert.deepEqual(
      res.validators.map((v) => v.index),
      [48, 49, 50, 51],
    );
    const def = JSON.parse(await readFile(join(out, "cluster.json"), "utf8"));
    assert.deepEqual(
      def.validators.map((v: { pubkey: string }) => v.pubkey),
      [48, 49, 50, 51].map((i) => hex(interopPublicKey(i))),
    );
    assert.equal(def.threshold, 3);
    assert.equal(def.validators[0].feeRecipient, FEE);
    const report = await verifyCluster(out, { quiet: true });
    assert.deepEqual(report.operators, [1, 2, 3, 4]);
    assert.equal(report.validators, 4);
    await assert.rejects(
      createDevnetCluster({
        indices: [48],
        operatorIds: [1, 2, 3, 4],
        outDir: out,
        feeRecipient: FEE,
        kdf: "pbkdf2",
        kdfParams: { c: 1024 },
        quiet: true,
      }),
      OutputError,
    );
  });
});
