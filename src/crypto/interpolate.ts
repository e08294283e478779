/**
 * Lagrange interpolation "in the exponent": recover the group element f(0)·G from shares f(x_i)·G.
 * G1 for public keys (share pubkeys → validator pubkey), G2 for signatures (partial signatures →
 * the validator's signature). blst's JS API has no scalar multiplication, so this uses herumi's
 * `bls-eth-wasm` recover (measured here, 3-of-4: 0.27 ms G1, 0.52 ms G2; @noble/curves needs
 * ~2.3 ms per G1 and ~9.4 ms per G2 multiplication — see bench/interpolate.bench.ts). Points go
 * to herumi uncompressed, already decompressed by blst (herumi's own decompression cost more than
 * blst's parse with subgroup check: G2 recovery 3-of-4 1.6 → 0.8 ms on a loaded 2-core host).
 * `recoverPublicKey` / `recoverSignature` subgroup-check every input with blst before herumi;
 * `recoverSignatureForVerify` (sigagg's path) checks the result instead, and interpolates with
 * blst point additions where the Lagrange coefficients are small integers.
 */
import { aggregateSignatures, Signature } from "@chainsafe/blst";
import bls from "bls-eth-wasm";
import { InputError, VerificationError } from "../errors.js";
import { publicKeyFromBytes, signatureFromBytes } from "./bls.js";

await bls.init(bls.BLS12_381);
// herumi's own (slower) order check is redundant: every input is subgroup-checked by blst
// (publicKeyFromBytes / signatureFromBytes) before it is handed over, or — in
// recoverSignatureForVerify — the interpolated result is (a sum with any point outside the
// subgroup fails that check or the caller's verification).
bls.verifyPublicKeyOrder(false);
bls.verifySignatureOrder(false);

type Point = { id: number };

function herumiIds(points: readonly Point[]): InstanceType<typeof bls.Id>[] {
  const seen = new Set<number>();
  return points.map(({ id }) => {
    if (!Number.isSafeInteger(id) || id < 1 || id > 0x7fffffff || seen.has(id)) {
      throw new VerificationError(`Share id ${id} is not a distinct positive 31-bit integer`);
    }
    seen.add(id);
    const x = new bls.Id();
    x.setInt(id);
    return x;
  });
}

/**
 * Interpolate share public keys (G1) at x = 0. Pass exactly the shares to use (≥ threshold).
 *
 * @example
 * const pk = recoverPublicKey([{ id: 1, pubkey: pk1 }, { id: 2, pubkey: pk2 }, { id: 3, pubkey: pk3 }]);
 */
export function recoverPublicKey(shares: readonly (Point & { pubkey: Uint8Array })[]): Uint8Array {
  const ids = herumiIds(shares);
  const pks = shares.map(({ id, pubkey }) => {
    publicKeyFromBytes(pubkey, { field: `share ${id} public key` });
    const p = new bls.PublicKey();
    p.deserialize(pubkey);
    return p;
  });
  const out = new bls.PublicKey();
  out.recover(pks, ids);
  return out.serialize();
}

/**
 * Interpolate partial signatures (G2) at x = 0 into the full signature. Partials must have been
 * verified against their share public keys first (an invalid partial poisons the result).
 *
 * @example
 * const sig = recoverSignature(partials.slice(0, 3));
 */
export function recoverSignature(
  partials: readonly (Point & { signature: Uint8Array })[],
): Uint8Array {
  const ids = herumiIds(partials);
  const sigs = partials.map(({ id, signature }) => {
    const parsed = signatureFromBytes(signature, { field: `partial signature ${id}` });
    // blst has already decompressed the point: hand it over uncompressed (herumi's own
    // decompression, a square root in wasm, cost more than blst's parse + subgroup check).
    const s = new bls.Signature();
    s.deserializeUncompressed(parsed.toBytes(false));
    return s;
  });
  const out = new bls.Signature();
  out.recover(sigs, ids);
  return out.serialize();
}

/**
 * Largest Σ|λ_i| for which {@link recoverSignatureForVerify} interpolates with native blst point
 * additions instead of herumi's scalar multiplications (each |λ_i|·σ_i is |λ_i| − 1 additions in
 * one aggregateSignatures call; 64 additions cost less than one 255-bit G2 multiplication).
 *
 * @example
 * if (sumAbs(coefficients) <= SMALL_LAGRANGE_MAX) addOnly();
 */
