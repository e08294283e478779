/**
 * A squad on the devnet: n rpdvt operator nodes, each its own OS process (`rpdvt node run`), with
 * its own p2p identity, slashing DB and share keystores, all talking libp2p on 127.0.0.1 and
 * using the Lodestar devnet's REST API. Used by `rpdvt demo` and the end-to-end tests; operators
 * can be stopped (SIGTERM, like a machine going down) and restarted on cue.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, promises as fsp } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { writeCluster } from "../keysplit/cluster.js";
import { splitValidatorKey, type ValidatorKey } from "../keysplit/split.js";
import { generateIdentity, identityString, writeIdentityFile } from "../p2p/identity.js";
import { freePort } from "./start.js";

/**
 * The `rpdvt` entry point the squad's processes run (also the demo's CLI steps, ./demo/replace.ts).
 *
 * @example
 * spawn(process.execPath, [BIN, "node", "identity", "--out", "id.json"]);
 */
export const BIN = fileURLToPath(new URL("../../bin/rpdvt.js", import.meta.url));
/**
 * How long a node may take to answer /status after its start: decrypting its share keystores and
 * loading the sources through tsx take ~5 s on an idle 2-core host, but over a minute for 4 nodes
 * started together while the same host runs other builds (measured: 153 s for 4 nodes × 16
 * validators, `rpdvt --help` 17 s, at load average 24–30).
 */
const START_TIMEOUT_MS = 300_000;
/** GET /status timeout: a local node answers in milliseconds, a starved one in seconds. */
const STATUS_TIMEOUT_MS = 3_000;

export type SquadOptions = {
  workDir: string;
  keys: readonly ValidatorKey[];
  operatorIds: readonly number[];
  beaconUrl: string;
  feeRecipient: string;
  /** Epochs each node watches liveness before signing (doppelganger protection). */
  doppelgangerEpochs: number;
  /**
   * Token of the nodes' dashboard POSTs (a threshold exit: POST /api/exit), handed to each node in
   * its environment (RPDVT_DASHBOARD_TOKEN), never on its command line. Default: inherited.
   */
  dashboardToken?: string | undefined;
  /**
   * More `rpdvt node run` flags for every operator (e.g. the builder options once the beacon node
   * has a builder), appended after the squad's own.
   */
  nodeArgs?: readonly string[];
};

export type SquadOperator = {
  id: number;
  dir: string;
  metricsPort: number;
  logFile: string;
  process: ChildProcess | undefined;
  /** This operator's cluster folder when not `<clusterDir>/operator-<id>` (a successor cluster). */
  clusterDir?: string | undefined;
  /** More `rpdvt node run` flags for this operator only (e.g. `--previous-cluster DIR`). */
  extraArgs?: readonly string[] | undefined;
};

export type Squad = {
  clusterDir: string;
  operators: SquadOperator[];
  /** When the nodes were first started (ms since the epoch): after the cluster was written. */
  startedAtMs: number;
  /** Start operator `id` (again). */
  start(id: number): Promise<void>;
  /** Stop operator `id` (SIGTERM, SIGKILL after 5 s); resolves when it has exited. */
  stop(id: number): Promise<void>;
  /** GET /status of a running operator (undefined if down or unreachable). */
  status(id: number): Promise<Record<string, unknown> | undefined>;
  /** Whether operator `id`'s process is running (it may still be slow to answer /status). */
  running(id: number): boolean;
  stopAll(): Promise<void>;
};

/**
 * Split `keys` into a cluster with fresh operator identities and endpoints on 127.0.0.1, then
 * start one `rpdvt node run` process per operator.
 *
 * @example
 * const squad = await startSquad({ workDir, keys, operatorIds: [1, 2, 3, 4], beaconUrl, feeRecipient, doppelgangerEpochs: 1 });
 * await squad.stop(4);
 */
export async function startSquad(opts: SquadOptions): Promise<Squad> {
  const clusterDir = join(opts.workDir, "cluster");
  const operators = await writeSquad(opts, clusterDir);
  const byId = (id: number) => {
    const op = operators.find((o) => o.id === id);
    if (!op) throw new Error(`no operator ${id}`);
    return op;
  };
  const squad: Squad = {
    clusterDir,
    operators,
    startedAtMs: Date.now(),
    start: (id) => startOperator(byId(id), clusterDir, opts, () => squad.status(id)),
    stop: (id) => stopChild(byId(id).process),
    status: (id) => operatorStatus(byId(id).metricsPort),
    running: (id) => isRunning(byId(id).process),
    async stopAll() {
      await Promise.all(operators.map((o) => stopChild(o.process)));
    },
  };
  process.once("exit", () => {
    for (const o of operators) o.process?.kill("SIGKILL");
  });
  try {
    squad.startedAtMs = Date.now();
    await Promise.all(opts.operatorIds.map((id) => squad.start(id)));
  } catch (err) {
    await squad.stopAll();
    throw err;
  }
  return squad;
}

