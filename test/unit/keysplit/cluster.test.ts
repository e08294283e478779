/** rpdvt cluster format: write → verify → load shares → recover, tampering, atomicity. */
import assert from "node:assert/strict";
import { promises as fsp } from "node:fs";
import { join } from "node:path";
import { after, before, describe, mock, test } from "node:test";
import { recoverSecret } from "../../../src/crypto/shamir.js";
import { InputError, OutputError, VerificationError } from "../../../src/errors.js";
import {
  detectCluster,
  loadOperator,
  loadOperatorShares,
  readClusterDefinition,
  verifyCluster,
  writeCluster,
} from "../../../src/keysplit/cluster.js";
import { clusterDefinitionHash } from "../../../src/keysplit/cluster-hash.js";
import { detectDirk } from "../../../src/keysplit/dirk.js";
import { detectObol } from "../../../src/keysplit/obol.js";
import { type SplitValidator, splitValidatorKey } from "../../../src/keysplit/split.js";
import { toHex } from "../../../src/util/hex.js";
import { makeTempDir, randomValidatorKey, readJson } from "../../helpers.js";

const LIGHT = { n: 2 ** 10 };
const IDS = [11, 22, 33, 44];
const OPERATORS = [
  { id: 11, name: "alice", endpoint: "alice.example.org:9000" },
  { id: 22 },
  { id: 33 },
  { id: 44, name: "dan" },
];
const FEE = "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed";
const FEE_55 = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";
const FEE2_55 = "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359";

function splitOne(ids = IDS): { secret: Uint8Array; sv: SplitValidator } {
  const key = randomValidatorKey("m/12381/3600/7/0/0");
  return { secret: key.secret, sv: splitValidatorKey(key, ids) };
}

type Json = Record<string, unknown>;
/** Write a definition edited by `edit`, re-hashed when `rehash` (a "valid-looking" forgery). */
async function editDefinition(
  file: string,
  edit: (d: Json) => void,
  rehash: boolean,
): Promise<void> {
  const def = await readJson(file);
  edit(def);
  if (rehash) def.hash = clusterDefinitionHash(def);
  await fsp.writeFile(file, JSON.stringify(def, null, 2));
}

let root: string;
before(async () => {
  root = await makeTempDir("cluster");
});
after(async () => {
  await fsp.rm(root, { recursive: true, force: true });
});

const a = splitOne();
const b = splitOne();
const fees = new Map([
  [toHex(a.sv.pubkey), FEE],
  [toHex(b.sv.pubkey).toUpperCase().replace("0X", "0x"), FEE2_55],
]);

async function written(name: string): Promise<string> {
  const out = join(root, name);
  await writeCluster(out, [a.sv, b.sv], {
    operators: OPERATORS,
    feeRecipients: fees,
    kdfParams: LIGHT,
    quiet: true,
  });
  return out;
}

