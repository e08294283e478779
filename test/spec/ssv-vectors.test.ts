/**
 * SSV's own keyshares files (ssv/ in test/vectors.lock.json: source, commit, sha256): ssv-dkg's bulk v1.2.0 file
 * with the operators' RSA private keys, ssv-sdk's mainnet v1.1.0 sample, and ssv-keys' older
 * single-item file. `verifySsvKeyshares` must accept each, decrypt dkg-4.json's 40 shares, and
 * reject altered copies naming the item and field.
 */
import assert from "node:assert/strict";
import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { publicKeyOf } from "../../src/crypto/bls.js";
import {
  encodeOperatorPublicKey,
  parseOperatorPublicKey,
  publicKeyId,
  rsaDecrypt,
} from "../../src/crypto/rsa.js";
import { BaseError } from "../../src/errors.js";
import { verifySsvKeyshares } from "../../src/keysplit/ssv.js";
import { decodeSharesData, type SsvKeysharesFile } from "../../src/keysplit/ssv-format.js";
import { loadOperatorPrivateKeys, readOperatorsInfo } from "../../src/keysplit/ssv-operators.js";
import { fromHex } from "../../src/util/hex.js";
import { copyDkgOperatorKeys, flipByte, makeTempDir } from "../helpers.js";
import { vectorPath } from "../vectors.js";

const VEC = await vectorPath("ssv");
const vec = (name: string) => join(VEC, name);
const DKG_OPS = vec("dkg-operators");

let dir = "";
/** op1..op4 + pw1..pw4 only (the keys of ids 11..44), so tests need not decrypt all 13. */
let keys4 = "";
let seq = 0;

async function load(name: string): Promise<SsvKeysharesFile> {
  return JSON.parse(await readFile(vec(name), "utf8"));
}

async function tampered(name: string, edit: (f: SsvKeysharesFile) => void): Promise<string> {
  const json = await load(name);
  edit(json);
  const f = join(dir, `t${seq++}-${name}`);
  await writeFile(f, JSON.stringify(json));
  return f;
}

async function rejects(file: string, patterns: RegExp[], opts: { operatorKeysDir?: string } = {}) {
  await assert.rejects(verifySsvKeyshares(file, opts), (e: unknown) => {
    assert.ok(e instanceof BaseError, String(e));
    for (const p of patterns) assert.match(e.message, p);
    return true;
  });
}

