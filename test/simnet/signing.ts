/**
 * Cheap keyed "signatures" for simulations: sig = sha256(kᵢ ‖ bytes) with a per-operator secret
 * kᵢ derived from the seed. In a single-process simulation the verifier knows every kᵢ, but
 * simulated Byzantine behaviours only ever use their own signer, so forged messages still fail —
 * the property tests need — at ~1 µs instead of secp256k1's ~1 ms. NOT a signature scheme.
 */
import { createHash } from "node:crypto";
import type { Signer, Verifier } from "../../src/core/consensus/signer.js";

/**
 * Per-operator MAC signers and the matching verifier.
 *
 * @example
 * const { signers, verifier } = macTestSigning(4, 1);
 * verifier.verify(0, msg, signers[0].sign(msg)); // true
 */
export function macTestSigning(n: number, seed: number): { signers: Signer[]; verifier: Verifier } {
  const keys = Array.from({ length: n }, (_, i) =>
    createHash("sha256").update(`rpdvt-simnet-mac/${seed}/${i}`).digest(),
  );
  const mac = (i: number, bytes: Uint8Array): Uint8Array =>
    new Uint8Array(
      createHash("sha256")
        .update(keys[i] as Buffer)
        .update(bytes)
        .digest(),
    );
  return {
    signers: keys.map((_, i) => ({ sign: (bytes: Uint8Array) => mac(i, bytes) })),
    verifier: {
      n,
      verify(op, bytes, sig) {
        if (!Number.isInteger(op) || op < 0 || op >= n || sig.length !== 32) return false;
        return Buffer.from(mac(op, bytes)).equals(Buffer.from(sig));
      },
    },
  };
}
