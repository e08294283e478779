/**
 * Which `lodestar` CLI the devnet runs, and what its `lodestar dev` accepts — detected by running
 * it, never assumed from its version number.
 *
 * - The default is the Lodestar this project installs (devnet/lodestar, 1.5.1), run with this
 *   process's Node; `--lodestar-bin PATH` names any executable that behaves as the `lodestar` CLI
 *   (1.5.1 or later), run as is (it brings its own Node).
 * - Version: `<bin> --version` (Lodestar prints "Version: v1.5.1/…").
 * - Flags: `<bin> dev <every flag the devnet would pass> --logLevel <invalid>`. Lodestar's yargs
 *   parser is strict (packages/cli/src/cli.ts: `.strict()`), and validates unknown arguments before
 *   option choices: a flag this version lacks comes back as "Unknown argument(s): …"; when every
 *   flag is known, the invalid `--logLevel` choice ("Invalid values: … logLevel …") stops it
 *   before anything starts. `--params.*` flags are hidden from `--help`
 *   (packages/cli/src/options/paramsOptions.ts), so `--help` cannot tell them.
 * - Forks at genesis (minimal preset): every fork the binary knows up to Electra at epoch 0
 *   (Capella at least: 1.5.1's chain), Fulu at epoch 1 when the binary knows it. Slot length:
 *   `--params.SECONDS_PER_SLOT` and/or `--params.SLOT_DURATION_MS` (Lodestar ≥ 1.3x), whichever
 *   it knows.
 * - The probe costs two Node starts (5–15 s on a loaded 2-core box): its result is kept in
 *   memory and in OS-temp/rpdvt-lodestar-probe/<sha256(path, size, mtime, ctime)>.json. A binary
 *   swapped behind an unchanged wrapper is still caught: the devnet checks the REST API's version.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { accessSync, constants, promises as fsp, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { BaseError, InputError } from "../errors.js";
import { writeFileAtomic } from "../util/fs.js";
import { LODESTAR_ENTRY } from "./install.js";

/**
 * The oldest Lodestar the devnet supports (the one this project installs).
 *
 * @example
 * compareVersions(v, MIN_LODESTAR_VERSION) >= 0
 */
export const MIN_LODESTAR_VERSION = "1.5.1";

/**
 * Forks the devnet may schedule, in order, with the `--params.<X>_FORK_EPOCH` prefix.
 * (1.5.1's Deneb is named EIP4844 and is not scheduled.)
 *
 * @example
 * DEVNET_FORKS.map((f) => `params.${f.param}_FORK_EPOCH`)
 */
export const DEVNET_FORKS = [
  { name: "altair", param: "ALTAIR" },
  { name: "bellatrix", param: "BELLATRIX" },
  { name: "capella", param: "CAPELLA" },
  { name: "deneb", param: "DENEB" },
  { name: "electra", param: "ELECTRA" },
  { name: "fulu", param: "FULU" },
] as const;

/** Chain params the devnet may pass besides fork epochs. */
const OPTIONAL_PARAMS = [
  "SECONDS_PER_SLOT",
  "SLOT_DURATION_MS",
  "TERMINAL_TOTAL_DIFFICULTY",
  "SHARD_COMMITTEE_PERIOD",
] as const;

/** Non-params flags of `lodestar dev` the devnet passes: a binary lacking one is unusable. */
export const REQUIRED_DEV_FLAGS = [
  "genesisValidators",
  "startValidators",
  "genesisTime",
  "execution.engineMock",
  "rest",
  "rest.address",
  "rest.port",
  "rest.namespace",
  "beaconNodes",
  "listenAddress",
  "port",
  "discv5",
  "dataDir",
  "reset",
] as const;

/** A probe of one binary must answer within this (cold Node start on a loaded 2-core box). */
const PROBE_TIMEOUT_MS = 90_000;
const INVALID_LOG_LEVEL = "__rpdvt_probe__";

/**
 * A `lodestar` CLI and what its `lodestar dev` accepts.
 *
 * @example
 * const bin = await probeLodestar("/opt/lodestar/lodestar");
 * spawn(bin.command, [...bin.prefixArgs, "dev", ...]);
 */
