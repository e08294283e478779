/**
 * The layer rules of .dependency-cruiser.cjs bite (issue 14 item 4): the exact `npm run
 * lint:layers` command (the last step of `npm run check`) runs on a small temporary tree with one
 * planted import per rule, and must fail naming that rule on that import and only there; the
 * imports the README's Architecture section allows (a step → the core root, wire.ts → steps and
 * QBFT, main.ts → commands, keys.ts → keys-*.ts, tests → anything) must pass; a violation recorded
 * in the known-violations baseline is ignored while a new one is not.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promises as fsp } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { ROOT } from "../../support/root.js";

/** Planted files: path → the relative imports (or package names) it makes. */
const TREE: Record<string, string[]> = {
  // allowed
  "src/errors.ts": [],
  "src/util/hex.ts": ["../errors.js"],
  "src/crypto/bls.ts": ["../util/hex.js", "../errors.js"],
  "src/rocketpool/layout.ts": ["../crypto/bls.js"],
  "src/keysplit/split.ts": ["../rocketpool/layout.js", "../crypto/bls.js"],
  "src/core/types.ts": ["../util/hex.js"],
  "src/core/transport.ts": ["./types.js"],
  "src/core/fetcher/fetcher.ts": ["../types.js", "../transport.js", "../../crypto/bls.js"],
  "src/core/dutydb/dutydb.ts": ["../types.js"],
  "src/core/consensus/codec.ts": ["../../util/hex.js"],
  "src/core/consensus/node.ts": ["./codec.js", "../../crypto/bls.js"],
  "src/core/wire.ts": [
    "./fetcher/fetcher.js",
    "./dutydb/dutydb.js",
    "./signer/signer.js",
    "./consensus/node.js",
  ],
  "src/core/node.ts": ["./wire.js", "./consensus/codec.js", "../keysplit/split.js"],
  "src/cli/args.ts": [],
  "src/cli/run.ts": ["../errors.js"],
  "src/cli/main.ts": ["./keys.js", "./node.js"],
  "src/cli/keys.ts": ["./keys-list.js", "./keys-split.js"],
  "src/cli/keys-list.ts": ["./args.js", "./run.js", "../keysplit/split.js"],
  "src/ops/setup.ts": ["../core/node.js"],
  "src/app/run.ts": ["../core/node.js", "../dashboard/auth.js", "../p2p/transport.js"],
  "test/support/beacon-fake.ts": ["../../src/core/types.js"],
  "test/unit/x.test.ts": ["../../src/core/consensus/node.js", "../support/beacon-fake.js"],
  "bench/x.bench.ts": ["../src/core/fetcher/fetcher.js"],
  "src/builder/registration.ts": ["../crypto/bls.js"],
  // one planted violation each
  "src/core/signer/signer.ts": ["../types.js", "../fetcher/fetcher.js"],
  "src/core/tracker.ts": ["./dutydb/dutydb.js"],
  "src/core/consensus/timer.ts": ["../transport.js"],
  "src/cli/node.ts": ["./args.js", "../core/consensus/codec.js"],
  "src/util/address.ts": ["../crypto/bls.js"],
  "src/p2p/transport.ts": ["../core/consensus/codec.js"],
  "src/core/http-server.ts": ["../dashboard/auth.js"],
  "src/dashboard/auth.ts": ["../errors.js"],
  "src/cli/keys-split.ts": ["./keys-list.js"],
  "src/devnet/start.ts": ["../../test/support/beacon-fake.js"],
  "src/dashboard/handler.ts": ["./fake-source.js"],
  "src/dashboard/fake-source.ts": ["./auth.js"],
  "src/mev/relay.ts": ["../util/hex.js"],
  "src/plan/chart.ts": ["fast-check"],
  "src/slashing/a.ts": ["./b.js"],
  "src/slashing/b.ts": ["./a.js"],
  "src/ops/journal.ts": ["./missing.js"],
  // recorded in the baseline below: ignored
  "src/rocketpool/datadir.ts": ["../keysplit/split.js"],
};

