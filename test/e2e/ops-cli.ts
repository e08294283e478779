/**
 * Run the operations commands as a user does: a child process of test/e2e/ops-runner.ts (stdin
 * closed, so never a terminal), collecting stdout, stderr, the exit code and the signal.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { ROOT } from "../helpers.js";

export type OpsRun = { out: string; err: string; code: number | null; signal: string | null };

/**
 * `rpdvt <args…>` through ops-runner.ts, with extra environment variables.
 *
 * @example
 * const r = await runOps(["migrate", "--list", "--json", "--rocketpool-dir", dir]);
 */
export function runOps(args: string[], env: Record<string, string> = {}): Promise<OpsRun> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", join(ROOT, "test/e2e/ops-runner.ts"), ...args],
      { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.on("close", (code, signal) => resolve({ out, err, code, signal }));
  });
}