/**
 * The squad's files: the cluster split for fresh identities and free ports on 127.0.0.1, and per
 * operator a folder (0700) with its identity file; returns the operators (not started).
 */
async function writeSquad(opts: SquadOptions, clusterDir: string): Promise<SquadOperator[]> {
  const identities = opts.operatorIds.map(() => generateIdentity());
  const ports = await Promise.all(opts.operatorIds.map(() => freePort()));
  const metricsPorts = await Promise.all(opts.operatorIds.map(() => freePort()));
  await fsp.mkdir(opts.workDir, { recursive: true, mode: 0o700 });
  // PBKDF2 (EIP-2335, c = 2^18) rather than scrypt: 4 operators × n validators keystores in seconds.
  await writeCluster(
    clusterDir,
    opts.keys.map((k) => splitValidatorKey(k, opts.operatorIds)),
    {
      operators: opts.operatorIds.map((id, i) => ({
        id,
        identity: identityString(identities[i] as (typeof identities)[number]),
        endpoint: `127.0.0.1:${ports[i]}`,
      })),
      feeRecipients: opts.feeRecipient,
      name: "rpdvt demo squad",
      kdf: "pbkdf2",
      quiet: true,
    },
  );
  const operators: SquadOperator[] = [];
  for (const [i, id] of opts.operatorIds.entries()) {
    const dir = join(opts.workDir, `operator-${id}`);
    await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
    await writeIdentityFile(
      join(dir, "identity.json"),
      identities[i] as (typeof identities)[number],
    );
    operators.push({
      id,
      dir,
      metricsPort: metricsPorts[i] as number,
      logFile: join(dir, "node.log"),
      process: undefined,
    });
  }
  return operators;
}

/** `rpdvt node run`'s arguments for operator `op`. */
function nodeRunArgs(op: SquadOperator, clusterDir: string, opts: SquadOptions): string[] {
  return [
    BIN,
    "node",
    "run",
    "--cluster",
    op.clusterDir ?? join(clusterDir, `operator-${op.id}`),
    "--identity",
    join(op.dir, "identity.json"),
    "--data-dir",
    join(op.dir, "data"),
    "--beacon-url",
    opts.beaconUrl,
    "--metrics-port",
    String(op.metricsPort),
    "--dashboard",
    "--doppelganger-epochs",
    String(opts.doppelgangerEpochs),
    ...(opts.nodeArgs ?? []),
    ...(op.extraArgs ?? []),
  ];
}

/**
 * Whether a child process is still running: neither exited nor ended by a signal.
 *
 * @example
 * if (!isRunning(op.process)) await squad.start(op.id);
 */
export function isRunning(p: ChildProcess | undefined): boolean {
  return p !== undefined && p.exitCode === null && p.signalCode === null;
}

/**
 * Start operator `op`'s process (unless it runs) with its output appended to its log, and wait
 * until its status endpoint answers (keys decrypted, p2p listening, beacon reached).
 */
async function startOperator(
  op: SquadOperator,
  clusterDir: string,
  opts: SquadOptions,
  status: () => Promise<Record<string, unknown> | undefined>,
): Promise<void> {
  // Still running: neither exited nor killed by a signal (a node SIGKILLed by stopChild has
  // exitCode null and signalCode "SIGKILL"; it must be started again, not skipped).
  if (isRunning(op.process)) return;
  const log = createWriteStream(op.logFile, { flags: "a" });
  const child = spawn(process.execPath, nodeRunArgs(op, clusterDir, opts), {
    stdio: ["ignore", "pipe", "pipe"],
    // No LODESTAR_PRESET: the entry point reads the devnet's preset from --beacon-url, as for
    // any user's node (src/cli/preset.ts).
    env: {
      ...process.env,
      LODESTAR_PRESET: undefined,
      ...(opts.dashboardToken ? { RPDVT_DASHBOARD_TOKEN: opts.dashboardToken } : {}),
    },
  });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  op.process = child;
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`operator ${op.id} exited (${child.exitCode}); see ${op.logFile}`);
    if (await status()) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(
    `operator ${op.id} did not come up within ${START_TIMEOUT_MS / 1000} s; see ${op.logFile}`,
  );
}

/** SIGTERM, SIGKILL after 5 s; resolves when the process has exited (at once if it is not running). */
async function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
  await exited;
  clearTimeout(timer);
}

/** GET /status of the node on `metricsPort` (undefined if down or unreachable). */
async function operatorStatus(metricsPort: number): Promise<Record<string, unknown> | undefined> {
  try {
    const r = await fetch(`http://127.0.0.1:${metricsPort}/status`, {
      signal: AbortSignal.timeout(STATUS_TIMEOUT_MS),
    });
    return r.ok ? ((await r.json()) as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
