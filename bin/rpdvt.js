#!/usr/bin/env node
// Entry point: runs the TypeScript CLI through tsx's loader (no build step needed).
import { register } from "tsx/esm/api";

// @lodestar/params reads LODESTAR_PRESET once, when first imported, and SSZ block types depend on
// it: the local devnet (`demo`, `devnet`) runs Lodestar's minimal preset.
if (
  ["demo", "devnet"].includes(process.argv[2] ?? "") &&
  process.env.LODESTAR_PRESET === undefined
) {
  process.env.LODESTAR_PRESET = "minimal";
}

register();
await import("../src/cli/main.ts");
