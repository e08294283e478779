/** RSA operator keys: SSV's key encoding, PKCS#1 v1.5 encryption, and our hand-made padding check. */
import assert from "node:assert/strict";
import { constants, generateKeyPairSync, type KeyObject, publicEncrypt } from "node:crypto";
import { readFile } from "node:fs/promises";
import { describe, test } from "node:test";
import {
  encodeOperatorPublicKey,
  parseOperatorPrivateKey,
  parseOperatorPublicKey,
  publicKeyId,
  RSA_CIPHERTEXT_LENGTH,
  rsaDecrypt,
  rsaEncrypt,
} from "../../../src/crypto/rsa.js";
import { InputError, VerificationError } from "../../../src/errors.js";
import { vectorPath } from "../../vectors.js";

const INFO = await vectorPath("ssv/dkg-operators/operators_info.json");
const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });

/** Raw-RSA encrypt a hand-built encoded message EM (k bytes), to test the padding parser. */
function rawEncrypt(key: KeyObject, em: Uint8Array): Uint8Array {
  return publicEncrypt({ key, padding: constants.RSA_NO_PADDING }, em);
}

function em(header: number[], psLength: number, message: number[], sep = true): Uint8Array {
  const out = new Uint8Array(RSA_CIPHERTEXT_LENGTH);
  out.set(header, 0);
  out.fill(0x5a, header.length, header.length + psLength);
  let i = header.length + psLength;
  if (sep) out[i++] = 0;
  out.set(message, i);
  if (i + message.length !== RSA_CIPHERTEXT_LENGTH) {
    // pad PS so the message ends at the last byte
    const shift = RSA_CIPHERTEXT_LENGTH - (i + message.length);
    return em(header, psLength + shift, message, sep);
  }
  return out;
}

describe("operator public keys", () => {
  test("every SSV operator key (base64 of an 'RSA PUBLIC KEY' PEM holding SPKI) parses and re-encodes identically", async () => {
    const info = JSON.parse(await readFile(INFO, "utf8")) as { id: number; public_key: string }[];
    assert.equal(info.length, 13);
    for (const o of info) {
      const key = parseOperatorPublicKey(o.public_key, { operatorId: o.id });
      assert.equal(key.asymmetricKeyDetails?.modulusLength, 2048);
      assert.equal(encodeOperatorPublicKey(key), o.public_key);
    }
  });

  test("accepts the PEM itself, a PKCS#1 PEM and a plain SPKI PEM; all map to one key id", () => {
    const spkiPem = publicKey.export({ type: "spki", format: "pem" }).toString();
    const pkcs1Pem = publicKey.export({ type: "pkcs1", format: "pem" }).toString();
    const ssv = encodeOperatorPublicKey(publicKey);
    const ids = [ssv, spkiPem, pkcs1Pem, Buffer.from(pkcs1Pem).toString("base64")].map((t) =>
      publicKeyId(parseOperatorPublicKey(t)),
    );
    assert.equal(new Set(ids).size, 1);
    assert.equal(ids[0], publicKeyId(privateKey));
    assert.match(Buffer.from(ssv, "base64").toString(), /^-----BEGIN RSA PUBLIC KEY-----\n/);
  });

  test("refuses RSA-1024 and EC keys, naming the operator id", () => {
    const small = generateKeyPairSync("rsa", { modulusLength: 1024 }).publicKey;
    assert.throws(
      () => parseOperatorPublicKey(encodeOperatorPublicKey(small), { operatorId: 42 }),
      (e: unknown) =>
        e instanceof InputError &&
        /operator 42 is not an RSA-2048 key/.test(e.shortMessage) &&
        /rsa-1024/.test(e.details ?? ""),
    );
    const ec = generateKeyPairSync("ec", { namedCurve: "prime256v1" }).publicKey;
    const ecPem = ec.export({ type: "spki", format: "pem" }).toString();
    assert.throws(
      () => parseOperatorPublicKey(ecPem, { operatorId: 7 }),
      /operator 7 is not an RSA-2048 key/,
    );
  });

  test("refuses text that is not a base64 PEM public key", () => {
    for (const bad of [
      "",
      "hello",
      Buffer.from("not a pem").toString("base64"),
      "-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----",
    ]) {
      assert.throws(
        () => parseOperatorPublicKey(bad, { operatorId: 3 }),
        (e: unknown) => e instanceof InputError && /operator 3/.test(e.message),
      );
    }
  });

  test("private keys: PKCS#1 and PKCS#8 PEM parse; a public key or garbage does not", () => {
    const pkcs1 = privateKey.export({ type: "pkcs1", format: "pem" }).toString();
    const pkcs8 = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    assert.equal(publicKeyId(parseOperatorPrivateKey(pkcs1)), publicKeyId(publicKey));
    assert.equal(publicKeyId(parseOperatorPrivateKey(pkcs8)), publicKeyId(publicKey));
    assert.throws(() => parseOperatorPrivateKey("nope", { file: "x.pem" }), InputError);
  });
});

