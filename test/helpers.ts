/**
 * Helpers shared by the tests: running `rpdvt` (or any Node script) in a child process, temporary
 * folders, random validator keys, byte edits on hex strings, and the ssv-dkg operator key vectors
 * (pinned in test/vectors.lock.json, resolved by test/vectors.ts).
 */
import { execFile } from "node:child_process";
import { promises as fsp } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { publicKeyOf } from "../src/crypto/bls.js";
import { randomScalar, scalarToBytes } from "../src/crypto/shamir.js";
import type { ValidatorKey } from "../src/keysplit/split.js";
import { createDvSimCluster, type DvSimCluster } from "./simnet/dv.js";
import { ROOT } from "./support/root.js";
import { vectorPath } from "./vectors.js";

/** The repository root (where package.json is; test/support/root.ts). */
export { ROOT };

/**
 * The folder of ssv-dkg's example operators: operators_info.json, op1..op13.json (encrypted RSA
 * keys), pw1..pw13 — checked against their pinned sha256, fetched when this clone lacks them.
 *
 * @example
 * const info = join(await dkgOperatorsDir(), "operators_info.json");
 */
export function dkgOperatorsDir(): Promise<string> {
  return vectorPath("ssv/dkg-operators");
}

/**
 * What a child process printed and its exit code (0 on success).
 *
 * @example
 * const r: RunResult = await rpdvt("--help");
 */
export type RunResult = { out: string; err: string; code: number };

/**
 * Run `node <args…>` in a child process and collect its output; never rejects.
 *
 * @example
 * const r = await runNode(["--import", "tsx", "script.mts"], { cwd: ROOT });
 */
export function runNode(
  args: string[],
  opts: {
    cwd?: string;
    stdin?: string;
    maxBuffer?: number;
    /** Extra environment variables (e.g. a test hook), on top of this process's. */
    env?: Record<string, string>;
  } = {},
): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      args,
      {
        cwd: opts.cwd ?? ROOT,
        maxBuffer: opts.maxBuffer ?? 1 << 24,
        ...(opts.env ? { env: { ...process.env, ...opts.env } } : {}),
      },
      (error, stdout, stderr) =>
        resolve({ out: stdout, err: stderr, code: error ? Number(error.code ?? 1) : 0 }),
    );
    if (opts.stdin !== undefined) child.stdin?.end(opts.stdin);
  });
}

/**
 * Every file below `dir`, as paths relative to it (joined onto `prefix`); a missing folder is
 * empty.
 *
 * @example
 * const files = await listFiles(out); // ["participant-1/passphrase.txt", …]
 */
export async function listFiles(dir: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fsp.readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const rel = join(prefix, e.name);
    if (e.isDirectory()) out.push(...(await listFiles(join(dir, e.name), rel)));
    else out.push(rel);
  }
  return out;
}

/**
 * Run the `rpdvt` binary (bin/rpdvt.js) as a user does, from the repository root.
 *
 * @example
 * const r = await rpdvt("keys", "verify", "/tmp/out", "--json");
 * assert.equal(r.code, 0, r.err);
 */
export function rpdvt(...args: string[]): Promise<RunResult> {
  return runNode([join(ROOT, "bin/rpdvt.js"), ...args]);
}

/**
 * A fresh folder under the OS temp folder, named `rpdvt-<name>-XXXXXX`.
 *
 * @example
 * before(async () => { dir = await makeTempDir("cluster"); });
 * after(() => fsp.rm(dir, { recursive: true, force: true }));
 */
export function makeTempDir(name: string): Promise<string> {
  return fsp.mkdtemp(join(tmpdir(), `rpdvt-${name}-`));
}

/**
 * True when `path` exists.
 *
 * @example
 * assert.equal(await exists(out), false);
 */
export function exists(path: string): Promise<boolean> {
  return fsp.access(path).then(
    () => true,
    () => false,
  );
}

/**
 * Read and parse a JSON file as a plain object (for tampering with written outputs).
 *
 * @example
 * const def = await readJson(join(out, "cluster.json"));
 */
export async function readJson(file: string): Promise<Record<string, unknown>> {
  return JSON.parse(await fsp.readFile(file, "utf8"));
}

/**
 * A random validator key (secret, public key, and `path` when given).
 *
 * @example
 * const key = randomValidatorKey("m/12381/3600/0/0/0");
 */
export function randomValidatorKey(path?: string): ValidatorKey {
  const secret = scalarToBytes(randomScalar());
  return { secret, pubkey: publicKeyOf(secret), ...(path === undefined ? {} : { path }) };
}

/**
 * Flip the low bit of byte `offset` of a 0x-hex string.
 *
 * @example
 * flipByte("0x00ff", 1) // "0x00fe"
 */
export function flipByte(hex: string, offset: number): string {
  const b = Buffer.from(hex.slice(2), "hex");
  b[offset] = (b[offset] as number) ^ 0x01;
  return `0x${b.toString("hex")}`;
}

/**
 * Copy ssv-dkg operators `op1..opN.json` and their `pw1..pwN` password files into `dest`
 * (created): the encrypted RSA private keys of operators 11, 22, … (N×11).
 *
 * @example
 * await copyDkgOperatorKeys(join(dir, "keys4"), 4);
 */
export async function copyDkgOperatorKeys(dest: string, count: number): Promise<void> {
  const from = await dkgOperatorsDir();
  await fsp.mkdir(dest);
  for (let i = 1; i <= count; i++) {
    await fsp.copyFile(join(from, `op${i}.json`), join(dest, `op${i}.json`));
    await fsp.copyFile(join(from, `pw${i}`), join(dest, `pw${i}`));
  }
}

/** The in-process command runner lives in test/support/run-cli.ts; kept here for older imports. */
export { type CommandResult, runCommand } from "./support/run-cli.js";

/**
 * Create a DV simnet cluster in a fresh temp data folder, run `fn` on it, then close it and
 * remove the folder (even when `fn` throws).
 *
 * @example
 * await withDvCluster({ n: 4, validators: 2, seed: 1 }, async (c) => { await c.runToSlot(8); });
 */
export async function withDvCluster(
  opts: Omit<Parameters<typeof createDvSimCluster>[0], "dataDir">,
  fn: (c: DvSimCluster) => Promise<void>,
): Promise<void> {
  const dir = await makeTempDir("dv");
  const c = await createDvSimCluster({ ...opts, dataDir: dir });
  try {
    await fn(c);
  } finally {
    c.close();
    await fsp.rm(dir, { recursive: true, force: true });
  }
}
