/**
 * Smartnode data-folder reader and fixture generator: read a generated fixture back (derived keys
 * equal the keystores' keys in every client layout), orphans, custom keys, mismatch reporting, bad
 * inputs, file modes and formats.
 */
import assert from "node:assert/strict";
import { promises as fsp } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { mnemonicToSeedSync } from "@scure/bip39";
import { publicKeyOf } from "../../../src/crypto/bls.js";
import { deriveSecretKey, validatorKeyPath } from "../../../src/crypto/eip2333.js";
import { decryptCrypto, keystoreCryptoSchema } from "../../../src/crypto/eip2335.js";
import { InputError, OutputError } from "../../../src/errors.js";
import {
  listRocketPoolKeys,
  readRocketPoolKeys,
  resolveDataDir,
} from "../../../src/rocketpool/datadir.js";
import {
  smartnodeRandomPassword,
  writeRocketPoolFixture,
} from "../../../src/rocketpool/fixture.js";
import { parseCustomKeyPasswords } from "../../../src/rocketpool/formats.js";
import { CLIENTS, PER_KEY_LAYOUTS, PRYSM, pubkeyName } from "../../../src/rocketpool/layout.js";
import { fromHex, toHex } from "../../../src/util/hex.js";
import { makeTempDir } from "../../helpers.js";

const MNEMONIC =
  "legal winner thank year wave sausage worth useful legal winner thank year wave sausage worth useful legal winner thank year wave sausage worth title";

let tmp: string;
let fx: Awaited<ReturnType<typeof writeRocketPoolFixture>>;
let n = 0;

/** A private copy of the fixture's data folder to tamper with. */
async function copyData(): Promise<string> {
  const dst = join(tmp, `copy-${n++}`, "data");
  await fsp.cp(fx.dataDir, dst, { recursive: true });
  return dst;
}

/** Overwrite every validator keystore's password file (all layouts and Prysm) with `password`. */
async function breakKeystorePasswords(d: string, password: string): Promise<void> {
  for (const layout of PER_KEY_LAYOUTS) {
    for (const p of [...fx.pubkeys, ...fx.orphanPubkeys, ...fx.customPubkeys]) {
      await fsp.writeFile(join(d, layout.password(p)), password);
    }
  }
  await fsp.writeFile(join(d, PRYSM.password), password);
}

function hex(b: Uint8Array): string {
  return toHex(b, false);
}

async function expectInputError(
  p: Promise<unknown>,
  check: (e: InputError) => void,
): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof InputError, `expected InputError, got ${String(e)}`);
    check(e);
    return true;
  });
}

before(async () => {
  tmp = await makeTempDir("rp");
  fx = await writeRocketPoolFixture(join(tmp, "node"), {
    validators: 3,
    customKeys: 2,
    orphans: 1,
    mnemonic: MNEMONIC,
  });
});

after(async () => {
  await fsp.rm(tmp, { recursive: true, force: true });
});

