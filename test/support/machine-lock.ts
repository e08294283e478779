/**
 * One judged squad at a time on this machine. The e2e tests that grade a squad on the Lodestar
 * devnet by inclusion (demo, demo-replace, key guard, MEV squad) each run a devnet plus 4–5
 * nodes; two at once on a 2-core host starve both (a CI run measured 28 of 32 included in the
 * demo's all-up phase while demo-replace ran beside it; 32/32 alone). `npm test` still runs
 * files two at a time: the lighter tests share the second slot.
 *
 * A wait loop around src/util/lockfile.ts `acquireLock` (the node's own PID lock: atomic, a dead
 * owner's lock taken over), in the system's temp folder.
 *
 * @example
 * const lock = await acquireMachineLock("devnet-squad");
 * try { await runDemo(); } finally { lock.release(); }
 */
import { tmpdir } from "node:os";
import { join } from "node:path";
import { InputError } from "../../src/errors.js";
import { acquireLock, type Lock } from "../../src/util/lockfile.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Wait until this process holds the machine-wide lock `name`. `onWait` is called once, with why
 * (the holder's PID), if another live process holds it.
 *
 * @example
 * const lock = await acquireMachineLock("devnet-squad", { onWait: (why) => t.diagnostic(why) });
 */
export async function acquireMachineLock(
  name: string,
  opts: { pollMs?: number; onWait?: (why: string) => void } = {},
): Promise<Lock> {
  const path = join(tmpdir(), `rpdvt-test-${name}.lock`);
  let told = false;
  for (;;) {
    try {
      return acquireLock(path, `The test lock ${name}`);
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      if (!told) {
        told = true;
        opts.onWait?.(err.metaMessages?.find((m) => m.startsWith("Held by")) ?? err.shortMessage);
      }
    }
    await sleep(opts.pollMs ?? 500);
  }
}