export type LodestarBinary = {
  /** The executable given (or the default entry point). */
  path: string;
  /** True for the project's own devnet/lodestar install. */
  isDefault: boolean;
  /** What to spawn: the executable itself, or this Node for the default entry point. */
  command: string;
  prefixArgs: string[];
  /** "x.y.z" from `--version`. */
  version: string;
  /** `--params.<KEY>` keys of {@link DEVNET_FORKS} / slot / misc params this binary accepts. */
  params: ReadonlySet<string>;
};

/**
 * Compare "x.y.z" versions (numeric, part by part).
 *
 * @example
 * compareVersions("1.39.1", "1.5.1") // 1
 */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(".").map(Number);
  const pb = b.split(".").map(Number);
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

/**
 * Check a `--lodestar-bin` value before any work: an existing, executable regular file.
 * Returns its absolute path.
 *
 * @example
 * const bin = validateLodestarBin(flags.lodestarBin); // throws InputError naming --lodestar-bin
 */
export function validateLodestarBin(path: string, flag = "--lodestar-bin"): string {
  const abs = resolve(path);
  let isFile = false;
  try {
    isFile = statSync(abs).isFile();
  } catch {
    throw new InputError(`${flag} ${path}: no such file`, {
      field: flag,
      metaMessages: ["Give the path of an executable that behaves as the `lodestar` CLI."],
    });
  }
  if (!isFile) {
    throw new InputError(`${flag} ${path} is not a file`, {
      field: flag,
      metaMessages: ["Give the executable itself (e.g. …/node_modules/.bin/lodestar)."],
    });
  }
  try {
    accessSync(abs, constants.X_OK);
  } catch {
    throw new InputError(`${flag} ${path} is not executable`, {
      field: flag,
      metaMessages: [`Make it executable (chmod +x ${abs}) or give a wrapper script that is.`],
    });
  }
  return abs;
}

type RunResult = { code: number | null; output: string; timedOut: boolean };

/** Run the binary with `args` in its own process group; output = stdout + stderr. */
async function runBinary(
  bin: Pick<LodestarBinary, "command" | "prefixArgs">,
  args: string[],
  cwd: string,
): Promise<RunResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, LODESTAR_PRESET: "minimal" };
  delete env.NODE_TEST_CONTEXT;
  delete env.NODE_OPTIONS;
  return new Promise((res) => {
    let output = "";
    let timedOut = false;
    const child = spawn(bin.command, [...bin.prefixArgs, ...args], {
      cwd,
      env,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const onData = (b: Buffer) => {
      if (output.length < 200_000) output += b.toString("utf8");
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
      } catch {
        /* gone */
      }
    }, PROBE_TIMEOUT_MS);
    child.once("error", (err) => {
      clearTimeout(timer);
      res({ code: -1, output: `${output}\n${err.message}`, timedOut });
    });
    child.once("close", (code) => {
      clearTimeout(timer);
      res({ code, output, timedOut });
    });
  });
}

/**
 * The version in `lodestar --version` output ("Version: v1.5.1/abc…", "v1.39.1", "1.39.1").
 *
 * @example
 * parseLodestarVersion("  * Version: v1.5.1/041769e") // "1.5.1"
 */
export function parseLodestarVersion(text: string): string | null {
  const m =
    /Version:\s*v?(\d+\.\d+\.\d+)/i.exec(text) ?? /(?:^|[\s/])v(\d+\.\d+\.\d+)\b/m.exec(text);
  return m?.[1] ?? null;
}

/**
 * Flags named in yargs' "Unknown argument(s): a, b" line (empty if none).
 *
 * @example
 * parseUnknownArguments("✖ Unknown arguments: params.FULU_FORK_EPOCH, params.X") // ["params.FULU_FORK_EPOCH", "params.X"]
 */
export function parseUnknownArguments(text: string): string[] {
  const m = /Unknown arguments?:\s*(.+)/.exec(text);
  if (!m?.[1]) return [];
  return m[1]
    .split(",")
    .map((s) => s.trim().replace(/^-+/, ""))
    .filter((s) => s.length > 0);
}

