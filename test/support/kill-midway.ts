/**
 * Kill a command mid-way: run `node <args>` and SIGKILL it as soon as its temporary output
 * (`<dir>/.<outName>.tmp-<pid>-<12 hex>`, src/util/fs.ts's sibling temp folder) holds a file
 * `ready` accepts — the moment a crash-safety test wants (secrets half-written, nothing final).
 *
 * @example
 * const { temp, pid } = await killWhenTempHas(args, tmp, "new", (f) => /keystores\/share-/.test(f));
 */
import { spawn } from "node:child_process";
import { promises as fsp } from "node:fs";
import { join } from "node:path";
import { listFiles, ROOT } from "../helpers.js";

/**
 * What {@link killWhenTempHas} saw: the temp folder it killed the command in (undefined if none
 * appeared before the command ended or the deadline), the command's PID, and whether it had
 * already ended on its own.
 *
 * @example
 * const k: KilledMidway = { temp: "/tmp/x/.new.tmp-123-0123456789ab", pid: 123, endedFirst: false };
 */
export type KilledMidway = { temp: string | undefined; pid: number; endedFirst: boolean };

/**
 * Run `node <args>` from the repository root; SIGKILL it once its temp output in `dir` holds a
 * file (path relative to the temp folder) that `ready` accepts; resolves after it exited.
 *
 * @example
 * const k = await killWhenTempHas([bin, "keys", "split", …, "--out", join(tmp, "c21")], tmp, "c21", isShare);
 */
export async function killWhenTempHas(
  args: readonly string[],
  dir: string,
  outName: string,
  ready: (file: string) => boolean,
  opts: { timeoutMs?: number; pollMs?: number } = {},
): Promise<KilledMidway> {
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: "ignore" });
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  const pid = child.pid as number;
  const tempName = new RegExp(`^\\.${outName.replace(/\W/g, "\\$&")}\\.tmp-${pid}-[0-9a-f]{12}$`);
  let temp: string | undefined;
  let endedFirst = false;
  try {
    const deadline = Date.now() + (opts.timeoutMs ?? 600_000);
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) {
        endedFirst = true;
        break;
      }
      const name = (await fsp.readdir(dir)).find((n) => tempName.test(n));
      if (name && (await listFiles(join(dir, name))).some(ready)) {
        temp = join(dir, name);
        break;
      }
      await new Promise((r) => setTimeout(r, opts.pollMs ?? 20));
    }
  } finally {
    child.kill("SIGKILL");
    await exited;
  }
  return { temp, pid, endedFirst };
}
