/** Obol Charon --split-existing-keys folder: write → verify → decrypt, tampering, atomicity. */
import assert from "node:assert/strict";
import { promises as fsp } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { decryptKeystore, parseKeystore } from "../../../src/crypto/eip2335.js";
import { InputError, OutputError, VerificationError } from "../../../src/errors.js";
import { detectObol, verifyObol, writeObol } from "../../../src/keysplit/obol.js";
import type { ValidatorKey } from "../../../src/keysplit/split.js";
import { toHex } from "../../../src/util/hex.js";
import { makeTempDir, randomValidatorKey } from "../../helpers.js";

const LIGHT = { n: 2 ** 10 };
const FEE = "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed";

function validatorKey(i: number): ValidatorKey {
  return randomValidatorKey(`m/12381/3600/${i}/0/0`);
}

async function modes(dir: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const e of await fsp.readdir(dir, { withFileTypes: true, recursive: true })) {
    const p = join(e.parentPath, e.name);
    out.set(p, (await fsp.stat(p)).mode & 0o777);
  }
  return out;
}

let root: string;
before(async () => {
  root = await makeTempDir("obol");
});
after(async () => {
  await fsp.rm(root, { recursive: true, force: true });
});

/** A fresh written copy for a tamper test. */
async function written(keys: ValidatorKey[], name: string): Promise<string> {
  const out = join(root, name);
  await writeObol(out, keys, { kdfParams: LIGHT, quiet: true });
  return out;
}

