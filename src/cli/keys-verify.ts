/**
 * `rpdvt keys verify PATH [--operator-keys DIR] [--json]`: exit 0 only if every check passes.
 */
import { Command } from "commander";
import { verifyOutput } from "../keysplit/verify.js";
import { printJson, runAction } from "./run.js";

/**
 * The `verify` subcommand of `rpdvt keys`.
 *
 * @example
 * await keysVerifyCommand().parseAsync(["node", "verify", "keyshares.json", "--json"]);
 */
export function keysVerifyCommand(): Command {
  return new Command("verify")
    .description(
      "Verify an SSV keyshares file, an rpdvt cluster, Dirk accounts or Obol split keys (format auto-detected)",
    )
    .argument("<path>", "keyshares JSON file or output folder")
    .option(
      "--operator-keys <dir>",
      "SSV operator RSA private keys (PEM or ssv-dkg encrypted_private_key.json + password) to decrypt and check every share",
    )
    .option("--json", "print the report as JSON")
    .option("--quiet", "no progress output")
    .action(
      runAction(
        async (path: string, opts: { operatorKeys?: string; json?: boolean; quiet?: boolean }) => {
          const report = await verifyOutput(path, {
            operatorKeysDir: opts.operatorKeys,
            quiet: opts.quiet || opts.json,
          });
          if (opts.json) return printJson({ ok: true, ...report });
          process.stdout.write(
            `${[
              `OK  ${report.format}: ${report.file}`,
              `    ${report.validators} validator(s)${report.operators.length ? `, operators ${report.operators.join(",")}, threshold ${report.threshold}` : ""}`,
              ...report.checks.map((c) => `    ✓ ${c}`),
            ].join("\n")}\n`,
          );
        },
      ),
    );
}
