/**
 * Lagrange interpolation "in the exponent": recover the group element f(0)·G from shares f(x_i)·G.
 * G1 for public keys (share pubkeys → validator pubkey), G2 for signatures (partial signatures →
 * the validator's signature). blst's JS API has no scalar multiplication, so this uses herumi's
 * `bls-eth-wasm` recover (measured here, 3-of-4: 0.27 ms G1, 0.52 ms G2; @noble/curves needs
 * ~2.3 ms per G1 and ~9.4 ms per G2 multiplication — see bench/interpolate.bench.ts). Points go
 * to herumi uncompressed, already decompressed by blst (herumi's own decompression cost more than
 * blst's parse with subgroup check: G2 recovery 3-of-4 1.6 → 0.8 ms on a loaded 2-core host).
 * Inputs are parsed with blst's subgroup check before they reach herumi.
 */
import { Signature } from "@chainsafe/blst";
import bls from "bls-eth-wasm";
import { InputError, VerificationError } from "../errors.js";
import { publicKeyFromBytes, signatureFromBytes } from "./bls.js";

await bls.init(bls.BLS12_381);
// Every point is subgroup-checked by blst (publicKeyFromBytes / signatureFromBytes) right before
// it is handed to herumi, so herumi's own (slower) order check is redundant here.
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
 * Interpolate partial signatures (G2) at x = 0 for a caller that verifies the result: partials are
 * only decompressed (on-curve check), not subgroup-checked; the result comes back as a blst
 * {@link Signature} that IS subgroup-checked (parsed uncompressed, no square root). Lagrange
 * interpolation of t points is unique, so if the result verifies against the validator's key it
 * is the validator's signature whatever the partials were — one subgroup check instead of t
 * (0.88 → 0.68 ms for 3-of-4, bench/interpolate.bench.ts). A malformed or out-of-subgroup partial
 * makes the result fail verification (or this throw {@link InputError}); find it by verifying
 * the partials one by one.
 *
 * @example
 * const agg = recoverSignatureForVerify(partials.slice(0, 3));
 * if (verify(root, validatorPk, agg)) use(agg.toBytes());
 */
export function recoverSignatureForVerify(
  partials: readonly (Point & { signature: Uint8Array })[],
): Signature {
  const ids = herumiIds(partials);
  const sigs = partials.map(({ id, signature }) => {
    let point: Uint8Array;
    try {
      point = Signature.fromBytes(signature, false).toBytes(false);
    } catch (err) {
      throw new InputError("Invalid BLS signature (not a point on G2)", {
        field: `partial signature ${id}`,
        cause: err,
      });
    }
    const s = new bls.Signature();
    s.deserializeUncompressed(point);
    return s;
  });
  const out = new bls.Signature();
  out.recover(sigs, ids);
  try {
    return Signature.fromBytes(out.serializeUncompressed(), true);
  } catch (err) {
    throw new InputError("Interpolated signature is not in the G2 subgroup", { cause: err });
  }
}
