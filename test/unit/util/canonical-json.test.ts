/**
 * The one canonical JSON (src/util/canonical-json.ts): RFC 8785 ordering and escaping, the two
 * `undefined` rules, and texts/hashes pinned from the two implementations it replaced
 * (keysplit/cluster-hash.ts and reputation/canonical.ts at ba109dc), so existing cluster
 * definition hashes and signed reputation claims still verify.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, it } from "node:test";
import { InputError } from "../../../src/errors.js";
import { clusterDefinitionHash } from "../../../src/keysplit/cluster-hash.js";
import { canonicalJson } from "../../../src/util/canonical-json.js";

/** A 7-operator definition with optional members left undefined, non-ASCII keys and odd numbers. */
const definition = {
  version: "rpdvt-cluster/v1",
  name: "rp-squad \u00e9",
  threshold: 5,
  network: "hoodi",
  created: "2026-12-01T00:00:00.000Z",
  operators: Array.from({ length: 7 }, (_, i) => ({
    id: i + 1,
    name: i % 2 ? `op${i}` : undefined,
    identity: i === 6 ? null : `16Uiu2HAm${"x".repeat(44)}${i}`,
    endpoint: `10.0.0.${i + 1}:9000`,
  })),
  validators: Array.from({ length: 3 }, (_, i) => ({
    pubkey: `0x${(i + 1).toString(16).padStart(96, "a")}`,
    shares: [`0x${"b".repeat(96)}`],
    fee: 0.05 * (i + 1),
    extra: [1e21, -0, 1e-7, '\u2028\u0007"/'],
  })),
  "\u00e9": 1,
  Z: 2,
  "a\u0000": 3,
  "\ud83d\ude00": 4,
  "\uff61": 5,
};

/** Text and sha256 the previous keysplit/cluster-hash.ts canonicalJson produced for it. */
const DEFINITION_TEXT =
  '{"Z":2,"a\\u0000":3,"created":"2026-12-01T00:00:00.000Z","name":"rp-squad \u00e9","network":"hoodi","operators":[{"endpoint":"10.0.0.1:9000","id":1,"identity":"16Uiu2HAmxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx0"},{"endpoint":"10.0.0.2:9000","id":2,"identity":"16Uiu2HAmxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx1","name":"op1"},{"endpoint":"10.0.0.3:9000","id":3,"identity":"16Uiu2HAmxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx2"},{"endpoint":"10.0.0.4:9000","id":4,"identity":"16Uiu2HAmxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx3","name":"op3"},{"endpoint":"10.0.0.5:9000","id":5,"identity":"16Uiu2HAmxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx4"},{"endpoint":"10.0.0.6:9000","id":6,"identity":"16Uiu2HAmxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx5","name":"op5"},{"endpoint":"10.0.0.7:9000","id":7,"identity":null}],"threshold":5,"validators":[{"extra":[1e+21,0,1e-7,"\u2028\\u0007\\"/"],"fee":0.05,"pubkey":"0xaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1","shares":["0xbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"]},{"extra":[1e+21,0,1e-7,"\u2028\\u0007\\"/"],"fee":0.1,"pubkey":"0xaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa2","shares":["0xbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"]},{"extra":[1e+21,0,1e-7,"\u2028\\u0007\\"/"],"fee":0.15000000000000002,"pubkey":"0xaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa3","shares":["0xbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"]}],"version":"rpdvt-cluster/v1","\u00e9":1,"\ud83d\ude00":4,"\uff61":5}';
const DEFINITION_SHA256 = "c911fbae6a3f312f5e0a503b6a115c16779e57a4dc740cf8a0ecd1117462b7aa";

const claim = {
  kind: "rpdvt-reputation-claim/v1",
  node: `0x${"ab".repeat(20)}`,
  epochs: [100, 200],
  scores: { attest: "123456789012345678901234567890", rate: 0.9875 },
  note: "\u00fcn\u00efc\u00f6d\u00e9\n\t",
  list: [[], {}, [null, true, false]],
  "\ud83d\ude00": "e",
  "\uff61": "f",
};
/** Text the previous reputation/canonical.ts produced for it (the signed body of a claim). */
const CLAIM_TEXT =
  '{"epochs":[100,200],"kind":"rpdvt-reputation-claim/v1","list":[[],{},[null,true,false]],"node":"0xabababababababababababababababababababab","note":"\u00fcn\u00efc\u00f6d\u00e9\\n\\t","scores":{"attest":"123456789012345678901234567890","rate":0.9875},"\ud83d\ude00":"e","\uff61":"f"}';

describe("canonicalJson", () => {
  it("reproduces the cluster definition hash made before it (undefined members omitted)", () => {
    const text = canonicalJson(definition, { undefined: "omit" });
    assert.equal(text, DEFINITION_TEXT);
    assert.equal(createHash("sha256").update(text, "utf8").digest("hex"), DEFINITION_SHA256);
    assert.equal(clusterDefinitionHash({ ...definition, hash: "0xold" }), `0x${DEFINITION_SHA256}`);
  });

  it("reproduces the signed reputation claim text made before it", () => {
    assert.equal(canonicalJson(claim), CLAIM_TEXT);
    assert.equal(canonicalJson(claim, { undefined: "omit" }), CLAIM_TEXT);
  });

  it("sorts keys by UTF-16 code units at every depth (RFC 8785 §3.2.3)", () => {
    // U+1F600 is a surrogate pair (D83D DE00) and sorts before U+FF61, unlike by code point.
    assert.equal(
      canonicalJson({ "\uff61": 1, "\ud83d\ude00": 2, b: { d: 1, c: 2 }, a: 0 }),
      '{"a":0,"b":{"c":2,"d":1},"\ud83d\ude00":2,"\uff61":1}',
    );
  });

  it("refuses undefined by default, omits it (null in arrays) when told", () => {
    assert.throws(
      () => canonicalJson({ a: { b: undefined } }),
      (e: unknown) =>
        e instanceof InputError && e.field === "$.a.b" && /undefined/.test(e.shortMessage),
    );
    assert.throws(() => canonicalJson([1, undefined]), InputError);
    // biome-ignore lint/suspicious/noSparseArray: a hole is what is tested
    assert.throws(() => canonicalJson([1, , 2]), InputError);
    assert.equal(
      canonicalJson({ a: [1, undefined], b: undefined }, { undefined: "omit" }),
      '{"a":[1,null]}',
    );
  });

  it("refuses values JSON cannot carry, naming where they are", () => {
    const bad = [Number.NaN, Number.POSITIVE_INFINITY, 1n, () => 1, Symbol("s"), new Date(0)];
    for (const v of [...bad, new Map()]) {
      assert.throws(
        () => canonicalJson({ x: [v] }, { undefined: "omit" }),
        (e: unknown) => e instanceof InputError && e.field === "$.x[0]",
      );
    }
    const bare = Object.assign(Object.create(null), { b: 1, a: 2 });
    assert.equal(canonicalJson(bare), '{"a":2,"b":1}');
  });
});