describe("writeRocketPoolFixture", () => {
  test("wallet keys are EIP-2334 m/12381/3600/i/0/0 of the BIP-39 seed, deterministic from the mnemonic", async () => {
    const seed = mnemonicToSeedSync(MNEMONIC);
    const expected = [0, 1, 2].map((i) =>
      toHex(publicKeyOf(deriveSecretKey(seed, validatorKeyPath(i)))),
    );
    assert.deepEqual(fx.pubkeys, expected);
    assert.deepEqual(fx.orphanPubkeys, [
      toHex(publicKeyOf(deriveSecretKey(seed, validatorKeyPath(3)))),
    ]);
    assert.equal(fx.customPubkeys.length, 2);
    assert.equal(fx.dataDir, join(tmp, "node", "data"));
    const again = await writeRocketPoolFixture(join(tmp, "again"), {
      validators: 3,
      customKeys: 2,
      orphans: 1,
      mnemonic: MNEMONIC,
    });
    assert.deepEqual([again.pubkeys, again.customPubkeys], [fx.pubkeys, fx.customPubkeys]);
  });

  test("a fresh random 24-word mnemonic by default", async () => {
    const r = await writeRocketPoolFixture(join(tmp, "random"), { validators: 1 });
    assert.equal(r.mnemonic.split(" ").length, 24);
    assert.notEqual(r.pubkeys[0], fx.pubkeys[0]);
  });

  test("every file is 0600 and every folder 0700", async () => {
    let files = 0;
    const walk = async (dir: string): Promise<void> => {
      assert.equal((await fsp.stat(dir)).mode & 0o777, 0o700, dir);
      for (const d of await fsp.readdir(dir, { withFileTypes: true })) {
        const p = join(dir, d.name);
        if (d.isDirectory()) await walk(p);
        else {
          files++;
          assert.equal((await fsp.stat(p)).mode & 0o777, 0o600, p);
        }
      }
    };
    await walk(join(tmp, "node"));
    // wallet, password, custom-key-passwords, 2 custom keystores, 6 keys × 4 layouts × 2 files, prysm × 3
    assert.equal(files, 3 + 2 + 6 * 8 + 3);
  });

  test("files are written as the Smartnode writes them (Go field order, raw passwords)", async () => {
    const d = fx.dataDir;
    const wallet = JSON.parse(await fsp.readFile(join(d, "wallet"), "utf8"));
    assert.deepEqual(Object.keys(wallet), [
      "crypto",
      "name",
      "version",
      "uuid",
      "derivationPath",
      "next_account",
    ]);
    assert.deepEqual(Object.keys(wallet.crypto), ["checksum", "cipher", "kdf"]);
    assert.deepEqual(Object.keys(wallet.crypto.kdf.params), ["c", "dklen", "prf", "salt"]);
    assert.equal(wallet.crypto.kdf.params.c, 262144);
    assert.equal(wallet.next_account, 3);
    assert.equal(wallet.derivationPath, "m/44'/60'/0'/0/%d");
    const password = await fsp.readFile(join(d, "password"), "utf8");
    assert.equal(password.length, 32);
    assert.doesNotMatch(password, /\n/);

    const name = pubkeyName(fx.pubkeys[1]?.slice(2) ?? "");
    for (const layout of PER_KEY_LAYOUTS) {
      const ks = JSON.parse(await fsp.readFile(join(d, layout.keystore(name)), "utf8"));
      assert.deepEqual(
        Object.keys(ks),
        ["crypto", "version", "uuid", "path", "pubkey"],
        layout.client,
      );
      assert.equal(ks.pubkey, fx.pubkeys[1]?.slice(2));
      assert.equal(ks.path, "m/12381/3600/1/0/0");
      assert.equal(ks.crypto.kdf.function, layout.kdf);
      assert.deepEqual(
        Object.keys(ks.crypto.kdf.params),
        layout.kdf === "scrypt" ? ["dklen", "n", "p", "r", "salt"] : ["c", "dklen", "prf", "salt"],
      );
      const pw = await fsp.readFile(join(d, layout.password(name)), "utf8");
      assert.equal(
        new Set(pw).size,
        32,
        "32 distinct characters, like go-password Generate(32, 6, 6, false, false)",
      );
    }

    const prysm = JSON.parse(await fsp.readFile(join(d, PRYSM.keystore), "utf8"));
    assert.deepEqual(Object.keys(prysm), ["crypto", "name", "version", "uuid", "pubkey"]);
    assert.equal(prysm.pubkey, "");
    const plain = await decryptCrypto(
      keystoreCryptoSchema.parse(prysm.crypto),
      await fsp.readFile(join(d, PRYSM.password)),
    );
    const store = JSON.parse(Buffer.from(plain).toString("utf8"));
    assert.deepEqual(Object.keys(store), ["private_keys", "public_keys"]);
    assert.equal(store.public_keys.length, 6);
    assert.equal(toHex(Buffer.from(store.public_keys[0], "base64")), fx.pubkeys[0]);
    assert.deepEqual(JSON.parse(await fsp.readFile(join(d, PRYSM.config), "utf8")), {
      direct_eip_version: "EIP-2335",
    });

    const yaml = await fsp.readFile(join(d, "custom-key-passwords"), "utf8");
    const passwords = parseCustomKeyPasswords(yaml, "x");
    assert.deepEqual([...passwords.keys()].sort(), fx.customPubkeys.map((p) => p.slice(2)).sort());
    assert.match(yaml, /^[0-9A-F]{96}: /m, "keys are UPPERCASE hex without 0x");
  });

  test("refuses an existing --out and bad counts", async () => {
    await assert.rejects(writeRocketPoolFixture(join(tmp, "node"), { validators: 1 }), OutputError);
    await expectInputError(
      writeRocketPoolFixture(join(tmp, "x1"), { validators: 1, orphans: 101 }),
      (e) => assert.equal(e.field, "orphans"),
    );
    await expectInputError(
      writeRocketPoolFixture(join(tmp, "x2"), { validators: 1, mnemonic: "abandon abandon" }),
      (e) => {
        assert.equal(e.field, "mnemonic");
        assert.doesNotMatch(e.message, /abandon/);
      },
    );
  });

  test("smartnodeRandomPassword: 6 digits, 6 symbols, 20 letters, no repeats", () => {
    const pw = smartnodeRandomPassword();
    assert.equal(pw.length, 32);
    assert.equal(new Set(pw).size, 32);
    assert.equal(pw.replace(/[^0-9]/g, "").length, 6);
    assert.equal(pw.replace(/[A-Za-z0-9]/g, "").length, 6);
  });
});