describe("writeCluster / readClusterDefinition / loadOperatorShares / verifyCluster", () => {
  test("round trip: definition, hash, per-operator shares that t of recover each key", async () => {
    const out = join(root, "rt");
    const res = await writeCluster(out, [a.sv, b.sv], {
      operators: OPERATORS,
      feeRecipients: fees,
      name: "rp-node-1",
      kdfParams: LIGHT,
      quiet: true,
    });
    assert.equal(res.files, 2 + 4 * 2 + 8);
    const entries = await fsp.readdir(out, { withFileTypes: true, recursive: true });
    assert.equal(entries.filter((e) => e.isFile()).length, res.files);
    for (const e of entries) {
      const mode = (await fsp.stat(join(e.parentPath, e.name))).mode & 0o777;
      assert.equal(mode, e.isDirectory() ? 0o700 : 0o600, join(e.parentPath, e.name));
    }

    const def = await readClusterDefinition(join(out, "cluster.json"));
    assert.equal(def.version, "rpdvt-cluster/v1");
    assert.equal(def.name, "rp-node-1");
    assert.equal(def.threshold, 3);
    assert.ok(!Number.isNaN(Date.parse(def.createdAt)));
    assert.deepEqual(def.operators, [
      { id: 11, name: "alice", identity: null, endpoint: "alice.example.org:9000" },
      { id: 22, identity: null },
      { id: 33, identity: null },
      { id: 44, name: "dan", identity: null },
    ]);
    assert.deepEqual(
      def.validators.map((v) => v.feeRecipient),
      [FEE_55, FEE2_55],
    );
    assert.equal(def.validators[0]?.path, "m/12381/3600/7/0/0");
    assert.deepEqual(
      def.validators[1]?.shares,
      b.sv.shares.map((s) => ({ operatorId: s.id, pubkey: toHex(s.pubkey) })),
    );
    const raw = await readJson(join(out, "cluster.json"));
    assert.equal(def.hash, clusterDefinitionHash(raw));
    const topText = await fsp.readFile(join(out, "cluster.json"), "utf8");
    for (const id of IDS)
      assert.equal(
        await fsp.readFile(join(out, `operator-${id}`, "cluster.json"), "utf8"),
        topText,
      );
    const ksNames = await fsp.readdir(join(out, "operator-22", "keystores"));
    assert.deepEqual(
      ksNames.sort(),
      [a, b].map((x) => `share-${toHex(x.sv.pubkey).slice(0, 18)}.json`).sort(),
    );

    const byOperator = new Map<number, Map<string, Uint8Array>>();
    for (const id of IDS) {
      const pw = await fsp.readFile(join(out, `operator-${id}`, "password.txt"), "utf8");
      assert.match(pw, /^[0-9a-f]{64}$/);
      const op = await loadOperator(join(out, `operator-${id}`), undefined, { quiet: true });
      assert.equal(op.operatorId, id);
      byOperator.set(id, await loadOperatorShares(join(out, `operator-${id}`), pw));
    }
    for (const { secret, sv } of [a, b]) {
      const shares = IDS.map((id) => ({
        id,
        secret: byOperator.get(id)?.get(toHex(sv.pubkey)) as Uint8Array,
      }));
      for (const [i, s] of shares.entries()) assert.deepEqual(s.secret, sv.shares[i]?.secret);
      assert.deepEqual(recoverSecret(shares.slice(0, 3)), secret);
      assert.deepEqual(recoverSecret([shares[0]!, shares[2]!, shares[3]!]), secret);
      assert.notDeepEqual(
        recoverSecret(shares.slice(2)),
        secret,
        "t−1 shares do not recover the key",
      );
    }

    for (const path of [out, join(out, "operator-33"), join(out, "cluster.json")]) {
      const report = await verifyCluster(path, { quiet: true });
      assert.equal(report.format, "rpdvt-cluster v1");
      assert.deepEqual(report.operators, IDS);
      assert.equal(report.threshold, 3);
      assert.equal(report.validators, 2);
      assert.equal(await detectCluster(path), true);
    }
    assert.equal(await detectCluster(root), false);
    assert.equal(await detectObol(out), false);
    assert.equal(await detectDirk(out), false);
    assert.match(await fsp.readFile(join(out, "README.txt"), "utf8"), new RegExp(def.hash));
  });

  // Real defaults (scrypt n = 2^18 share keystores): test/integration/keysplit/cluster-real-kdf.test.ts.

  test("an edited hash, or an edit without re-hashing, is rejected", async () => {
    const out = await written("hash");
    const file = join(out, "operator-11", "cluster.json");
    await editDefinition(
      file,
      (d) => {
        d.hash = `0x${"00".repeat(32)}`;
      },
      false,
    );
    await assert.rejects(readClusterDefinition(file), (e: unknown) => {
      return (
        e instanceof VerificationError &&
        /hash does not match/.test(e.shortMessage) &&
        e.metaMessages.includes("Field: hash")
      );
    });
    const top = join(out, "cluster.json");
    await editDefinition(
      top,
      (d) => {
        d.name = "renamed";
      },
      false,
    );
    await assert.rejects(
      verifyCluster(out, { quiet: true }),
      (e: unknown) => e instanceof VerificationError && /hash/.test(e.shortMessage),
    );
  });

  test("a re-hashed wrong threshold is rejected", async () => {
    const out = await written("thr");
    const file = join(out, "cluster.json");
    await editDefinition(
      file,
      (d) => {
        d.threshold = 2;
      },
      true,
    );
    await assert.rejects(
      readClusterDefinition(file),
      (e: unknown) => e instanceof InputError && e.field === "threshold",
    );
  });

  test("re-hashed share public keys swapped between operators are refused (not on one polynomial)", async () => {
    const out = await written("swapdef");
    const file = join(out, "cluster.json");
    await editDefinition(
      file,
      (d) => {
        const shares = (d.validators as { shares: { pubkey: string }[] }[])[0]!.shares;
        [shares[0]!.pubkey, shares[1]!.pubkey] = [shares[1]!.pubkey, shares[0]!.pubkey];
      },
      true,
    );
    await assert.rejects(
      verifyCluster(file),
      (e: unknown) =>
        e instanceof VerificationError &&
        // two of four swapped: {11,22} and {33,44} each fit a polynomial through the key, so
        // which pair is wrong cannot be told
        /shares of validator 0x[0-9a-f]{96} do not lie on one polynomial through its key \(several are wrong\)/.test(
          e.shortMessage,
        ),
    );
  });

  test("a share keystore swapped into another operator's folder is rejected", async () => {
    const out = await written("swapks");
    const name = `share-${toHex(a.sv.pubkey).slice(0, 18)}.json`;
    await fsp.copyFile(
      join(out, "operator-22", "keystores", name),
      join(out, "operator-11", "keystores", name),
    );
    await assert.rejects(
      loadOperatorShares(join(out, "operator-11")),
      (e: unknown) =>
        e instanceof VerificationError && /belong to operators 11 and 22/.test(e.shortMessage),
    );
  });

  test("swapped operator folders are rejected", async () => {
    const out = await written("swapdir");
    await fsp.rename(join(out, "operator-11"), join(out, "tmp"));
    await fsp.rename(join(out, "operator-22"), join(out, "operator-11"));
    await fsp.rename(join(out, "tmp"), join(out, "operator-22"));
    await assert.rejects(
      verifyCluster(out, { quiet: true }),
      (e: unknown) =>
        e instanceof VerificationError && /holds the shares of operator 22/.test(e.shortMessage),
    );
  });

  test("a wrong password file is rejected, naming the keystore", async () => {
    const out = await written("badpw");
    await fsp.writeFile(join(out, "operator-44", "password.txt"), "nope");
    await assert.rejects(loadOperatorShares(join(out, "operator-44")), (e: unknown) => {
      return (
        e instanceof InputError &&
        e.field === "crypto.checksum" &&
        (e.file ?? "").startsWith(join(out, "operator-44", "keystores"))
      );
    });
  });

  test("re-hashed forgeries are still rejected: unknown member, bad checksum address, ids out of order, missing keystore", async () => {
    const out = await written("forge");
    const file = join(out, "cluster.json");
    const original = await fsp.readFile(file, "utf8");
    await editDefinition(
      file,
      (d) => {
        d.extra = 1;
      },
      true,
    );
    await assert.rejects(readClusterDefinition(file), InputError);
    await fsp.writeFile(file, original);
    await editDefinition(
      file,
      (d) => {
        (d.validators as Json[])[0]!.feeRecipient = FEE;
      },
      true,
    );
    await assert.rejects(
      readClusterDefinition(file),
      (e: unknown) => e instanceof InputError && e.field === "validators[0].feeRecipient",
    );
    await fsp.writeFile(file, original);
    await editDefinition(
      file,
      (d) => {
        (d.operators as Json[]).reverse();
      },
      true,
    );
    await assert.rejects(
      readClusterDefinition(file),
      (e: unknown) => e instanceof InputError && e.field === "operators",
    );
    await fsp.rm(
      join(out, "operator-33", "keystores", `share-${toHex(b.sv.pubkey).slice(0, 18)}.json`),
    );
    await assert.rejects(
      loadOperatorShares(join(out, "operator-33")),
      (e: unknown) => e instanceof InputError && /Missing share keystore/.test(e.shortMessage),
    );
  });

  test("inputs are checked before writing: operators, fee recipients", async () => {
    const out = join(root, "never");
    const base = { kdfParams: LIGHT, quiet: true } as const;
    await assert.rejects(
      writeCluster(out, [a.sv], { ...base, operators: OPERATORS.slice(1), feeRecipients: FEE }),
      InputError,
    );
    await assert.rejects(
      writeCluster(out, [a.sv, b.sv], {
        ...base,
        operators: OPERATORS,
        feeRecipients: new Map([[toHex(a.sv.pubkey), FEE]]),
      }),
      (e: unknown) => e instanceof InputError && /No fee recipient/.test(e.shortMessage),
    );
    await assert.rejects(
      writeCluster(out, [a.sv], {
        ...base,
        operators: OPERATORS,
        feeRecipients: "0x5AAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
      }),
      InputError,
    );
    await assert.rejects(fsp.access(out));
  });

  test("an existing output is refused; an unwritable parent gives OutputError", async () => {
    const out = join(root, "exists");
    await fsp.mkdir(out);
    const opts = { operators: OPERATORS, feeRecipients: FEE, kdfParams: LIGHT, quiet: true };
    await assert.rejects(writeCluster(out, [a.sv], opts), OutputError);
    assert.deepEqual(await fsp.readdir(out), []);
    const name = `rpdvt-cluster-${process.pid}`;
    await assert.rejects(writeCluster(join("/sys", name), [a.sv], opts), OutputError);
    assert.ok(!(await fsp.readdir("/sys")).some((n) => n.includes(name)));
  });

  test("a failure mid-way (disk full while keystores are being encrypted) leaves nothing at out and no temp dir", async () => {
    const parent = await fsp.mkdtemp(join(root, "midway-"));
    let calls = 0;
    const real = fsp.writeFile.bind(fsp);
    const m = mock.method(fsp, "writeFile", async (...args: Parameters<typeof fsp.writeFile>) => {
      calls++;
      if (calls === 14)
        throw Object.assign(new Error("no space left on device"), { code: "ENOSPC" });
      return real(...args);
    });
    try {
      await assert.rejects(
        writeCluster(join(parent, "out"), [a.sv, b.sv], {
          operators: OPERATORS,
          feeRecipients: FEE,
          kdfParams: LIGHT,
          quiet: true,
        }),
        (e: unknown) => e instanceof OutputError && e.details === "ENOSPC",
      );
    } finally {
      m.mock.restore();
    }
    assert.ok(calls >= 14);
    assert.deepEqual(await fsp.readdir(parent), []);
  });
});
