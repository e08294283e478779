/**
 * Runs the operations commands (migrate, exit, setup, doctor) as a standalone CLI for the e2e
 * tests, until the lead registers them in src/cli/main.ts:
 *   node --import tsx test/e2e/ops-runner.ts migrate …
 */
import { Command } from "commander";
import { doctorCommand } from "../../src/cli/doctor.js";
import { exitCommand } from "../../src/cli/exit.js";
import { migrateCommand } from "../../src/cli/migrate.js";
import { setupCommand } from "../../src/cli/setup.js";

const program = new Command("rpdvt");
for (const c of [migrateCommand(), exitCommand(), setupCommand(), doctorCommand()])
  program.addCommand(c);
await program.parseAsync(process.argv);
