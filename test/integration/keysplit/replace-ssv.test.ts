/**
 * `rpdvt cluster replace-operator --keyshares OLD.json` (issue 16 part 1, SSV): the real binary
 * re-splits the wallet's keys for the new operator set (44 → 55, and 4 → 7 operators) and writes
 * a new keyshares file with the owner's next nonce; SSV's own npm package ssv-keys@1.1.0 (the
 * harness of test/e2e/ssv-keys-interop.test.ts) validates it, and our verifier decrypts every
 * share with the operators' RSA keys. A nonce the old file already used is refused.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { splitValidatorKey } from "../../../src/keysplit/split.js";
import { verifySsvKeyshares, writeSsvKeyshares } from "../../../src/keysplit/ssv.js";
import { readOperatorsInfo } from "../../../src/keysplit/ssv-operators.js";
import { readRocketPoolKeys } from "../../../src/rocketpool/datadir.js";
import { writeRocketPoolFixture } from "../../../src/rocketpool/fixture.js";
import {
  copyDkgOperatorKeys,
  dkgOperatorsDir,
  makeTempDir,
  readJson,
  rpdvt,
  runNode,
} from "../../helpers.js";
import { ROOT } from "../../support/root.js";

const HARNESS = join(ROOT, "test/interop/ssv-keys/");
const OWNER = "0x012f55b6cc5d57f943f1e79cf00214b652513f88";
const VALIDATORS = 3;

let dir: string;
let rp: string;
let old: string;
let keys7: string;
let opsFile: string;
before(async () => {
  dir = await makeTempDir("replace-ssv");
  rp = join(dir, "rp");
  await writeRocketPoolFixture(rp, { validators: VALIDATORS, kdf: "fast" });
  const { keys } = await readRocketPoolKeys(rp);
  const dkg = await dkgOperatorsDir();
  opsFile = join(dkg, "operators_info.json");
  const ops = await readOperatorsInfo(opsFile, [11, 22, 33, 44]);
  old = join(dir, "old.json");
  await writeSsvKeyshares(
    old,
    keys.map((k) => splitValidatorKey(k, [11, 22, 33, 44])),
    { operators: ops, owner: OWNER, nonce: 0 },
  );
  keys7 = join(dir, "keys7");
  await copyDkgOperatorKeys(keys7, 7);
});
after(() => rm(dir, { recursive: true, force: true }));

async function ssvKeysAccepts(file: string): Promise<void> {
  assert.ok(
    existsSync(join(HARNESS, "node_modules/ssv-keys/package.json")),
    "ssv-keys harness not installed: bash test/interop/ssv-keys/install.sh",
  );
  const r = await runNode([join(HARNESS, "validate.cjs"), file], { cwd: HARNESS });
  const line = JSON.parse(r.out.trim()) as { ok: boolean; items?: number; error?: string };
  assert.equal(line.ok, true, `ssv-keys rejected ${file}: ${line.error}`);
  assert.equal(line.items, VALIDATORS);
}

describe("replace-operator --keyshares (SSV)", () => {
  const base = (out: string, ...more: string[]) => [
    "cluster",
    "replace-operator",
    "--keyshares",
    old,
    "--rocketpool-dir",
    rp,
    "--operators-file",
    opsFile,
    "--out",
    out,
    "--json",
    ...more,
  ];
  test("44 → 55: new keyshares with the next nonce, valid for ssv-keys, decrypting for the new set", async () => {
    const out = join(dir, "new-55.json");
    const r = await rpdvt(...base(out, "--replace", "44=55", "--nonce", "3"));
    assert.equal(r.code, 0, r.err);
    const res = JSON.parse(r.out);
    assert.deepEqual(
      [res.operators, res.removed, res.added, res.firstNonce],
      [[11, 22, 33, 55], [44], [55], 3],
    );
    await ssvKeysAccepts(out);
    const file = await readJson(out);
    const items = file.shares as {
      data: { ownerNonce: number };
      payload: { operatorIds: number[] };
    }[];
    assert.deepEqual(
      items.map((i) => i.data.ownerNonce),
      [3, 4, 5],
    );
    const report = await verifySsvKeyshares(out, { operatorKeysDir: keys7 });
    assert.match(report.checks.at(-1) ?? "", /operators 11,22,33,55 decrypt/);
  });
  test("4 → 7 operators, and a used nonce refused", async () => {
    const out = join(dir, "new-7.json");
    const r = await rpdvt(...base(out, "--operator-ids", "11,22,33,44,55,66,77", "--nonce", "6"));
    assert.equal(r.code, 0, r.err);
    await ssvKeysAccepts(out);
    const used = await rpdvt(...base(join(dir, "x.json"), "--replace", "44=55", "--nonce", "2"));
    assert.equal(used.code, 1);
    assert.match(used.err, /--nonce 2 was already used/);
    assert.doesNotMatch(used.err, /\n\s+at /, "no stack trace");
  });
});