/** Every violation the rules must report, as `rule: from → to`, and nothing else. */
const EXPECTED = [
  "core-step-imports-step: src/core/signer/signer.ts → src/core/fetcher/fetcher.ts",
  "core-root-imports-step: src/core/tracker.ts → src/core/dutydb/dutydb.ts",
  "consensus-not-self-contained: src/core/consensus/timer.ts → src/core/transport.ts",
  "consensus-imported-outside-wire: src/cli/node.ts → src/core/consensus/codec.ts",
  "layer-util-imports-higher: src/util/address.ts → src/crypto/bls.ts",
  "layer-domain-imports-higher: src/p2p/transport.ts → src/core/consensus/codec.ts",
  "layer-core-imports-higher: src/core/http-server.ts → src/dashboard/auth.ts",
  "cli-imports-cli: src/cli/keys-split.ts → src/cli/keys-list.ts",
  "src-imports-test: src/devnet/start.ts → test/support/beacon-fake.ts",
  "test-double-in-src: src/dashboard/handler.ts → src/dashboard/fake-source.ts",
  "layer-unassigned: src/mev/relay.ts → src/util/hex.ts",
  "src-imports-dev-dependency: src/plan/chart.ts → node_modules/fast-check/index.js",
  "not-to-unresolvable: src/ops/journal.ts → ./missing.js",
].sort();

/** The baseline: one old violation, as `npm run lint:layers:baseline` writes it. */
const BASELINE = [
  {
    type: "dependency",
    from: "src/rocketpool/datadir.ts",
    to: "src/keysplit/split.ts",
    unresolvedTo: "../keysplit/split.js",
    dependencyTypes: ["local", "import"],
    rule: { severity: "error", name: "layer-domain-imports-higher" },
  },
];

let dir = "";
let result: { out: string; code: number } = { out: "", code: 0 };
/** `rule: from → to` of every violation line the checker printed. */
let reported: string[] = [];

/** The `lint:layers` script of package.json, as argv (its first word is a node_modules bin). */
async function lintLayersArgv(): Promise<string[]> {
  const pkg = JSON.parse(await fsp.readFile(join(ROOT, "package.json"), "utf8"));
  const script: string = pkg.scripts["lint:layers"];
  assert.ok(pkg.scripts.check.includes("npm run lint:layers"), "npm run check runs lint:layers");
  return script.split(/\s+/);
}

function run(argv: string[], cwd: string): Promise<{ out: string; code: number }> {
  const [bin, ...args] = argv;
  return new Promise((resolve) => {
    execFile(
      join(ROOT, "node_modules/.bin", bin ?? ""),
      args,
      { cwd, maxBuffer: 1 << 22 },
      (error, stdout, stderr) =>
        resolve({ out: stdout + stderr, code: error ? Number(error.code ?? 1) : 0 }),
    );
  });
}

