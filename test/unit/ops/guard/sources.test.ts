/**
 * The key guard's sources (src/ops/guard/smartnode.ts, keymanager.ts): a cluster key in each
 * Smartnode client layout (Lighthouse, Lodestar, Nimbus, Teku, Prysm's store, custom-keys,
 * Lighthouse's validator_definitions.yml) and in a VC's keymanager listing is found, with the same
 * paths as the migration's final check (findKeysInSmartnode); keys outside the cluster are never
 * reported; a recreated / removed / replaced file is seen on the next look; what cannot be read is
 * a warning, never a crash.
 */
import assert from "node:assert/strict";
import { promises as fsp } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { createKeymanagerSource } from "../../../../src/ops/guard/keymanager.js";
import { createSmartnodeSource } from "../../../../src/ops/guard/smartnode.js";
import { createKeymanagerClient } from "../../../../src/ops/keymanager/client.js";
import { LIGHTHOUSE_DEFINITIONS } from "../../../../src/ops/quarantine/lighthouse.js";
import { findKeysInSmartnode } from "../../../../src/ops/quarantine/quarantine.js";
import { type FixtureResult, writeRocketPoolFixture } from "../../../../src/rocketpool/fixture.js";
import { PER_KEY_LAYOUTS, PRYSM, pubkeyName } from "../../../../src/rocketpool/layout.js";
import { makeTempDir } from "../../../helpers.js";
import { startFakeKeymanager, writeLighthouseDefinitions } from "../../../support/ops-fakes.js";

const hexOf = (pk: string) => pk.slice(2).toLowerCase();

let root: string;
let fx: FixtureResult;
/** Cluster validators: wallet accounts 0–11 and the first imported key; the rest are solo. */
let cluster: string[];
let solo: string[];

before(async () => {
  root = await makeTempDir("guard-sources");
  fx = await writeRocketPoolFixture(join(root, "full"), { validators: 24, customKeys: 2 });
  cluster = [...fx.pubkeys.slice(0, 12), fx.customPubkeys[0] as string].map(hexOf);
  solo = [...fx.pubkeys.slice(12), fx.customPubkeys[1] as string].map(hexOf);
});
after(async () => {
  await fsp.rm(root, { recursive: true, force: true });
});

/** A Smartnode data folder holding only the wallet, plus `rels` copied from the full fixture. */
async function partialDataDir(name: string, rels: string[]): Promise<string> {
  const dir = join(root, name, "data");
  await fsp.mkdir(dir, { recursive: true });
  await fsp.cp(join(fx.dataDir, "wallet"), join(dir, "wallet"));
  for (const rel of rels) {
    await fsp.mkdir(join(dir, rel, ".."), { recursive: true });
    await fsp.cp(join(fx.dataDir, rel), join(dir, rel), { recursive: true });
  }
  return dir;
}

