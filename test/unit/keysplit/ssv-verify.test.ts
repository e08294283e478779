/**
 * verifySsvKeyshares on our own output: accepts it (with and without operator private keys) and
 * rejects every kind of tampering with an error naming the item, the validator and the field.
 */
import assert from "node:assert/strict";
import { generateKeyPair } from "node:crypto";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import { encodeOperatorPublicKey } from "../../../src/crypto/rsa.js";
import { BaseError, InputError, VerificationError } from "../../../src/errors.js";
import { splitValidatorKey } from "../../../src/keysplit/split.js";
import {
  buildSsvKeyshares,
  type SsvKeysharesFile,
  verifySsvKeyshares,
} from "../../../src/keysplit/ssv.js";
import { flipByte, makeTempDir, randomValidatorKey } from "../../helpers.js";

const generateKeyPairAsync = promisify(generateKeyPair);
const OWNER = "0x81592c3de184a3e2c0dcb5a261bc107bfa91f494";
const IDS4 = [2, 5, 9, 14];
const IDS7 = [1, 2, 5, 9, 14, 20, 33];

let dir = "";
let keysDir = "";
let file4: SsvKeysharesFile;
let file7: SsvKeysharesFile;
let seq = 0;

function splitNew(ids: number[]) {
  return splitValidatorKey(randomValidatorKey(), ids);
}

async function writeJson(json: unknown): Promise<string> {
  const f = join(dir, `ks-${seq++}.json`);
  await writeFile(f, JSON.stringify(json));
  return f;
}

/** A deep copy of `file`, altered by `edit`, written to disk. */
async function tampered(
  file: SsvKeysharesFile,
  edit: (f: SsvKeysharesFile) => void,
): Promise<string> {
  const copy = structuredClone(file);
  edit(copy);
  return writeJson(copy);
}

function hexPart(hex: string, offset: number, length: number): string {
  return hex.slice(2 + 2 * offset, 2 + 2 * (offset + length));
}

async function rejects(
  file: string,
  patterns: RegExp[],
  opts: { operatorKeysDir?: string } = {},
  kind?: typeof BaseError,
) {
  await assert.rejects(verifySsvKeyshares(file, opts), (e: unknown) => {
    assert.ok(e instanceof BaseError, String(e));
    if (kind) assert.ok(e instanceof kind, `${e.name}: ${e.message}`);
    for (const p of patterns) assert.match(e.message, p);
    assert.ok(e.message.includes(file), "error names the file");
    return true;
  });
}

