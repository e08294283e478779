/**
 * The key guard's per-epoch look at a Smartnode folder (src/ops/guard/smartnode.ts) for a cluster
 * of 3,000 validators, every one of them present in all four per-key client layouts (12,000
 * keystores), plus custom-keys, a Prysm store and Lighthouse's validator_definitions.yml — the
 * worst case (after a `wallet rebuild`). Baseline, measured in the same run on the same folder:
 * the migration's check `findKeysInSmartnode` (src/ops/quarantine/quarantine.ts), which parses
 * every keystore and decrypts the Prysm store on every call. Also: the common case, a quarantined
 * folder (the layouts empty), and the look right after one keystore reappears.
 * Run: npx tsx bench/key-guard.bench.ts
 */
import { promises as fsp } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createSmartnodeSource } from "../src/ops/guard/smartnode.js";
import { findKeysInSmartnode } from "../src/ops/quarantine/quarantine.js";
import { writeRocketPoolFixture } from "../src/rocketpool/fixture.js";
import { PER_KEY_LAYOUTS, pubkeyName } from "../src/rocketpool/layout.js";
import { measure, ms, table } from "./util.js";

const N = 3_000;
const root = await fsp.mkdtemp(join(tmpdir(), "rpdvt-guard-bench-"));
try {
  // A real fixture (24 wallet keys, 2 imported) gives the keystore templates, the Prysm store and
  // custom-keys; the 3,000 cluster keys are then filed in every per-key layout from a template.
  const fx = await writeRocketPoolFixture(join(root, "rp"), { validators: 24, customKeys: 2 });
  const hex = (i: number) => `${"ab".repeat(44)}${i.toString(16).padStart(8, "0")}`;
  const cluster = new Set(Array.from({ length: N }, (_, i) => hex(i)));
  const templateHex = fx.pubkeys[0]?.slice(2) as string;
  const copyInto = async (dataDir: string) => {
    for (const layout of PER_KEY_LAYOUTS) {
      const tpl = JSON.parse(
        await fsp.readFile(join(fx.dataDir, layout.keystore(pubkeyName(templateHex))), "utf8"),
      ) as Record<string, unknown>;
      for (let i = 0; i < N; i++) {
        const rel = layout.keystore(pubkeyName(hex(i)));
        await fsp.mkdir(join(dataDir, rel, ".."), { recursive: true });
        await fsp.writeFile(join(dataDir, rel), JSON.stringify({ ...tpl, pubkey: hex(i) }));
      }
    }
  };
  await copyInto(fx.dataDir);

  const src = createSmartnodeSource(fx.dataDir);
  const t0 = performance.now();
  const first = await src.find(cluster);
  const cold = performance.now() - t0;
  if (first.found.size !== N || first.warnings.length)
    throw new Error(`expected ${N} found, got ${first.found.size} (${first.warnings})`);
  const steady = await measure(() => src.find(cluster), { runs: 20, warmup: 2 });
  const baseline = await measure(() => findKeysInSmartnode(fx.dataDir, [...cluster]), {
    runs: 3,
    warmup: 1,
  });

  // Common case: quarantined (no per-key layout left), Prysm store and custom-keys unchanged.
  for (const layout of PER_KEY_LAYOUTS)
    await fsp.rm(join(fx.dataDir, layout.listDir), { recursive: true, force: true });
  const quiet = await measure(() => src.find(cluster), { runs: 50, warmup: 3 });
  // One keystore comes back (a `minipool import-key`): the next look finds it.
  const teku = PER_KEY_LAYOUTS.find((l) => l.client === "teku");
  if (!teku) throw new Error("no teku layout");
  const rel = teku.keystore(pubkeyName(hex(1234)));
  await fsp.mkdir(join(fx.dataDir, rel, ".."), { recursive: true });
  await fsp.writeFile(join(fx.dataDir, rel), "{}");
  const t1 = performance.now();
  const back = await src.find(cluster);
  const oneBack = performance.now() - t1;
  if (back.found.get(hex(1234))?.[0] !== rel) throw new Error("recreated keystore not found");

  console.log(
    `key guard look, ${N} cluster validators (4 layouts × ${N} keystores + Prysm + custom-keys)`,
  );
  table([
    ["case", "median", "p99", "vs findKeysInSmartnode"],
    [
      "findKeysInSmartnode (baseline, all 12,000 present)",
      ms(baseline.median),
      ms(baseline.p99),
      "1.00×",
    ],
    [
      "guard, first look (parses custom-keys, Prysm)",
      ms(cold),
      "",
      `${(cold / baseline.median).toFixed(3)}×`,
    ],
    [
      "guard, every epoch, all 12,000 present",
      ms(steady.median),
      ms(steady.p99),
      `${(steady.median / baseline.median).toFixed(3)}×`,
    ],
    [
      "guard, every epoch, quarantined folder",
      ms(quiet.median),
      ms(quiet.p99),
      `${(quiet.median / baseline.median).toFixed(4)}×`,
    ],
    ["guard, one keystore back", ms(oneBack), "", ""],
  ]);
} finally {
  await fsp.rm(root, { recursive: true, force: true });
}
