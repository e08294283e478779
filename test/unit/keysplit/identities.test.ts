/**
 * p2p identities in an rpdvt cluster (issue 12 item 5): `keys split --format cluster --peer-ids`
 * writes them, and setClusterIdentities (`rpdvt cluster set-identities`) adds them to an existing
 * output with a recomputed hash in every cluster.json — deterministic, so an operator holding only
 * its folder gets the same hash; bad, unknown and duplicate peer ids are refused before writing.
 * n = 4 and n = 7, 22 validators.
 */
import assert from "node:assert/strict";
import { promises as fsp } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { clusterSetIdentitiesCommand } from "../../../src/cli/cluster.js";
import { InputError, VerificationError } from "../../../src/errors.js";
import {
  readClusterDefinition,
  setClusterIdentities,
  verifyCluster,
  writeCluster,
} from "../../../src/keysplit/cluster.js";
import { splitValidatorKey } from "../../../src/keysplit/split.js";
import { generateIdentity, identityString } from "../../../src/p2p/identity.js";
import { makeTempDir, randomValidatorKey, readJson, runCommand } from "../../helpers.js";

const LIGHT = { n: 2 ** 10 };
const FEE = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";

let root: string;
before(async () => {
  root = await makeTempDir("identities");
});
after(() => fsp.rm(root, { recursive: true, force: true }));

async function cluster(name: string, ids: number[], validators: number, withIds = false) {
  const keys = Array.from({ length: validators }, (_, i) =>
    randomValidatorKey(`m/12381/3600/${i}/0/0`),
  );
  const peers = ids.map(() => identityString(generateIdentity()));
  const out = join(root, name);
  await writeCluster(
    out,
    keys.map((k) => splitValidatorKey(k, ids)),
    {
      operators: ids.map((id, i) => ({
        id,
        endpoint: `127.0.0.1:${9000 + id}`,
        ...(withIds ? { identity: peers[i] as string } : {}),
      })),
      feeRecipients: FEE,
      kdfParams: LIGHT,
      quiet: true,
    },
  );
  return { out, peers };
}

describe("setClusterIdentities", () => {
  for (const [n, validators] of [
    [4, 22],
    [7, 22],
  ] as const) {
    test(`n=${n}, ${validators} validators: every cluster.json updated with one recomputed hash`, async () => {
      const ids = Array.from({ length: n }, (_, i) => 10 * (i + 1));
      const { out, peers } = await cluster(`set-${n}`, ids, validators);
      const before = await readClusterDefinition(join(out, "cluster.json"));
      assert.ok(before.operators.every((o) => o.identity === null));
      // A standalone copy of one operator's folder, as the operator would hold it.
      const solo = join(root, `solo-${n}`);
      await fsp.cp(join(out, `operator-${ids[0]}`), solo, { recursive: true });

      const map = new Map(ids.map((id, i) => [id, peers[i] as string]));
      const r = await setClusterIdentities(out, map);
      assert.equal(r.previousHash, before.hash);
      assert.notEqual(r.hash, before.hash);
      assert.deepEqual(r.changed, ids);
      assert.deepEqual(r.missing, []);
      assert.equal(r.files.length, n + 1);
      assert.equal(r.files.at(-1), join(out, "cluster.json"));
      const top = await readClusterDefinition(join(out, "cluster.json"));
      assert.equal(top.hash, r.hash);
      assert.equal(top.createdAt, before.createdAt);
      assert.deepEqual(
        top.operators.map((o) => o.identity),
        peers,
      );
      assert.deepEqual({ ...top, operators: [], hash: "" }, { ...before, operators: [], hash: "" });
      for (const id of ids) {
        assert.deepEqual(await readJson(join(out, `operator-${id}`, "cluster.json")), top);
      }
      assert.match(await fsp.readFile(join(out, "README.txt"), "utf8"), new RegExp(r.hash));
      // The operator's own copy, updated alone, gets the same hash.
      const soloResult = await setClusterIdentities(solo, map);
      assert.equal(soloResult.hash, r.hash);
      // Idempotent: applying it again changes nothing.
      const again = await setClusterIdentities(out, map);
      assert.deepEqual(again.files, []);
      assert.equal(again.hash, r.hash);
      if (n === 4) {
        const report = await verifyCluster(out, { quiet: true });
        assert.equal(report.validators, validators);
      }
    });
  }

  test("partial: the others stay null and are reported missing", async () => {
    const ids = [1, 2, 3, 4];
    const { out, peers } = await cluster("partial", ids, 3);
    const r = await setClusterIdentities(out, new Map([[2, peers[1] as string]]));
    assert.deepEqual(r.changed, [2]);
    assert.deepEqual(r.missing, [1, 3, 4]);
    const def = await readClusterDefinition(join(out, "operator-3", "cluster.json"));
    assert.deepEqual(
      def.operators.map((o) => o.identity),
      [null, peers[1], null, null],
    );
  });

  test("refused before writing: unknown operator, invalid peer id, duplicate peer id, differing folders", async () => {
    const ids = [1, 2, 3, 4];
    const { out, peers } = await cluster("refuse", ids, 2);
    const text = await fsp.readFile(join(out, "cluster.json"), "utf8");
    await assert.rejects(
      setClusterIdentities(out, new Map([[9, peers[0] as string]])),
      (e: unknown) => e instanceof InputError && /not in this cluster/.test(e.shortMessage),
    );
    await assert.rejects(
      setClusterIdentities(out, new Map([[1, "16Uiu2HAnotapeerid"]])),
      (e: unknown) => e instanceof InputError && /secp256k1 peer id/.test(e.shortMessage),
    );
    await assert.rejects(
      setClusterIdentities(
        out,
        new Map([
          [1, peers[0] as string],
          [2, peers[0] as string],
        ]),
      ),
      (e: unknown) => e instanceof InputError && /same peer id/.test(e.shortMessage),
    );
    assert.equal(await fsp.readFile(join(out, "cluster.json"), "utf8"), text);
    // One operator folder already updated on its own: the output is inconsistent, refuse.
    await setClusterIdentities(join(out, "operator-2"), new Map([[1, peers[0] as string]]));
    await assert.rejects(
      setClusterIdentities(out, new Map([[1, peers[0] as string]])),
      (e: unknown) => e instanceof VerificationError && /differs/.test(e.shortMessage),
    );
  });

  test("keys split --peer-ids writes them; the CLI set-identities prints the new hash", async () => {
    const ids = [1, 2, 3, 4];
    const { out, peers } = await cluster("cli", ids, 2, true);
    const def = await readClusterDefinition(join(out, "cluster.json"));
    assert.deepEqual(
      def.operators.map((o) => o.identity),
      peers,
    );
    const fresh = ids.map(() => identityString(generateIdentity()));
    const r = await runCommand(clusterSetIdentitiesCommand(), [
      "--cluster",
      out,
      "--peer-ids",
      ids.map((id, i) => `${id}=${fresh[i]}`).join(","),
    ]);
    assert.equal(r.code, undefined, r.stderr);
    const after = await readClusterDefinition(join(out, "cluster.json"));
    assert.match(r.stdout, new RegExp(`${def.hash} -> ${after.hash}`));
    const bad = await runCommand(clusterSetIdentitiesCommand(), [
      "--cluster",
      out,
      "--peer-ids",
      "1=nope",
    ]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /--peer-ids \(operator 1\)/);
  });
});
