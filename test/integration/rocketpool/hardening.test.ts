/**
 * Smartnode data-folder reader under bad input (issue 12 item 6): non-regular password/keystore
 * files (FIFO, folder), empty password files, an oversized wallet `next_account`, a Prysm-only
 * folder (list and read see the same keys), a keystore whose scrypt parameters exceed the memory
 * cap, and files the OS refuses to read (EACCES; as root the reader runs as uid 65534).
 */
import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import { promises as fsp } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { publicKeyOf } from "../../../src/crypto/bls.js";
import {
  deriveSecretKey,
  validatorKeyDeriver,
  validatorKeyPath,
} from "../../../src/crypto/eip2333.js";
import { decryptCrypto, encryptCrypto, SCRYPT_MAXMEM } from "../../../src/crypto/eip2335.js";
import { InputError } from "../../../src/errors.js";
import { listRocketPoolKeys, readRocketPoolKeys } from "../../../src/rocketpool/datadir.js";
import { writeRocketPoolFixture } from "../../../src/rocketpool/fixture.js";
import { PER_KEY_LAYOUTS, PRYSM } from "../../../src/rocketpool/layout.js";
import { MAX_WALLET_ACCOUNTS } from "../../../src/rocketpool/wallet.js";
import { toHex } from "../../../src/util/hex.js";
import { makeTempDir, ROOT } from "../../helpers.js";

let tmp: string;
let fx: Awaited<ReturnType<typeof writeRocketPoolFixture>>;
let n = 0;

