/**
 * secp256k1 QBFT identity signatures on node:crypto (OpenSSL) keep the wire format and semantics
 * of @noble/curves v2 ECDSA (64-byte compact r ‖ s over sha256, low S only, 33-byte compressed
 * public keys = libp2p secp256k1 keys): cross-verified both ways, high S rejected, malformed input
 * answered with false (never a throw).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { secp256k1Signer, secp256k1Verifier } from "../../src/core/consensus/signer.js";
import { createPrng } from "../../src/core/simnet/prng.js";

const N = secp256k1.Point.CURVE().n;
const rng = createPrng(3);
const keys = Array.from({ length: 3 }, (_, i) => {
  const secretKey = secp256k1.keygen(new Uint8Array(48).fill(i + 1)).secretKey;
  return { secretKey, publicKey: secp256k1.getPublicKey(secretKey, true) };
});
const verifier = secp256k1Verifier(keys.map((k) => k.publicKey));
const signer = secp256k1Signer((keys[0] as (typeof keys)[number]).secretKey);
const pk0 = (keys[0] as (typeof keys)[number]).publicKey;
const sk0 = (keys[0] as (typeof keys)[number]).secretKey;

describe("secp256k1 QBFT signatures on node:crypto", () => {
  it("node:crypto signatures are low-S and verify with @noble/curves (strict low-S)", () => {
    for (let i = 0; i < 64; i++) {
      const msg = rng.bytes(1 + rng.int(300));
      const sig = signer.sign(msg);
      assert.equal(sig.length, 64);
      assert.ok(secp256k1.Signature.fromBytes(sig).s <= N >> 1n, "low S");
      assert.equal(secp256k1.verify(sig, msg, pk0), true, "noble accepts");
      assert.equal(verifier.verify(0, msg, sig), true, "node:crypto accepts");
    }
  });

  it("@noble/curves signatures verify with node:crypto", () => {
    for (let i = 0; i < 32; i++) {
      const msg = rng.bytes(1 + rng.int(300));
      assert.equal(verifier.verify(0, msg, secp256k1.sign(msg, sk0)), true);
      assert.equal(verifier.verify(1, msg, secp256k1.sign(msg, sk0)), false, "other operator");
    }
  });

  it("rejects the high-S twin (as @noble/curves does) from either signer", () => {
    const msg = new Uint8Array([1, 2, 3]);
    for (const sig of [signer.sign(msg), secp256k1.sign(msg, sk0)]) {
      const s = secp256k1.Signature.fromBytes(sig);
      const twin = new secp256k1.Signature(s.r, N - s.s).toBytes();
      assert.equal(secp256k1.verify(twin, msg, pk0), false, "noble rejects the twin");
      assert.equal(verifier.verify(0, msg, twin), false, "node:crypto rejects the twin");
      assert.equal(verifier.verify(0, msg, sig), true);
    }
  });

  it("malformed signatures and operators → false, never a throw", () => {
    const msg = new Uint8Array([9]);
    const good = signer.sign(msg);
    const nBytes = Buffer.from(N.toString(16), "hex");
    const bad: unknown[] = [
      new Uint8Array(0),
      new Uint8Array(63),
      new Uint8Array(65),
      new Uint8Array(64),
      new Uint8Array(64).fill(0xff),
      Uint8Array.from([...nBytes, ...good.subarray(32)]), // r = n
      Uint8Array.from([...good.subarray(0, 32), ...new Uint8Array(32)]), // s = 0
      Uint8Array.from([...new Uint8Array(32), ...good.subarray(32)]), // r = 0
      "not bytes",
      undefined,
    ];
    for (const sig of bad) {
      assert.equal(verifier.verify(0, msg, sig as Uint8Array), false);
    }
    for (let i = 0; i < 200; i++) {
      const sig = good.slice();
      const at = rng.int(64);
      sig[at] = (sig[at] as number) ^ (1 << rng.int(8));
      assert.equal(verifier.verify(0, msg, sig), false);
    }
    for (const op of [-1, 3, 0.5, Number.NaN]) assert.equal(verifier.verify(op, msg, good), false);
  });
});
