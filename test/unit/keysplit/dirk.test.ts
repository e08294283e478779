/** Dirk distributed accounts: write → verify → decrypt → recover, tampering, atomicity. */
import assert from "node:assert/strict";
import { promises as fsp } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { publicKeyOf } from "../../../src/crypto/bls.js";
import { decryptCrypto } from "../../../src/crypto/eip2335.js";
import { evalPoly, recoverSecret, scalarToBytes } from "../../../src/crypto/shamir.js";
import { InputError, OutputError, VerificationError } from "../../../src/errors.js";
import { detectDirk, verifyDirk, writeDirk } from "../../../src/keysplit/dirk.js";
import {
  evaluateVerificationVector,
  polynomialCoefficients,
  verificationVector,
} from "../../../src/keysplit/dirk-vvec.js";
import { type SplitValidator, splitValidatorKey } from "../../../src/keysplit/split.js";
import { toHex } from "../../../src/util/hex.js";
import { makeTempDir, randomValidatorKey, readJson } from "../../helpers.js";

const LIGHT = { c: 2 ** 10 };
const IDS = [11, 22, 33, 44];
const ENDPOINTS = IDS.map((id) => ({ id, endpoint: `signer-${id}.example.org:${13000 + id}` }));

function splitOne(ids = IDS): { secret: Uint8Array; sv: SplitValidator } {
  const key = randomValidatorKey();
  return { secret: key.secret, sv: splitValidatorKey(key, ids) };
}

type Json = Record<string, unknown>;

/** participant id → { walletDir, accounts by name }. */
async function layout(out: string) {
  const summary = await readJson(join(out, "distributed-accounts.json"));
  const result = new Map<
    number,
    { walletDir: string; passphrase: string; accounts: Map<string, { file: string; json: Json }> }
  >();
  for (const p of summary.participants as { id: number; walletUuid: string }[]) {
    const walletDir = join(out, `participant-${p.id}`, "wallets", p.walletUuid);
    const accounts = new Map<string, { file: string; json: Json }>();
    for (const name of await fsp.readdir(walletDir)) {
      if (name === p.walletUuid || name === "index") continue;
      const json = await readJson(join(walletDir, name));
      accounts.set(json.name as string, { file: join(walletDir, name), json });
    }
    const passphrase = await fsp.readFile(
      join(out, `participant-${p.id}`, "passphrase.txt"),
      "utf8",
    );
    result.set(p.id, { walletDir, passphrase, accounts });
  }
  return { summary, participants: result };
}

let root: string;
before(async () => {
  root = await makeTempDir("dirk");
});
after(async () => {
  await fsp.rm(root, { recursive: true, force: true });
});

const a = splitOne();
const b = splitOne();

async function written(name: string): Promise<string> {
  const out = join(root, name);
  await writeDirk(out, [a.sv, b.sv], { participants: ENDPOINTS, kdfParams: LIGHT, quiet: true });
  return out;
}

describe("verification vector (dirk-vvec)", () => {
  test("coefficients reproduce every share; vvec[0] is the validator key; evaluation gives share keys", () => {
    const coeffs = polynomialCoefficients(a.sv.shares.slice(0, 3));
    assert.equal(coeffs.length, 3);
    assert.deepEqual(scalarToBytes(coeffs[0]!), a.secret);
    for (const s of a.sv.shares)
      assert.deepEqual(scalarToBytes(evalPoly(coeffs, BigInt(s.id))), s.secret);
    const vvec = verificationVector(a.sv.shares, 3);
    assert.deepEqual(vvec[0], a.sv.pubkey);
    for (const s of a.sv.shares) assert.deepEqual(evaluateVerificationVector(vvec, s.id), s.pubkey);
    assert.notDeepEqual(evaluateVerificationVector(vvec, 55), a.sv.shares[0]!.pubkey);
  });
});