/** Every `--params.*` key the devnet might pass. */
function candidateParams(): string[] {
  return [...DEVNET_FORKS.map((f) => `${f.param}_FORK_EPOCH`), ...OPTIONAL_PARAMS];
}

/**
 * Probe a `lodestar` CLI: its version (≥ {@link MIN_LODESTAR_VERSION}) and which of the devnet's
 * flags its `lodestar dev` accepts. Without `path`, the project's devnet/lodestar install (which
 * must be installed: see ensureInstalled). Errors name the flag (`--lodestar-bin`) and say what
 * to do; nothing is started (the probe stops at yargs' validation).
 *
 * @example
 * const bin = await probeLodestar(); // devnet/lodestar's 1.5.1
 * bin.params.has("ELECTRA_FORK_EPOCH") // false
 */
export async function probeLodestar(path?: string): Promise<LodestarBinary> {
  const target = path === undefined ? LODESTAR_ENTRY : validateLodestarBin(path);
  const key = probeKey(target);
  const cached = memo.get(key) ?? (await readCache(key));
  if (cached) {
    memo.set(key, cached);
    return binaryOf(path, cached);
  }
  const probed = await probeUncached(path);
  const entry = { version: probed.version, params: [...probed.params] };
  memo.set(key, entry);
  await writeCache(key, entry);
  return probed;
}

type ProbeEntry = { version: string; params: string[] };
const memo = new Map<string, ProbeEntry>();
const CACHE_DIR = join(tmpdir(), "rpdvt-lodestar-probe");

function probeKey(file: string): string {
  const st = statSync(file);
  return createHash("sha256")
    .update(JSON.stringify([file, st.size, st.mtimeMs, st.ctimeMs, process.execPath]))
    .digest("hex");
}

async function readCache(key: string): Promise<ProbeEntry | undefined> {
  try {
    const e = JSON.parse(await fsp.readFile(join(CACHE_DIR, `${key}.json`), "utf8")) as ProbeEntry;
    if (typeof e.version === "string" && Array.isArray(e.params)) return e;
  } catch {
    /* none or unreadable: probe */
  }
  return undefined;
}

async function writeCache(key: string, e: ProbeEntry): Promise<void> {
  try {
    await fsp.mkdir(CACHE_DIR, { recursive: true });
    await writeFileAtomic(join(CACHE_DIR, `${key}.json`), `${JSON.stringify(e)}\n`);
  } catch {
    /* a cache only */
  }
}

/** How to run the default Lodestar (node + its entry) or a user's executable (validated path). */
function launcherOf(abs: string | undefined) {
  return abs === undefined
    ? {
        path: LODESTAR_ENTRY,
        isDefault: true,
        command: process.execPath,
        prefixArgs: [LODESTAR_ENTRY],
      }
    : { path: abs, isDefault: false, command: abs, prefixArgs: [] as string[] };
}

function binaryOf(path: string | undefined, e: ProbeEntry): LodestarBinary {
  const base = launcherOf(path === undefined ? undefined : resolve(path));
  return { ...base, version: e.version, params: new Set(e.params) };
}

/** The probe's flag, and how errors name the executable. */
const PROBE_FLAG = "--lodestar-bin";

/**
 * Run the executable twice (`--version`, and `lodestar dev` with every flag the devnet may use
 * and an invalid log level, so its argument parser lists the unknown ones and refuses to start):
 * its version (≥ {@link MIN_LODESTAR_VERSION}) and the params it knows.
 */