describe("writeObol / verifyObol", () => {
  const keys = [validatorKey(0), validatorKey(1), validatorKey(2)];

  test("round trip: charon's file names, passwords without newline, keys decrypt to the originals", async () => {
    const out = join(root, "rt");
    const res = await writeObol(out, keys, {
      kdfParams: LIGHT,
      quiet: true,
      nodes: 4,
      network: "mainnet",
      feeRecipient: FEE,
    });
    assert.equal(res.out, out);
    assert.equal(res.files, 7);
    const names = (await fsp.readdir(out)).sort();
    assert.deepEqual(names, [
      "README.txt",
      "keystore-0.json",
      "keystore-0.txt",
      "keystore-1.json",
      "keystore-1.txt",
      "keystore-2.json",
      "keystore-2.txt",
    ]);
    assert.equal((await fsp.stat(out)).mode & 0o777, 0o700);
    for (const [p, mode] of await modes(out)) assert.equal(mode, 0o600, p);

    const passwords = new Set<string>();
    for (const [i, k] of keys.entries()) {
      const file = join(out, `keystore-${i}.json`);
      const ks = parseKeystore(JSON.parse(await fsp.readFile(file, "utf8")), file);
      const pw = await fsp.readFile(join(out, `keystore-${i}.txt`), "utf8");
      assert.match(pw, /^[0-9a-f]{64}$/, "256-bit hex password, no trailing newline");
      passwords.add(pw);
      assert.equal(ks.pubkey, toHex(k.pubkey, false));
      assert.equal(ks.path, k.path);
      assert.deepEqual(await decryptKeystore(ks, pw, file), k.secret);
    }
    assert.equal(passwords.size, 3, "a fresh password per keystore");

    const readme = await fsp.readFile(join(out, "README.txt"), "utf8");
    assert.match(readme, /charon create cluster/);
    assert.match(readme, /--split-existing-keys/);
    assert.ok(readme.includes(`--split-keys-dir="${out}"`));
    assert.match(readme, /--nodes=4/);
    assert.match(
      readme,
      /--fee-recipient-addresses=0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed/,
      "EIP-55",
    );
    assert.doesNotMatch(
      readme,
      /--num-validators=/,
      "charon refuses --num-validators with split keys",
    );
    assert.ok(readme.includes(`keystore-1.json  ${toHex(keys[1]!.pubkey)}`));

    const report = await verifyObol(out);
    assert.equal(report.format, "obol-split-keys eip2335-v4");
    assert.equal(report.validators, 3);
    assert.deepEqual(report.operators, []);
    assert.ok(report.checks.length >= 4);
    assert.equal(await detectObol(out), true);
    assert.equal(await detectObol(root), false);
    assert.equal(await detectObol(join(out, "keystore-0.json")), false);
  });

  test("real defaults: scrypt n=2^18, r=8, p=1 (EIP-2335) and verify accepts it", async () => {
    const out = join(root, "defaults");
    const started = performance.now();
    await writeObol(out, [keys[0]!], { quiet: true });
    const ks = JSON.parse(await fsp.readFile(join(out, "keystore-0.json"), "utf8"));
    assert.equal(ks.crypto.kdf.function, "scrypt");
    assert.deepEqual(
      {
        n: ks.crypto.kdf.params.n,
        r: ks.crypto.kdf.params.r,
        p: ks.crypto.kdf.params.p,
        dklen: ks.crypto.kdf.params.dklen,
      },
      { n: 262144, r: 8, p: 1, dklen: 32 },
    );
    assert.equal(ks.version, 4);
    assert.equal((await verifyObol(out)).validators, 1);
    process.stderr.write(
      `obol: 1 key, scrypt 2^18, write+verify ${(performance.now() - started).toFixed(0)} ms\n`,
    );
  });

  test("wrong password file is rejected, naming the keystore", async () => {
    const out = await written(keys, "badpw");
    await fsp.writeFile(join(out, "keystore-1.txt"), "not the password");
    await assert.rejects(verifyObol(out), (e: unknown) => {
      assert.ok(e instanceof InputError);
      assert.equal(e.file, join(out, "keystore-1.json"));
      assert.equal(e.field, "crypto.checksum");
      return true;
    });
  });

  test("gap in numbering is rejected", async () => {
    const out = await written(keys, "gap");
    await fsp.rename(join(out, "keystore-2.json"), join(out, "keystore-3.json"));
    await fsp.rename(join(out, "keystore-2.txt"), join(out, "keystore-3.txt"));
    await assert.rejects(
      verifyObol(out),
      (e: unknown) => e instanceof InputError && /keystore-2\.json is missing/.test(e.shortMessage),
    );
  });

  test("the same key twice is rejected", async () => {
    const out = await written(keys, "dup");
    await fsp.copyFile(join(out, "keystore-0.json"), join(out, "keystore-3.json"));
    await fsp.copyFile(join(out, "keystore-0.txt"), join(out, "keystore-3.txt"));
    await assert.rejects(
      verifyObol(out),
      (e: unknown) => e instanceof VerificationError && /appears twice/.test(e.shortMessage),
    );
  });

  test("a duplicate index (keystore-1 and keystore-01) is rejected", async () => {
    const out = await written(keys, "dupidx");
    await fsp.copyFile(join(out, "keystore-1.json"), join(out, "keystore-01.json"));
    await assert.rejects(
      verifyObol(out),
      (e: unknown) => e instanceof InputError && /index 1 is used twice/.test(e.shortMessage),
    );
  });

  test("a pubkey field that is not the key's is rejected", async () => {
    const out = await written(keys, "pubkey");
    const file = join(out, "keystore-0.json");
    const ks = JSON.parse(await fsp.readFile(file, "utf8"));
    ks.pubkey = toHex(keys[1]!.pubkey, false);
    await fsp.writeFile(file, JSON.stringify(ks));
    await assert.rejects(
      verifyObol(out),
      (e: unknown) => e instanceof VerificationError && /does not match/.test(e.shortMessage),
    );
  });

  test("a stray keystore-*.json that charon would load is rejected", async () => {
    const out = await written(keys, "stray");
    await fsp.writeFile(join(out, "keystore-old.json"), "{}");
    await assert.rejects(
      verifyObol(out),
      (e: unknown) =>
        e instanceof InputError && /Unexpected keystore file name/.test(e.shortMessage),
    );
  });

  test("inputs are checked before writing: mismatched secret, duplicate key, bad address", async () => {
    const bad = { ...keys[0]!, pubkey: keys[1]!.pubkey };
    const out = join(root, "never");
    await assert.rejects(
      writeObol(out, [bad], { kdfParams: LIGHT, quiet: true }),
      VerificationError,
    );
    await assert.rejects(
      writeObol(out, [keys[0]!, keys[0]!], { kdfParams: LIGHT, quiet: true }),
      InputError,
    );
    await assert.rejects(
      writeObol(out, [keys[0]!], {
        kdfParams: LIGHT,
        quiet: true,
        feeRecipient: "0x5AAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
      }),
      (e: unknown) => e instanceof InputError && /checksum/.test(e.shortMessage),
    );
    await assert.rejects(fsp.access(out));
  });

  test("an existing output is refused and left untouched", async () => {
    const out = join(root, "exists");
    await fsp.mkdir(out);
    await fsp.writeFile(join(out, "keep"), "x");
    await assert.rejects(writeObol(out, keys, { kdfParams: LIGHT, quiet: true }), OutputError);
    assert.deepEqual(await fsp.readdir(out), ["keep"]);
  });

  test("an unwritable parent gives OutputError and leaves nothing behind", async () => {
    const name = `rpdvt-obol-${process.pid}`;
    await assert.rejects(
      writeObol(join("/sys", name), keys, { kdfParams: LIGHT, quiet: true }),
      OutputError,
    );
    assert.ok(!(await fsp.readdir("/sys")).some((n) => n.includes(name)));
    const file = join(root, "a-file");
    await fsp.writeFile(file, "");
    const before = (await fsp.readdir(root)).sort();
    await assert.rejects(
      writeObol(join(file, "out"), keys, { kdfParams: LIGHT, quiet: true }),
      OutputError,
    );
    assert.deepEqual((await fsp.readdir(root)).sort(), before);
  });
});