describe("writeDirk / verifyDirk", () => {
  test("round trip: store layout, account fields, shares decrypt and t of them recover the key", async () => {
    const out = join(root, "rt");
    const res = await writeDirk(out, [a.sv, b.sv], {
      participants: ENDPOINTS,
      kdfParams: LIGHT,
      quiet: true,
      walletName: "RP",
    });
    assert.equal(res.files, 2 + 4 * 3 + 8);
    const entries = await fsp.readdir(out, { withFileTypes: true, recursive: true });
    assert.equal(entries.filter((e) => e.isFile()).length, res.files);
    for (const e of entries) {
      const mode = (await fsp.stat(join(e.parentPath, e.name))).mode & 0o777;
      assert.equal(mode, e.isDirectory() ? 0o700 : 0o600, join(e.parentPath, e.name));
    }

    const { summary, participants } = await layout(out);
    assert.equal(summary.threshold, 3);
    assert.equal(summary.wallet, "RP");
    for (const p of participants.values()) {
      const walletUuid = p.walletDir.split("/").pop() as string;
      const wallet = await readJson(join(p.walletDir, walletUuid));
      assert.deepEqual(wallet, { name: "RP", type: "distributed", uuid: walletUuid, version: 1 });
      const index = (await readJson(join(p.walletDir, "index"))) as unknown as {
        uuid: string;
        name: string;
      }[];
      assert.deepEqual(
        index.map((e) => e.name).sort(),
        [toHex(a.sv.pubkey), toHex(b.sv.pubkey)].sort(),
      );
      for (const e of index) assert.equal(p.accounts.get(e.name)?.json.uuid, e.uuid);
      assert.match(p.passphrase, /^[0-9a-f]{64}$/);
      for (const { json } of p.accounts.values()) {
        assert.deepEqual(Object.keys(json).sort(), [
          "crypto",
          "encryptor",
          "name",
          "participants",
          "pubkey",
          "signing_threshold",
          "uuid",
          "verificationvector",
          "version",
        ]);
        assert.equal(json.encryptor, "keystore");
        assert.equal(json.version, 4);
        assert.equal(json.signing_threshold, 3);
        assert.deepEqual(
          json.participants,
          Object.fromEntries(ENDPOINTS.map((e) => [String(e.id), e.endpoint])),
        );
        assert.match(json.pubkey as string, /^[0-9a-f]{96}$/, "hex without 0x, like Go's %x");
        assert.equal((json.verificationvector as string[]).length, 3);
      }
    }
    assert.notEqual(participants.get(11)!.passphrase, participants.get(22)!.passphrase);

    for (const { secret, sv } of [a, b]) {
      const name = toHex(sv.pubkey);
      const shares = [];
      for (const id of IDS) {
        const p = participants.get(id)!;
        const acc = p.accounts.get(name)!;
        assert.equal(
          (acc.json.verificationvector as string[])[0],
          toHex(sv.pubkey, false),
          "vvec[0] = composite key",
        );
        const share = await decryptCrypto(acc.json.crypto as never, p.passphrase);
        assert.deepEqual(share, sv.shares.find((s) => s.id === id)!.secret);
        assert.equal(acc.json.pubkey, toHex(publicKeyOf(share), false));
        shares.push({ id, secret: share });
      }
      assert.deepEqual(recoverSecret(shares.slice(0, 3)), secret);
      assert.deepEqual(recoverSecret(shares.slice(1)), secret);
      assert.notDeepEqual(
        recoverSecret(shares.slice(0, 2)),
        secret,
        "t−1 shares do not recover the key",
      );
    }

    const report = await verifyDirk(out);
    assert.equal(report.format, "dirk-distributed v1");
    assert.deepEqual(report.operators, IDS);
    assert.equal(report.threshold, 3);
    assert.equal(report.validators, 2);
    const readme = await fsp.readFile(join(out, "README.txt"), "utf8");
    assert.match(readme, /id: <id>/);
    assert.match(readme, /11: signer-11\.example\.org:13011/);
    assert.equal(await detectDirk(out), true);
    assert.equal(await detectDirk(root), false);
  });

  test("real defaults: pbkdf2 c=2^18 (keystorev4 default) and endpoints dirk-<id>:13141", async () => {
    const out = join(root, "defaults");
    const one = splitOne([1, 2, 3, 4]);
    const started = performance.now();
    await writeDirk(out, [one.sv], { quiet: true });
    const { participants } = await layout(out);
    const acc = [...participants.get(1)!.accounts.values()][0]!.json as {
      crypto: { kdf: { function: string; params: { c: number } } };
      participants: Json;
    };
    assert.equal(acc.crypto.kdf.function, "pbkdf2");
    assert.equal(acc.crypto.kdf.params.c, 262144);
    assert.deepEqual(acc.participants, {
      1: "dirk-1:13141",
      2: "dirk-2:13141",
      3: "dirk-3:13141",
      4: "dirk-4:13141",
    });
    assert.equal((await verifyDirk(out)).validators, 1);
    process.stderr.write(
      `dirk: 1 validator x 4 participants, pbkdf2 2^18, write+verify ${(performance.now() - started).toFixed(0)} ms\n`,
    );
  });

  test("wrong passphrase file is rejected, naming the account file", async () => {
    const out = await written("badpw");
    await fsp.writeFile(join(out, "participant-33", "passphrase.txt"), "wrong");
    await assert.rejects(verifyDirk(out), (e: unknown) => {
      assert.ok(e instanceof InputError);
      assert.equal(e.field, "crypto.checksum");
      assert.ok(e.file?.startsWith(join(out, "participant-33", "wallets")));
      return true;
    });
  });

  test("a share swapped between two accounts is rejected (not on the verification vector)", async () => {
    const out = await written("swap");
    const { participants } = await layout(out);
    const p = participants.get(22)!;
    const accA = p.accounts.get(toHex(a.sv.pubkey))!;
    const accB = p.accounts.get(toHex(b.sv.pubkey))!;
    await fsp.writeFile(
      accA.file,
      JSON.stringify({ ...accA.json, crypto: accB.json.crypto, pubkey: accB.json.pubkey }),
    );
    await assert.rejects(
      verifyDirk(out),
      (e: unknown) =>
        e instanceof VerificationError && /participant 22 is not on/.test(e.shortMessage),
    );
  });

  test("wrong threshold is rejected (summary and account)", async () => {
    const out = await written("thr");
    const file = join(out, "distributed-accounts.json");
    const summary = await readJson(file);
    await fsp.writeFile(file, JSON.stringify({ ...summary, threshold: 2 }));
    await assert.rejects(
      verifyDirk(out),
      (e: unknown) => e instanceof InputError && e.field === "threshold",
    );

    const out2 = await written("thr2");
    const acc = [...(await layout(out2)).participants.get(44)!.accounts.values()][0]!;
    await fsp.writeFile(acc.file, JSON.stringify({ ...acc.json, signing_threshold: 4 }));
    await assert.rejects(
      verifyDirk(out2),
      (e: unknown) => e instanceof InputError && e.field === "signing_threshold",
    );
  });

  test("participants that differ between accounts are rejected", async () => {
    const out = await written("parts");
    const acc = [...(await layout(out)).participants.get(11)!.accounts.values()][0]!;
    const participants = { ...(acc.json.participants as Json), 44: "evil.example.org:1" };
    await fsp.writeFile(acc.file, JSON.stringify({ ...acc.json, participants }));
    await assert.rejects(
      verifyDirk(out),
      (e: unknown) => e instanceof InputError && e.field === "participants",
    );
  });

  test("a composite key / verification vector edited in the summary is rejected", async () => {
    const out = await written("composite");
    const file = join(out, "distributed-accounts.json");
    const summary = await readJson(file);
    const accounts = summary.accounts as Json[];
    const wrong = toHex(b.sv.pubkey);
    accounts[0] = {
      ...accounts[0],
      compositePubkey: wrong,
      verificationVector: [wrong, ...(accounts[0]!.verificationVector as string[]).slice(1)],
    };
    await fsp.writeFile(file, JSON.stringify(summary));
    await assert.rejects(
      verifyDirk(out),
      (e: unknown) =>
        e instanceof VerificationError &&
        /Verification vector of .* differs at participant 11/.test(e.shortMessage),
    );
  });

  test("participant options are validated before writing", async () => {
    const out = join(root, "never");
    await assert.rejects(
      writeDirk(out, [a.sv], { participants: ENDPOINTS.slice(1), kdfParams: LIGHT, quiet: true }),
      (e: unknown) => e instanceof InputError && /missing 11/.test(e.details ?? ""),
    );
    await assert.rejects(
      writeDirk(out, [a.sv], {
        participants: ENDPOINTS.map((p) => ({ ...p, endpoint: "no port" })),
        kdfParams: LIGHT,
        quiet: true,
      }),
      InputError,
    );
    await assert.rejects(
      writeDirk(out, [a.sv, splitOne([1, 2, 3, 4]).sv], { kdfParams: LIGHT, quiet: true }),
      InputError,
    );
    await assert.rejects(fsp.access(out));
  });

  test("an existing output is refused; an unwritable parent gives OutputError and no leftovers", async () => {
    const out = join(root, "exists");
    await fsp.mkdir(out);
    await assert.rejects(writeDirk(out, [a.sv], { kdfParams: LIGHT, quiet: true }), OutputError);
    assert.deepEqual(await fsp.readdir(out), []);
    const name = `rpdvt-dirk-${process.pid}`;
    await assert.rejects(
      writeDirk(join("/sys", name), [a.sv], { kdfParams: LIGHT, quiet: true }),
      OutputError,
    );
    assert.ok(!(await fsp.readdir("/sys")).some((n) => n.includes(name)));
  });
});
