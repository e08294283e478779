/**
 * `rpdvt devnet start|status|stop` (src/cli/devnet.ts) against the REAL Lodestar 1.5.1: start
 * leaves it running in the background and writes the pid file, status reads the chain through
 * the REST API (head, finality, and preset / slot length / fork schedule / head fork from
 * /eth/v1/config/spec and /eth/v1/config/fork_schedule), stop ends it by PID. `--lodestar-bin`
 * runs a user's executable (here a wrapper script around the installed 1.5.1, with
 * `--seconds-per-slot 3`); bad `--lodestar-bin` / `--seconds-per-slot` values fail before any
 * work (no pid file, no devnet.json). The after hook stops every devnet by PID if a step failed.
 * Not installed → FAILS naming bash devnet/lodestar/install.sh.
 */
import assert from "node:assert/strict";
import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { devnetCommand } from "../../src/cli/devnet.js";
import { ensureInstalled, isDevnetProcess, LODESTAR_DIR, stopPid } from "../../src/devnet/index.js";
import { rpdvt, runCommand } from "../helpers.js";

let dir: string;
let pid: number | undefined;
let binDir: string;
const pids: number[] = [];
before(async () => {
  await ensureInstalled();
  dir = await mkdtemp(join(tmpdir(), "rpdvt-devnet-cli-"));
  binDir = await mkdtemp(join(tmpdir(), "rpdvt-devnet-bin-"));
});
after(async () => {
  if (pid !== undefined) await stopPid(pid);
  for (const p of pids) await stopPid(p);
  if (dir) await rm(dir, { recursive: true, force: true });
  if (binDir) await rm(binDir, { recursive: true, force: true });
});

type StatusJson = {
  running: boolean;
  headSlot: number;
  pid: number;
  preset: string;
  secondsPerSlot: number;
  slotsPerEpoch: number;
  nodeVersion: string;
  headFork: string;
  forkSchedule: { fork: string; epoch: number; version: string }[];
  lodestar: { bin: string; version: string; forkEpochs: Record<string, number> };
};

/** Run the command, capturing stdout/stderr and the exit code runAction sets (0 on success). */
async function run(...args: string[]) {
  const r = await runCommand(devnetCommand(), args);
  return { ...r, code: r.code ?? 0 };
}

test("devnet start → status → stop by PID", { timeout: 180_000 }, async () => {
  const started = await run("start", "--work-dir", dir, "--genesis-delay", "20", "--json");
  assert.equal(started.code, 0, started.stderr);
  const info = JSON.parse(started.stdout) as { pid: number; restUrl: string; genesisTime: number };
  pid = info.pid;
  assert.match(info.restUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.equal(isDevnetProcess(pid), true);
  assert.equal((await readFile(join(dir, "lodestar.pid"), "utf8")).trim(), String(pid));

  const again = await run("start", "--work-dir", dir);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /already runs/);

  // Past genesis, the head advances: status reads it through the REST API. (The genesis delay
  // covers Lodestar's start on a loaded box: a node that comes up more than an epoch after
  // genesis calls itself syncing and never proposes on a one-node chain.)
  await new Promise((r) => setTimeout(r, Math.max(0, info.genesisTime * 1000 + 3000 - Date.now())));
  let status = await run("status", "--work-dir", dir, "--json");
  for (let k = 0; k < 15 && (JSON.parse(status.stdout) as StatusJson).headSlot < 1; k++) {
    await new Promise((r) => setTimeout(r, 2000));
    status = await run("status", "--work-dir", dir, "--json");
  }
  assert.equal(status.code, 0, status.stderr);
  const s = JSON.parse(status.stdout) as StatusJson;
  assert.equal(s.running, true);
  assert.equal(s.pid, pid);
  assert.ok(s.headSlot >= 1, `head slot ${s.headSlot}`);
  // Read from the Beacon API: the default devnet is Lodestar 1.5.1 at Capella, 2 s slots.
  assert.equal(s.preset, "minimal");
  assert.equal(s.secondsPerSlot, 2);
  assert.equal(s.slotsPerEpoch, 8);
  assert.match(s.nodeVersion, /Lodestar\/v1\.5\.1/);
  assert.equal(s.headFork, "capella");
  assert.deepEqual(
    s.forkSchedule.map((f) => `${f.fork}@${f.epoch}`),
    ["phase0@0", "altair@0", "bellatrix@0", "capella@0"],
  );
  assert.equal(s.lodestar.version, "1.5.1");
  assert.deepEqual(s.lodestar.forkEpochs, { altair: 0, bellatrix: 0, capella: 0 });

  const stopped = await run("stop", "--work-dir", dir);
  assert.equal(stopped.code, 0, stopped.stderr);
  assert.match(stopped.stdout, new RegExp(`Stopped devnet PID ${pid}`));
  assert.equal(isDevnetProcess(pid), false);
  // Gone, not only no longer Lodestar: the PID disappears once its parent reaps it (this test
  // process, when `start` ran in-process), at most a moment after `stop` returns.
  const gone = (): boolean => {
    try {
      process.kill(pid as number, 0);
      return false;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === "ESRCH";
    }
  };
  for (let k = 0; k < 40 && !gone(); k++) await new Promise((r) => setTimeout(r, 50));
  assert.ok(gone(), `PID ${pid} still exists 2 s after stop`);
  await assert.rejects(readFile(join(dir, "lodestar.pid")), /ENOENT/);

  const after = await run("status", "--work-dir", dir);
  assert.equal(after.code, 3);
  assert.match(after.stdout, /No devnet runs/);
});