before(async () => {
  dir = await makeTempDir("ssv-vectors");
  keys4 = join(dir, "keys4");
  await copyDkgOperatorKeys(keys4, 4);
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("ssv-dkg operator keys", () => {
  test("op1..op4 decrypt (pbkdf2 keystore → PEM) and are operators 11,22,33,44 by public key", async () => {
    const info = await readOperatorsInfo(join(DKG_OPS, "operators_info.json"));
    const idByKey = new Map(
      info.map((o) => [publicKeyId(parseOperatorPublicKey(o.publicKey)), o.id]),
    );
    const keys = await loadOperatorPrivateKeys(keys4);
    assert.deepEqual(
      keys.map((k) => [k.file.split("/").pop(), idByKey.get(k.keyId)]),
      [
        ["op1.json", 11],
        ["op2.json", 22],
        ["op3.json", 33],
        ["op4.json", 44],
      ],
    );
  });

  test("ssv-dkg encrypts the share as 64 hex digits without 0x (ssv-keys adds 0x; both are read)", async () => {
    const [key] = await loadOperatorPrivateKeys(keys4);
    const item = (await load("dkg-4.json")).shares[0];
    const parts = decodeSharesData(item?.payload.sharesData ?? "", 4);
    const plain = new TextDecoder().decode(
      rsaDecrypt(key?.key as never, parts.encryptedShares[0] as Uint8Array),
    );
    assert.match(plain, /^[0-9a-f]{64}$/);
    assert.deepEqual(publicKeyOf(fromHex(plain)), parts.sharePubkeys[0]);
  });

  test("every operator key in the vectors is in SSV's canonical encoding (so ours matches byte for byte)", async () => {
    for (const name of ["dkg-4.json", "sdk-valid_keyshares.json"]) {
      for (const item of (await load(name)).shares) {
        for (const o of item.data.operators)
          assert.equal(
            encodeOperatorPublicKey(parseOperatorPublicKey(o.operatorKey)),
            o.operatorKey,
          );
      }
    }
  });
});

describe("verify accepts SSV's files", () => {
  test("dkg-4.json (ssv-dkg, v1.2.0): 10 validators, nonces 1..10, all 40 shares decrypted", async () => {
    const r = await verifySsvKeyshares(vec("dkg-4.json"), { operatorKeysDir: keys4 });
    assert.equal(r.format, "ssv-keyshares v1.2.0");
    assert.equal(r.validators, 10);
    assert.deepEqual(r.operators, [11, 22, 33, 44]);
    assert.equal(r.threshold, 3);
    assert.match(r.checks.join("\n"), /0xDCc846fA10C7CfCE9e6Eb37e06eD93b666cFC5E9 nonces 1\.\.10/);
    assert.match(r.checks.at(-1) ?? "", /operators 11,22,33,44 decrypt .*\(40\)/);
  });

  test("dkg-4.json with the whole dkg-operators dir (13 keys, matched by public key, not file name)", async () => {
    const r = await verifySsvKeyshares(vec("dkg-4.json"), { operatorKeysDir: DKG_OPS });
    assert.match(r.checks.at(-1) ?? "", /\(40\)/);
  });

  test("sdk-valid_keyshares.json (mainnet, v1.1.0, nonces 833..841, a 2047-bit operator key)", async () => {
    const r = await verifySsvKeyshares(vec("sdk-valid_keyshares.json"));
    assert.equal(r.format, "ssv-keyshares v1.1.0");
    assert.equal(r.validators, 9);
    assert.deepEqual(r.operators, [378, 379, 381, 382]);
    assert.match(r.checks.join("\n"), /nonces 833\.\.841/);
  });

  test("old-shares.json (single item, lower-case owner, nonce 1)", async () => {
    const r = await verifySsvKeyshares(vec("old-shares.json"));
    assert.equal(r.validators, 1);
    assert.deepEqual(r.operators, [5, 6, 7, 8]);
    assert.match(r.checks[0] ?? "", /single-item form/);
    assert.match(r.checks.join("\n"), /0x81592c3DE184A3E2c0DCB5a261BC107Bfa91f494 nonce 1/);
  });
});

describe("verify rejects altered copies of SSV's files", () => {
  const sd = (f: SsvKeysharesFile, i: number) => f.shares[i]?.payload as { sharesData: string };

  test("dkg-4.json: share public key, encrypted share, signature, nonce, version, operator order", async () => {
    await rejects(
      await tampered("dkg-4.json", (f) => {
        sd(f, 3).sharesData = flipByte(sd(f, 3).sharesData, 96 + 48 * 2 + 20);
      }),
      [/shares\[3\]/, /share public key of operator 33/],
    );
    await rejects(
      await tampered("dkg-4.json", (f) => {
        sd(f, 5).sharesData = flipByte(sd(f, 5).sharesData, 96 + 192 + 256 * 3 + 1);
      }),
      [/shares\[5\]/, /encrypted share of operator 44/],
      { operatorKeysDir: keys4 },
    );
    await rejects(
      await tampered("dkg-4.json", (f) => {
        sd(f, 0).sharesData = flipByte(sd(f, 0).sharesData, 10);
      }),
      [/shares\[0\]/, /ownership signature/],
    );
    await rejects(
      await tampered("dkg-4.json", (f) => {
        (f.shares[4]?.data as { ownerNonce: number }).ownerNonce = 4;
      }),
      [/shares\[4\]/, /owner nonce 4 should be 5/],
    );
    await rejects(
      await tampered("dkg-4.json", (f) => {
        f.version = "v1.0.0";
      }),
      [/Unsupported SSV keyshares version "v1.0.0"/],
    );
    await rejects(
      await tampered("dkg-4.json", (f) => {
        const d = f.shares[2]?.data as { operators: unknown[] };
        d.operators = [d.operators[1], d.operators[0], d.operators[2], d.operators[3]];
      }),
      [/shares\[2\]/, /ascending order \(22 before 11\)/],
    );
  });

  test("sdk-valid_keyshares.json: nonce and share key; old-shares.json: owner and signature", async () => {
    await rejects(
      await tampered("sdk-valid_keyshares.json", (f) => {
        (f.shares[0]?.data as { ownerNonce: number }).ownerNonce = 832;
      }),
      [/shares\[0\]/, /ownership signature is invalid .* nonce 832/],
    );
    await rejects(
      await tampered("sdk-valid_keyshares.json", (f) => {
        sd(f, 8).sharesData = flipByte(sd(f, 8).sharesData, 96 + 47);
      }),
      [/shares\[8\]/, /share public key of operator 378/],
    );
    const old = async (
      edit: (o: Record<string, { ownerAddress: string; sharesData: string }>) => void,
    ) => tampered("old-shares.json", (f) => edit(f as never));
    await rejects(
      await old((o) => {
        o.data = {
          ...o.data,
          ownerAddress: "0x81592c3de184a3e2c0dcb5a261bc107bfa91f495",
        } as never;
      }),
      [
        /Keyshares \(validator 0xa063fa14/,
        /ownership signature is invalid/,
        /Field: payload\.sharesData/,
      ],
    );
    await rejects(
      await old((o) => {
        o.payload = {
          ...o.payload,
          sharesData: flipByte(o.payload?.sharesData ?? "", 40),
        } as never;
      }),
      [/ownership signature/],
    );
  });
});
