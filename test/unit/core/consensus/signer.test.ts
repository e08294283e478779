/**
 * secp256k1 QBFT identity signatures on both backends — libsecp256k1 (the native binding) and
 * node:crypto (OpenSSL) — keep the wire format and semantics of @noble/curves v2 ECDSA (64-byte
 * compact r ‖ s over sha256, low S only, 33-byte compressed public keys = libp2p secp256k1 keys):
 * cross-verified every way, high S rejected, malformed input answered with false (never a throw).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { secp256k1Signer, secp256k1Verifier } from "../../../../src/core/consensus/signer.js";
import { SECP256K1_BACKEND, type Secp256k1Backend } from "../../../../src/crypto/secp256k1.js";
import { createPrng } from "../../../simnet/prng.js";

const N = secp256k1.Point.CURVE().n;
const rng = createPrng(3);
const keys = Array.from({ length: 3 }, (_, i) => {
  const secretKey = secp256k1.keygen(new Uint8Array(48).fill(i + 1)).secretKey;
  return { secretKey, publicKey: secp256k1.getPublicKey(secretKey, true) };
});
const pk0 = (keys[0] as (typeof keys)[number]).publicKey;
const sk0 = (keys[0] as (typeof keys)[number]).secretKey;
const backends: Secp256k1Backend[] = ["libsecp256k1", "openssl"];

it("the native libsecp256k1 binding loads here (the default backend)", () => {
  assert.equal(SECP256K1_BACKEND, "libsecp256k1");
});

it("the two backends accept each other's signatures (and @noble/curves')", () => {
  const verifiers = backends.map((b) =>
    secp256k1Verifier(
      keys.map((k) => k.publicKey),
      b,
    ),
  );
  const signers = backends.map((b) => secp256k1Signer(sk0, b));
  for (let i = 0; i < 32; i++) {
    const msg = rng.bytes(1 + rng.int(300));
    const sigs = [...signers.map((x) => x.sign(msg)), secp256k1.sign(msg, sk0)];
    for (const v of verifiers) {
      for (const sig of sigs) {
        assert.equal(v.verify(0, msg, sig), true);
        assert.equal(v.verify(1, msg, sig), false, "other operator");
      }
    }
  }
});

for (const backend of backends) {
  const verifier = secp256k1Verifier(
    keys.map((k) => k.publicKey),
    backend,
  );
  const signer = secp256k1Signer((keys[0] as (typeof keys)[number]).secretKey, backend);

  describe(`secp256k1 QBFT signatures on ${backend}`, () => {
    it("signatures are low-S and verify with @noble/curves (strict low-S)", () => {
      for (let i = 0; i < 64; i++) {
        const msg = rng.bytes(1 + rng.int(300));
        const sig = signer.sign(msg);
        assert.equal(sig.length, 64);
        assert.ok(secp256k1.Signature.fromBytes(sig).s <= N >> 1n, "low S");
        assert.equal(secp256k1.verify(sig, msg, pk0), true, "noble accepts");
        assert.equal(verifier.verify(0, msg, sig), true, `${backend} accepts`);
      }
    });

    it(`@noble/curves signatures verify with ${backend}`, () => {
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
        assert.equal(verifier.verify(0, msg, twin), false, `${backend} rejects the twin`);
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
      for (const op of [-1, 3, 0.5, Number.NaN])
        assert.equal(verifier.verify(op, msg, good), false);
    });
  });
}
