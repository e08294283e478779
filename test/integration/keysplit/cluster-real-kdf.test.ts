/**
 * The cluster writer's real defaults (src/keysplit/cluster.ts): share keystores use EIP-2335's
 * scrypt at its standard cost (n = 2^18, r = 8, p = 1). Real-cost keystores take seconds each, so
 * this test lives in test/integration (CONTRIBUTING, "Tests"); the light-KDF round trips and the
 * forgery checks stay in test/unit/keysplit/cluster.test.ts.
 */
import assert from "node:assert/strict";
import { promises as fsp } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { verifyCluster, writeCluster } from "../../../src/keysplit/cluster.js";
import { splitValidatorKey } from "../../../src/keysplit/split.js";
import { toHex } from "../../../src/util/hex.js";
import { makeTempDir, randomValidatorKey, readJson } from "../../helpers.js";

const FEE = "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed";

let root: string;
before(async () => {
  root = await makeTempDir("cluster-real-kdf");
});
after(async () => {
  await fsp.rm(root, { recursive: true, force: true });
});

test("real defaults: scrypt n=2^18 share keystores, one fee recipient for all", async () => {
  const out = join(root, "defaults");
  const sv = splitValidatorKey(randomValidatorKey("m/12381/3600/7/0/0"), [1, 2, 3, 4]);
  const started = performance.now();
  await writeCluster(out, [sv], {
    operators: [1, 2, 3, 4].map((id) => ({ id })),
    feeRecipients: FEE,
    quiet: true,
  });
  const ksDir = join(out, "operator-1", "keystores");
  const ks = await readJson(join(ksDir, (await fsp.readdir(ksDir))[0] as string));
  const kdf = (
    ks.crypto as { kdf: { function: string; params: { n: number; r: number; p: number } } }
  ).kdf;
  assert.equal(kdf.function, "scrypt");
  assert.deepEqual([kdf.params.n, kdf.params.r, kdf.params.p], [262144, 8, 1]);
  assert.equal(ks.pubkey, toHex(sv.shares[0]!.pubkey, false), "keystore pubkey is the share's");
  assert.equal((await verifyCluster(out, { quiet: true })).validators, 1);
  process.stderr.write(
    `cluster: 1 validator x 4 operators, scrypt 2^18, write+verify ${(performance.now() - started).toFixed(0)} ms\n`,
  );
});
