/**
 * Vectors behind the Smartnode reader: EIP-2333 "Test Cases" 0–3 (ethereum/EIPs EIPS/eip-2333.md)
 * through deriveSecretKey, the BIP-39 seed of test case 0, and the Smartnode wallet format
 * (rocket-pool/smartnode shared/services/wallet/wallet.go walletStore; real pbkdf2 c=2^18).
 */
import assert from "node:assert/strict";
import { promises as fsp } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { mnemonicToSeedSync } from "@scure/bip39";
import { deriveSecretKey, validatorKeyPath } from "../../src/crypto/eip2333.js";
import { decryptCrypto } from "../../src/crypto/eip2335.js";
import { InputError } from "../../src/errors.js";
import { walletFileJson } from "../../src/rocketpool/formats.js";
import { encryptNodeWallet, loadNodeWallet } from "../../src/rocketpool/wallet.js";
import { fromHex, toHex } from "../../src/util/hex.js";
import { makeTempDir } from "../helpers.js";
import { ROOT } from "../support/root.js";

/** EIP-2333 Test Cases 0–3: seed, master_SK, child_index, child_SK (decimal, as in the EIP). */
const EIP2333 = [
  {
    seed: "0xc55257c360c07c72029aebc1b53c05ed0362ada38ead3e3e9efa3708e53495531f09a6987599d18264c1e1c92f2cf141630c7a3c4ab7c81b2f001698e7463b04",
    master: "6083874454709270928345386274498605044986640685124978867557563392430687146096",
    index: 0,
    child: "20397789859736650942317412262472558107875392172444076792671091975210932703118",
  },
  {
    seed: "0x3141592653589793238462643383279502884197169399375105820974944592",
    master: "29757020647961307431480504535336562678282505419141012933316116377660817309383",
    index: 3141592653,
    child: "25457201688850691947727629385191704516744796114925897962676248250929345014287",
  },
  {
    seed: "0x0099FF991111002299DD7744EE3355BBDD8844115566CC55663355668888CC00",
    master: "27580842291869792442942448775674722299803720648445448686099262467207037398656",
    index: 4294967295,
    child: "29358610794459428860402234341874281240803786294062035874021252734817515685787",
  },
  {
    seed: "0xd4e56740f876aef8c010b86a40d5f56745a118d0906a34e69aec8c0db1cb8fa3",
    master: "19022158461524446591288038168518313374041767046816487870552872741050760015818",
    index: 42,
    child: "31372231650479070279774297061823572166496564838472787488249775572789064611981",
  },
];

const big = (b: Uint8Array) => BigInt(toHex(b)).toString();

describe("EIP-2333 test vectors", () => {
  EIP2333.forEach((v, i) => {
    test(`test case ${i}: master_SK and child_SK at index ${v.index}`, () => {
      const seed = fromHex(v.seed);
      assert.equal(big(deriveSecretKey(seed, "m")), v.master);
      assert.equal(big(deriveSecretKey(seed, `m/${v.index}`)), v.child);
    });
  });

  test("test case 0's seed is BIP-39 of 'abandon … about' with passphrase TREZOR", () => {
    const seed = mnemonicToSeedSync(
      "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about",
      "TREZOR",
    );
    assert.equal(toHex(seed), EIP2333[0]?.seed);
  });
});