describe("readRocketPoolKeys", () => {
  test("reads the fixture back from the Smartnode root or its data folder", async () => {
    assert.equal(await resolveDataDir(join(tmp, "node")), fx.dataDir);
    const progress: [number, number][] = [];
    const r = await readRocketPoolKeys(join(tmp, "node"), {
      onProgress: (d, t) => progress.push([d, t]),
    });
    const all = [...fx.pubkeys, ...fx.orphanPubkeys];
    assert.deepEqual(
      r.keys.map((k) => toHex(k.pubkey)),
      [...all, ...[...fx.customPubkeys].sort()],
    );
    for (const k of r.keys) assert.equal(hex(publicKeyOf(k.secret)), hex(k.pubkey));
    assert.deepEqual(
      r.keys.map((k) => k.source),
      ["wallet", "wallet", "wallet", "wallet", PRYSM.keystore, PRYSM.keystore],
      "wallet keys derived, custom keys from one Prysm store decryption",
    );
    assert.deepEqual(
      r.entries.map((e) => [e.index, e.source, e.orphan ?? false]),
      [
        [0, "wallet", false],
        [1, "wallet", false],
        [2, "wallet", false],
        [3, "wallet", true],
        [undefined, "custom-keys", false],
        [undefined, "custom-keys", false],
      ],
    );
    for (const e of r.entries) assert.deepEqual(e.clients, [...CLIENTS]);
    assert.equal(r.entries[4]?.files.filter((f) => f.startsWith("custom-keys/")).length, 1);
    assert.equal(r.warnings.length, 1);
    assert.match(r.warnings[0] ?? "", new RegExp(`Orphan.*${fx.orphanPubkeys[0]}.*account 3`));
    assert.deepEqual(progress.at(-1), [6, 6]);
    const viaData = await readRocketPoolKeys(fx.dataDir, {
      validators: [fromHex(fx.pubkeys[2] ?? "")],
    });
    assert.deepEqual(
      viaData.keys.map((k) => k.secret),
      [r.keys[2]?.secret],
    );
    assert.equal(viaData.keys[0]?.path, "m/12381/3600/2/0/0");
  });

  test("wallet keys are never decrypted from keystores (all keystore passwords wrong)", async () => {
    const d = await copyData();
    await breakKeystorePasswords(d, "wrong password");
    const wanted = [...fx.pubkeys, ...fx.orphanPubkeys].map((p) => fromHex(p));
    const r = await readRocketPoolKeys(d, { validators: wanted });
    assert.equal(r.keys.length, 4);
    assert.ok(r.keys.every((k) => k.source === "wallet"));
    // A custom key has to be decrypted: Prysm's store is skipped (wrong password) and the cheapest
    // per-key keystore (nimbus, pbkdf2) fails with a clear error naming the file.
    const custom = fx.customPubkeys[0] ?? "";
    await expectInputError(readRocketPoolKeys(d, { validators: [fromHex(custom)] }), (e) => {
      assert.equal(e.field, "crypto.checksum");
      assert.equal(e.file, join(d, PER_KEY_LAYOUTS[2]?.keystore(custom) ?? ""));
    });
    // With the per-key copies gone, custom-keys/ (password in custom-key-passwords) still works …
    for (const layout of PER_KEY_LAYOUTS) {
      await fsp.rm(join(d, layout.listDir), { recursive: true });
    }
    const viaCustom = await readRocketPoolKeys(d, { validators: [fromHex(custom)] });
    assert.match(viaCustom.keys[0]?.source ?? "", /^custom-keys\//);
    assert.match(viaCustom.warnings.join("\n"), /Prysm account store not used/);
    // … and with only Prysm left, its wrong password is the error.
    await fsp.rm(join(d, "custom-keys"), { recursive: true });
    await expectInputError(readRocketPoolKeys(d, { validators: [fromHex(custom)] }), (e) => {
      assert.equal(e.field, "crypto.checksum");
      assert.equal(e.file, join(d, PRYSM.keystore));
    });
  });

  test("every client layout on its own yields the derived keys (no wallet: keystore-only)", async () => {
    const seed = mnemonicToSeedSync(MNEMONIC);
    const derived = new Map(
      [0, 1, 2, 3].map((i) => {
        const sk = deriveSecretKey(seed, validatorKeyPath(i));
        return [hex(publicKeyOf(sk)), hex(sk)];
      }),
    );
    for (const client of CLIENTS) {
      const d = await copyData();
      await fsp.rm(join(d, "wallet"));
      await fsp.rm(join(d, "custom-keys"), { recursive: true });
      for (const other of ["lighthouse", "lodestar", "nimbus", "teku", "prysm-non-hd"]) {
        if (other !== (client === "prysm" ? "prysm-non-hd" : client)) {
          await fsp.rm(join(d, "validators", other), { recursive: true });
        }
      }
      const r = await readRocketPoolKeys(d);
      assert.equal(r.keys.length, 6, client);
      for (const k of r.keys) {
        assert.ok(
          k.source?.includes(client === "prysm" ? "prysm-non-hd" : `/${client}/`),
          `${client}: ${k.source}`,
        );
        const want = derived.get(hex(k.pubkey));
        if (want) assert.equal(hex(k.secret), want, `${client}: derived key == keystore key`);
        else assert.ok(fx.customPubkeys.includes(toHex(k.pubkey)));
      }
      assert.ok(
        r.entries.every((e) => e.source === "keystore-only" && e.clients.join() === client),
      );
      assert.match(r.warnings.join("\n"), /No wallet file/);
    }
  });

  test("without a wallet every layout is cross-listed and each key decrypted once", async () => {
    const d = await copyData();
    await fsp.rm(join(d, "wallet"));
    await fsp.rm(join(d, PRYSM.keystore));
    const r = await readRocketPoolKeys(d);
    assert.equal(r.keys.length, 6);
    // cheapest KDF first: nimbus uses pbkdf2 (the other per-key clients scrypt)
    assert.ok(
      r.keys.every((k) => k.source?.startsWith("validators/nimbus/")),
      r.keys.map((k) => k.source).join(),
    );
    assert.equal(r.entries.filter((e) => e.source === "custom-keys").length, 2);
    assert.deepEqual(r.entries[0]?.clients, ["lighthouse", "lodestar", "nimbus", "teku"]);
  });

  test("custom keys are decrypted from custom-keys/ with custom-key-passwords when no client copy exists", async () => {
    const d = await copyData();
    await fsp.rm(join(d, PRYSM.keystore));
    for (const layout of PER_KEY_LAYOUTS) {
      for (const p of fx.customPubkeys) await fsp.rm(join(d, layout.keystore(p)));
    }
    const wanted = fx.customPubkeys.map((p) => fromHex(p));
    const r = await readRocketPoolKeys(d, { validators: wanted });
    assert.equal(r.keys.length, 2);
    for (const k of r.keys) {
      assert.match(k.source ?? "", /^custom-keys\/keystore-m_12381_3600_\d_0_0-\d+\.json$/);
      assert.equal(hex(publicKeyOf(k.secret)), hex(k.pubkey));
    }
    assert.ok(
      r.entries.filter((e) => e.source === "custom-keys").every((e) => e.clients.length === 0),
    );
    await fsp.rm(join(d, "custom-key-passwords"));
    await expectInputError(readRocketPoolKeys(d, { validators: wanted }), (e) => {
      assert.match(e.message, /custom-key-passwords/);
      assert.match(e.file ?? "", /custom-keys/);
    });
  });

  test("mismatches are reported without decryption; a keystore whose secret is another key is an error", async () => {
    const d = await copyData();
    const [p0, p1, p2] = fx.pubkeys.map((p) => p.slice(2));
    const lh = PER_KEY_LAYOUTS[0];
    const teku = PER_KEY_LAYOUTS[3];
    assert.ok(lh && teku && p0 && p1 && p2);
    // lighthouse keystore of key 1 claims key 0's pubkey and another path
    const f = join(d, lh.keystore(pubkeyName(p1)));
    const ks = JSON.parse(await fsp.readFile(f, "utf8"));
    await fsp.writeFile(f, JSON.stringify({ ...ks, pubkey: p0, path: "m/12381/3600/7/0/0" }));
    // teku keystore of key 2 filed under a pubkey the wallet does not know
    const stranger = hex(publicKeyOf(deriveSecretKey(new Uint8Array(32).fill(7), "m/0")));
    await fsp.rename(
      join(d, teku.keystore(pubkeyName(p2))),
      join(d, teku.keystore(pubkeyName(stranger))),
    );
    await fsp.rename(
      join(d, teku.password(pubkeyName(p2))),
      join(d, teku.password(pubkeyName(stranger))),
    );
    // every keystore of key 0 gone (Prysm's one store holds every key: gone too)
    for (const layout of PER_KEY_LAYOUTS) await fsp.rm(join(d, layout.keystore(pubkeyName(p0))));
    await fsp.rm(join(d, PRYSM.keystore));
    // unrelated files a validator client leaves around are ignored
    await fsp.writeFile(
      join(d, "validators", "lighthouse", "validators", "validator_definitions.yml"),
      "---\n",
    );

    const l = await listRocketPoolKeys(d);
    const w = l.warnings.join("\n");
    assert.match(
      w,
      new RegExp(
        `Mismatch: ${lh.keystore(pubkeyName(p1))} is filed under 0x${p1} but its "pubkey" field says 0x${p0}`,
      ),
    );
    assert.match(
      w,
      new RegExp(
        `Mismatch: ${lh.keystore(pubkeyName(p1))} records path m/12381/3600/7/0/0.*wallet account 1`,
      ),
    );
    assert.match(
      w,
      new RegExp(`Mismatch: ${teku.keystore(pubkeyName(stranger))} is filed under 0x${stranger}`),
    );
    assert.match(w, new RegExp(`Wallet account 0 \\(0x${p0}\\) has no keystore`));
    const strangerEntry = l.entries.find((e) => hex(e.pubkey) === stranger);
    assert.deepEqual([strangerEntry?.source, strangerEntry?.clients], ["keystore-only", ["teku"]]);

    // wallet keys still read (derived); the stranger must be decrypted and its secret is key 2's
    const r = await readRocketPoolKeys(d, { validators: [fromHex(p1)] });
    assert.equal(hex(publicKeyOf(r.keys[0]?.secret ?? new Uint8Array())), p1);
    await expectInputError(readRocketPoolKeys(d, { validators: [fromHex(stranger)] }), (e) => {
      assert.match(e.shortMessage, /does not match its public key/);
      assert.equal(e.file, join(d, teku.keystore(pubkeyName(stranger))));
    });
  });

  test("list decrypts no per-key keystore (Prysm's one store only, skipped if it fails)", async () => {
    const d = await copyData();
    await breakKeystorePasswords(d, "wrong");
    const l = await listRocketPoolKeys(join(d, ".."));
    assert.equal(l.entries.length, 6);
    assert.match(l.warnings.join("\n"), /Prysm account store not used/);
    assert.deepEqual(l.entries[0]?.clients, ["lighthouse", "lodestar", "nimbus", "teku"]);
  });
});

describe("bad input", () => {
  test("wrong wallet password, missing password file", async () => {
    const d = await copyData();
    await fsp.writeFile(join(d, "password"), "not the password");
    await expectInputError(listRocketPoolKeys(d), (e) => {
      assert.match(e.shortMessage, /Wrong wallet password/);
      assert.equal(e.file, join(d, "wallet"));
      assert.doesNotMatch(e.message, /not the password/);
    });
    await fsp.rm(join(d, "password"));
    await expectInputError(listRocketPoolKeys(d), (e) => assert.equal(e.file, join(d, "password")));
  });

  test("corrupt or truncated JSON names the file", async () => {
    const d = await copyData();
    const wallet = await fsp.readFile(join(d, "wallet"), "utf8");
    await fsp.writeFile(join(d, "wallet"), wallet.slice(0, 100));
    await expectInputError(readRocketPoolKeys(d), (e) => {
      assert.equal(e.file, join(d, "wallet"));
      assert.match(e.shortMessage, /not valid JSON/);
    });
    await fsp.writeFile(join(d, "wallet"), wallet);
    const ks = join(d, PER_KEY_LAYOUTS[2]?.keystore(fx.pubkeys[0] ?? "") ?? "");
    await fsp.writeFile(ks, "");
    await expectInputError(listRocketPoolKeys(d), (e) => assert.equal(e.file, ks));
  });

  test("unknown KDF, unknown wallet version, missing next_account", async () => {
    const d = await copyData();
    const wallet = JSON.parse(await fsp.readFile(join(d, "wallet"), "utf8"));
    const write = (w: unknown) => fsp.writeFile(join(d, "wallet"), JSON.stringify(w));
    await write({
      ...wallet,
      crypto: { ...wallet.crypto, kdf: { ...wallet.crypto.kdf, function: "argon2id" } },
    });
    await expectInputError(listRocketPoolKeys(d), (e) => {
      assert.equal(e.file, join(d, "wallet"));
      assert.match(e.field ?? "", /^crypto\.kdf/);
    });
    await write({ ...wallet, version: 3 });
    await expectInputError(listRocketPoolKeys(d), (e) => assert.equal(e.field, "version"));
    const { next_account: _, ...noNext } = wallet;
    await write(noNext);
    await expectInputError(listRocketPoolKeys(d), (e) => assert.equal(e.field, "next_account"));
  });

  test("the same validator twice in custom-keys", async () => {
    const d = await copyData();
    const [first] = (await fsp.readdir(join(d, "custom-keys"))).sort();
    assert.ok(first);
    await fsp.copyFile(join(d, "custom-keys", first), join(d, "custom-keys", "copy.json"));
    await expectInputError(listRocketPoolKeys(d), (e) => {
      assert.match(e.shortMessage, /appears twice in custom-keys/);
      assert.equal(e.field, "pubkey");
    });
  });

  test("not a data folder; unknown validator requested", async () => {
    await expectInputError(listRocketPoolKeys(tmp), (e) =>
      assert.match(e.shortMessage, /Not a Rocket Pool Smartnode/),
    );
    await expectInputError(listRocketPoolKeys(join(tmp, "nope")), (e) =>
      assert.match(e.shortMessage, /not found/),
    );
    await expectInputError(
      readRocketPoolKeys(fx.dataDir, { validators: [new Uint8Array(48).fill(1)] }),
      (e) => assert.equal(e.field, "validators"),
    );
  });

  test("custom-key-passwords must map pubkeys to passwords", () => {
    assert.throws(() => parseCustomKeyPasswords("- a\n- b\n", "f"), InputError);
    assert.throws(() => parseCustomKeyPasswords("nothex: pw\n", "f"), InputError);
    assert.throws(
      () => parseCustomKeyPasswords(`${"AB".repeat(48)}: "hunter2\n`, "f"),
      (e: unknown) =>
        e instanceof InputError && !e.message.includes("hunter2") && /line 2/.test(e.message),
      "YAML errors give the position, never the line (a password)",
    );
    const k = "AB".repeat(48);
    assert.equal(
      parseCustomKeyPasswords(`${k}: '123'\n0x${"cd".repeat(48)}: "a\\"b"\n`, "f").get(
        "ab".repeat(48),
      ),
      "123",
    );
    assert.equal(
      parseCustomKeyPasswords(`${k}: 0123\n`, "f").get("ab".repeat(48)),
      "0123",
      "no number coercion",
    );
  });
});