describe("PKCS#1 v1.5 encrypt / decrypt", () => {
  test("round trip of a share hex string; ciphertexts are 256 bytes and randomised", () => {
    const msg = new TextEncoder().encode(`0x${"ab".repeat(32)}`);
    const c1 = rsaEncrypt(publicKey, msg);
    const c2 = rsaEncrypt(publicKey, msg);
    assert.equal(c1.length, RSA_CIPHERTEXT_LENGTH);
    assert.notDeepEqual(c1, c2);
    assert.deepEqual(rsaDecrypt(privateKey, c1), msg);
    assert.deepEqual(rsaDecrypt(privateKey, c2), msg);
  });

  test("a flipped ciphertext byte or the wrong key fails with a VerificationError naming the operator", () => {
    const msg = new TextEncoder().encode("00".repeat(32));
    const c = rsaEncrypt(publicKey, msg);
    const other = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
    const flipped = Uint8Array.from(c);
    flipped[100] = (flipped[100] as number) ^ 0x01;
    for (const [key, ct] of [
      [privateKey, flipped],
      [other, c],
    ] as const) {
      assert.throws(
        () => rsaDecrypt(key, ct, { operatorId: 22 }),
        (e: unknown) => e instanceof VerificationError && /operator 22/.test(e.shortMessage),
      );
    }
    assert.throws(
      () => rsaDecrypt(privateKey, c.subarray(1), { operatorId: 22 }),
      /255 bytes, expected 256/,
    );
  });

  test("padding parser: accepts 00 02 PS(≥8) 00 M, rejects every malformed encoding", () => {
    const m = [0x30, 0x78, 0x31];
    assert.deepEqual([...rsaDecrypt(privateKey, rawEncrypt(publicKey, em([0, 2], 8, m)))], m);
    // exactly 8 bytes of PS, message fills the rest
    const longMsg = Array.from({ length: RSA_CIPHERTEXT_LENGTH - 11 }, (_, i) => (i % 250) + 1);
    assert.deepEqual(
      [...rsaDecrypt(privateKey, rawEncrypt(publicKey, em([0, 2], 8, longMsg)))],
      longMsg,
    );
    // empty message: separator is the last byte
    const emptyMsg = new Uint8Array(RSA_CIPHERTEXT_LENGTH).fill(0x77);
    emptyMsg[0] = 0;
    emptyMsg[1] = 2;
    emptyMsg[RSA_CIPHERTEXT_LENGTH - 1] = 0;
    assert.equal(rsaDecrypt(privateKey, rawEncrypt(publicKey, emptyMsg)).length, 0);

    const tooShortPs = Array.from({ length: RSA_CIPHERTEXT_LENGTH - 10 }, () => 0x41); // PS of 7 bytes
    const noSeparator = new Uint8Array(RSA_CIPHERTEXT_LENGTH).fill(0x41);
    noSeparator[0] = 0;
    noSeparator[1] = 2;
    const bad = [
      em([0, 1], 8, m), // block type 1 (signature padding)
      em([0, 3], 8, m),
      em([0, 2], 7, tooShortPs),
      noSeparator,
    ];
    const zeroInPs = em([0, 2], 8, m);
    zeroInPs[5] = 0; // separator after only 3 PS bytes
    bad.push(zeroInPs);
    for (const e of bad) {
      assert.throws(
        () => rsaDecrypt(privateKey, rawEncrypt(publicKey, e), { operatorId: 1 }),
        /padding is invalid/,
      );
    }
  });
});
