/**
 * `rpdvt slashing-protection import|export`: move EIP-3076 v5 interchange files
 * (https://eips.ethereum.org/EIPS/eip-3076) in and out of the operator's slashing-protection
 * database (`<data-dir>/slashing-protection.sqlite`, see src/slashing/db.ts).
 *
 * EIP-3076 "General Recommendations": import and export only while the node is stopped. Imports
 * never lower protection; exports are written atomically (temp file + rename, mode 0600).
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { Command } from "commander";
import { InputError } from "../errors.js";
import { type ImportSummary, SlashingProtectionDb } from "../slashing/db.js";
import { readInterchangeFile, serializeInterchange } from "../slashing/interchange.js";
import { DB_FILE_NAME } from "../slashing/schema.js";
import { assertAbsent, SECRET_FILE_MODE, writeFileAtomic } from "../util/fs.js";
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
  const cmd = new Command("slashing-protection").description(
    "Import/export the slashing-protection database as EIP-3076 v5 interchange JSON (node stopped)",
  );

  cmd
    .command("import")
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
        const ic = await readInterchangeFile(opts.file);
        if (
          opts.genesisValidatorsRoot !== undefined &&
          opts.genesisValidatorsRoot.toLowerCase() !==
            ic.metadata.genesis_validators_root.toLowerCase()
        )
          throw new InputError("The interchange file is for another network", {
            file: opts.file,
            field: "metadata.genesis_validators_root",
            details: `file has ${ic.metadata.genesis_validators_root}, --genesis-validators-root is ${opts.genesisValidatorsRoot}`,
          });
        const db = SlashingProtectionDb.open(opts.dataDir, {
          genesisValidatorsRoot: opts.genesisValidatorsRoot,
          exclusive: true,
        });
        let summary: ImportSummary;
        try {
          summary = db.importInterchange(ic, { file: opts.file });
        } finally {
          db.close();
        }
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

  cmd
    .command("export")
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
        const path = join(opts.dataDir, DB_FILE_NAME);
        if (!existsSync(path))
          throw new InputError("No slashing-protection database found", {
            file: path,
            metaMessages: ["Check --data-dir: it must be the node's data directory."],
          });
        await assertAbsent(opts.out);
        const pubkeys = opts.pubkeys
          ?.flatMap((p) => p.split(","))
          .map((p) => p.trim())
          .filter(Boolean);
        const db = SlashingProtectionDb.open(opts.dataDir);
        let text: string;
        let validators: number;
        let gvr: string;
        try {
          const ic = db.exportInterchange({
            pubkeys,
            format: opts.minimal ? "minimal" : "complete",
          });
          text = serializeInterchange(ic);
          validators = ic.data.length;
          gvr = ic.metadata.genesis_validators_root;
        } finally {
          db.close();
        }
        await writeFileAtomic(opts.out, text, { mode: SECRET_FILE_MODE });
        const summary = {
          out: opts.out,
          validators,
          format: opts.minimal ? "minimal" : "complete",
          genesisValidatorsRoot: gvr,
        };
        if (opts.json) return printJson(summary);
        process.stdout.write(
          `Exported ${validators} validator(s) (${summary.format}) to ${opts.out}\n`,
        );
      }),
    );

  return cmd;
}