/** A private copy of the fixture's data folder to tamper with. */
async function copyData(): Promise<string> {
  const dst = join(tmp, `copy-${n++}`, "data");
  await fsp.cp(fx.dataDir, dst, { recursive: true });
  return dst;
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

/** Reject if `p` does not settle within `ms` (a FIFO read would hang forever). */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not return within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

async function setNextAccount(d: string, next: number): Promise<void> {
  const w = JSON.parse(await fsp.readFile(join(d, "wallet"), "utf8"));
  w.next_account = next;
  await fsp.writeFile(join(d, "wallet"), JSON.stringify(w));
}

before(async () => {
  tmp = await makeTempDir("rp-hard");
  fx = await writeRocketPoolFixture(join(tmp, "node"), { validators: 5, customKeys: 1 });
});

after(async () => {
  await fsp.rm(tmp, { recursive: true, force: true });
});

describe("password and keystore files that are not regular files", () => {
  test("a FIFO as the wallet password file is refused at once, naming it", async () => {
    const d = await copyData();
    await fsp.rm(join(d, "password"));
    execFileSync("mkfifo", [join(d, "password")]);
    await expectInputError(within(listRocketPoolKeys(d), 5000, "listRocketPoolKeys"), (e) => {
      assert.equal(e.file, join(d, "password"));
      assert.match(e.shortMessage, /FIFO/);
    });
  });

  test("a FIFO as a keystore password file is refused at once", async () => {
    const d = await copyData();
    await fsp.rm(join(d, "wallet")); // keystore-only: every key is decrypted
    await fsp.rm(join(d, PRYSM.keystore));
    for (const layout of PER_KEY_LAYOUTS) {
      const pw = join(d, layout.password(fx.pubkeys[0] as string));
      await fsp.rm(pw);
      execFileSync("mkfifo", [pw]);
    }
    await expectInputError(
      within(
        readRocketPoolKeys(d, { validators: [Buffer.from(fx.pubkeys[0]?.slice(2) ?? "", "hex")] }),
        5000,
        "readRocketPoolKeys",
      ),
      (e) => {
        assert.match(e.shortMessage, /FIFO/);
        assert.match(e.file ?? "", /validators\/\w+\/(secrets|passwords)\/0x/);
      },
    );
  });

  test("a folder as the wallet password path says it is a folder, not missing", async () => {
    const d = await copyData();
    await fsp.rm(join(d, "password"));
    await fsp.mkdir(join(d, "password"));
    await expectInputError(listRocketPoolKeys(d), (e) => {
      assert.equal(e.file, join(d, "password"));
      assert.match(e.shortMessage, /is a directory/);
      assert.doesNotMatch(e.shortMessage, /missing/);
    });
  });

  test("a 0-byte wallet password file says it is empty (not a wrong password)", async () => {
    const d = await copyData();
    await fsp.writeFile(join(d, "password"), "");
    await expectInputError(listRocketPoolKeys(d), (e) => {
      assert.equal(e.file, join(d, "password"));
      assert.match(e.shortMessage, /password file is empty/);
      assert.doesNotMatch(e.message, /Wrong wallet password/);
    });
  });

  test("a 0-byte keystore password file says the password is empty", async () => {
    const d = await copyData();
    await fsp.rm(join(d, "wallet"));
    await fsp.rm(join(d, PRYSM.keystore));
    const pk = fx.pubkeys[1] as string;
    for (const layout of PER_KEY_LAYOUTS) await fsp.writeFile(join(d, layout.password(pk)), "");
    await expectInputError(
      readRocketPoolKeys(d, { validators: [Buffer.from(pk.slice(2), "hex")] }),
      (e) => {
        assert.match(e.shortMessage, /password is empty/);
        assert.match(e.file ?? "", /(secrets|passwords)\/0x/);
        assert.match(e.message, /Keystore: /);
      },
    );
  });
});

describe("wallet next_account bound", () => {
  test("20,000 and 2^31 are refused at once, naming the file and the field", async () => {
    const d = await copyData();
    for (const next of [20_000, 2 ** 31]) {
      await setNextAccount(d, next);
      const t0 = performance.now();
      await expectInputError(listRocketPoolKeys(d), (e) => {
        assert.equal(e.file, join(d, "wallet"));
        assert.equal(e.field, "next_account");
        assert.match(e.shortMessage, new RegExp(`${next}.*bound of ${MAX_WALLET_ACCOUNTS}`));
        assert.match(e.message, /--max-wallet-accounts/);
      });
      assert.ok(performance.now() - t0 < 3000, "refused before deriving anything");
    }
  });

  test("above the bound with an override: one summary warning instead of one per account", async () => {
    const d = await copyData();
    const next = 700;
    await setNextAccount(d, next);
    await expectInputError(listRocketPoolKeys(d, { maxWalletAccounts: 699 }), (e) =>
      assert.equal(e.field, "next_account"),
    );
    const l = await listRocketPoolKeys(d, { maxWalletAccounts: 700, quiet: true });
    assert.equal(l.entries.filter((e) => e.source === "wallet").length, next);
    const missing = l.warnings.filter((w) => /no keystore in any client folder/.test(w));
    assert.equal(missing.length, 1, missing.slice(0, 3).join("\n"));
    assert.match(missing[0] ?? "", /^695 wallet accounts .*\(accounts 5–699\)/);
    // The first accounts (with keystores) still come out right.
    assert.deepEqual(
      l.entries.slice(0, 5).map((e) => toHex(e.pubkey)),
      fx.pubkeys,
    );
  });

  test("the cached deriver gives the same keys as the full-path derivation", () => {
    const seed = new Uint8Array(64).map((_, i) => i);
    const derive = validatorKeyDeriver(seed);
    for (const i of [0, 1, 2, 99, 5000, 2 ** 31 - 1])
      assert.equal(toHex(derive(i)), toHex(deriveSecretKey(seed, validatorKeyPath(i))), `${i}`);
  });
});

describe("one scan for keys list and keys split", () => {
  test("a Prysm-only data folder: list shows the 6 keys that read returns", async () => {
    const d = await copyData();
    await fsp.rm(join(d, "wallet"));
    await fsp.rm(join(d, "custom-keys"), { recursive: true });
    for (const layout of PER_KEY_LAYOUTS)
      await fsp.rm(join(d, "validators", layout.client), { recursive: true });
    const l = await listRocketPoolKeys(d);
    const r = await readRocketPoolKeys(d);
    assert.equal(r.keys.length, 6);
    assert.equal(l.entries.length, 6, "keys list sees every key keys split reads");
    assert.deepEqual(
      l.entries.map((e) => toHex(e.pubkey)),
      r.keys.map((k) => toHex(k.pubkey)),
    );
    assert.ok(l.entries.every((e) => e.clients.join() === "prysm" && e.source === "keystore-only"));
    for (const k of r.keys) assert.equal(toHex(publicKeyOf(k.secret)), toHex(k.pubkey));
  });

  test("a full folder lists prysm among the clients of every key", async () => {
    const l = await listRocketPoolKeys(fx.dataDir);
    assert.equal(l.entries.length, 6);
    for (const e of l.entries) assert.ok(e.clients.includes("prysm"), e.clients.join());
  });
});

describe("keystore KDF parameters over the memory cap", () => {
  test("scrypt n=2^21 is refused with the file, the field and the memory it asks for", async () => {
    const crypto = await encryptCrypto(new Uint8Array(32).fill(1), "pw", "scrypt", { n: 2 ** 10 });
    const big = {
      ...crypto,
      kdf: {
        ...crypto.kdf,
        params: { ...(crypto.kdf.params as { n: number }), n: 2 ** 21 },
      },
    } as typeof crypto;
    await expectInputError(decryptCrypto(big, "pw", { file: "/keys/big.json" }), (e) => {
      assert.equal(e.file, "/keys/big.json");
      assert.equal(e.field, "crypto.kdf.params");
      assert.match(e.shortMessage, /2049 MiB of memory \(scrypt n=2\^21, r=8, p=1\)/);
      assert.match(e.shortMessage, new RegExp(`${Math.ceil(SCRYPT_MAXMEM / 2 ** 20)} MiB`));
    });
  });

  test("a custom-keys keystore with n=2^21: the data-folder reader names it", async () => {
    const d = await copyData();
    await fsp.rm(join(d, "wallet"));
    await fsp.rm(join(d, PRYSM.keystore));
    const custom = fx.customPubkeys[0] as string;
    for (const layout of PER_KEY_LAYOUTS)
      await fsp.rm(join(d, layout.listDir, layout.client === "teku" ? `${custom}.json` : custom), {
        recursive: true,
      });
    const [name] = await fsp.readdir(join(d, "custom-keys"));
    const file = join(d, "custom-keys", name as string);
    const ks = JSON.parse(await fsp.readFile(file, "utf8"));
    ks.crypto.kdf.params.n = 2 ** 21;
    await fsp.writeFile(file, JSON.stringify(ks));
    await expectInputError(
      readRocketPoolKeys(d, { validators: [Buffer.from(custom.slice(2), "hex")] }),
      (e) => {
        assert.equal(e.file, file);
        assert.match(e.shortMessage, /need 2049 MiB of memory/);
      },
    );
  });
});

describe("files the OS refuses to read", () => {
  /** Run listRocketPoolKeys in a child process as an unprivileged user (uid 65534 when root). */
  function listAsUser(dataDir: string): Promise<{ code: number; out: string; err: string }> {
    const script = join(tmp, "list-as-user.mts");
    return fsp
      .writeFile(
        script,
        [
          `import { listRocketPoolKeys } from ${JSON.stringify(join(ROOT, "src/rocketpool/datadir.ts"))};`,
          "try { await listRocketPoolKeys(process.argv[2]); console.log('ok'); }",
          "catch (e) { console.log(JSON.stringify({ name: e.name, short: e.shortMessage, file: e.file, message: e.message })); }",
        ].join("\n"),
      )
      .then(
        () =>
          new Promise((resolve) => {
            execFile(
              process.execPath,
              ["--import", "tsx", script, dataDir],
              {
                cwd: ROOT,
                ...(process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {}),
                env: { ...process.env, HOME: tmp },
              },
              (error, out, err) => resolve({ code: error ? 1 : 0, out, err }),
            );
          }),
      );
  }

  test("an unreadable keystore and an unreadable key folder are reported as such, with the hint", async () => {
    const d = await copyData();
    await fsp.rm(join(d, "wallet"));
    // Let the unprivileged reader into the copy, except for what the test locks.
    execFileSync("chmod", ["-R", "a+rX", join(d, "..", "..")]);
    await fsp.chmod(tmp, 0o755);
    const teku = PER_KEY_LAYOUTS.find((l) => l.client === "teku");
    const ks = join(d, teku?.keystore(fx.pubkeys[0] as string) ?? "");
    await fsp.chmod(ks, 0o000);
    let r = await listAsUser(d);
    let res = JSON.parse(r.out.trim().split("\n").at(-1) ?? "{}");
    assert.equal(res.name, "InputError", r.out + r.err);
    assert.equal(res.file, ks);
    assert.match(res.short, /Cannot read teku keystore/);
    assert.match(res.message, /owned by root/);
    await fsp.chmod(ks, 0o644);
    // A key's folder without search permission: its keystore is not "missing".
    const lh = PER_KEY_LAYOUTS.find((l) => l.client === "lighthouse");
    const folder = join(d, lh?.listDir ?? "", fx.pubkeys[1] as string);
    await fsp.chmod(folder, 0o700);
    r = await listAsUser(d);
    res = JSON.parse(r.out.trim().split("\n").at(-1) ?? "{}");
    assert.equal(res.name, "InputError", r.out + r.err);
    assert.match(res.short, /Cannot read lighthouse keystore/);
    assert.equal(res.file, join(folder, "voting-keystore.json"));
    assert.doesNotMatch(res.message, /missing/);
  });
});
