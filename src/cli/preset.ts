/**
 * Which consensus preset this rpdvt process loads, decided by the entry point (bin/rpdvt.js)
 * before anything imports @lodestar/*: @lodestar/params reads `LODESTAR_PRESET` once, when first
 * imported (lib/index.js ACTIVE_PRESET), and SSZ block types depend on it (consensus-specs
 * presets/: minimal has SYNC_COMMITTEE_SIZE 32, MAX_WITHDRAWALS_PER_PAYLOAD 4, …). The user never
 * sets it:
 * - an explicit `LODESTAR_PRESET` wins;
 * - `demo` and `devnet` run the local devnet: its preset, {@link DEVNET_PRESET};
 * - a command given a beacon node (`--beacon-url`, `--beacon`; the first one) loads the preset that
 *   node runs: `PRESET_BASE` of its `GET /eth/v1/config/spec` (Beacon API, config);
 * - otherwise (or when the beacon node cannot be reached): mainnet, @lodestar/params' default —
 *   the beacon client's preset check (assertPreset, src/beacon/api/config.ts) then says clearly
 *   what is wrong.
 *
 * This module must not import @lodestar/* (it runs before the preset is chosen).
 */
import { DEVNET_PRESET } from "../devnet/preset-name.js";

/** The devnet's preset (src/devnet/preset-name.ts), for the entry point and its tests. */
export { DEVNET_PRESET };
/** Presets @lodestar/params knows (its presets/ folder). */
export const KNOWN_PRESETS: readonly string[] = ["mainnet", "minimal", "gnosis"];
/** Commands that start the local devnet. */
const DEVNET_COMMANDS = ["demo", "devnet"];
/** Commands whose beacon URL is only written into generated files, never contacted. */
const OFFLINE_COMMANDS = ["setup"];
/** Flags naming a beacon node. */
const BEACON_FLAGS = ["--beacon-url", "--beacon"];
/**
 * How long the entry point waits for the beacon node's spec (then: mainnet, and the command's own
 * check explains). A down node refuses at once; a busy one can take seconds (measured: over 3 s
 * for a Lodestar devnet on a 2-core host at load average 30).
 */
export const PRESET_PROBE_TIMEOUT_MS = 10_000;

/**
 * The chosen preset and why (`preset` undefined: leave @lodestar/params' default, mainnet).
 *
 * @example
 * const c: PresetChoice = { preset: "minimal", source: "beacon", beaconUrl: "http://127.0.0.1:5052" };
 */
export type PresetChoice = {
  preset: string | undefined;
  source: "env" | "devnet" | "beacon" | "default";
  beaconUrl?: string | undefined;
  /** Why the beacon node's preset could not be read (source "default" with a beacon URL). */
  reason?: string | undefined;
};

/**
 * The first beacon node URL in the command line (`--beacon-url URL`, `--beacon-url=URL`,
 * `--beacon URL`), or undefined. `args` is what follows the program name.
 *
 * @example
 * beaconUrlOf(["node", "run", "--beacon-url", "http://127.0.0.1:5052"]); // "http://127.0.0.1:5052"
 */
export function beaconUrlOf(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === "--") return undefined;
    for (const f of BEACON_FLAGS) {
      if (a === f) return args[i + 1];
      if (a.startsWith(`${f}=`)) return a.slice(f.length + 1);
    }
  }
  return undefined;
}

/**
 * `PRESET_BASE` of a beacon node's `GET /eth/v1/config/spec`; rejects when the node does not
 * answer in time or answers without a known preset.
 *
 * @example
 * await beaconPreset("http://127.0.0.1:5052"); // "minimal" on the rpdvt devnet
 */
export async function beaconPreset(
  beaconUrl: string,
  opts: { fetch?: typeof fetch; timeoutMs?: number } = {},
): Promise<string> {
  const url = `${beaconUrl.replace(/\/+$/, "")}/eth/v1/config/spec`;
  const r = await (opts.fetch ?? fetch)(url, {
    signal: AbortSignal.timeout(opts.timeoutMs ?? PRESET_PROBE_TIMEOUT_MS),
    headers: { accept: "application/json" },
  });
  if (!r.ok) throw new Error(`HTTP ${r.status} from ${url}`);
  const body = (await r.json()) as { data?: { PRESET_BASE?: unknown } };
  const preset = body?.data?.PRESET_BASE;
  if (typeof preset !== "string" || !KNOWN_PRESETS.includes(preset))
    throw new Error(`${url} has no known PRESET_BASE (${JSON.stringify(preset)})`);
  return preset;
}

/**
 * Decide the preset for a command line (`args`: what follows the program name) in `env`.
 *
 * @example
 * const c = await choosePreset(process.argv.slice(2), process.env);
 * if (c.preset) process.env.LODESTAR_PRESET = c.preset;
 */
export async function choosePreset(
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  opts: { fetch?: typeof fetch; timeoutMs?: number } = {},
): Promise<PresetChoice> {
  if (env.LODESTAR_PRESET !== undefined && env.LODESTAR_PRESET !== "")
    return { preset: env.LODESTAR_PRESET, source: "env" };
  const command = args[0] ?? "";
  if (DEVNET_COMMANDS.includes(command)) return { preset: DEVNET_PRESET, source: "devnet" };
  const beaconUrl = beaconUrlOf(args);
  if (
    beaconUrl === undefined ||
    OFFLINE_COMMANDS.includes(command) ||
    args.includes("--help") ||
    args.includes("-h")
  )
    return { preset: undefined, source: "default" };
  try {
    return { preset: await beaconPreset(beaconUrl, opts), source: "beacon", beaconUrl };
  } catch (e) {
    const reason =
      e instanceof Error ? (e.cause instanceof Error ? e.cause.message : e.message) : String(e);
    return { preset: undefined, source: "default", beaconUrl, reason };
  }
}
