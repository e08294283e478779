/**
 * Dirk's verification vector: the public commitments A_k = a_k·G to the coefficients of the Shamir
 * polynomial f(x) = a_0 + a_1·x + … + a_{t−1}·x^{t−1}, so A_0 is the composite (validator) public
 * key and participant x's share public key is Σ A_k·x^k.
 * Source: attestantio/dirk@013975f services/process/standard/crypto.go (contribution: verification
 * keys are sks[i].GetPublicKey(); a participant's share is checked with
 * `vVecKey.Set(verificationKeys, util.BLSID(id))`, herumi blsPublicKeyShare at x = participant id);
 * wealdtech/go-eth2-wallet-distributed account.go (`CompositePublicKey()` = verificationVector[0];
 * ImportDistributedAccount requires len(verificationVector) == signingThreshold).
 */
import bls from "bls-eth-wasm";
// Side-effect import: interpolate.ts initialises bls-eth-wasm for BLS12-381 (top-level await).
import "../crypto/interpolate.js";
import { publicKeyFromBytes, publicKeyOf } from "../crypto/bls.js";
import { bytesToScalar, invert, mod, scalarToBytes } from "../crypto/shamir.js";
import { VerificationError } from "../errors.js";

/**
 * Coefficients a_0..a_{t−1} of the unique polynomial of degree < t through the given shares
 * (Lagrange basis expanded into monomials, over F_r). Pass exactly t shares.
 *
 * @example
 * const [a0, a1] = polynomialCoefficients([{ id: 1, secret: s1 }, { id: 2, secret: s2 }]);
 */
export function polynomialCoefficients(
  shares: readonly { id: number; secret: Uint8Array }[],
): bigint[] {
  const t = shares.length;
  const coeffs = new Array<bigint>(t).fill(0n);
  shares.forEach((si, i) => {
    let basis = [1n];
    let denom = 1n;
    shares.forEach((sj, j) => {
      if (j === i) return;
      const xj = BigInt(sj.id);
      // basis ← basis · (x − x_j)
      const next = new Array<bigint>(basis.length + 1).fill(0n);
      basis.forEach((c, k) => {
        next[k + 1] = mod((next[k + 1] as bigint) + c);
        next[k] = mod((next[k] as bigint) - c * xj);
      });
      basis = next;
      denom = mod(denom * (BigInt(si.id) - xj));
    });
    const scale = mod(bytesToScalar(si.secret) * invert(denom));
    basis.forEach((c, k) => {
      coeffs[k] = mod((coeffs[k] as bigint) + c * scale);
    });
  });
  return coeffs;
}

/**
 * Verification vector [a_0·G, …, a_{t−1}·G] (48-byte compressed G1 each) from the first t shares.
 * Throws if a coefficient is zero (the shares lie on a lower-degree polynomial: not a t-of-n split).
 *
 * @example
 * const vvec = verificationVector(sv.shares, sv.threshold); // vvec[0] equals sv.pubkey
 */
export function verificationVector(
  shares: readonly { id: number; secret: Uint8Array }[],
  threshold: number,
): Uint8Array[] {
  return polynomialCoefficients(shares.slice(0, threshold)).map((a, k) => {
    if (a === 0n) {
      throw new VerificationError(`Coefficient ${k} of the sharing polynomial is zero`, {
        metaMessages: ["The shares do not form a threshold split of degree t−1; re-split the key."],
      });
    }
    return publicKeyOf(scalarToBytes(a));
  });
}

/**
 * Share public key of participant `id` from a verification vector: Σ A_k·id^k (herumi
 * blsPublicKeyShare, as Dirk computes it). Inputs are subgroup-checked first.
 *
 * @example
 * const pk = evaluateVerificationVector(vvec, 11); // equals the share public key of participant 11
 */
export function evaluateVerificationVector(vvec: readonly Uint8Array[], id: number): Uint8Array {
  if (!Number.isSafeInteger(id) || id < 1 || id > 0x7fffffff) {
    throw new VerificationError(`Participant id ${id} is not a positive 31-bit integer`);
  }
  const points = vvec.map((b, k) => {
    publicKeyFromBytes(b, { field: `verificationvector[${k}]` });
    const p = new bls.PublicKey();
    p.deserialize(b);
    return p;
  });
  const x = new bls.Id();
  x.setInt(id);
  const out = new bls.PublicKey();
  out.share(points, x);
  return out.serialize();
}