async function probeUncached(path?: string): Promise<LodestarBinary> {
  const base = launcherOf(path === undefined ? undefined : validateLodestarBin(path, PROBE_FLAG));
  const what = base.isDefault
    ? `the devnet's Lodestar (${base.path})`
    : `${PROBE_FLAG} ${base.path}`;
  const cwd = await fsp.mkdtemp(join(tmpdir(), "rpdvt-lodestar-probe-"));
  try {
    const params = candidateParams();
    const probeArgs = [
      "dev",
      ...REQUIRED_DEV_FLAGS.flatMap((f) => [`--${f}`, probeValue(f)]),
      ...params.flatMap((p) => [`--params.${p}`, "0"]),
      ...["--logLevel", INVALID_LOG_LEVEL],
    ];
    const [ver, dev] = await Promise.all([
      runBinary(base, ["--version"], cwd),
      runBinary(base, probeArgs, cwd),
    ]);
    const version = checkedVersion(what, ver);
    const known = knownParams(what, version, dev, params);
    return { ...base, version, params: known };
  } finally {
    await fsp.rm(cwd, { recursive: true, force: true });
  }
}

/** What one probe run returned. */
type ProbeRun = Awaited<ReturnType<typeof runBinary>>;

/** The version `--version` printed, at least {@link MIN_LODESTAR_VERSION}. */
function checkedVersion(what: string, ver: ProbeRun): string {
  const version = parseLodestarVersion(ver.output);
  if (version === null) {
    throw new InputError(
      `${what} does not behave as the lodestar CLI: \`--version\` printed no version`,
      {
        field: PROBE_FLAG,
        details: tail(ver.output),
        metaMessages: [
          ver.timedOut
            ? `It did not exit within ${PROBE_TIMEOUT_MS / 1000} s.`
            : `Exit code ${ver.code}.`,
          "Give an executable that runs Lodestar's CLI (`lodestar --version` prints `Version: vX.Y.Z`).",
        ],
      },
    );
  }
  if (compareVersions(version, MIN_LODESTAR_VERSION) < 0) {
    throw new InputError(
      `${what} is Lodestar ${version}; the devnet needs ${MIN_LODESTAR_VERSION} or later`,
      {
        field: PROBE_FLAG,
        metaMessages: ["Omit --lodestar-bin to use the Lodestar 1.5.1 this project installs."],
      },
    );
  }
  return version;
}

/**
 * The candidate params the `dev` probe did not call unknown; every required `dev` flag known,
 * Capella's fork epoch and a slot length among them.
 */
function knownParams(
  what: string,
  version: string,
  dev: ProbeRun,
  params: readonly string[],
): Set<string> {
  const unknown = new Set(parseUnknownArguments(dev.output));
  const validated = dev.output.includes(INVALID_LOG_LEVEL) && /Invalid values?/i.test(dev.output);
  if (unknown.size === 0 && !validated) {
    throw new BaseError(`Could not tell which flags ${what} accepts`, {
      details: tail(dev.output),
      metaMessages: [
        `Probe: lodestar dev … --logLevel ${INVALID_LOG_LEVEL} should have been refused by its argument parser` +
          (dev.timedOut
            ? ` (it ran for ${PROBE_TIMEOUT_MS / 1000} s and was killed)`
            : ` (exit code ${dev.code})`),
        "Check that the executable runs Lodestar's CLI unchanged.",
      ],
    });
  }
  const missing = REQUIRED_DEV_FLAGS.filter((f) => unknown.has(f));
  if (missing.length > 0) {
    throw new InputError(
      `${what} (Lodestar ${version}) lacks \`lodestar dev\` flags the devnet needs: ${missing.map((f) => `--${f}`).join(", ")}`,
      {
        field: PROBE_FLAG,
        metaMessages: ["Use a Lodestar release of the 1.x line with the `dev` command."],
      },
    );
  }
  const known = new Set(params.filter((p) => !unknown.has(`params.${p}`)));
  if (!known.has("CAPELLA_FORK_EPOCH")) {
    throw new InputError(
      `${what} (Lodestar ${version}) does not know --params.CAPELLA_FORK_EPOCH`,
      {
        field: PROBE_FLAG,
        metaMessages: [`The devnet starts at Capella or later: Lodestar ${MIN_LODESTAR_VERSION}+.`],
      },
    );
  }
  if (!known.has("SECONDS_PER_SLOT") && !known.has("SLOT_DURATION_MS")) {
    throw new InputError(
      `${what} (Lodestar ${version}) knows neither --params.SECONDS_PER_SLOT nor --params.SLOT_DURATION_MS`,
      { field: PROBE_FLAG },
    );
  }
  return known;
}

