/**
 * The `rpdvt` command line. Each command lives in its own file under src/cli/ and is registered here.
 */
import { Command } from "commander";
import { clusterCommand } from "./cluster.js";
import { demoCommand } from "./demo.js";
import { devnetCommand } from "./devnet.js";
import { doctorCommand } from "./doctor.js";
import { exitCommand } from "./exit.js";
import { fixtureCommand } from "./fixture.js";
import { keysCommand } from "./keys.js";
import { migrateCommand } from "./migrate.js";
import { nodeCommand } from "./node.js";
import { planCommand } from "./plan.js";
import { reputationCommand } from "./reputation.js";
import { setupCommand } from "./setup.js";
import { slashingProtectionCommand } from "./slashing-protection.js";

const program = new Command("rpdvt")
  .description(
    "Rocket Pool validators as distributed validators (DVT): split keys, run a DV node, plan a squad",
  )
  .version("0.1.0")
  .showHelpAfterError("(run with --help for usage)");

for (const c of [
  clusterCommand(),
  demoCommand(),
  devnetCommand(),
  doctorCommand(),
  exitCommand(),
  fixtureCommand(),
  keysCommand(),
  migrateCommand(),
  nodeCommand(),
  planCommand(),
  reputationCommand(),
  setupCommand(),
  slashingProtectionCommand(),
])
  program.addCommand(c);

await program.parseAsync(process.argv);
