/**
 * The test runner behind `npm test` and `npm run test:unit|spec|integration|e2e`.
 *
 * Why not `tsx --test`: on Node 20, any module loader hook (tsx's included) runs off-thread, so
 * every `import` of every file — `@lodestar/*`, libp2p, viem — pays a round trip to the hook
 * thread. Measured per test file: ~1 CPU-s more than plain Node (0.6 vs 0.3 CPU-s for the
 * smallest file, 6.6 vs 4.8 for a simulated-squad file). With one process per test file that is
 * ~2 of the 4 minutes `test:unit` took. So this script transpiles `src/`, `test/`, `bench/` and
 * `scripts/` once with esbuild (the transformer tsx uses: same output, ~1.5 s for ~480 files) into
 * a private folder `.build/test-<pid>/` that mirrors the repository, and runs `node --test` on the
 * compiled test files, one process per file as before (`--test-concurrency=2`).
 *
 * - The folder links back `package.json`, `bin/`, `devnet/`, `docs/` and the dot files the code
 *   reads; tests find the repository through `test/support/root.ts` (the real path of
 *   package.json), so paths they hand to child processes are the sources, not the copies.
 * - It holds compiled code only (no keys, no secrets) and is removed when the run ends, on
 *   SIGINT/SIGTERM too; a folder left by a killed run is removed by the next run (its owner's PID
 *   is gone).
 *
 * Usage: `tsx scripts/test.ts <suite>... [-- <test file>...]`, suites `unit`, `spec`,
 * `integration`, `e2e`. Files after `--` replace the suites' file list (paths of `.ts` test files
 * in the repository). A file that does not compile stops the run before any test, exit 1, with
 * esbuild's messages (file, line, what).
 *
 * @example
 * // package.json: "test:unit": "tsx scripts/test.ts unit"
 * // one file:     npx tsx scripts/test.ts -- test/unit/util/hex.test.ts
 */
import { spawn } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  rmdirSync,
  rmSync,
  symlinkSync,
} from "node:fs";
import { constants } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { build } from "esbuild";
import { isProcessAlive } from "../src/util/fs.js";
import { listFiles } from "./files.js";

const ROOT = resolve(import.meta.dirname, "..");
const BUILD_PARENT = join(ROOT, ".build");
/** The folders compiled into the mirror. */
const COMPILED = ["src", "test", "bench", "scripts"];
/** What the mirror links back to (read by the code under test through relative paths). */
const LINKED = ["package.json", "bin", "devnet", "docs", ".dependency-cruiser.cjs", "biome.json"];
/** Suite → test folder; `spec` skips the vectors' own folder. */
const SUITES: Record<string, string> = {
  unit: "test/unit",
  spec: "test/spec",
  integration: "test/integration",
  e2e: "test/e2e",
};

function usage(message: string): never {
  process.stderr.write(
    `rpdvt test runner: ${message}\n` +
      `usage: tsx scripts/test.ts <suite>... [-- <test file>...]\n` +
      `suites: ${Object.keys(SUITES).join(", ")}\n`,
  );
  process.exit(2);
}

/** The suites and explicit files asked for, validated before anything is compiled. */
function parseArgs(argv: string[]): { suites: string[]; files: string[] } {
  const dash = argv.indexOf("--");
  const suites = dash === -1 ? argv : argv.slice(0, dash);
  const files = dash === -1 ? [] : argv.slice(dash + 1);
  if (suites.length === 0 && files.length === 0) usage("no suite and no test file given");
  for (const s of suites) if (!(s in SUITES)) usage(`unknown suite '${s}'`);
  for (const f of files) {
    if (!f.endsWith(".test.ts")) usage(`'${f}' is not a test file (*.test.ts)`);
    if (!existsSync(resolve(ROOT, f))) usage(`test file '${f}' does not exist`);
  }
  return { suites, files: files.map((f) => relative(ROOT, resolve(ROOT, f))) };
}

/** Every file under `dir` (a path relative to the repository, as are the results). */
function walk(dir: string): string[] {
  return listFiles(join(ROOT, dir)).map((f) => relative(ROOT, f));
}

/** Remove build folders whose run is over (killed runs included). */
function removeStale(): void {
  if (!existsSync(BUILD_PARENT)) return;
  for (const name of readdirSync(BUILD_PARENT)) {
    const pid = Number(/^test-(\d+)$/.exec(name)?.[1]);
    if (!Number.isInteger(pid) || !isProcessAlive(pid)) {
      rmSync(join(BUILD_PARENT, name), { recursive: true, force: true });
    }
  }
}

/** Transpile the compiled folders into `out` (same relative paths, `.ts` → `.js`). */
async function compile(out: string): Promise<number> {
  const all = COMPILED.filter((d) => existsSync(join(ROOT, d))).flatMap((d) => walk(d));
  const sources = all.filter((f) => f.endsWith(".ts"));
  await build({
    entryPoints: sources.map((f) => join(ROOT, f)),
    outdir: out,
    outbase: ROOT,
    format: "esm",
    platform: "node",
    target: "node20",
    bundle: false,
    sourcemap: true, // failures point at the .ts lines (--enable-source-maps)
    logLevel: "error",
  });
  for (const f of all.filter((x) => !x.endsWith(".ts"))) {
    mkdirSync(dirname(join(out, f)), { recursive: true });
    copyFileSync(join(ROOT, f), join(out, f));
  }
  for (const l of LINKED) if (existsSync(join(ROOT, l))) symlinkSync(join(ROOT, l), join(out, l));
  return sources.length;
}

function testFiles(suites: string[], files: string[]): string[] {
  if (files.length > 0) return files;
  return suites
    .flatMap((s) => walk(SUITES[s] as string))
    .filter((f) => f.endsWith(".test.ts") && !f.startsWith(join("test", "spec", "vectors")))
    .sort();
}

function withoutTestContext(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { NODE_TEST_CONTEXT: _, ...rest } = env;
  return rest;
}

async function main(): Promise<void> {
  const { suites, files } = parseArgs(process.argv.slice(2));
  const tests = testFiles(suites, files);
  if (tests.length === 0) usage(`no test files in ${suites.join(", ")}`);
  removeStale();
  const out = join(BUILD_PARENT, `test-${process.pid}`);
  const cleanup = (): void => {
    rmSync(out, { recursive: true, force: true });
    try {
      rmdirSync(BUILD_PARENT); // only when empty: another run's folder stays
    } catch {
      // not empty or already gone
    }
  };
  process.on("exit", cleanup);
  const t0 = performance.now();
  let n: number;
  try {
    n = await compile(out);
  } catch {
    // esbuild has printed each error with its file and line (logLevel "error")
    process.stderr.write(
      "rpdvt test runner: the sources do not compile (errors above); no test ran\n",
    );
    process.exit(1);
  }
  process.stdout.write(
    `compiled ${n} files in ${Math.round(performance.now() - t0)} ms; running ${tests.length} test files\n`,
  );
  const child = spawn(
    process.execPath,
    [
      "--enable-source-maps",
      "--test",
      "--test-reporter=spec",
      "--test-concurrency=2",
      ...tests.map((f) => join(out, f.replace(/\.ts$/, ".js"))),
    ],
    // A runner started from inside a test must not report to that test's runner.
    { stdio: "inherit", cwd: ROOT, env: withoutTestContext(process.env) },
  );
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    process.on(sig, () => {
      child.kill(sig);
    });
  }
  child.on("exit", (code, signal) => {
    cleanup();
    process.exit(code ?? 128 + (signal === null ? 1 : constants.signals[signal]));
  });
}

await main();