before(async () => {
  dir = await makeTempDir("ssv-verify");
  keysDir = join(dir, "operator-keys");
  await mkdir(keysDir);
  const allIds = [...new Set([...IDS4, ...IDS7])];
  const keys = await Promise.all(
    allIds.map(() => generateKeyPairAsync("rsa", { modulusLength: 2048 })),
  );
  const byId = new Map(allIds.map((id, i) => [id, keys[i] as (typeof keys)[number]]));
  await Promise.all(
    allIds.map((id, i) =>
      // file names deliberately unrelated to ids: keys are matched by public key
      writeFile(
        join(keysDir, `key-${String.fromCharCode(97 + i)}.pem`),
        byId.get(id)?.privateKey.export({ type: "pkcs8", format: "pem" }) ?? "",
      ),
    ),
  );
  const operators = (ids: number[]) =>
    ids.map((id) => ({ id, publicKey: encodeOperatorPublicKey(byId.get(id)?.publicKey as never) }));
  file4 = buildSsvKeyshares([splitNew(IDS4), splitNew(IDS4), splitNew(IDS4)], {
    operators: operators(IDS4),
    owner: OWNER,
    nonce: 4,
  });
  file7 = buildSsvKeyshares([splitNew(IDS7), splitNew(IDS7)], {
    operators: operators(IDS7),
    owner: OWNER,
    nonce: 0,
    version: "v1.2.0",
  });
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("accepts our own output", () => {
  test("4 operators, bulk: every check listed, all 12 shares decrypted", async () => {
    const f = await writeJson(file4);
    const r = await verifySsvKeyshares(f, { operatorKeysDir: keysDir });
    assert.equal(r.format, "ssv-keyshares v1.1.0");
    assert.equal(r.file, f);
    assert.equal(r.validators, 3);
    assert.deepEqual(r.operators, IDS4);
    assert.equal(r.threshold, 3);
    assert.equal(r.checks.length, 8);
    assert.match(r.checks.join("\n"), /nonces 4\.\.6/);
    assert.match(r.checks.at(-1) ?? "", /operators 2,5,9,14 decrypt .*\(12\)/);
  });

  test("7 operators, v1.2.0, without private keys: says shares were not decrypted", async () => {
    const r = await verifySsvKeyshares(await writeJson(file7));
    assert.equal(r.format, "ssv-keyshares v1.2.0");
    assert.equal(r.threshold, 5);
    assert.match(r.checks.join("\n"), /every 5-of-7 subset/);
    assert.match(r.checks.at(-1) ?? "", /not decrypted/);
  });

  test("the single-item form of the same data is accepted", async () => {
    const item = file4.shares[0];
    const r = await verifySsvKeyshares(
      await writeJson({ version: "v1.1.0", createdAt: "x", ...item }),
    );
    assert.equal(r.validators, 1);
    assert.match(r.checks[0] ?? "", /single-item form/);
  });
});

describe("rejects tampering, naming validator and field", () => {
  test("a flipped byte in a share public key", async () => {
    // share public key of the 2nd operator (id 5) of item 1: after the 96-byte signature
    const f = await tampered(file4, (k) => {
      const p = k.shares[1]?.payload as { sharesData: string };
      p.sharesData = flipByte(p.sharesData, 96 + 48 + 47);
    });
    await rejects(f, [
      /shares\[1\]/,
      /share public key of operator 5/,
      /Field: shares\[1\]\.payload\.sharesData/,
      new RegExp(file4.shares[1]?.data.publicKey ?? ""),
    ]);
  });

  test("a flipped byte in an encrypted share (detected with the operator's private key)", async () => {
    const f = await tampered(file4, (k) => {
      const p = k.shares[2]?.payload as { sharesData: string };
      p.sharesData = flipByte(p.sharesData, 96 + 48 * 4 + 256 * 2 + 10); // operator 9
    });
    await rejects(
      f,
      [/shares\[2\]/, /encrypted share of operator 9/, /Field: shares\[2\]\.payload\.sharesData/],
      { operatorKeysDir: keysDir },
      VerificationError,
    );
    // without the private keys an encrypted share cannot be checked, and the report says so
    const r = await verifySsvKeyshares(f);
    assert.match(r.checks.at(-1) ?? "", /not decrypted/);
  });

  test("a flipped byte in the ownership signature", async () => {
    const f = await tampered(file4, (k) => {
      const p = k.shares[0]?.payload as { sharesData: string };
      p.sharesData = flipByte(p.sharesData, 95);
    });
    await rejects(
      f,
      [/shares\[0\]/, /ownership signature/, /signature, bytes 0–95/],
      {},
      VerificationError,
    );
  });

  test("a wrong nonce: out of sequence, or shifted so the signature no longer matches", async () => {
    const skip = await tampered(file4, (k) => {
      (k.shares[2]?.data as { ownerNonce: number }).ownerNonce = 7;
    });
    await rejects(
      skip,
      [/shares\[2\]/, /owner nonce 7 should be 6/, /Field: shares\[2\]\.data\.ownerNonce/],
      {},
      InputError,
    );
    const shifted = await tampered(file4, (k) => {
      k.shares.forEach((s, i) => {
        s.data.ownerNonce = 5 + i;
      });
    });
    await rejects(
      shifted,
      [
        /shares\[0\]/,
        /ownership signature is invalid for owner 0x81592c3DE184A3E2c0DCB5a261BC107Bfa91f494, nonce 5/,
      ],
      {},
      VerificationError,
    );
  });

  test("another owner invalidates the signature", async () => {
    const f = await tampered(file4, (k) => {
      for (const s of k.shares) s.data.ownerAddress = "0x0000000000000000000000000000000000000001";
    });
    await rejects(f, [
      /shares\[0\]/,
      /ownership signature is invalid for owner 0x0000000000000000000000000000000000000001/,
    ]);
  });

  test("reordered operators: in data only, or consistently everywhere (must be ascending)", async () => {
    const dataOnly = await tampered(file4, (k) => {
      const d = k.shares[1]?.data as { operators: unknown[] };
      d.operators = [...d.operators].reverse();
    });
    await rejects(
      dataOnly,
      [/shares\[1\]/, /ascending/, /Field: shares\[1\]\.data\.operators/],
      {},
      InputError,
    );
    const everywhere = await tampered(file4, (k) => {
      for (const s of k.shares) {
        s.data.operators = [...s.data.operators].reverse();
        s.payload.operatorIds = [...s.payload.operatorIds].reverse();
        const sd = s.payload.sharesData;
        const pks = [0, 1, 2, 3].map((i) => hexPart(sd, 96 + 48 * i, 48)).reverse();
        const encs = [0, 1, 2, 3].map((i) => hexPart(sd, 96 + 192 + 256 * i, 256)).reverse();
        s.payload.sharesData = `0x${hexPart(sd, 0, 96)}${pks.join("")}${encs.join("")}`;
      }
    });
    await rejects(everywhere, [/shares\[0\]/, /ascending order \(14 before 9\)/]);
    const payloadIds = await tampered(file4, (k) => {
      (k.shares[0]?.payload as { operatorIds: number[] }).operatorIds = [2, 5, 14, 9];
    });
    await rejects(payloadIds, [
      /payload\.operatorIds \[2,5,14,9\] differ/,
      /Field: shares\[0\]\.payload\.operatorIds/,
    ]);
  });

  test("swapped share public keys (valid points, wrong places) fail interpolation", async () => {
    const f = await tampered(file4, (k) => {
      const p = k.shares[0]?.payload as { sharesData: string };
      const sd = p.sharesData;
      const pk = (i: number) => hexPart(sd, 96 + 48 * i, 48);
      p.sharesData = `0x${hexPart(sd, 0, 96)}${pk(1)}${pk(0)}${pk(2)}${pk(3)}${sd.slice(2 + 2 * (96 + 192))}`;
    });
    await rejects(
      f,
      [
        /shares\[0\]/,
        // two of four swapped: {2,5} and {9,14} each fit a polynomial through the key, so which
        // pair is wrong cannot be told — the message says several are
        /the shares of the validator do not lie on one polynomial through its key \(several are wrong\)/,
      ],
      {},
      VerificationError,
    );
  });

  test("7 operators: a foreign last share key is caught (beyond the first t)", async () => {
    const f = await tampered(file7, (k) => {
      const [a, b] = k.shares as unknown as [
        { payload: { sharesData: string } },
        { payload: { sharesData: string } },
      ];
      const at = 2 + 2 * (96 + 48 * 6);
      a.payload.sharesData =
        a.payload.sharesData.slice(0, at) +
        b.payload.sharesData.slice(at, at + 96) +
        a.payload.sharesData.slice(at + 96);
    });
    await rejects(
      f,
      [
        /shares\[0\]/,
        /the share of operator 33 of the validator is not a share of its key/,
        /Field: shares\[0\]\.payload\.sharesData \(share public key of operator 33\)/,
      ],
      {},
      VerificationError,
    );
  });

  test("wrong version, bad shape, wrong length, mismatched payload key, duplicates, mixed clusters", async () => {
    await rejects(
      await tampered(file4, (k) => {
        k.version = "v1.3.0";
      }),
      [/Unsupported SSV keyshares version "v1.3.0"/, /Field: version/],
    );
    await rejects(
      await tampered(file4, (k) => {
        k.version = "v2.0.0";
      }),
      [/Unsupported/],
    );
    await rejects(
      await tampered(file4, (k) => {
        (k.shares[1]?.data as { publicKey: string }).publicKey = "0x1234";
      }),
      [/Not a valid SSV keyshares file/, /Field: shares\.1\.data\.publicKey/],
    );
    await rejects(
      await tampered(file4, (k) => {
        const p = k.shares[1]?.payload as { sharesData: string };
        p.sharesData = p.sharesData.slice(0, -2);
      }),
      [/shares\[1\]/, /sharesData is 1311 bytes, expected 1312 for 4 operators/],
    );
    await rejects(
      await tampered(file4, (k) => {
        (k.shares[1]?.payload as { publicKey: string }).publicKey =
          k.shares[0]?.payload.publicKey ?? "";
      }),
      [/shares\[1\]/, /payload\.publicKey differs from data\.publicKey/],
    );
    await rejects(
      await tampered(file4, (k) => {
        const first = structuredClone(k.shares[0]);
        if (first) k.shares.push({ ...first, data: { ...first.data, ownerNonce: 7 } });
      }),
      [/shares\[3\]/, /validator also appears in shares\[0\]/],
    );
    await rejects(await tampered(file4, (k) => void k.shares.push(...(file7.shares as never[]))), [
      /shares\[3\]/,
      /operators \[1,2,5,9,14,20,33\] differ from the first item's \[2,5,9,14\]/,
    ]);
    await rejects(await writeJson({ nope: 1 }), [/Not a valid SSV keyshares file/]);
    const notJson = join(dir, "not.json");
    await writeFile(notJson, "{");
    await rejects(notJson, [/The keyshares file is not valid JSON \(truncated or altered\?\)/]);
  });

  test("a keys directory that holds none of the file's operator keys is an input error", async () => {
    const other = join(dir, "other-keys");
    await mkdir(other);
    const { privateKey } = await generateKeyPairAsync("rsa", { modulusLength: 2048 });
    await writeFile(join(other, "k.pem"), privateKey.export({ type: "pkcs1", format: "pem" }));
    await assert.rejects(
      verifySsvKeyshares(await writeJson(file4), { operatorKeysDir: other }),
      /None of the operator private keys belongs/,
    );
    const empty = join(dir, "empty-keys");
    await mkdir(empty);
    await assert.rejects(
      verifySsvKeyshares(await writeJson(file4), { operatorKeysDir: empty }),
      /No operator private keys found/,
    );
  });
});