describe("layer rules (.dependency-cruiser.cjs) on a planted tree", () => {
  before(async () => {
    dir = await fsp.mkdtemp(join(tmpdir(), "rpdvt-layers-"));
    for (const [file, imports] of Object.entries(TREE)) {
      await fsp.mkdir(join(dir, dirname(file)), { recursive: true });
      const lines = imports.map((spec, i) => `import * as m${i} from "${spec}";\nvoid m${i};`);
      await fsp.writeFile(join(dir, file), `${lines.join("\n")}\nexport const x = 1;\n`);
    }
    await fsp.mkdir(join(dir, "bin"));
    await fsp.writeFile(join(dir, "bin/rpdvt.js"), 'import "../src/cli/main.js";\n');
    await fsp.copyFile(join(ROOT, ".dependency-cruiser.cjs"), join(dir, ".dependency-cruiser.cjs"));
    await fsp.copyFile(join(ROOT, "tsconfig.json"), join(dir, "tsconfig.json"));
    await fsp.writeFile(
      join(dir, "package.json"),
      JSON.stringify({ type: "module", devDependencies: { "fast-check": "*" } }),
    );
    // a devDependency of the planted package (a real one, not followed further)
    await fsp.mkdir(join(dir, "node_modules/fast-check"), { recursive: true });
    await fsp.writeFile(
      join(dir, "node_modules/fast-check/package.json"),
      JSON.stringify({ name: "fast-check", version: "4.0.0", main: "index.js" }),
    );
    await fsp.writeFile(join(dir, "node_modules/fast-check/index.js"), "exports.x = 1;\n");
    await fsp.writeFile(
      join(dir, ".dependency-cruiser-known-violations.json"),
      JSON.stringify(BASELINE),
    );
    result = await run(await lintLayersArgv(), dir);
    reported = [...result.out.matchAll(/^\s*error (\S+): (\S+) → (\S+)\s*$/gm)]
      .map((m) => `${m[1]}: ${m[2]} → ${m[3]}`)
      .sort();
  });
  after(() => fsp.rm(dir, { recursive: true, force: true }));

  test("npm run lint:layers fails (non-zero exit) on the planted violations", () => {
    assert.notEqual(result.code, 0, result.out);
    assert.match(result.out, /dependency violations/);
  });

  test("each planted violation is reported under the rule it breaks, and only those", () => {
    assert.deepEqual(reported, EXPECTED, result.out);
    // a cycle is printed over several lines: a → b → a (or b → a → b)
    const text = result.out.replace(/\s+/g, " ");
    assert.match(
      text,
      /error no-circular: src\/slashing\/([ab])\.ts → src\/slashing\/[ab]\.ts → src\/slashing\/\1\.ts/,
    );
  });

  test("each rule's message says what to do (its comment is printed with the violation)", () => {
    for (const rule of ["core-step-imports-step", "cli-imports-cli", "layer-unassigned"]) {
      const line = result.out.split("\n").findIndex((l) => l.includes(`error ${rule}:`));
      assert.ok(line >= 0, rule);
    }
    const text = result.out.replace(/\s+/g, " ");
    assert.match(text, /Steps depend only on the core root/);
    assert.match(text, /Add its folder to LAYERS in \.dependency-cruiser\.cjs/);
    assert.match(text, /Shared flag parsing goes to src\/cli\/args\.ts/);
  });

  test("the allowed imports pass: step → core root, wire → steps and QBFT, main → commands, tests → anything", () => {
    for (const from of [
      "src/core/fetcher/fetcher.ts",
      "src/core/wire.ts",
      "src/core/node.ts",
      "src/cli/main.ts",
      "src/cli/keys.ts",
      "src/cli/keys-list.ts",
      "src/keysplit/split.ts",
      "src/ops/setup.ts",
      "src/app/run.ts",
      "src/builder/registration.ts",
      "test/unit/x.test.ts",
      "bench/x.bench.ts",
    ]) {
      assert.ok(
        !reported.some((r) => r.includes(`: ${from} →`)),
        `${from} reported:\n${result.out}`,
      );
    }
  });

  test("a violation in the known-violations baseline is ignored, and said to be", () => {
    assert.ok(!reported.some((r) => r.includes("src/rocketpool/datadir.ts")), result.out);
    assert.match(result.out, /1 known violations? ignored/);
  });

  test("the repository's baseline names only rules that exist", async () => {
    const config = (await import(join(ROOT, ".dependency-cruiser.cjs"))).default;
    const names = new Set(config.forbidden.map((r: { name: string }) => r.name));
    const known = JSON.parse(
      await fsp.readFile(join(ROOT, ".dependency-cruiser-known-violations.json"), "utf8"),
    );
    assert.ok(Array.isArray(known));
    for (const v of known) assert.ok(names.has(v.rule.name), `${v.rule.name} (${v.from})`);
  });
});
