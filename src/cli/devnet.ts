/**
 * `rpdvt devnet start|stop|status [--work-dir DIR]`: a local REAL Lodestar dev chain for trying
 * the DV node by hand (src/devnet): the Lodestar 1.5.1 this project installs, or any `lodestar`
 * CLI ≥ 1.5.1 given with `--lodestar-bin` (its flags detected: Electra at genesis and Fulu at
 * epoch 1 when it has them). `start` launches it in the background (it keeps running after the
 * command returns), prints its REST URL and PID and writes DIR/lodestar.pid and DIR/devnet.json;
 * `stop` ends it by that PID (SIGTERM, SIGKILL after 3 s); `status` says whether it runs, where
 * the chain is (head slot, finalized epoch) and — read from the Beacon API
 * (/eth/v1/config/spec, /eth/v1/config/fork_schedule) — its preset, slot length, fork schedule
 * and the head's fork.
 */
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Command } from "commander";
import {
  DEFAULT_GENESIS_DELAY_S,
  DEFAULT_SECONDS_PER_SLOT,
  DEVNET_FILES,
  type DevnetHandle,
  type DevnetStatus,
  devnetStatus,
  ensureInstalled,
  startDevnet,
  stopDevnetAt,
} from "../devnet/index.js";
import {
  LODESTAR_BIN_OPTION,
  lodestarBinArg,
  MAX_SECONDS_PER_SLOT,
  secondsPerSlotArg,
  wholeNumberArg,
} from "./args.js";
import { printJson, runAction } from "./run.js";

/**
 * Default work dir of the CLI devnet (one per machine user, so stop/status find it).
 *
 * @example
 * join(DEFAULT_DEVNET_DIR, "lodestar.log")
 */
export const DEFAULT_DEVNET_DIR = join(tmpdir(), "rpdvt-devnet");

const workDirOption = ["--work-dir <dir>", "devnet folder (log, pid file, DB)"] as const;

/**
 * The `devnet` command (start | stop | status).
 *
 * @example
 * await devnetCommand().parseAsync(["node", "x", "start", "--work-dir", "/tmp/dn"]);
 * await devnetCommand().parseAsync(["node", "x", "stop", "--work-dir", "/tmp/dn"]);
 */
export function devnetCommand(): Command {
  return new Command("devnet")
    .description(
      "Local Lodestar beacon node dev chain (real Lodestar: 1.5.1 installed here, or --lodestar-bin) for end-to-end tests",
    )
    .addCommand(startCommand())
    .addCommand(stopCommand())
    .addCommand(statusCommand());
}

type StartFlags = {
  workDir: string;
  validators: number;
  lodestarValidators: string;
  secondsPerSlot: number;
  genesisDelay: number;
  lodestarBin?: string;
  install?: boolean;
  json?: boolean;
};

function startCommand(): Command {
  return new Command("start")
    .description(
      "Start a local Lodestar dev chain in the background (minimal preset, 2 s slots; Lodestar 1.5.1 " +
        "at Capella, or --lodestar-bin at Electra/Fulu); Lodestar runs validators 0..47, 48..63 are left to rpdvt",
    )
    .option(...workDirOption, DEFAULT_DEVNET_DIR)
    .option("--validators <n>", "interop validators in genesis", wholeNumberArg(1), 64)
    .option("--lodestar-validators <a..b>", "validators Lodestar runs itself", "0..47")
    .option(
      "--seconds-per-slot <n>",
      `slot length in seconds (1..${MAX_SECONDS_PER_SLOT}; a post-Electra Lodestar on 2 cores needs 3)`,
      secondsPerSlotArg,
      DEFAULT_SECONDS_PER_SLOT,
    )
    .option(...LODESTAR_BIN_OPTION, lodestarBinArg)
    .option(
      "--genesis-delay <s>",
      "seconds from launch to genesis",
      wholeNumberArg(0),
      DEFAULT_GENESIS_DELAY_S,
    )
    .option("--install", "install the default Lodestar first if needed (npm ci, ~1-2 min)")
    .option("--json", "print the devnet as JSON")
    .action(
      runAction(async (o: StartFlags) => {
        if (o.lodestarBin === undefined) await ensureInstalled({ install: o.install === true });
        const d = await startDevnet({
          lodestarBin: o.lodestarBin,
          workDir: resolve(o.workDir),
          validators: o.validators,
          lodestarValidators: o.lodestarValidators,
          secondsPerSlot: o.secondsPerSlot,
          genesisDelay: o.genesisDelay,
          detached: true,
        });
        const { stop: _stop, ...info } = d;
        if (o.json) printJson(info);
        else process.stdout.write(startLines(d));
      }),
    );
}

function stopCommand(): Command {
  return new Command("stop")
    .description("Stop the devnet started from --work-dir (by the PID in its pid file)")
    .option(...workDirOption, DEFAULT_DEVNET_DIR)
    .action(
      runAction(async (o: { workDir: string }) => {
        const dir = resolve(o.workDir);
        const pid = await stopDevnetAt(dir);
        process.stdout.write(
          pid === null ? `No devnet runs from ${dir}\n` : `Stopped devnet PID ${pid}\n`,
        );
      }),
    );
}

function statusCommand(): Command {
  return new Command("status")
    .description("Is the devnet of --work-dir running, and where is its chain")
    .option(...workDirOption, DEFAULT_DEVNET_DIR)
    .option("--json", "print the status as JSON")
    .action(
      runAction(async (o: { workDir: string; json?: boolean }) => {
        const out = await devnetStatus(resolve(o.workDir));
        if (o.json) printJson(out);
        else process.stdout.write(statusLine(out));
        if (!out.running) process.exitCode = 3;
      }),
    );
}

/** `devnet status` for a human: the process, and its chain or why it is not known. */
function statusLine(s: DevnetStatus): string {
  if (!s.running) return `No devnet runs from ${s.workDir}\n`;
  const head =
    s.headSlot !== undefined
      ? `, head slot ${s.headSlot} (${s.headFork}), justified epoch ${s.justifiedEpoch}, finalized epoch ${s.finalizedEpoch}; ${s.preset} preset, ${s.secondsPerSlot} s slots, forks ${(s.forkSchedule ?? []).map((f) => `${f.fork}@${f.epoch}`).join(" ")}`
      : `, REST API not answering (${s.restError ?? "no devnet.json"})`;
  return `Devnet running: PID ${s.pid}, ${s.restUrl ?? "REST URL unknown"}${head}\n`;
}

/** `devnet start` for a human: where it runs, what it is, how to stop it. */
function startLines(d: DevnetHandle): string {
  const forks = Object.entries(d.lodestar.forkEpochs)
    .map(([f, e]) => `${f}@${e}`)
    .join(" ");
  const inS = Math.max(0, d.genesisTime - Math.floor(Date.now() / 1000));
  return [
    `REST URL:     ${d.restUrl}`,
    `PID:          ${d.pid}`,
    `Lodestar:     ${d.lodestar.version} (${d.lodestar.bin})`,
    `Forks:        ${forks}; ${d.secondsPerSlot} s slots`,
    `Genesis:      ${new Date(d.genesisTime * 1000).toISOString()} (in ${inS} s)`,
    `Log:          ${d.logFile}`,
    `PID file:     ${join(d.workDir, DEVNET_FILES.pid)}`,
    `Stop it with: rpdvt devnet stop --work-dir ${d.workDir}`,
    "",
  ].join("\n");
}