describe("Smartnode wallet format", () => {
  test("round trip with the real KDF (pbkdf2 c=2^18): seed, next_account, Go field order", async () => {
    const dir = await makeTempDir("wallet");
    try {
      const seed = mnemonicToSeedSync(
        "legal winner thank year wave sausage worth useful legal winner thank yellow",
      );
      const password = "correct horse battery staple";
      const json = await encryptNodeWallet(seed, password, { nextAccount: 5 });
      const parsed = JSON.parse(json);
      assert.deepEqual(Object.keys(parsed), [
        "crypto",
        "name",
        "version",
        "uuid",
        "derivationPath",
        "next_account",
      ]);
      assert.deepEqual(parsed.crypto.kdf.params.c, 262144);
      assert.equal(parsed.name, "keystore");
      await fsp.writeFile(join(dir, "wallet"), json);
      await fsp.writeFile(join(dir, "password"), password);
      const w = await loadNodeWallet(dir);
      assert.ok(w);
      assert.equal(toHex(w.seed), toHex(seed));
      assert.equal(w.nextAccount, 5);
      assert.equal(w.derivationPath, "m/44'/60'/0'/0/%d");
      assert.equal(w.walletIndex, 0);
      // walletIndex is written only when non-zero (omitempty), after derivationPath
      const withIndex = JSON.parse(
        walletFileJson({
          crypto: parsed.crypto,
          uuid: parsed.uuid,
          derivationPath: "m/44'/60'/%d/0/0",
          walletIndex: 2,
          nextAccount: 0,
        }),
      );
      assert.deepEqual(Object.keys(withIndex), [
        "crypto",
        "name",
        "version",
        "uuid",
        "derivationPath",
        "walletIndex",
        "next_account",
      ]);
      assert.equal(validatorKeyPath(4), "m/12381/3600/4/0/0");
    } finally {
      await fsp.rm(dir, { recursive: true, force: true });
    }
  });

  test("KDF params come from the file: EIP-2335's pbkdf2 vector decrypts (NFKD password), then is refused as not a 64-byte seed", async () => {
    const dir = await makeTempDir("wallet");
    try {
      const vector = JSON.parse(
        await fsp.readFile(join(ROOT, "test/spec/vectors/eip2335/pbkdf2.json"), "utf8"),
      );
      const wallet = {
        crypto: vector.crypto,
        name: "keystore",
        version: 4,
        uuid: vector.uuid,
        next_account: 0,
      };
      await fsp.writeFile(join(dir, "wallet"), JSON.stringify(wallet));
      await fsp.writeFile(join(dir, "password"), "𝔱𝔢𝔰𝔱𝔭𝔞𝔰𝔰𝔴𝔬𝔯𝔡🔑");
      await assert.rejects(loadNodeWallet(dir), (e: unknown) => {
        assert.ok(e instanceof InputError);
        assert.match(e.shortMessage, /32 bytes, expected the 64-byte BIP-39 seed/);
        return true;
      });
      await fsp.writeFile(join(dir, "password"), "testpassword");
      await assert.rejects(loadNodeWallet(dir), /Wrong wallet password/);
    } finally {
      await fsp.rm(dir, { recursive: true, force: true });
    }
  });

  test("a password with U+0085 (C1) opens wallets written by the Go encryptor (C1 kept) and per EIP-2335 (C1 stripped)", async () => {
    const dir = await makeTempDir("wallet");
    try {
      const seed = new Uint8Array(64).map((_, i) => i * 7 + 1);
      const password = "correct horse\u0085battery staple";
      await fsp.writeFile(join(dir, "password"), password);
      for (const normalization of ["keystorev4-go", "eip-2335"] as const) {
        const json = await encryptNodeWallet(seed, password, {
          nextAccount: 2,
          pbkdf2C: 1024,
          normalization,
        });
        // the two normalisations really give different keys for this password
        const other = normalization === "eip-2335" ? "keystorev4-go" : "eip-2335";
        await assert.rejects(
          decryptCrypto(JSON.parse(json).crypto, password, { normalization: other }),
          (e: unknown) => e instanceof InputError && e.field === "crypto.checksum",
        );
        await fsp.writeFile(join(dir, "wallet"), json);
        const w = await loadNodeWallet(dir);
        assert.ok(w, normalization);
        assert.equal(toHex(w.seed), toHex(seed), normalization);
        assert.equal(w.nextAccount, 2);
      }
      // a wrong password with a C1 character is still a wrong password, under both normalisations
      await fsp.writeFile(join(dir, "password"), "correct horse\u0085battery stapler");
      await assert.rejects(loadNodeWallet(dir), (e: unknown) => {
        assert.ok(e instanceof InputError);
        assert.match(e.shortMessage, /Wrong wallet password/);
        assert.equal(e.field, "crypto.checksum");
        return true;
      });
    } finally {
      await fsp.rm(dir, { recursive: true, force: true });
    }
  });
});
