/**
 * `rpdvt slashing-protection import|export`: move EIP-3076 v5 interchange files
 * (https://eips.ethereum.org/EIPS/eip-3076) in and out of the operator's slashing-protection
 * database (`<data-dir>/slashing-protection.sqlite`, see src/slashing/db.ts).
 *
 * EIP-3076 "General Recommendations": import and export only while the node is stopped. Imports
 * never lower protection; exports are written atomically (temp file + rename, mode 0600). This
 * file parses and prints; the transfer is src/ops/slashing-protection/transfer.ts.
 */
import { join } from "node:path";
import { Command } from "commander";
import {
  exportInterchangeFile,
  importInterchangeFile,
} from "../ops/slashing-protection/transfer.js";
import { DB_FILE_NAME } from "../slashing/schema.js";
import { printJson, runAction } from "./run.js";

type ImportOpts = { dataDir: string; file: string; genesisValidatorsRoot?: string; json?: boolean };
type ExportOpts = {
  dataDir: string;
  out: string;
  pubkeys?: string[];
  minimal?: boolean;
  json?: boolean;
};

/**
 * The `slashing-protection` command (subcommands `import` and `export`).
 *
 * @example
 * program.addCommand(slashingProtectionCommand());
 * // rpdvt slashing-protection import --data-dir /var/lib/rpdvt --file slashing.json
 */
export function slashingProtectionCommand(): Command {
  return new Command("slashing-protection")
    .description(
      "Import/export the slashing-protection database as EIP-3076 v5 interchange JSON (node stopped)",
    )
    .addCommand(importCommand())
    .addCommand(exportCommand());
}

function importCommand(): Command {
  return new Command("import")
    .description("Merge an EIP-3076 interchange file into the database (never lowers protection)")
    .requiredOption(
      "--data-dir <dir>",
      "operator data directory holding slashing-protection.sqlite",
    )
    .requiredOption("--file <path>", "EIP-3076 v5 interchange JSON to import")
    .option(
      "--genesis-validators-root <0x…>",
      "expected network; required to match the file and the database",
    )
    .option("--json", "print the import summary as JSON")
    .action(
      runAction(async (opts: ImportOpts) => {
        const summary = await importInterchangeFile(opts);
        if (opts.json) return printJson(summary);
        process.stdout.write(
          `Imported ${summary.validators} validator(s): ${summary.signedBlocks} new block(s), ` +
            `${summary.signedAttestations} new attestation(s) into ${join(opts.dataDir, DB_FILE_NAME)}\n`,
        );
        if (summary.slashable.length > 0)
          process.stderr.write(
            `Warning: the file contradicts itself or the database for ${summary.slashable.length} ` +
              "validator(s); their low watermarks were raised to the latest known message:\n" +
              summary.slashable.map((s) => `  ${s.pubkey}: ${s.reasons.join("; ")}\n`).join(""),
          );
      }),
    );
}

function exportCommand(): Command {
  return new Command("export")
    .description("Write the database as an EIP-3076 v5 interchange file (atomic, mode 0600)")
    .requiredOption(
      "--data-dir <dir>",
      "operator data directory holding slashing-protection.sqlite",
    )
    .requiredOption("--out <path>", "output file (must not exist)")
    .option("--pubkeys <keys...>", "only these validators (0x-hex, space- or comma-separated)")
    .option("--minimal", "one block and one attestation per validator (EIP-3076 minimal strategy)")
    .option("--json", "print a summary as JSON")
    .action(
      runAction(async (opts: ExportOpts) => {
        const pubkeys = opts.pubkeys
          ?.flatMap((p) => p.split(","))
          .map((p) => p.trim())
          .filter(Boolean);
        const summary = await exportInterchangeFile({ ...opts, pubkeys });
        if (opts.json) return printJson(summary);
        process.stdout.write(
          `Exported ${summary.validators} validator(s) (${summary.format}) to ${opts.out}\n`,
        );
      }),
    );
}
