/**
 * One judged squad at a time on this machine. The e2e tests that grade a squad on the Lodestar
 * devnet by inclusion (demo, demo-replace, key guard, MEV squad) each run a devnet plus 4–5
 * nodes; two at once on a 2-core host starve both (a CI run measured 28 of 32 included in the
 * demo's all-up phase while demo-replace ran beside it; 32/32 alone). `npm test` still runs
 * files two at a time: the lighter tests share the second slot.
 *
 * The lock is a file made atomically with link(2) (fails if it exists) holding the owner's PID;
 * a lock whose owner is gone (killed test process) is taken over.
 *
 * @example
 * const release = await acquireMachineLock("devnet-squad");
 * try { await runDemo(); } finally { await release(); }
 */
import { promises as fsp } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isProcessAlive } from "../../src/util/fs.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Wait until this process holds the machine-wide lock `name`; resolves to its release function
 * and the time waited. `onWait` is called once if another live process holds it.
 *
 * @example
 * const { release, waitedMs } = await acquireMachineLock("devnet-squad", { onWait: (pid) => t.diagnostic(`waiting for ${pid}`) });
 */
export async function acquireMachineLock(
  name: string,
  opts: { pollMs?: number; onWait?: (ownerPid: number) => void } = {},
): Promise<{ release: () => Promise<void>; waitedMs: number }> {
  const lock = join(tmpdir(), `rpdvt-test-${name}.lock`);
  const mine = `${lock}.${process.pid}`;
  await fsp.writeFile(mine, String(process.pid));
  const started = Date.now();
  let told = false;
  try {
    for (;;) {
      try {
        await fsp.link(mine, lock);
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      }
      const owner = Number(await fsp.readFile(lock, "utf8").catch(() => "0"));
      if (!(owner > 0 && isProcessAlive(owner))) {
        // Stale (owner killed): remove only if it is still that owner's file.
        const again = Number(await fsp.readFile(lock, "utf8").catch(() => "0"));
        if (again === owner) await fsp.rm(lock, { force: true });
        continue;
      }
      if (!told) {
        told = true;
        opts.onWait?.(owner);
      }
      await sleep(opts.pollMs ?? 500);
    }
  } finally {
    await fsp.rm(mine, { force: true });
  }
  const waitedMs = Date.now() - started;
  const release = async () => {
    const owner = Number(await fsp.readFile(lock, "utf8").catch(() => "0"));
    if (owner === process.pid) await fsp.rm(lock, { force: true });
  };
  return { release, waitedMs };
}
