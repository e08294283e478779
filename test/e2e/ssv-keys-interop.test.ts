/**
 * Interop with SSV's own npm package ssv-keys@1.1.0 (installed apart, in test/interop/ssv-keys,
 * by its install.sh): ssv-keys must parse and validate the keyshares we build (4 and 7 operators,
 * bulk), must reject tampered copies (so the harness really validates), and our verifier must
 * accept — and fully decrypt — keyshares that ssv-keys builds. Operator keys are SSV's real
 * RSA keys from ssv-dkg's examples (ssv/dkg-operators in test/vectors.lock.json).
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { splitValidatorKey } from "../../src/keysplit/split.js";
import {
  type SsvKeysharesFile,
  verifySsvKeyshares,
  writeSsvKeyshares,
} from "../../src/keysplit/ssv.js";
import { readOperatorsInfo, type SsvOperatorKey } from "../../src/keysplit/ssv-operators.js";
import { toHex } from "../../src/util/hex.js";
import {
  copyDkgOperatorKeys,
  dkgOperatorsDir,
  flipByte,
  makeTempDir,
  type RunResult,
  randomValidatorKey,
  runNode,
} from "../helpers.js";
import { ROOT } from "../support/root.js";

const DKG_OPS = await dkgOperatorsDir();
const HARNESS = join(ROOT, "test/interop/ssv-keys/");
const INSTALL = "bash test/interop/ssv-keys/install.sh";
const OWNER = "0x012f55b6cc5d57f943f1e79cf00214b652513f88";
const IDS4 = [11, 22, 33, 44];
const IDS7 = [11, 22, 33, 44, 55, 66, 77];

type HarnessLine = { file: string; ok: boolean; items?: number; error?: string };

function assertHarnessInstalled(): void {
  assert.ok(
    existsSync(join(HARNESS, "node_modules/ssv-keys/package.json")),
    `The ssv-keys interop harness is not installed. Run:\n  ${INSTALL}\n(from the repository root; it needs the npm registry once)`,
  );
}

/** Run a harness script (test/interop/ssv-keys) with Node. */
function run(script: string, args: string[], stdin?: string): Promise<RunResult> {
  return runNode([join(HARNESS, script), ...args], { cwd: HARNESS, maxBuffer: 64 << 20, stdin });
}

async function ssvKeysValidate(files: string[]): Promise<{ code: number; lines: HarnessLine[] }> {
  const { code, out: stdout, err: stderr } = await run("validate.cjs", files);
  const lines = stdout
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as HarnessLine);
  assert.equal(lines.length, files.length, `harness output: ${stdout}\n${stderr}`);
  return { code, lines };
}

let dir = "";
/** op1..op7 + pw1..pw7 of dkg-operators: the private keys of operators 11..77. */
let keys7 = "";
let ops: SsvOperatorKey[] = [];
let seq = 0;

function newValidators(count: number, ids: number[]) {
  return Array.from({ length: count }, () => {
    const key = randomValidatorKey();
    return { secret: key.secret, split: splitValidatorKey(key, ids) };
  });
}

async function ours(
  count: number,
  ids: number[],
  nonce: number,
  version?: "v1.1.0" | "v1.2.0",
): Promise<string> {
  const out = join(dir, `ours-${seq++}-${ids.length}ops-${count}.json`);
  const operators = ops.filter((o) => ids.includes(o.id));
  await writeSsvKeyshares(
    out,
    newValidators(count, ids).map((v) => v.split),
    { operators, owner: OWNER, nonce, version },
  );
  return out;
}

async function tamper(file: string, edit: (f: SsvKeysharesFile) => void): Promise<string> {
  const json = JSON.parse(await readFile(file, "utf8")) as SsvKeysharesFile;
  edit(json);
  const out = join(dir, `tampered-${seq++}.json`);
  await writeFile(out, JSON.stringify(json));
  return out;
}

