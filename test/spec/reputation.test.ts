/**
 * Spec vectors for the reputation code:
 * - attestation scores from rocket-pool/smartnode shared/services/rewards/mock_v11_test.go
 *   @1358e3e6 (TestMockIntervalDefaultsTreegenv11: an 8-ETH minipool at 14 % commission and a
 *   16-ETH minipool at 10 %, each attesting every one of the interval's 101 epochs, must score
 *   ((1e18 − fee)·bond/32e18 + fee)·101) — reproduced by the fixture generator and accepted by the
 *   parser;
 * - the JSON canonicalisation sample of cyberphone/json-canonicalization README.md (by the RFC 8785
 *   author), input and expected UTF-8 bytes, for ./src/reputation/canonical.ts.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  fixturePubkey,
  generatePerformanceFiles,
  minipoolScore,
} from "../../src/reputation/fixture.js";
import { parsePerformanceFile } from "../../src/reputation/performance-file.js";
import { canonicalJson } from "../../src/util/canonical-json.js";

test("Smartnode mock_v11_test attestation scores (8 ETH @ 14 %, 16 ETH @ 10 %, 101 epochs)", () => {
  const oneEth = 10n ** 18n;
  // expectedAttestationScore := (oneEth − 14e16)·eightEth/thirtyTwoEth + 14e16, × 101.
  const eight = ((oneEth - 14n * 10n ** 16n) * 8n * oneEth) / (32n * oneEth) + 14n * 10n ** 16n;
  const sixteen = ((oneEth - 10n ** 17n) * 16n * oneEth) / (32n * oneEth) + 10n ** 17n;
  assert.equal(eight * 101n, 35_855_000_000_000_000_000n);
  assert.equal(sixteen * 101n, 55_550_000_000_000_000_000n);
  assert.equal(minipoolScore(8, 0.14) * 101n, eight * 101n);
  assert.equal(minipoolScore(16, 0.1) * 101n, sixteen * 101n);
  // A file with those records (101 successful, 0 missed) parses and keeps the exact scores.
  const [file] = generatePerformanceFiles({
    intervals: [20],
    minipools: [
      { pubkey: fixturePubkey("v11", 8), bondEth: 8, fee: 0.14, missRate: 0 },
      { pubkey: fixturePubkey("v11", 16), bondEth: 16, fee: 0.1, missRate: 0 },
    ],
  });
  const json = JSON.parse(file?.text ?? "");
  for (const r of Object.values(json.minipoolPerformance) as {
    successfulAttestations: number;
    attestationScore: string;
  }[]) {
    r.successfulAttestations = 101;
    r.attestationScore = ((BigInt(r.attestationScore) / 6300n) * 101n).toString();
  }
  const parsed = parsePerformanceFile(Buffer.from(JSON.stringify(json, null, "\t")), "x.json");
  assert.deepEqual(
    parsed.records.map((r) => r.attestationScore).sort(),
    [eight * 101n, sixteen * 101n].sort(),
  );
});

test("JSON canonicalisation sample (cyberphone/json-canonicalization README)", () => {
  const input = JSON.parse(
    '{\n  "numbers": [1E30, 4.50, 6, 2e-3, 0.000000000000000000000000001],\n  "escaping": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",\n  "other":  [null, true, false]\n}',
  );
  const out = canonicalJson(input);
  assert.equal(
    out,
    '{"escaping":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/","numbers":[1e+30,4.5,6,0.002,1e-27],"other":[null,true,false]}',
  );
  const hex =
    "7b 22 65 73 63 61 70 69 6e 67 22 3a 22 e2 82 ac 24 5c 75 30 30 30 66 5c 6e 41 27 42 5c 22 5c 5c " +
    "5c 5c 5c 22 2f 22 2c 22 6e 75 6d 62 65 72 73 22 3a 5b 31 65 2b 33 30 2c 34 2e 35 2c 36 2c 30 2e " +
    "30 30 32 2c 31 65 2d 32 37 5d 2c 22 6f 74 68 65 72 22 3a 5b 6e 75 6c 6c 2c 74 72 75 65 2c 66 61 " +
    "6c 73 65 5d 7d";
  assert.equal(Buffer.from(out, "utf8").toString("hex"), hex.replaceAll(" ", ""));
  assert.throws(() => canonicalJson({ a: Number.NaN }), /non-finite/);
  assert.throws(() => canonicalJson({ a: undefined }), /undefined/);
  assert.throws(() => canonicalJson({ a: 1n }), /unsupported bigint/);
});
