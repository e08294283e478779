/** Shamir over F_r and Lagrange "in the exponent": property tests (fast-check). */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { CURVE_ORDER, publicKeyOf, signMessage, verifySignature } from "../../../src/crypto/bls.js";
import {
  recoverPublicKey,
  recoverSignature,
  recoverSignatureForVerify,
} from "../../../src/crypto/interpolate.js";
import {
  lagrangeAtZero,
  mod,
  randomScalar,
  recoverSecret,
  scalarToBytes,
  splitSecret,
} from "../../../src/crypto/shamir.js";
import { InputError } from "../../../src/errors.js";
import { thresholdFor } from "../../../src/keysplit/split.js";

const n = fc.constantFrom(4, 7, 10, 13);
const secretArb = fc.bigInt({ min: 1n, max: CURVE_ORDER - 1n }).map(scalarToBytes);
const idsArb = (size: number) =>
  fc
    .uniqueArray(fc.integer({ min: 1, max: 1_000_000 }), { minLength: size, maxLength: size })
    .map((a) => a.sort((x, y) => x - y));

/** Pick `k` distinct positions of an array (a fast-check subset). */
const subsetOf = (size: number, k: number) =>
  fc.shuffledSubarray([...Array(size).keys()], { minLength: k, maxLength: k });

describe("Shamir secret sharing (property)", () => {
  test("any t of n shares recover the secret", () => {
    fc.assert(
      fc.property(
        n.chain((size) =>
          fc.tuple(fc.constant(size), secretArb, idsArb(size), subsetOf(size, thresholdFor(size))),
        ),
        ([, secret, ids, pick]) => {
          const shares = splitSecret(secret, ids, thresholdFor(ids.length));
          const chosen = pick.map((i) => shares[i]!);
          assert.deepEqual(recoverSecret(chosen), secret);
        },
      ),
      { numRuns: 200 },
    );
  });

  test("no t−1 shares recover the secret", () => {
    fc.assert(
      fc.property(
        n.chain((size) =>
          fc.tuple(secretArb, idsArb(size), subsetOf(size, thresholdFor(size) - 1)),
        ),
        ([secret, ids, pick]) => {
          const shares = splitSecret(secret, ids, thresholdFor(ids.length));
          assert.notDeepEqual(recoverSecret(pick.map((i) => shares[i]!)), secret);
        },
      ),
      { numRuns: 200 },
    );
  });

  test("Lagrange coefficients at 0 sum to 1 (they interpolate the constant polynomial)", () => {
    fc.assert(
      fc.property(idsArb(7), (ids) => {
        assert.equal(mod(lagrangeAtZero(ids).reduce((a, b) => a + b, 0n)), 1n);
      }),
    );
  });

  test("share ids are validated", () => {
    const s = scalarToBytes(randomScalar());
    assert.throws(() => splitSecret(s, [1, 2, 2, 3], 3), InputError);
    assert.throws(() => splitSecret(s, [0, 1, 2, 3], 3), InputError);
    assert.throws(() => splitSecret(s, [1, 2, 3, 4], 5), InputError);
    assert.throws(() => splitSecret(new Uint8Array(32), [1, 2, 3, 4], 3), InputError);
  });
});

describe("threshold BLS: interpolation in G1 and G2", () => {
  test("any t share pubkeys interpolate to the pubkey; any t partial signatures to the signature", () => {
    fc.assert(
      fc.property(
        n.chain((size) =>
          fc.tuple(
            secretArb,
            idsArb(size),
            subsetOf(size, thresholdFor(size)),
            fc.uint8Array({ minLength: 32, maxLength: 32 }),
          ),
        ),
        ([secret, ids, pick, msg]) => {
          const t = thresholdFor(ids.length);
          const shares = splitSecret(secret, ids, t);
          const chosen = pick.map((i) => shares[i]!);
          const pk = publicKeyOf(secret);
          assert.deepEqual(
            recoverPublicKey(chosen.map((s) => ({ id: s.id, pubkey: publicKeyOf(s.secret) }))),
            pk,
          );
          const sig = recoverSignature(
            chosen.map((s) => ({ id: s.id, signature: signMessage(s.secret, msg) })),
          );
          assert.deepEqual(sig, signMessage(secret, msg));
          const partials = chosen.map((s) => ({ id: s.id, signature: signMessage(s.secret, msg) }));
          assert.deepEqual(recoverSignatureForVerify(partials).toBytes(), sig);
          assert.ok(verifySignature(pk, msg, sig));
          // t−1 partials do not make a valid signature
          const fewer = recoverSignature(
            chosen.slice(1).map((s) => ({ id: s.id, signature: signMessage(s.secret, msg) })),
          );
          assert.ok(!verifySignature(pk, msg, fewer));
        },
      ),
      { numRuns: 25 },
    );
  });

  test("share ids 1..n (small Lagrange coefficients, point additions): any t partials recover the signature", () => {
    fc.assert(
      fc.property(
        n.chain((size) =>
          fc.tuple(fc.constant(size), secretArb, subsetOf(size, thresholdFor(size))),
        ),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        ([size, secret, pick], msg) => {
          const ids = Array.from({ length: size }, (_, i) => i + 1);
          const shares = splitSecret(secret, ids, thresholdFor(size));
          const chosen = pick.map((k) => shares[k] as (typeof shares)[number]);
          const partials = chosen.map((s) => ({ id: s.id, signature: signMessage(s.secret, msg) }));
          assert.deepEqual(recoverSignatureForVerify(partials).toBytes(), signMessage(secret, msg));
        },
      ),
      { numRuns: 40 },
    );
  });

  test("malformed points are rejected before interpolation", () => {
    const bad = new Uint8Array(48);
    bad[0] = 0xc0; // compressed identity
    assert.throws(() => recoverPublicKey([{ id: 1, pubkey: bad }]), InputError);
    assert.throws(
      () => recoverSignature([{ id: 1, signature: new Uint8Array(96).fill(7) }]),
      InputError,
    );
    assert.throws(
      () => recoverSignatureForVerify([{ id: 1, signature: new Uint8Array(96).fill(7) }]),
      InputError,
    );
  });
});
