/** EIP-2335 keystore test vectors (ethereum/ERCs ERCS/erc-2335.md "Test Cases"), decrypted with our code. */
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, test } from "node:test";
import { publicKeyOf } from "../../src/crypto/bls.js";
import {
  decryptKeystore,
  encryptKeystore,
  hasC1Control,
  normalizePassword,
  parseKeystore,
} from "../../src/crypto/eip2335.js";
import { InputError } from "../../src/errors.js";
import { toHex } from "../../src/util/hex.js";
import { ROOT } from "../support/root.js";

const PASSWORD = "𝔱𝔢𝔰𝔱𝔭𝔞𝔰𝔰𝔴𝔬𝔯𝔡🔑";
const ENCODED_PASSWORD = "0x7465737470617373776f7264f09f9491";
const SECRET = "0x000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f";

async function vector(name: string) {
  const file = join(ROOT, `test/spec/vectors/eip2335/${name}.json`);
  return parseKeystore(JSON.parse(await readFile(file, "utf8")), file);
}

describe("EIP-2335 test vectors", () => {
  test("password normalisation matches the EIP's encoded password", () => {
    assert.equal(toHex(normalizePassword(PASSWORD)), ENCODED_PASSWORD);
    // control codes are stripped
    assert.equal(toHex(normalizePassword("test\u0000pass\u007fword\u0085🔑")), ENCODED_PASSWORD);
  });

  test("keystorev4-go normalisation: go-eth2-wallet-encryptor-keystorev4's own cases; C1 kept", () => {
    // wealdtech/go-eth2-wallet-encryptor-keystorev4 norm_internal_test.go TestNormPassphrase
    const go = (p: string) => Buffer.from(normalizePassword(p, "keystorev4-go")).toString("utf8");
    assert.equal(go(""), "");
    assert.equal(go("passphrase"), "passphrase");
    assert.equal(go(PASSWORD), "testpassword🔑");
    assert.equal(go("üöüöäöüöü"), "üöüöäöüöü".normalize("NFKD"));
    const controls = Buffer.from([
      0x74, 0x65, 0x73, 0x74, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x63, 0x6f, 0x08,
      0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x6e, 0x74, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15,
      0x16, 0x17, 0x72, 0x6f, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x6c, 0x7f,
    ]).toString("latin1");
    assert.equal(go(controls), "testcontrol");
    // a C1 character is two bytes in UTF-8, which Go's one-byte strip table never matches
    assert.equal(go("pass\u0085word"), "pass\u0085word");
    assert.equal(Buffer.from(normalizePassword("pass\u0085word")).toString("utf8"), "password");
    assert.equal(hasC1Control("pass\u0085word"), true);
    assert.equal(hasC1Control(new TextEncoder().encode("pass\u009fword")), true);
    assert.equal(hasC1Control(PASSWORD), false);
  });

  for (const name of ["scrypt", "pbkdf2"]) {
    test(`${name} vector decrypts to the EIP's secret and pubkey`, async () => {
      const ks = await vector(name);
      const secret = await decryptKeystore(ks, PASSWORD);
      assert.equal(toHex(secret), SECRET);
      assert.equal(toHex(publicKeyOf(secret), false), ks.pubkey);
    });

    test(`${name} vector with a wrong password fails the checksum`, async () => {
      const ks = await vector(name);
      await assert.rejects(decryptKeystore(ks, "testpassword!", "x.json"), (e: unknown) => {
        assert.ok(e instanceof InputError);
        assert.equal(e.field, "crypto.checksum");
        assert.equal(e.file, "x.json");
        assert.ok(!e.message.includes("testpassword"), "password must not leak into the error");
        return true;
      });
    });
  }

  test("round trip with our encryption (pbkdf2, light params) and unknown KDF rejection", async () => {
    const secret = new Uint8Array(Buffer.from(SECRET.slice(2), "hex"));
    const ks = await encryptKeystore(secret, PASSWORD, {
      pubkey: publicKeyOf(secret),
      kdf: "pbkdf2",
      kdfParams: { c: 1024 },
    });
    assert.equal(
      toHex(await decryptKeystore(parseKeystore(JSON.parse(JSON.stringify(ks))), PASSWORD)),
      SECRET,
    );
    const bad = JSON.parse(JSON.stringify(ks));
    bad.crypto.kdf.function = "argon2id";
    assert.throws(
      () => parseKeystore(bad, "k.json"),
      (e: unknown) => {
        assert.ok(e instanceof InputError);
        assert.equal(e.field, "crypto.kdf.function");
        assert.match(e.message, /scrypt or pbkdf2/);
        return true;
      },
    );
  });
});
