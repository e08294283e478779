/**
 * A background devnet found by its work dir (the CLI's `rpdvt devnet stop|status`,
 * src/cli/devnet.ts): its pid file and devnet.json (written by ./start.ts), whether that PID is
 * still our devnet (./start.ts isDevnetProcess), stopping it by PID, and where its chain is, read
 * from the Beacon API (GET /eth/v1/node/syncing, …/finality_checkpoints, /eth/v1/config/spec,
 * /eth/v1/config/fork_schedule, /eth/v1/node/version).
 */
import { promises as fsp } from "node:fs";
import { join } from "node:path";
import { createBeaconClient } from "../beacon/index.js";
import { InputError } from "../errors.js";
import { toHex } from "../util/hex.js";
import { DEVNET_FILES, isDevnetProcess, readDevnetPid, stopPid } from "./start.js";

/** The status read's Beacon API timeout (a local node answers in milliseconds). */
const STATUS_TIMEOUT_MS = 3_000;

/**
 * devnet.json: what `startDevnet` wrote of its handle.
 *
 * @example
 * const info: DevnetInfo = { restUrl: "http://127.0.0.1:5052", pid: 4242, genesisTime: 1765000000, secondsPerSlot: 2, logFile: "/tmp/rpdvt-devnet/lodestar.log" };
 */
export type DevnetInfo = {
  restUrl: string;
  lodestar?: { bin: string; version: string; forkEpochs: Record<string, number> };
  pid: number;
  genesisTime: number;
  secondsPerSlot: number;
  logFile: string;
};

/**
 * `devnet status --json`: the process, and, when it runs, its chain (or the REST error).
 *
 * @example
 * const s: DevnetStatus = { workDir: "/tmp/rpdvt-devnet", running: false, pid: null };
 */
export type DevnetStatus = {
  workDir: string;
  running: boolean;
  pid: number | null;
  restUrl?: string;
  lodestar?: DevnetInfo["lodestar"];
  headSlot?: number;
  finalizedEpoch?: number;
  justifiedEpoch?: number;
  nodeVersion?: string;
  preset?: string;
  secondsPerSlot?: number;
  slotsPerEpoch?: number;
  forkSchedule?: { fork: string; epoch: number; version: string }[];
  headFork?: string | null;
  restError?: string;
};

/**
 * The devnet.json of `workDir` (null when absent; an InputError naming the file when not JSON).
 *
 * @example
 * const info = await readDevnetInfo("/tmp/rpdvt-devnet");
 */
export async function readDevnetInfo(workDir: string): Promise<DevnetInfo | null> {
  const file = join(workDir, DEVNET_FILES.info);
  const text = await fsp.readFile(file, "utf8").catch(() => null);
  if (text === null) return null;
  try {
    return JSON.parse(text) as DevnetInfo;
  } catch (err) {
    throw new InputError("devnet.json is not JSON", { file, cause: err });
  }
}

/**
 * Stop the devnet started from `workDir` by the PID in its pid file, and remove the pid file
 * (also a stale one). Returns the stopped PID, null when no devnet ran from there.
 *
 * @example
 * const pid = await stopDevnetAt("/tmp/rpdvt-devnet"); // 4242, or null
 */
export async function stopDevnetAt(workDir: string): Promise<number | null> {
  const pid = await readDevnetPid(workDir);
  const running = pid !== null && isDevnetProcess(pid);
  if (running) await stopPid(pid);
  await fsp.rm(join(workDir, DEVNET_FILES.pid), { force: true });
  return running ? pid : null;
}

/**
 * Whether the devnet of `workDir` runs, and where its chain is.
 *
 * @example
 * const s = await devnetStatus("/tmp/rpdvt-devnet");
 * if (s.running) console.log(s.headSlot, s.headFork);
 */
export async function devnetStatus(workDir: string): Promise<DevnetStatus> {
  const pid = await readDevnetPid(workDir);
  const info = await readDevnetInfo(workDir);
  const running = pid !== null && isDevnetProcess(pid);
  const out: DevnetStatus = { workDir, running, pid };
  if (!running || !info) return out;
  out.restUrl = info.restUrl;
  if (info.lodestar) out.lodestar = info.lodestar;
  try {
    Object.assign(out, await chainStatus(info.restUrl));
  } catch (err) {
    out.restError = (err as Error).message.split("\n")[0];
  }
  return out;
}

/** Head, finality, preset, slot length and the fork schedule, from the node's Beacon API. */
async function chainStatus(restUrl: string): Promise<Partial<DevnetStatus>> {
  const beacon = createBeaconClient([restUrl], { timeoutMs: STATUS_TIMEOUT_MS });
  const [sync, fin, chain, version] = await Promise.all([
    beacon.syncing(),
    beacon.finalityCheckpoints(),
    beacon.chainInfo(),
    beacon.version(),
  ]);
  const headEpoch = Math.floor(sync.headSlot / chain.slotsPerEpoch);
  return {
    headSlot: sync.headSlot,
    finalizedEpoch: fin.finalized.epoch,
    justifiedEpoch: fin.currentJustified.epoch,
    nodeVersion: version,
    preset: chain.presetBase,
    secondsPerSlot: chain.secondsPerSlot,
    slotsPerEpoch: chain.slotsPerEpoch,
    // Forks the chain does not schedule (FAR_FUTURE_EPOCH) are left out.
    forkSchedule: chain.forks
      .filter((f) => Number.isSafeInteger(f.epoch))
      .map((f) => ({
        fork: f.name,
        epoch: f.epoch,
        version: toHex(f.version),
      })),
    headFork: chain.forks.filter((f) => f.epoch <= headEpoch).at(-1)?.name ?? null,
  };
}
