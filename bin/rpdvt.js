#!/usr/bin/env node
// The one entry point of the rpdvt CLI (`npx rpdvt`, `npm run rpdvt`, `npm run demo`): runs the
// TypeScript sources through tsx's loader (no build step needed).
import { register } from "tsx/esm/api";

register();
// The consensus preset must be set before anything imports @lodestar/* (src/cli/preset.ts):
// the devnet's for `demo`/`devnet`, else the one the given beacon node runs.
const { choosePreset } = await import("../src/cli/preset.ts");
const choice = await choosePreset(process.argv.slice(2), process.env);
if (choice.preset !== undefined) process.env.LODESTAR_PRESET = choice.preset;
await import("../src/cli/main.ts");