function probeValue(flag: string): string {
  if (flag === "rest" || flag === "execution.engineMock" || flag === "reset") return "true";
  if (flag === "discv5") return "false";
  if (flag === "startValidators") return "0..0";
  if (flag === "beaconNodes") return "http://127.0.0.1:1";
  if (flag === "rest.address" || flag === "listenAddress") return "127.0.0.1";
  if (flag === "rest.namespace") return "*";
  if (flag === "dataDir") return "rpdvt-probe-data";
  return "1";
}

function tail(text: string, lines = 15): string {
  return text.split("\n").slice(-lines).join("\n").trim() || "(no output)";
}

/**
 * The fork epochs a devnet on this binary gets: every known fork up to Electra at 0, Fulu at 1
 * (when Electra and Fulu are both known). Keys are fork names, ascending.
 *
 * @example
 * devnetForkEpochs(new Set(["CAPELLA_FORK_EPOCH", "ALTAIR_FORK_EPOCH", "BELLATRIX_FORK_EPOCH"]))
 * // { altair: 0, bellatrix: 0, capella: 0 }
 */
export function devnetForkEpochs(params: ReadonlySet<string>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const f of DEVNET_FORKS) {
    if (!params.has(`${f.param}_FORK_EPOCH`)) continue;
    if (f.name === "fulu") {
      if (out.electra === 0) out.fulu = 1;
      continue;
    }
    out[f.name] = 0;
  }
  return out;
}

/**
 * The `--params.*` arguments for the slot length and fork schedule of a devnet on this binary.
 *
 * @example
 * chainParamArgs(bin.params, 3) // ["--params.SECONDS_PER_SLOT", "3", …, "--params.ELECTRA_FORK_EPOCH", "0", …]
 */
export function chainParamArgs(params: ReadonlySet<string>, secondsPerSlot: number): string[] {
  const args: string[] = [];
  if (params.has("SECONDS_PER_SLOT"))
    args.push("--params.SECONDS_PER_SLOT", String(secondsPerSlot));
  if (params.has("SLOT_DURATION_MS")) {
    args.push("--params.SLOT_DURATION_MS", String(secondsPerSlot * 1000));
  }
  const byName = new Map<string, string>(DEVNET_FORKS.map((f) => [f.name, f.param]));
  for (const [name, epoch] of Object.entries(devnetForkEpochs(params))) {
    args.push(`--params.${byName.get(name)}_FORK_EPOCH`, String(epoch));
  }
  if (params.has("TERMINAL_TOTAL_DIFFICULTY")) args.push("--params.TERMINAL_TOTAL_DIFFICULTY", "0");
  // Voluntary exits valid from genesis (minimal preset default: 64 epochs, mainnet 256).
  if (params.has("SHARD_COMMITTEE_PERIOD")) args.push("--params.SHARD_COMMITTEE_PERIOD", "0");
  return args;
}

/**
 * `lodestar dev` flags that point its beacon node (and its own validator client) at a builder —
 * the same names in 1.5.1 and 1.39: `--builder` (beacon node builder client; in `lodestar dev`
 * also the validator client's builder flow), `--builder.urls` (1.5.1 `builder.urls`, an array of
 * which only the first is used; 1.39 renamed it `builder.url` and keeps `builder.urls` as its
 * alias: packages/cli/src/options/beaconNodeOptions/builder.ts). The validator client's
 * `--builder.selection` (1.5.1: maxprofit|builderalways; 1.39 adds default, builderonly,
 * executionalways, executiononly) is left to the caller: Lodestar's own validators keep their
 * default unless `selection` is given.
 *
 * @example
 * startDevnet({ extraArgs: builderArgs("http://127.0.0.1:18550") });
 * // ["--builder", "--builder.urls", "http://127.0.0.1:18550"]
 */
export function builderArgs(url: string, selection?: string): string[] {
  return [
    "--builder",
    ...["--builder.urls", url],
    ...(selection ? ["--builder.selection", selection] : []),
  ];
}
