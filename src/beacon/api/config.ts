/**
 * Beacon API "config" group and the genesis read the chain info needs (ethereum/beacon-APIs
 * apis/config/spec.yaml, apis/config/fork_schedule.yaml, apis/beacon/genesis.yaml): chain
 * parameters read once and cached, the fork active at a slot, and the check that this process
 * loaded the beacon node's preset before block SSZ types are used.
 */
import { ACTIVE_PRESET, ForkName } from "@lodestar/params";
import { BaseError } from "../../errors.js";
import { toHex } from "../../util/hex.js";
import { type BeaconContext, getJson } from "../context.js";
import { BeaconApiError } from "../errors.js";
import { FORK_NAME_OF_PREFIX, FORK_NAMES, forkOrder } from "../fork.js";
import * as J from "../json.js";
import type { BeaconChainInfo } from "../types.js";

/**
 * A positive integer of the spec, or a clear error naming the key.
 *
 * @example
 * specNumber(spec, "SLOTS_PER_EPOCH") // 32
 */
export function specNumber(spec: Record<string, unknown>, key: string): number {
  const v = Number(spec[key]);
  if (!Number.isSafeInteger(v) || v <= 0) {
    throw new BeaconApiError(`Beacon node spec has no valid ${key}`, {
      method: "GET",
      path: "/eth/v1/config/spec",
      attempts: [],
      details: `${key} = ${JSON.stringify(spec[key])}`,
    });
  }
  return v;
}

/**
 * The fork schedule with names from the spec's `*_FORK_VERSION` keys, ascending by epoch; forks
 * sharing an epoch (all at 0 on a devnet) in fork order, so the last entry with epoch ≤ e is the
 * fork active at e.
 *
 * @example
 * namedForks(spec, schedule)[0] // { name: "phase0", epoch: 0, version }
 */
export function namedForks(
  spec: Record<string, unknown>,
  schedule: { current_version: Uint8Array; epoch: number }[],
): BeaconChainInfo["forks"] {
  const nameOf = new Map<string, string>();
  for (const [k, v] of Object.entries(spec)) {
    const m = /^([A-Z0-9_]+)_FORK_VERSION$/.exec(k);
    if (m?.[1] && typeof v === "string") {
      nameOf.set(v.toLowerCase(), FORK_NAME_OF_PREFIX[m[1]] ?? m[1].toLowerCase());
    }
  }
  return schedule
    .map((f, i) => ({
      name: nameOf.get(toHex(f.current_version)) ?? `fork${i}`,
      epoch: f.epoch,
      version: f.current_version,
    }))
    .sort((a, b) => a.epoch - b.epoch || forkOrder(a.name) - forkOrder(b.name));
}

/**
 * GET /eth/v1/beacon/genesis, /eth/v1/config/spec and /eth/v1/config/fork_schedule, uncached.
 *
 * @example
 * const chain = await loadChainInfo(ctx);
 */
export async function loadChainInfo(ctx: BeaconContext): Promise<BeaconChainInfo> {
  const [genesis, spec, schedule] = await Promise.all([
    getJson(ctx, J.genesisResponse, "/eth/v1/beacon/genesis"),
    getJson(ctx, J.specResponse, "/eth/v1/config/spec"),
    getJson(ctx, J.forkScheduleResponse, "/eth/v1/config/fork_schedule"),
  ]);
  const s = spec.data;
  return {
    genesisTime: genesis.data.genesis_time,
    genesisValidatorsRoot: genesis.data.genesis_validators_root,
    genesisForkVersion: genesis.data.genesis_fork_version,
    // Lodestar ≥ 1.3x (consensus-specs after Fulu, EIP-7782 prep) may publish SLOT_DURATION_MS
    // alone; SECONDS_PER_SLOT wins where both are given.
    secondsPerSlot:
      s.SECONDS_PER_SLOT !== undefined
        ? specNumber(s, "SECONDS_PER_SLOT")
        : specNumber(s, "SLOT_DURATION_MS") / 1000,
    slotsPerEpoch: specNumber(s, "SLOTS_PER_EPOCH"),
    forks: namedForks(s, schedule.data),
    presetBase: String(s.PRESET_BASE ?? ""),
    configName: String(s.CONFIG_NAME ?? ""),
    spec: s,
  };
}

/**
 * The chain info, read once per client (concurrent callers share one read; a failed read is
 * retried by the next call).
 *
 * @example
 * const { slotsPerEpoch } = await chainInfo(ctx);
 */
export async function chainInfo(ctx: BeaconContext): Promise<BeaconChainInfo> {
  if (ctx.chain) return ctx.chain;
  ctx.chainPending ??= loadChainInfo(ctx).finally(() => {
    ctx.chainPending = undefined;
  });
  ctx.chain = await ctx.chainPending;
  return ctx.chain;
}

/**
 * The fork of `slot` (from the cached chain info).
 *
 * @example
 * await forkAtSlot(ctx, 9) // "electra"
 */
export async function forkAtSlot(ctx: BeaconContext, slot: number): Promise<ForkName> {
  const c = await chainInfo(ctx);
  const epoch = Math.floor(slot / c.slotsPerEpoch);
  let name = "phase0";
  for (const f of c.forks) if (f.epoch <= epoch) name = f.name;
  return (FORK_NAMES.has(name) ? name : ForkName.phase0) as ForkName;
}

/**
 * Block SSZ types depend on the preset: refuse to parse blocks when this process loaded another
 * preset than the beacon node's PRESET_BASE.
 *
 * @example
 * await assertPreset(ctx); // before any block is parsed
 */
export async function assertPreset(ctx: BeaconContext): Promise<void> {
  const c = await chainInfo(ctx);
  if (!c.presetBase || c.presetBase === ACTIVE_PRESET) return;
  throw new BaseError(
    `The beacon node runs the "${c.presetBase}" preset but this process loaded "${ACTIVE_PRESET}"`,
    {
      metaMessages: [
        "Block SSZ types depend on the preset (list limits, sync committee size).",
        process.env.LODESTAR_PRESET
          ? `LODESTAR_PRESET=${process.env.LODESTAR_PRESET} is set in this environment: remove it (rpdvt reads the preset from the beacon node).`
          : "rpdvt reads the preset from the first --beacon-url when it starts (GET /eth/v1/config/spec) and could not: check that this beacon node is up and reachable, then run the command again.",
      ],
    },
  );
}