/**
 * `devnet start ARGS` in this process, expecting a refusal: commander's own flag errors (made to
 * throw instead of exiting) and runAction's errors, with what was written to stderr.
 */
async function refused(
  args: string[],
): Promise<{ code: number | string | undefined; err: string }> {
  const cmd = devnetCommand();
  let err = "";
  for (const c of [cmd, ...cmd.commands]) {
    c.exitOverride();
    c.configureOutput({
      writeErr: (t) => {
        err += t;
      },
      writeOut: () => {},
    });
  }
  try {
    const r = await runCommand(cmd, ["start", ...args]);
    return { code: r.code, err: err + r.stderr };
  } catch (e) {
    return { code: (e as { exitCode?: number }).exitCode ?? "thrown", err };
  }
}

test("bad --seconds-per-slot / --lodestar-bin fail before any work, naming the flag", {
  timeout: 240_000,
}, async () => {
  const work = await mkdtemp(join(tmpdir(), "rpdvt-devnet-bad-"));
  try {
    const notLodestar = join(binDir, "not-lodestar");
    await writeFile(notLodestar, "#!/bin/sh\necho hello from a shell script\n");
    await chmod(notLodestar, 0o755);
    const plain = join(binDir, "plain-file");
    await writeFile(plain, "#!/bin/sh\nexit 0\n");
    await chmod(plain, 0o644);
    const cases: [string[], RegExp][] = [
      [["--seconds-per-slot", "0"], /--seconds-per-slot.*1\.\.60/],
      [["--seconds-per-slot", "2.5"], /--seconds-per-slot/],
      [["--seconds-per-slot", "61"], /--seconds-per-slot.*1\.\.60/],
      [["--lodestar-bin", join(binDir, "missing")], /--lodestar-bin.*no such file/],
      [["--lodestar-bin", binDir], /--lodestar-bin.*not a file/],
      [["--lodestar-bin", plain], /--lodestar-bin.*not executable.*chmod \+x/],
    ];
    for (const [args, re] of cases) {
      const r = await refused(["--work-dir", work, ...args]);
      assert.notEqual(r.code ?? 0, 0, args.join(" "));
      assert.match(r.err, re, args.join(" "));
    }
    // An executable that is not Lodestar, as a user runs it: refused after the probe, no trace.
    const r = await rpdvt("devnet", "start", "--work-dir", work, "--lodestar-bin", notLodestar);
    assert.equal(r.code, 1, r.err);
    assert.match(r.err, /--lodestar-bin .*does not behave as the lodestar CLI/);
    assert.match(r.err, /hello from a shell script/);
    assert.doesNotMatch(r.err, /\n\s+at .*:\d+:\d+/, "no stack trace");
    // Nothing was started or written.
    const left = await readdir(work);
    assert.equal(left.includes("lodestar.pid"), false, left.join(","));
    assert.equal(left.includes("devnet.json"), false, left.join(","));
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});

test("--lodestar-bin runs the user's executable; --seconds-per-slot 3 reaches the chain", {
  timeout: 180_000,
}, async () => {
  // A wrapper elsewhere on disk, as a user's own Lodestar would be; it brings its own Node.
  const wrapper = join(binDir, "my-beacon");
  const entry = join(LODESTAR_DIR, "node_modules/@chainsafe/lodestar/lib/index.js");
  await writeFile(wrapper, `#!/bin/sh\nexec "${process.execPath}" "${entry}" "$@"\n`);
  await chmod(wrapper, 0o755);
  const work = await mkdtemp(join(tmpdir(), "rpdvt-devnet-bin-run-"));
  try {
    const started = await run(
      "start",
      "--work-dir",
      work,
      "--genesis-delay",
      "20",
      "--seconds-per-slot",
      "3",
      "--lodestar-bin",
      wrapper,
      "--json",
    );
    assert.equal(started.code, 0, started.stderr);
    const info = JSON.parse(started.stdout) as { pid: number; lodestar: StatusJson["lodestar"] };
    pids.push(info.pid);
    assert.equal(info.lodestar.bin, wrapper);
    assert.equal(info.lodestar.version, "1.5.1");
    assert.equal(isDevnetProcess(info.pid), true);
    const log = await readFile(join(work, "lodestar.log"), "utf8");
    assert.match(log, new RegExp(`# rpdvt: ${wrapper} dev .*--params\\.SECONDS_PER_SLOT 3`));
    // 1.5.1 has neither SLOT_DURATION_MS nor Electra: the probe must not pass them.
    assert.doesNotMatch(log, /SLOT_DURATION_MS|ELECTRA_FORK_EPOCH/);

    const status = await run("status", "--work-dir", work, "--json");
    assert.equal(status.code, 0, status.stderr);
    const s = JSON.parse(status.stdout) as StatusJson;
    assert.equal(s.secondsPerSlot, 3);
    assert.equal(s.lodestar.bin, wrapper);
    assert.equal(s.headFork, "capella");

    const stopped = await run("stop", "--work-dir", work);
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.equal(isDevnetProcess(info.pid), false);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});