export const SMALL_LAGRANGE_MAX = 64;

/**
 * The Lagrange coefficients at 0 of `ids` when they are all (small) integers — λ_i = Π_{j≠i} x_j /
 * Π_{j≠i} (x_j − x_i) with the denominator dividing the numerator, Σ|λ_i| ≤
 * {@link SMALL_LAGRANGE_MAX} — else undefined. Share ids 1..n make most threshold subsets
 * qualify (n = 4, t = 3: {1,2,3} → 3, −3, 1; {1,3,4} → 2, −2, 1; {2,3,4} → 6, −8, 3; not {1,2,4}).
 */
function smallLagrange(ids: readonly number[]): number[] | undefined {
  const out: number[] = [];
  let total = 0;
  for (const [i, xi] of ids.entries()) {
    let num = 1n;
    let den = 1n;
    for (const [j, xj] of ids.entries()) {
      if (j === i) continue;
      num *= BigInt(xj);
      den *= BigInt(xj - xi);
    }
    if (num % den !== 0n) return undefined;
    const l = Number(num / den);
    total += Math.abs(l);
    if (total > SMALL_LAGRANGE_MAX) return undefined;
    out.push(l);
  }
  return out;
}

/** Σ λ_i·σ_i by point additions (λ_i small integers); throws on an identity intermediate. */
function interpolateByAdditions(
  points: readonly Signature[],
  lambdas: readonly number[],
): Signature {
  const pos: Signature[] = [];
  const neg: Signature[] = [];
  lambdas.forEach((l, i) => {
    const into = l > 0 ? pos : neg;
    for (let k = 0; k < Math.abs(l); k++) into.push(points[i] as Signature);
  });
  const plus = aggregateSignatures(pos, false);
  if (!neg.length) return plus;
  // −P: flip the y-sign flag of the compressed encoding (ZCash BLS12-381 serialization, bit 5 of
  // byte 0); an identity point (flag 0x40) has no valid negated encoding and throws on parse.
  const minus = aggregateSignatures(neg, false).toBytes(true);
  minus[0] = (minus[0] as number) ^ 0x20;
  return aggregateSignatures([plus, Signature.fromBytes(minus, false)], false);
}

/**
 * Interpolate partial signatures (G2) at x = 0 for a caller that verifies the result: partials are
 * only decompressed (on-curve check), not subgroup-checked; the result comes back as a blst
 * {@link Signature} that IS subgroup-checked. Lagrange interpolation of t points is unique, so if
 * the result verifies against the validator's key it is the validator's signature whatever the
 * partials were — one subgroup check instead of t. When the ids' Lagrange coefficients are small
 * integers (share ids 1..n, most subsets) the sum is computed with blst point additions, else with
 * herumi's scalar multiplications (3-of-4: 0.88 ms checked herumi → 0.68 unchecked herumi → ≈ 0.25
 * by additions; bench/interpolate.bench.ts). A malformed or out-of-subgroup partial makes the
 * result fail verification (or this throw {@link InputError}); find it by verifying the partials
 * one by one.
 *
 * @example
 * const agg = recoverSignatureForVerify(partials.slice(0, 3));
 * if (verify(root, validatorPk, agg)) use(agg.toBytes());
 */
export function recoverSignatureForVerify(
  partials: readonly (Point & { signature: Uint8Array })[],
): Signature {
  const ids = herumiIds(partials);
  const points = partials.map(({ id, signature }) => {
    try {
      return Signature.fromBytes(signature, false);
    } catch (err) {
      throw new InputError("Invalid BLS signature (not a point on G2)", {
        field: `partial signature ${id}`,
        cause: err,
      });
    }
  });
  const lambdas = smallLagrange(partials.map((p) => p.id));
  let out: Signature | undefined;
  if (lambdas) {
    try {
      out = interpolateByAdditions(points, lambdas);
    } catch {
      out = undefined; // an identity intermediate: herumi below
    }
  }
  if (!out) {
    const sigs = points.map((p) => {
      const s = new bls.Signature();
      s.deserializeUncompressed(p.toBytes(false));
      return s;
    });
    const r = new bls.Signature();
    r.recover(sigs, ids);
    out = Signature.fromBytes(r.serializeUncompressed(), false);
  }
  try {
    out.sigValidate(true);
  } catch (err) {
    throw new InputError("Interpolated signature is not in the G2 subgroup", { cause: err });
  }
  return out;
}
