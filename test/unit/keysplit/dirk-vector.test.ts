/**
 * Interop vector: a distributed account written by Go, from
 * wealdtech/go-eth2-wallet-distributed@3655d67 account_internal_test.go (TestUnlock "Good":
 * passphrase "secret", pbkdf2 c=16, signing_threshold 2, participants 1..3). It pins the account
 * JSON members, the keystorev4 crypto, and the verification-vector convention (A_k = a_k·G, share
 * of participant x = Σ A_k·x^k) that dirk.ts writes and verifies.
 */
import assert from "node:assert/strict";
import { promises as fsp } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { publicKeyOf } from "../../../src/crypto/bls.js";
import { decryptCrypto, keystoreCryptoSchema } from "../../../src/crypto/eip2335.js";
import { writeDirk } from "../../../src/keysplit/dirk.js";
import { evaluateVerificationVector } from "../../../src/keysplit/dirk-vvec.js";
import { splitValidatorKey } from "../../../src/keysplit/split.js";
import { fromHex } from "../../../src/util/hex.js";
import { makeTempDir, randomValidatorKey } from "../../helpers.js";

const GO_ACCOUNT = {
  crypto: {
    checksum: {
      function: "sha256",
      message: "5b2b545965b45bca2ea3cc47d3ec948e7b2270117f480886804fb8f38659538c",
      params: {},
    },
    cipher: {
      function: "aes-128-ctr",
      message: "e102b4647c602d58ceecd16c58b5001fb9cfae987664081cc47d73d22e2e12f4",
      params: { iv: "a268c48c48bd568f1b03153b45669f31" },
    },
    kdf: {
      function: "pbkdf2",
      message: "",
      params: {
        c: 16,
        dklen: 32,
        prf: "hmac-sha256",
        salt: "344d372d72bdabecd89d30d3cb14d5355b2801b2aa75b08dfeb0711f60f91c07",
      },
    },
  },
  encryptor: "keystore",
  name: "Test account",
  participants: {
    1: "signer-l01.attestant.io:8881",
    2: "signer-l02.attestant.io:8882",
    3: "signer-l03.attestant.io:8883",
  },
  pubkey:
    "a304edb3fd6517ac7b58b9fdba472315adc1fcf9a519a081d0d855e0d65c0e23ea01f801951afa933507f98fc2a900d4",
  signing_threshold: 2,
  uuid: "0ea52ae0-b04a-4582-adc7-149b0a83c030",
  verificationvector: [
    "b71f3dc08d96fa8b6afacc3d4c9942ec8c8eab6a2b4ee6e885ec34629e672a0f8b7741226df2071ff39afb8b9a08054e",
    "a3a586504cfd4ccca23d0e4b4d198a59f54b5eb1a65e0c7ff2d14f1e8e6667aa45ac0eceb58b805a13e39ab76a2e601e",
  ],
  version: 4,
};

test("Go-written account: crypto decrypts to the share of `pubkey`, which is participant 1's point on the vvec", async () => {
  const crypto = keystoreCryptoSchema.parse(GO_ACCOUNT.crypto);
  const share = await decryptCrypto(crypto, "secret");
  const pubkey = fromHex(GO_ACCOUNT.pubkey, { length: 48 });
  assert.deepEqual(publicKeyOf(share), pubkey);
  const vvec = GO_ACCOUNT.verificationvector.map((h) => fromHex(h, { length: 48 }));
  assert.deepEqual(
    evaluateVerificationVector(vvec, 1),
    pubkey,
    "x = participant id, as an integer",
  );
  assert.notDeepEqual(evaluateVerificationVector(vvec, 2), pubkey);
  await assert.rejects(decryptCrypto(crypto, "wrong passphrase"));
});

test("rpdvt accounts have exactly the Go account's members and value types", async () => {
  const root = await makeTempDir("dirkvec");
  try {
    const sv = splitValidatorKey(randomValidatorKey(), [1, 2, 3, 4]);
    await writeDirk(join(root, "out"), [sv], { kdfParams: { c: 16 }, quiet: true });
    const pdir = join(root, "out", "participant-1", "wallets");
    const [walletUuid] = await fsp.readdir(pdir);
    const files = (await fsp.readdir(join(pdir, walletUuid as string))).filter(
      (n) => n !== walletUuid && n !== "index",
    );
    const ours = JSON.parse(
      await fsp.readFile(join(pdir, walletUuid as string, files[0] as string), "utf8"),
    );
    assert.deepEqual(Object.keys(ours).sort(), Object.keys(GO_ACCOUNT).sort());
    for (const k of Object.keys(GO_ACCOUNT) as (keyof typeof GO_ACCOUNT)[]) {
      assert.equal(typeof ours[k], typeof GO_ACCOUNT[k], k);
    }
    assert.deepEqual(Object.keys(ours.crypto).sort(), Object.keys(GO_ACCOUNT.crypto).sort());
    assert.deepEqual(
      Object.keys(ours.crypto.kdf.params).sort(),
      Object.keys(GO_ACCOUNT.crypto.kdf.params).sort(),
    );
    assert.match(
      ours.uuid,
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  } finally {
    await fsp.rm(root, { recursive: true, force: true });
  }
});
