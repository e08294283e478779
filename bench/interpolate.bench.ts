/**
 * Which library recombines threshold BLS shares fastest? blst's JS API has no scalar
 * multiplication, so Lagrange interpolation in G1/G2 needs herumi (bls-eth-wasm, used by
 * src/crypto/interpolate.ts) or @noble/curves (audited, pure JS). Baseline: one blst signature,
 * measured in the same run. Plus what sigagg runs, `recoverSignatureForVerify` (partials only
 * decompressed, one subgroup check of the result; blst point additions where the Lagrange
 * coefficients are small integers — share ids 1..t here — else herumi), against the checked
 * herumi path `recoverSignature`. Run: npx tsx bench/interpolate.bench.ts
 */
import { bls12_381 } from "@noble/curves/bls12-381.js";
import { publicKeyOf, signMessage } from "../src/crypto/bls.js";
import {
  recoverPublicKey,
  recoverSignature,
  recoverSignatureForVerify,
} from "../src/crypto/interpolate.js";
import { lagrangeAtZero, randomScalar, scalarToBytes, splitSecret } from "../src/crypto/shamir.js";
import { thresholdFor } from "../src/keysplit/split.js";
import { measure, ms, table } from "./util.js";

const msg = new Uint8Array(32).fill(42);
const secret = scalarToBytes(randomScalar());
const baseline = await measure(() => signMessage(secret, msg), { runs: 200 });
const rows: (string | number)[][] = [
  ["n", "t", "what", "herumi", "noble", "noble/herumi", "herumi / blst sign"],
];
const sigaggRows: (string | number)[][] = [
  ["n", "t", "share ids", "recoverSignature", "recoverSignatureForVerify", "speed-up"],
];

function nobleRecover<P extends { multiply(k: bigint): P; add(o: P): P }>(
  points: P[],
  ids: number[],
): P {
  const l = lagrangeAtZero(ids);
  return points.map((p, i) => p.multiply(l[i] as bigint)).reduce((a, b) => a.add(b));
}

for (const n of [4, 7, 13]) {
  const t = thresholdFor(n);
  const ids = Array.from({ length: n }, (_, i) => i + 1);
  const shares = splitSecret(secret, ids, t).slice(0, t);
  const pks = shares.map((s) => ({ id: s.id, pubkey: publicKeyOf(s.secret) }));
  const sigs = shares.map((s) => ({ id: s.id, signature: signMessage(s.secret, msg) }));
  const runs = n === 13 ? 20 : 50;
  const hPk = await measure(() => recoverPublicKey(pks), { runs });
  const hSig = await measure(() => recoverSignature(sigs), { runs });
  const forVerify = await measure(() => recoverSignatureForVerify(sigs), { runs });
  sigaggRows.push([
    n,
    t,
    sigs.map((s) => s.id).join(","),
    ms(hSig.median),
    ms(forVerify.median),
    (hSig.median / forVerify.median).toFixed(1),
  ]);
  const nPk = await measure(
    () =>
      nobleRecover(
        pks.map((p) => bls12_381.G1.Point.fromBytes(p.pubkey)),
        pks.map((p) => p.id),
      ),
    { runs: Math.ceil(runs / 5) },
  );
  const nSig = await measure(
    () =>
      nobleRecover(
        sigs.map((p) => bls12_381.G2.Point.fromBytes(p.signature)),
        sigs.map((p) => p.id),
      ),
    { runs: Math.ceil(runs / 5) },
  );
  for (const [what, herumi, noble] of [
    ["G1 pubkey", hPk, nPk],
    ["G2 signature", hSig, nSig],
  ] as const) {
    rows.push([
      n,
      t,
      what,
      ms(herumi.median),
      ms(noble.median),
      (noble.median / herumi.median).toFixed(1),
      (herumi.median / baseline.median).toFixed(2),
    ]);
  }
}
console.log(`baseline: blst sign ${ms(baseline.median)} (median)`);
table(rows);
console.log("\nsigagg's G2 recovery (recoverSignatureForVerify) vs the checked herumi path:");
table(sigaggRows);
