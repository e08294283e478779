/**
 * The `rpdvt` command line. Each command lives in its own file under src/cli/ and is registered here.
 */
import { Command } from "commander";
import { demoCommand } from "./demo.js";
import { fixtureCommand } from "./fixture.js";
import { keysCommand } from "./keys.js";
import { planCommand } from "./plan.js";
import { slashingProtectionCommand } from "./slashing-protection.js";

const program = new Command("rpdvt")
  .description(
    "Rocket Pool validators as distributed validators (DVT): split keys, run a DV node, plan a squad",
  )
  .version("0.1.0")
  .showHelpAfterError("(run with --help for usage)");

for (const c of [
  demoCommand(),
  fixtureCommand(),
  keysCommand(),
  planCommand(),
  slashingProtectionCommand(),
])
  program.addCommand(c);

await program.parseAsync(process.argv);
