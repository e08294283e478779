/** SSV keyshares output: shape, byte layout, encryption, signature, inputs and their errors. */
import assert from "node:assert/strict";
import { generateKeyPair, type KeyObject } from "node:crypto";
import { mkdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { verifySignature } from "../../../src/crypto/bls.js";
import { encodeOperatorPublicKey, rsaDecrypt } from "../../../src/crypto/rsa.js";
import { InputError, OutputError } from "../../../src/errors.js";
import { type SplitValidator, splitValidatorKey } from "../../../src/keysplit/split.js";
import {
  buildSsvKeyshares,
  verifySsvKeyshares,
  writeSsvKeyshares,
} from "../../../src/keysplit/ssv.js";
import {
  assertSsvVersion,
  decodeSharesData,
  ownershipMessage,
  parseSsvKeysharesJson,
} from "../../../src/keysplit/ssv-format.js";
import { parseOperatorPairs, readOperatorsInfo } from "../../../src/keysplit/ssv-operators.js";
import { fromHex, toHex } from "../../../src/util/hex.js";
import { makeTempDir, randomValidatorKey } from "../../helpers.js";
import { vectorPath } from "../../vectors.js";

const generateKeyPairAsync = promisify(generateKeyPair);
const OWNER = "0xdcc846fa10c7cfce9e6eb37e06ed93b666cfc5e9";
const OWNER_EIP55 = "0xDCc846fA10C7CfCE9e6Eb37e06eD93b666cFC5E9"; // as written by ssv-dkg in dkg-4.json
const IDS = [3, 7, 12, 40];
let INFO = "";

type Op = { id: number; publicKey: string; priv: KeyObject };
let ops: Op[] = [];
let dir = "";

function validators(count: number, ids = IDS): SplitValidator[] {
  return Array.from({ length: count }, () => {
    return splitValidatorKey(randomValidatorKey(), ids);
  });
}

before(async () => {
  INFO = await vectorPath("ssv/dkg-operators/operators_info.json");
  dir = await makeTempDir("ssv");
  ops = await Promise.all(
    IDS.map(async (id) => {
      const { publicKey, privateKey } = await generateKeyPairAsync("rsa", { modulusLength: 2048 });
      return { id, publicKey: encodeOperatorPublicKey(publicKey), priv: privateKey };
    }),
  );
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("the ownership message", () => {
  test("owner address errors say it is the owner's, in every place an owner is read", () => {
    assert.throws(
      () => ownershipMessage("0x1234", 0),
      (e: unknown) =>
        e instanceof InputError &&
        e.shortMessage === "Owner address must be 0x followed by 40 hex digits",
    );
    assert.throws(
      () => ownershipMessage("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD", 0),
      (e: unknown) =>
        e instanceof InputError &&
        e.shortMessage === "Owner address has an invalid EIP-55 checksum (typo?)" &&
        e.details === "expected 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
    );
  });

  test("ownershipMessage = keccak256(utf8('<EIP-55 owner>:<nonce>'))", () => {
    const expected = keccak_256(new TextEncoder().encode(`${OWNER_EIP55}:17`));
    assert.deepEqual(ownershipMessage(OWNER, 17), expected);
  });

  test("version gate: v1.1.x and v1.2.x only", () => {
    for (const v of ["v1.1.0", "v1.2.0", "v1.2.3", "1.1.0"]) assertSsvVersion(v);
    for (const v of ["v1.0.0", "v1.3.0", "v2.1.0", "latest", ""]) {
      assert.throws(
        () => assertSsvVersion(v, "f.json"),
        (e: unknown) => e instanceof InputError && e.field === "version",
      );
    }
  });
});

describe("buildSsvKeyshares", () => {
  test("bulk file: shape, nonce0+i, operators ascending, layout, signature, encrypted '0x'+hex shares", () => {
    const vs = validators(3);
    const shuffled = [ops[2], ops[0], ops[3], ops[1]].map((o) => ({
      id: o!.id,
      publicKey: o!.publicKey,
    }));
    const file = buildSsvKeyshares(vs, { operators: shuffled, owner: OWNER, nonce: 5 });
    assert.equal(file.version, "v1.1.0");
    assert.ok(!Number.isNaN(Date.parse(file.createdAt)));
    assert.deepEqual(Object.keys(file), ["version", "createdAt", "shares"]);
    assert.equal(file.shares.length, 3);
    file.shares.forEach((item, i) => {
      const v = vs[i] as SplitValidator;
      assert.deepEqual(Object.keys(item.data), [
        "ownerNonce",
        "ownerAddress",
        "publicKey",
        "operators",
      ]);
      assert.deepEqual(Object.keys(item.payload), ["publicKey", "operatorIds", "sharesData"]);
      assert.equal(item.data.ownerNonce, 5 + i);
      assert.equal(item.data.ownerAddress, OWNER_EIP55);
      assert.equal(item.data.publicKey, toHex(v.pubkey));
      assert.equal(item.payload.publicKey, toHex(v.pubkey));
      assert.deepEqual(item.payload.operatorIds, IDS);
      assert.deepEqual(
        item.data.operators,
        ops.map((o) => ({ id: o.id, operatorKey: o.publicKey })),
      );
      assert.equal(item.payload.sharesData.length, 2 + 2 * (96 + 304 * 4));
      const parts = decodeSharesData(item.payload.sharesData, 4);
      assert.ok(verifySignature(v.pubkey, ownershipMessage(OWNER, 5 + i), parts.signature));
      v.shares.forEach((s, j) => {
        assert.deepEqual(parts.sharePubkeys[j], s.pubkey);
        const plain = new TextDecoder().decode(
          rsaDecrypt((ops[j] as Op).priv, parts.encryptedShares[j] as Uint8Array),
        );
        assert.equal(plain, toHex(s.secret)); // ssv-keys form: "0x" + 64 hex
        assert.deepEqual(fromHex(plain), s.secret);
      });
    });
  });

  test("version v1.2.0 is selectable; other versions are refused", () => {
    const file = buildSsvKeyshares(validators(1), {
      operators: ops,
      owner: OWNER,
      nonce: 0,
      version: "v1.2.0",
    });
    assert.equal(file.version, "v1.2.0");
    assert.throws(
      () =>
        buildSsvKeyshares(validators(1), {
          operators: ops,
          owner: OWNER,
          nonce: 0,
          version: "v2.0.0" as never,
        }),
      /Unsupported SSV keyshares version/,
    );
  });

  test("input errors are precise", () => {
    const vs = validators(1);
    const base = { operators: ops, owner: OWNER, nonce: 0 };
    assert.throws(
      () => buildSsvKeyshares(vs, { ...base, nonce: -1 }),
      (e: unknown) => e instanceof InputError && e.field === "nonce",
    );
    assert.throws(() => buildSsvKeyshares(vs, { ...base, nonce: 1.5 }), /nonce/);
    assert.throws(
      () => buildSsvKeyshares(vs, { ...base, owner: "0xDCC846fa10c7cfce9e6eb37e06ed93b666cfc5e9" }),
      /EIP-55/,
    );
    assert.throws(() => buildSsvKeyshares([], base), /No validators/);
    assert.throws(() => buildSsvKeyshares([...vs, ...vs], base), /appears twice/);
    // operators must be exactly the ids the validators were split for
    assert.throws(
      () =>
        buildSsvKeyshares(vs, {
          ...base,
          operators: ops.map((o, i) => ({ ...o, id: i === 3 ? 41 : o.id })),
        }),
      /was split for operators 3,7,12,40/,
    );
    assert.throws(
      () => buildSsvKeyshares(vs, { ...base, operators: ops.slice(0, 3) }),
      /Cluster size 3/,
    );
    assert.throws(
      () =>
        buildSsvKeyshares(vs, {
          ...base,
          operators: [...ops.slice(0, 3), { ...(ops[0] as Op), id: 40 }],
        }),
      /same public key/,
    );
    assert.throws(
      () =>
        buildSsvKeyshares(vs, {
          ...base,
          operators: ops.map((o) => (o.id === 12 ? { id: 12, publicKey: "bm90IGEga2V5" } : o)),
        }),
      (e: unknown) => e instanceof InputError && /operator 12/.test(e.shortMessage),
    );
  });

  test("7 operators: every share decrypts and the file verifies", async () => {
    const ids7 = [1, 2, 3, 4, 5, 6, 7];
    const keys = await Promise.all(
      ids7.map(() => generateKeyPairAsync("rsa", { modulusLength: 2048 })),
    );
    const file = buildSsvKeyshares(validators(2, ids7), {
      operators: keys.map((k, i) => ({
        id: ids7[i] as number,
        publicKey: encodeOperatorPublicKey(k.publicKey),
      })),
      owner: OWNER,
      nonce: 0,
    });
    assert.equal(file.shares[0]?.payload.sharesData.length, 2 + 2 * (96 + 304 * 7));
    const keyDir = join(dir, "keys7");
    await mkdir(keyDir);
    await Promise.all(
      keys.map((k, i) =>
        writeFile(
          join(keyDir, `op${i}.pem`),
          k.privateKey.export({ type: "pkcs1", format: "pem" }),
        ),
      ),
    );
    await writeFile(join(dir, "ks7.json"), JSON.stringify(file));
    const report = await verifySsvKeyshares(join(dir, "ks7.json"), { operatorKeysDir: keyDir });
    assert.deepEqual(report.operators, ids7);
    assert.equal(report.threshold, 5);
    assert.match(report.checks.at(-1) ?? "", /operators 1,2,3,4,5,6,7 decrypt .* \(14\)/);
  });
});

describe("writeSsvKeyshares", () => {
  test("writes 0600, parses back, verifies, and never overwrites", async () => {
    const out = join(dir, "keyshares.json");
    const written = await writeSsvKeyshares(out, validators(2), {
      operators: ops,
      owner: OWNER,
      nonce: 9,
    });
    assert.equal((await stat(out)).mode & 0o777, 0o600);
    const parsed = parseSsvKeysharesJson(JSON.parse(await readFile(out, "utf8")));
    assert.deepEqual(parsed.shares, written.shares);
    const report = await verifySsvKeyshares(out);
    assert.equal(report.validators, 2);
    assert.match(report.checks.join("\n"), /nonces 9\.\.10/);
    await assert.rejects(
      writeSsvKeyshares(out, validators(1), { operators: ops, owner: OWNER, nonce: 0 }),
      (e: unknown) => e instanceof OutputError && /already exists/.test(e.shortMessage),
    );
  });
});

describe("operator key inputs", () => {
  test("ID=BASE64 pairs parse; malformed pairs name the argument", () => {
    const parsed = parseOperatorPairs(ops.map((o) => `${o.id}=${o.publicKey}`));
    assert.deepEqual(
      parsed,
      ops.map((o) => ({ id: o.id, publicKey: o.publicKey })),
    );
    assert.throws(
      () => parseOperatorPairs([`${ops[0]?.publicKey}`]),
      /argument 1 is not ID=BASE64/,
    );
    assert.throws(() => parseOperatorPairs([`x=${ops[0]?.publicKey}`]), /not a positive integer/);
    assert.throws(() => parseOperatorPairs(["5=abc"]), /operator 5/);
  });

  test("operators_info.json: subset by id (ascending), missing ids are named", async () => {
    const chosen = await readOperatorsInfo(INFO, [44, 11, 33, 22]);
    assert.deepEqual(
      chosen.map((o) => o.id),
      [11, 22, 33, 44],
    );
    const all = await readOperatorsInfo(INFO);
    assert.equal(all.length, 13);
    await assert.rejects(
      readOperatorsInfo(INFO, [11, 12]),
      /Operator 12 is not in the operators file/,
    );
    const bad = join(dir, "bad-info.json");
    await writeFile(bad, JSON.stringify([{ id: 1, pubkey: "x" }]));
    await assert.rejects(
      readOperatorsInfo(bad),
      (e: unknown) => e instanceof InputError && e.field === "0.public_key",
    );
  });
});