describe("key guard: Smartnode folder source", () => {
  it("finds every cluster key in every layout, as findKeysInSmartnode does; solo keys untouched", async () => {
    await writeLighthouseDefinitions(fx.dataDir, fx.pubkeys.slice(0, 3));
    const src = createSmartnodeSource(fx.dataDir);
    const { found, warnings } = await src.find(new Set(cluster));
    assert.deepEqual(warnings, []);
    const reference = await findKeysInSmartnode(fx.dataDir, cluster);
    assert.deepEqual(
      new Map([...found].map(([h, w]) => [h, [...w].sort()])),
      new Map([...reference].map(([h, w]) => [h, [...w].sort()])),
    );
    assert.equal(found.size, cluster.length);
    for (const hex of cluster.slice(0, 12)) {
      const where = found.get(hex) ?? [];
      for (const layout of PER_KEY_LAYOUTS)
        assert.ok(where.includes(layout.keystore(pubkeyName(hex))), `${layout.client}: ${where}`);
      assert.ok(where.includes(PRYSM.keystore));
    }
    assert.ok(found.get(cluster[0] as string)?.some((w) => w.startsWith(LIGHTHOUSE_DEFINITIONS)));
    assert.ok(found.get(cluster[12] as string)?.some((w) => w.startsWith("custom-keys/")));
    for (const hex of solo) assert.equal(found.has(hex), false, `solo key ${hex} reported`);
    await fsp.rm(join(fx.dataDir, LIGHTHOUSE_DEFINITIONS));
  });

  const layouts: { name: string; rel: string; expect: (hex: string) => string }[] = [
    ...PER_KEY_LAYOUTS.map((l) => ({
      name: l.client,
      rel: join("validators", l.client),
      expect: (hex: string) => l.keystore(pubkeyName(hex)),
    })),
    { name: "prysm", rel: join("validators", "prysm-non-hd"), expect: () => PRYSM.keystore },
  ];
  for (const l of layouts) {
    it(`${l.name} layout alone: each wallet cluster key detected there, nothing else`, async () => {
      const dir = await partialDataDir(`only-${l.name}`, [l.rel]);
      const { found, warnings } = await createSmartnodeSource(dir).find(new Set(cluster));
      assert.deepEqual(warnings, []);
      // Imported keys are re-encrypted into every layout too (the Smartnode's import does).
      assert.deepEqual(
        [...found.keys()].sort(),
        [...cluster].sort(),
        "every cluster key, no solo key",
      );
      for (const hex of cluster) assert.deepEqual(found.get(hex), [l.expect(hex)]);
    });
  }

  it("custom-keys alone and Lighthouse definitions alone", async () => {
    const dir = await partialDataDir("only-custom", ["custom-keys", "custom-key-passwords"]);
    const src = createSmartnodeSource(dir);
    const r = await src.find(new Set(cluster));
    assert.deepEqual([...r.found.keys()], [cluster[12]]);
    assert.match(r.found.get(cluster[12] as string)?.[0] ?? "", /^custom-keys\/keystore-/);
    await fsp.mkdir(join(dir, LIGHTHOUSE_DEFINITIONS, ".."), { recursive: true });
    await writeLighthouseDefinitions(dir, [fx.pubkeys[5] as string, fx.pubkeys[20] as string]);
    const r2 = await src.find(new Set(cluster));
    assert.deepEqual(r2.found.get(hexOf(fx.pubkeys[5] as string)), [
      `${LIGHTHOUSE_DEFINITIONS} (enabled entry)`,
    ]);
    assert.equal(r2.found.has(hexOf(fx.pubkeys[20] as string)), false, "solo entry ignored");
  });

  it("a recreated keystore is seen on the next look, its removal too; a replaced custom key is re-read", async () => {
    const dir = await partialDataDir("live", []);
    const src = createSmartnodeSource(dir);
    const want = new Set(cluster);
    assert.equal((await src.find(want)).found.size, 0);
    const hex = cluster[4] as string;
    const teku = PER_KEY_LAYOUTS.find((l) => l.client === "teku");
    assert.ok(teku);
    const rel = teku.keystore(pubkeyName(hex));
    await fsp.mkdir(join(dir, rel, ".."), { recursive: true });
    await fsp.cp(join(fx.dataDir, rel), join(dir, rel));
    assert.deepEqual((await src.find(want)).found.get(hex), [rel]);
    await fsp.rm(join(dir, rel));
    assert.equal((await src.find(want)).found.size, 0);
    // A folder named after the key without its keystore file cannot be loaded: not a finding.
    const lh = PER_KEY_LAYOUTS[0];
    assert.ok(lh);
    await fsp.mkdir(join(dir, lh.keystore(pubkeyName(hex)), ".."), { recursive: true });
    assert.equal((await src.find(want)).found.size, 0);
    // custom-keys: same file name, other key inside → the cache notices (size/mtime/inode).
    const customDir = join(fx.dataDir, "custom-keys");
    const [soloFile, clusterFile] = await (async () => {
      const names = await fsp.readdir(customDir);
      const byKey = new Map<string, string>();
      for (const nm of names) {
        const ks = JSON.parse(await fsp.readFile(join(customDir, nm), "utf8")) as {
          pubkey: string;
        };
        byKey.set(ks.pubkey, nm);
      }
      return [byKey.get(solo[12] as string), byKey.get(cluster[12] as string)];
    })();
    assert.ok(soloFile && clusterFile);
    await fsp.mkdir(join(dir, "custom-keys"));
    await fsp.cp(join(customDir, soloFile), join(dir, "custom-keys", "imported.json"));
    assert.equal((await src.find(want)).found.size, 0);
    await fsp.rm(join(dir, "custom-keys", "imported.json"));
    await fsp.cp(join(customDir, clusterFile), join(dir, "custom-keys", "imported.json"));
    assert.deepEqual((await src.find(want)).found.get(cluster[12] as string), [
      join("custom-keys", "imported.json"),
    ]);
  });

  it("unreadable files are warnings naming the file, never a crash or a finding", async () => {
    const dir = await partialDataDir("broken", [join("validators", "prysm-non-hd")]);
    await fsp.writeFile(join(dir, PRYSM.password), "not the password");
    await fsp.mkdir(join(dir, "custom-keys"));
    await fsp.writeFile(join(dir, "custom-keys", "bad.json"), "{ not json");
    const r = await createSmartnodeSource(dir).find(new Set(cluster));
    assert.equal(r.found.size, 0);
    assert.equal(r.warnings.length, 2, r.warnings.join("\n"));
    assert.ok(r.warnings.some((w) => w.includes(PRYSM.keystore)));
    assert.ok(r.warnings.some((w) => w.includes("custom-keys/bad.json")));
    assert.ok(r.warnings.every((w) => !w.includes("not the password")));
  });
});

describe("key guard: keymanager source", () => {
  it("a cluster key the VC lists is found at its URL; solo keys ignored; a refused token is a warning", async () => {
    const keys = [fx.pubkeys[3] as string, fx.pubkeys[15] as string, fx.customPubkeys[0] as string];
    const km = await startFakeKeymanager({ token: "secret-token", keys });
    try {
      const src = createKeymanagerSource(createKeymanagerClient(km.url, "secret-token"));
      const r = await src.find(new Set(cluster));
      assert.deepEqual(r.warnings, []);
      assert.deepEqual(
        [...r.found.keys()].sort(),
        [hexOf(fx.pubkeys[3] as string), hexOf(fx.customPubkeys[0] as string)].sort(),
      );
      assert.deepEqual(r.found.get(hexOf(fx.pubkeys[3] as string)), [
        `${km.url} (GET /eth/v1/keystores)`,
      ]);
      const bad = createKeymanagerSource(createKeymanagerClient(km.url, "wrong"));
      const r2 = await bad.find(new Set(cluster));
      assert.equal(r2.found.size, 0);
      assert.match(r2.warnings[0] ?? "", /refused the token/);
      assert.ok(!r2.warnings[0]?.includes("secret-token"));
    } finally {
      await km.close();
    }
  });
});
