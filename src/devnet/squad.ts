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

const BIN = fileURLToPath(new URL("../../bin/rpdvt.js", import.meta.url));
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
};

export type SquadOperator = {
  id: number;
  dir: string;
  metricsPort: number;
  logFile: string;
  process: ChildProcess | undefined;
};

export type Squad = {
  clusterDir: string;
  operators: SquadOperator[];
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
  const identities = opts.operatorIds.map(() => generateIdentity());
  const ports = await Promise.all(opts.operatorIds.map(() => freePort()));
  const metricsPorts = await Promise.all(opts.operatorIds.map(() => freePort()));
  const clusterDir = join(opts.workDir, "cluster");
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
  const byId = (id: number) => {
    const op = operators.find((o) => o.id === id);
    if (!op) throw new Error(`no operator ${id}`);
    return op;
  };

  const start = async (id: number) => {
    const op = byId(id);
    if (op.process && op.process.exitCode === null) return;
    const log = createWriteStream(op.logFile, { flags: "a" });
    const child = spawn(
      process.execPath,
      [
        BIN,
        "node",
        "run",
        "--cluster",
        join(clusterDir, `operator-${id}`),
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
      ],
      // No LODESTAR_PRESET: the entry point reads the devnet's preset from --beacon-url, as for
      // any user's node (src/cli/preset.ts).
      {
        stdio: ["ignore", "pipe", "pipe"],
        env: {
          ...process.env,
          LODESTAR_PRESET: undefined,
          ...(opts.dashboardToken ? { RPDVT_DASHBOARD_TOKEN: opts.dashboardToken } : {}),
        },
      },
    );
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    op.process = child;
    // Wait until its status endpoint answers (keys decrypted, p2p listening, beacon reached).
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (child.exitCode !== null)
        throw new Error(`operator ${id} exited (${child.exitCode}); see ${op.logFile}`);
      if (await squad.status(id)) return;
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(
      `operator ${id} did not come up within ${START_TIMEOUT_MS / 1000} s; see ${op.logFile}`,
    );
  };

  const stop = async (id: number) => {
    const child = byId(id).process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once("exit", () => r()));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
    await exited;
    clearTimeout(timer);
  };

  const squad: Squad = {
    clusterDir,
    operators,
    start,
    stop,
    async status(id) {
      try {
        const r = await fetch(`http://127.0.0.1:${byId(id).metricsPort}/status`, {
          signal: AbortSignal.timeout(STATUS_TIMEOUT_MS),
        });
        return r.ok ? ((await r.json()) as Record<string, unknown>) : undefined;
      } catch {
        return undefined;
      }
    },
    running(id) {
      const p = byId(id).process;
      return p !== undefined && p.exitCode === null && p.signalCode === null;
    },
    async stopAll() {
      await Promise.all(operators.map((o) => stop(o.id)));
    },
  };
  const onExit = () => {
    for (const o of operators) o.process?.kill("SIGKILL");
  };
  process.once("exit", onExit);
  try {
    await Promise.all(opts.operatorIds.map((id) => start(id)));
  } catch (err) {
    await squad.stopAll();
    throw err;
  }
  return squad;
}
