/**
 * src/util/lockfile.ts under a race: several processes find the SAME stale lock (its owner died)
 * at the same moment and all try to take it over. Exactly one may win each time — before the fix,
 * a process that had read the stale owner could rename away the lock another process had just
 * linked in its place, and both believed they held it.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { makeTempDir, ROOT } from "../../helpers.js";

const PROCESSES = 4;
const ROUNDS = 150;
const ROUND_MS = 20;

let dir: string;
before(async () => {
  dir = await makeTempDir("lock-race");
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** A contender: at each round's instant, try the round's lock; print the rounds it won. */
const CONTENDER = `
import { existsSync } from "node:fs";
import { join } from "node:path";
import { InputError } from ${JSON.stringify(join(ROOT, "src/errors.ts"))};
import { acquireLock } from ${JSON.stringify(join(ROOT, "src/util/lockfile.ts"))};
const [dir, rounds, t0, roundMs] = [process.argv[1], ...process.argv.slice(2).map(Number)];
const won = [];
for (let r = 0; r < rounds; r++) {
  // line up with the other contenders: sleep until 2 ms before the instant, then spin (a test
  // that spins for seconds would starve the devnet tests running beside it)
  const at = t0 + r * roundMs;
  if (at - Date.now() > 2) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, at - Date.now() - 2);
  while (Date.now() < at) {}
  try { acquireLock(join(dir, "l" + r), "L"); won.push(r); }
  catch (e) { if (!(e instanceof InputError)) throw e; }
}
console.log(JSON.stringify(won));
// stay alive (our locks held by a live PID) until every contender is done
await new Promise((res) => { const t = setInterval(() => existsSync(join(dir, "done")) && (clearInterval(t), res()), 20); });
`;

test(`${PROCESSES} processes racing for the same stale lock: exactly one wins, ${ROUNDS} times`, async () => {
  const dead = spawnSync(process.execPath, ["-e", "0"]).pid;
  for (let r = 0; r < ROUNDS; r++) {
    writeFileSync(
      join(dir, `l${r}`),
      JSON.stringify({ pid: dead, hostname: hostname(), since: "2026-01-01T00:00:00Z" }),
    );
  }
  const t0 = Date.now() + 3_000; // after every contender has started
  const outputs = await Promise.all(
    Array.from({ length: PROCESSES }, async () => {
      const child = spawn(
        process.execPath,
        [
          "--import",
          "tsx",
          "--input-type=module",
          "-e",
          CONTENDER,
          dir,
          `${ROUNDS}`,
          `${t0}`,
          `${ROUND_MS}`,
        ],
        { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] },
      );
      let out = "";
      let err = "";
      child.stdout.on("data", (d: Buffer) => {
        out += d.toString();
      });
      child.stderr.on("data", (d: Buffer) => {
        err += d.toString();
      });
      const line = await new Promise<string>((resolve, reject) => {
        const t = setInterval(() => {
          if (out.includes("\n")) {
            clearInterval(t);
            resolve(out.trim());
          }
        }, 20);
        child.on("exit", (code) => {
          clearInterval(t);
          reject(new Error(`contender exited with ${code}: ${err}`));
        });
      });
      return { child, won: JSON.parse(line) as number[] };
    }),
  );
  writeFileSync(join(dir, "done"), "");
  await Promise.all(outputs.map(({ child }) => new Promise((r) => child.once("exit", r))));
  const winners = new Map<number, number>();
  for (const { won } of outputs) for (const r of won) winners.set(r, (winners.get(r) ?? 0) + 1);
  const doubled = [...winners].filter(([, n]) => n > 1).map(([r]) => r);
  assert.deepEqual(doubled, [], `rounds with more than one owner: ${doubled.join(", ")}`);
  assert.equal(winners.size, ROUNDS, "every round has an owner");
});