before(async () => {
  dir = await makeTempDir("ssv-interop");
  ops = await readOperatorsInfo(join(DKG_OPS, "operators_info.json"), IDS7);
  keys7 = join(dir, "keys7");
  await copyDkgOperatorKeys(keys7, 7);
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("ssv-keys@1.1.0 accepts rpdvt keyshares", () => {
  test("4 operators (1 validator), 7 operators (2), bulk 4 operators (6): all valid for ssv-keys and for us", async () => {
    assertHarnessInstalled();
    const files = [await ours(1, IDS4, 0), await ours(2, IDS7, 12), await ours(6, IDS4, 3)];
    const { code, lines } = await ssvKeysValidate(files);
    for (const l of lines) assert.equal(l.ok, true, `ssv-keys rejected ${l.file}: ${l.error}`);
    assert.deepEqual(
      lines.map((l) => l.items),
      [1, 2, 6],
    );
    assert.equal(code, 0);
    // and our own verifier, decrypting every share with the operators' private keys
    const report = await verifySsvKeyshares(files[1] as string, { operatorKeysDir: keys7 });
    assert.match(report.checks.at(-1) ?? "", /operators 11,22,33,44,55,66,77 decrypt .*\(14\)/);
  });

  test("tampered copies are rejected by ssv-keys too (signature, nonce, share key, version)", async () => {
    assertHarnessInstalled();
    const good = await ours(3, IDS4, 40);
    const sd = (f: SsvKeysharesFile, i: number) => f.shares[i]?.payload as { sharesData: string };
    const bad = [
      await tamper(good, (f) => {
        sd(f, 1).sharesData = flipByte(sd(f, 1).sharesData, 7);
      }),
      await tamper(good, (f) => {
        (f.shares[2]?.data as { ownerNonce: number }).ownerNonce = 99;
      }),
      await tamper(good, (f) => {
        sd(f, 0).sharesData = flipByte(sd(f, 0).sharesData, 96 + 48 + 47);
      }),
      await tamper(good, (f) => {
        f.version = "v1.0.0";
      }),
      await tamper(good, (f) => {
        (f.shares[0]?.data as { ownerAddress: string }).ownerAddress =
          "0x0000000000000000000000000000000000000001";
      }),
    ];
    const { code, lines } = await ssvKeysValidate([good, ...bad]);
    assert.equal(lines[0]?.ok, true, lines[0]?.error);
    for (const l of lines.slice(1))
      assert.equal(l.ok, false, `ssv-keys accepted tampered ${l.file}`);
    assert.match(lines[1]?.error ?? "", /shares\[1\]/);
    assert.match(lines[2]?.error ?? "", /shares\[2\].*signature is invalid/i);
    assert.match(lines[3]?.error ?? "", /shares\[0\]/);
    assert.match(lines[4]?.error ?? "", /same version/);
    assert.notEqual(code, 0);
    // our verifier rejects each of them as well
    for (const f of bad) await assert.rejects(verifySsvKeyshares(f));
  });

  test("version gate: ssv-keys 1.1.0 takes only v1.1.x, so a v1.2.0 file (valid for us) is refused", async () => {
    assertHarnessInstalled();
    const v12 = await ours(1, IDS4, 0, "v1.2.0");
    const { lines } = await ssvKeysValidate([v12]);
    assert.equal(lines[0]?.ok, false);
    assert.match(lines[0]?.error ?? "", /does not have the same version \(v1\.1\.0\)/);
    assert.equal((await verifySsvKeyshares(v12)).format, "ssv-keyshares v1.2.0");
  });
});

describe("rpdvt verifies keyshares built by ssv-keys@1.1.0", () => {
  test("4 and 7 operators: same JSON shape as ours; every share decrypts ('0x'+hex form) and matches", async () => {
    assertHarnessInstalled();
    for (const ids of [IDS4, IDS7]) {
      const vs = newValidators(2, ids);
      const input = {
        validators: vs.map((v) => ({ privateKey: toHex(v.secret) })),
        operators: ops
          .filter((o) => ids.includes(o.id))
          .map((o) => ({ id: o.id, operatorKey: o.publicKey })),
        owner: OWNER,
        nonce: 7,
      };
      const built = await run("build.cjs", [], JSON.stringify(input));
      assert.equal(built.code, 0, built.err);
      const theirs = JSON.parse(built.out) as SsvKeysharesFile;
      const file = join(dir, `ssv-keys-${ids.length}.json`);
      await writeFile(file, built.out);

      const mine = JSON.parse(await readFile(await ours(1, ids, 0), "utf8")) as SsvKeysharesFile;
      const shape = (f: SsvKeysharesFile) => [
        Object.keys(f),
        Object.keys(f.shares[0] ?? {}),
        Object.keys(f.shares[0]?.data ?? {}),
        Object.keys(f.shares[0]?.payload ?? {}),
        Object.keys(f.shares[0]?.data.operators[0] ?? {}),
      ];
      assert.deepEqual(shape(mine), shape(theirs));
      assert.deepEqual(theirs.shares[0]?.data.operators, mine.shares[0]?.data.operators);

      const report = await verifySsvKeyshares(file, { operatorKeysDir: keys7 });
      assert.equal(report.validators, 2);
      assert.deepEqual(report.operators, ids);
      assert.match(report.checks.join("\n"), /nonces 7\.\.8/);
      assert.match(report.checks.at(-1) ?? "", new RegExp(`decrypt .*\\(${2 * ids.length}\\)`));
      assert.deepEqual(
        theirs.shares.map((s) => s.data.publicKey),
        vs.map((v) => toHex(v.split.pubkey)),
      );
    }
  });
});
