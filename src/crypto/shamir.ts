/**
 * Shamir secret sharing over the BLS12-381 scalar field F_r.
 *
 * A validator secret s becomes the constant term of a random polynomial f of degree t−1; the share
 * of the operator with id x (x ≥ 1, distinct) is f(x). Any t shares recover s by Lagrange
 * interpolation at 0; t−1 shares reveal nothing about s. This is the scheme SSV (x = operator id),
 * Obol Charon and Dirk (x = participant id) use: threshold BLS, since a BLS signature is linear in
 * the secret key.
 * Ref: A. Shamir, "How to share a secret" (1979); threshold BLS as in Boldyreva (PKC 2003).
 */
import { randomBytes } from "node:crypto";
import { InputError } from "../errors.js";
import { bigIntToBytes, bytesToBigInt } from "../util/hex.js";
import { CURVE_ORDER, SECRET_LENGTH } from "./bls.js";

const r = CURVE_ORDER;

/** One share: the evaluation point (operator / participant id) and f(id) as 32 bytes big-endian. */
export type SecretShare = { id: number; secret: Uint8Array };

/** Reduce modulo r into [0, r). */
export function mod(a: bigint): bigint {
  const x = a % r;
  return x < 0n ? x + r : x;
}

/** Modular inverse in F_r (r prime; Fermat would be slower than extended Euclid). */
export function invert(a: bigint): bigint {
  let [oldR, rr] = [mod(a), r];
  let [oldS, s] = [1n, 0n];
  if (oldR === 0n) throw new InputError("Cannot invert zero in the scalar field");
  while (rr !== 0n) {
    const q = oldR / rr;
    [oldR, rr] = [rr, oldR - q * rr];
    [oldS, s] = [s, oldS - q * s];
  }
  return mod(oldS);
}

/** 32-byte big-endian → bigint. */
export function bytesToScalar(b: Uint8Array): bigint {
  return bytesToBigInt(b);
}

/** bigint in [0, r) → 32-byte big-endian. */
export function scalarToBytes(x: bigint): Uint8Array {
  return bigIntToBytes(x, SECRET_LENGTH);
}

/** Uniform non-zero scalar: 64 random bytes reduced mod r (bias < 2^-250). */
export function randomScalar(): bigint {
  for (;;) {
    const x = mod(bytesToScalar(randomBytes(64)));
    if (x !== 0n) return x;
  }
}

function assertIds(ids: readonly number[], threshold: number): void {
  if (!Number.isInteger(threshold) || threshold < 1 || threshold > ids.length) {
    throw new InputError(`Threshold ${threshold} must be an integer in [1, ${ids.length}]`);
  }
  const seen = new Set<number>();
  for (const id of ids) {
    if (!Number.isSafeInteger(id) || id < 1) {
      throw new InputError(`Share id ${id} must be a positive integer`);
    }
    if (seen.has(id)) throw new InputError(`Share id ${id} appears twice`);
    seen.add(id);
  }
}

/**
 * Split a 32-byte secret into shares f(id) for each id, threshold t (polynomial degree t−1).
 *
 * @example
 * const shares = splitSecret(validatorSecret, [11, 22, 33, 44], 3);
 */
export function splitSecret(
  secret: Uint8Array,
  ids: readonly number[],
  threshold: number,
): SecretShare[] {
  assertIds(ids, threshold);
  const s = bytesToScalar(secret);
  if (secret.length !== SECRET_LENGTH || s === 0n || s >= r) {
    throw new InputError("Secret to split is not a valid BLS12-381 secret key");
  }
  const coeffs = [s];
  for (let i = 1; i < threshold; i++) coeffs.push(randomScalar());
  return ids.map((id) => ({ id, secret: scalarToBytes(evalPoly(coeffs, BigInt(id))) }));
}

/** Horner evaluation of Σ c_i x^i mod r. */
export function evalPoly(coeffs: readonly bigint[], x: bigint): bigint {
  let acc = 0n;
  for (let i = coeffs.length - 1; i >= 0; i--) acc = mod(acc * x + (coeffs[i] as bigint));
  return acc;
}

/**
 * Lagrange basis coefficients at x = 0 for the given distinct ids: λ_i = Π_{j≠i} x_j / (x_j − x_i).
 *
 * @example
 * const [l1, l2, l3] = lagrangeAtZero([1, 2, 3]);
 */
export function lagrangeAtZero(ids: readonly number[]): bigint[] {
  assertIds(ids, ids.length);
  return ids.map((xi, i) => {
    let num = 1n;
    let den = 1n;
    ids.forEach((xj, j) => {
      if (j === i) return;
      num = mod(num * BigInt(xj));
      den = mod(den * BigInt(xj - xi));
    });
    return mod(num * invert(den));
  });
}

/**
 * Recover the secret f(0) from shares (exactly the ones given are used; pass ≥ t of them).
 *
 * @example
 * const secret = recoverSecret(shares.slice(0, 3));
 */
export function recoverSecret(shares: readonly SecretShare[]): Uint8Array {
  const lambdas = lagrangeAtZero(shares.map((s) => s.id));
  let acc = 0n;
  shares.forEach((s, i) => {
    acc = mod(acc + bytesToScalar(s.secret) * (lambdas[i] as bigint));
  });
  return scalarToBytes(acc);
}
