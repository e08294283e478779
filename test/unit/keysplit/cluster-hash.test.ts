/** Canonical JSON / definition hash of the rpdvt cluster format, and EIP-55 addresses (util/address). */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, test } from "node:test";
import { InputError } from "../../../src/errors.js";
import { clusterDefinitionHash } from "../../../src/keysplit/cluster-hash.js";
import { checksumAddress, isChecksumAddress, parseAddress } from "../../../src/util/address.js";
import { canonicalJson } from "../../../src/util/canonical-json.js";

describe("canonicalJson / clusterDefinitionHash", () => {
  test("sorted keys at every depth, no whitespace, undefined members dropped, arrays kept in order", () => {
    assert.equal(
      canonicalJson(
        { b: 1, a: [3, { z: null, y: "é\n" }, true], c: undefined },
        { undefined: "omit" },
      ),
      '{"a":[3,{"y":"é\\n","z":null},true],"b":1}',
    );
    assert.throws(() => canonicalJson({ x: Number.NaN }), InputError);
    assert.throws(() => canonicalJson({ x: 1n }), InputError);
  });

  test("hash = 0x + sha256(canonical JSON without `hash`), independent of key order and of `hash`", () => {
    const def = { version: "rpdvt-cluster/v1", threshold: 3, name: "n" };
    const expected = `0x${createHash("sha256").update('{"name":"n","threshold":3,"version":"rpdvt-cluster/v1"}').digest("hex")}`;
    assert.equal(clusterDefinitionHash(def), expected);
    assert.equal(
      clusterDefinitionHash({
        name: "n",
        hash: "0xdead",
        version: "rpdvt-cluster/v1",
        threshold: 3,
      }),
      expected,
    );
    assert.notEqual(clusterDefinitionHash({ ...def, threshold: 4 }), expected);
  });
});

describe("EIP-55", () => {
  // The four examples of https://eips.ethereum.org/EIPS/eip-55 ("Test Cases").
  const vectors = [
    "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
    "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
    "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
    "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
  ];

  test("checksums the EIP's examples from lower and upper case", () => {
    for (const v of vectors) {
      assert.equal(checksumAddress(v.toLowerCase()), v);
      assert.equal(parseAddress(`0x${v.slice(2).toUpperCase()}`), v);
      assert.equal(isChecksumAddress(v), true);
      assert.equal(isChecksumAddress(v.toLowerCase()), false);
    }
  });

  test("a mistyped mixed-case address and non-addresses are rejected", () => {
    assert.throws(
      () => parseAddress("0x5AAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", { field: "fee" }),
      (e: unknown) => {
        return e instanceof InputError && e.field === "fee" && /checksum/.test(e.shortMessage);
      },
    );
    assert.throws(() => parseAddress("0x1234"), InputError);
    assert.throws(() => parseAddress("5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"), InputError);
  });

  // From ssv.test.ts: the SSV owner address goes through the same module.
  const OWNER = "0xdcc846fa10c7cfce9e6eb37e06ed93b666cfc5e9";
  const OWNER_EIP55 = "0xDCc846fA10C7CfCE9e6Eb37e06eD93b666cFC5E9"; // as written by ssv-dkg in dkg-4.json

  test("checksumAddress matches the EIP-55 test vectors and rejects a broken checksum", () => {
    for (const a of vectors) {
      assert.equal(checksumAddress(a.toLowerCase()), a);
      assert.equal(checksumAddress(`0x${a.slice(2).toUpperCase()}`), a);
      assert.equal(checksumAddress(a), a);
    }
    assert.equal(checksumAddress(OWNER), OWNER_EIP55);
    assert.throws(
      () => checksumAddress("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD"),
      /invalid EIP-55 checksum/,
    );
    assert.throws(() => checksumAddress("0x1234"), /40 hex digits/);
  });
});
