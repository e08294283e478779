/**
 * The consensus preset of the rpdvt devnet: Lodestar `dev` runs with `LODESTAR_PRESET=minimal`
 * (./start.ts; consensus-specs presets/minimal). No imports and no side effect: the entry point's
 * preset choice (src/cli/preset.ts) reads it before anything loads @lodestar/*.
 *
 * @example
 * spawn(cmd, args, { env: { LODESTAR_PRESET: DEVNET_PRESET } });
 */
export const DEVNET_PRESET = "minimal";
