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
import { promises as fsp } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Command } from "commander";
import { createBeaconClient } from "../beacon/client.js";
import {
  DEFAULT_GENESIS_DELAY_S,
  DEFAULT_SECONDS_PER_SLOT,
  DEVNET_FILES,
  ensureInstalled,
  isDevnetProcess,
  startDevnet,
  stopPid,
} from "../devnet/index.js";
import { InputError } from "../errors.js";
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

type DevnetInfo = {
  restUrl: string;
  lodestar?: { bin: string; version: string; forkEpochs: Record<string, number> };
  pid: number;
  genesisTime: number;
  secondsPerSlot: number;
  logFile: string;
};

async function readInfo(workDir: string): Promise<DevnetInfo | null> {
  const text = await fsp.readFile(join(workDir, DEVNET_FILES.info), "utf8").catch(() => null);
  if (text === null) return null;
  try {
    return JSON.parse(text) as DevnetInfo;
  } catch (err) {
    throw new InputError("devnet.json is not JSON", {
      file: join(workDir, DEVNET_FILES.info),
      cause: err,
    });
  }
}

async function readPid(workDir: string): Promise<number | null> {
  const text = await fsp.readFile(join(workDir, DEVNET_FILES.pid), "utf8").catch(() => null);
  const pid = Number(text?.trim());
  return text !== null && Number.isInteger(pid) && pid > 0 ? pid : null;
}

const workDirOption = ["--work-dir <dir>", "devnet folder (log, pid file, DB)"] as const;

/**
 * The `devnet` command (start | stop | status).
 *
 * @example
 * await devnetCommand().parseAsync(["node", "x", "start", "--work-dir", "/tmp/dn"]);
 * await devnetCommand().parseAsync(["node", "x", "stop", "--work-dir", "/tmp/dn"]);
 */
export function devnetCommand(): Command {
  const start = new Command("start")
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
      runAction(
        async (o: {
          workDir: string;
          validators: number;
          lodestarValidators: string;
          secondsPerSlot: number;
          genesisDelay: number;
          lodestarBin?: string;
          install?: boolean;
          json?: boolean;
        }) => {
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
          if (o.json) {
            printJson(info);
            return;
          }
          process.stdout.write(
            [
              `REST URL:     ${d.restUrl}`,
              `PID:          ${d.pid}`,
              `Lodestar:     ${d.lodestar.version} (${d.lodestar.bin})`,
              `Forks:        ${Object.entries(d.lodestar.forkEpochs)
                .map(([f, e]) => `${f}@${e}`)
                .join(" ")}; ${d.secondsPerSlot} s slots`,
              `Genesis:      ${new Date(d.genesisTime * 1000).toISOString()} (in ${Math.max(0, d.genesisTime - Math.floor(Date.now() / 1000))} s)`,
              `Log:          ${d.logFile}`,
              `PID file:     ${join(d.workDir, DEVNET_FILES.pid)}`,
              `Stop it with: rpdvt devnet stop --work-dir ${d.workDir}`,
              "",
            ].join("\n"),
          );
        },
      ),
    );

  const stop = new Command("stop")
    .description("Stop the devnet started from --work-dir (by the PID in its pid file)")
    .option(...workDirOption, DEFAULT_DEVNET_DIR)
    .action(
      runAction(async (o: { workDir: string }) => {
        const dir = resolve(o.workDir);
        const pid = await readPid(dir);
        if (pid === null || !isDevnetProcess(pid)) {
          await fsp.rm(join(dir, DEVNET_FILES.pid), { force: true });
          process.stdout.write(`No devnet runs from ${dir}\n`);
          return;
        }
        await stopPid(pid);
        await fsp.rm(join(dir, DEVNET_FILES.pid), { force: true });
        process.stdout.write(`Stopped devnet PID ${pid}\n`);
      }),
    );

  const status = new Command("status")
    .description("Is the devnet of --work-dir running, and where is its chain")
    .option(...workDirOption, DEFAULT_DEVNET_DIR)
    .option("--json", "print the status as JSON")
    .action(
      runAction(async (o: { workDir: string; json?: boolean }) => {
        const dir = resolve(o.workDir);
        const pid = await readPid(dir);
        const info = await readInfo(dir);
        const running = pid !== null && isDevnetProcess(pid);
        const out: Record<string, unknown> = { workDir: dir, running, pid };
        if (running && info) {
          out.restUrl = info.restUrl;
          if (info.lodestar) out.lodestar = info.lodestar;
          const beacon = createBeaconClient([info.restUrl], { timeoutMs: 3000 });
          try {
            const [sync, fin, chain, version] = await Promise.all([
              beacon.syncing(),
              beacon.finalityCheckpoints(),
              beacon.chainInfo(),
              beacon.version(),
            ]);
            out.headSlot = sync.headSlot;
            out.finalizedEpoch = fin.finalized.epoch;
            out.justifiedEpoch = fin.currentJustified.epoch;
            out.nodeVersion = version;
            out.preset = chain.presetBase;
            out.secondsPerSlot = chain.secondsPerSlot;
            out.slotsPerEpoch = chain.slotsPerEpoch;
            // Forks the chain does not schedule (FAR_FUTURE_EPOCH) are left out.
            out.forkSchedule = chain.forks
              .filter((f) => Number.isSafeInteger(f.epoch))
              .map((f) => ({
                fork: f.name,
                epoch: f.epoch,
                version: `0x${Buffer.from(f.version).toString("hex")}`,
              }));
            const headEpoch = Math.floor(sync.headSlot / chain.slotsPerEpoch);
            out.headFork = chain.forks.filter((f) => f.epoch <= headEpoch).at(-1)?.name ?? null;
          } catch (err) {
            out.restError = (err as Error).message.split("\n")[0];
          }
        }
        if (o.json) {
          printJson(out);
          return;
        }
        process.stdout.write(
          running
            ? `Devnet running: PID ${pid}, ${out.restUrl ?? "REST URL unknown"}` +
                (out.headSlot !== undefined
                  ? `, head slot ${out.headSlot} (${out.headFork}), justified epoch ${out.justifiedEpoch}, finalized epoch ${out.finalizedEpoch}; ${out.preset} preset, ${out.secondsPerSlot} s slots, forks ${(out.forkSchedule as { fork: string; epoch: number }[]).map((f) => `${f.fork}@${f.epoch}`).join(" ")}\n`
                  : `, REST API not answering (${out.restError ?? "no devnet.json"})\n`)
            : `No devnet runs from ${dir}\n`,
        );
        if (!running) process.exitCode = 3;
      }),
    );

  return new Command("devnet")
    .description(
      "Local Lodestar beacon node dev chain (real Lodestar: 1.5.1 installed here, or --lodestar-bin) for end-to-end tests",
    )
    .addCommand(start)
    .addCommand(stop)
    .addCommand(status);
}
