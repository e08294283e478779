/**
 * `rpdvt keys list|split|verify`: the Rocket Pool keys → threshold shares workflow.
 */
import { Command } from "commander";
import { keysListCommand } from "./keys-list.js";
import { keysSplitCommand } from "./keys-split.js";
import { keysVerifyCommand } from "./keys-verify.js";

/**
 * The `keys` command group.
 *
 * @example
 * program.addCommand(keysCommand());
 */
export function keysCommand(): Command {
  return new Command("keys")
    .description("List, split and verify validator keys")
    .addCommand(keysListCommand())
    .addCommand(keysSplitCommand())
    .addCommand(keysVerifyCommand());
}
