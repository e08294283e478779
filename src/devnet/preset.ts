/**
 * Side-effect module: select Lodestar's "minimal" preset (the devnet's, `LODESTAR_PRESET=minimal`
 * in src/devnet/start.ts) for every @lodestar/* module loaded AFTER this one. @lodestar/params
 * reads `process.env.LODESTAR_PRESET` once, when first imported (lib/index.js ACTIVE_PRESET), and
 * SSZ block types depend on it (minimal: SYNC_COMMITTEE_SIZE 32, MAX_WITHDRAWALS_PER_PAYLOAD 4 —
 * consensus-specs presets/minimal). Attestation types are the same in both presets.
 *
 * For in-process tests against the devnet. The CLI does not need it: its entry point
 * (bin/rpdvt.js, src/cli/preset.ts) picks the preset itself. Import it FIRST (before anything that
 * imports @lodestar/*), on its own line:
 *   import "../src/devnet/preset.js";
 * An explicitly set LODESTAR_PRESET is left alone.
 */
import { DEVNET_PRESET } from "./preset-name.js";

/**
 * The consensus preset of the rpdvt devnet (./preset-name.ts).
 *
 * @example
 * import "./devnet/preset.js"; // first import: LODESTAR_PRESET=minimal
 */
export { DEVNET_PRESET };

if (process.env.LODESTAR_PRESET === undefined) process.env.LODESTAR_PRESET = DEVNET_PRESET;
