/**
 * `rpdvt fixture rocketpool --validators N --out DIR [--custom-keys K] [--orphans K]
 * [--mnemonic "…"] [--real-kdf] [--json]`: write a realistic Rocket Pool Smartnode data folder
 * (`DIR/data`) with test validator keys, for trying rpdvt without a real node. Layout, formats and
 * KDF choices: src/rocketpool/fixture.ts.
 */
import { Command, InvalidArgumentError } from "commander";
import { MAX_FIXTURE_KEYS, writeRocketPoolFixture } from "../rocketpool/fixture.js";
import { ORPHAN_SEARCH_WINDOW } from "../rocketpool/layout.js";
import { startProgress } from "../util/progress.js";
import { printJson, runAction } from "./run.js";

function countParser(max: number): (value: string) => number {
  return (value) => {
    if (!/^\d+$/.test(value.trim()) || Number(value) > max) {
      throw new InvalidArgumentError(`expected a whole number from 0 to ${max}`);
    }
    return Number(value);
  };
}

type Opts = {
  validators: number;
  out: string;
  customKeys: number;
  orphans: number;
  mnemonic?: string;
  realKdf?: boolean;
  json?: boolean;
};

/**
 * The `fixture` command with its `rocketpool` subcommand.
 *
 * @example
 * await fixtureCommand().parseAsync(["node", "x", "rocketpool", "--validators", "3", "--out", "/tmp/rp"]);
 */
export function fixtureCommand(): Command {
  const rocketpool = new Command("rocketpool")
    .description(
      "Write a realistic Rocket Pool Smartnode data folder (<out>/data: wallet, password, keystores for " +
        "lighthouse, lodestar, nimbus, teku and prysm, custom-keys) holding TEST keys",
    )
    .requiredOption(
      "--validators <n>",
      "wallet validators (the wallet's next_account)",
      countParser(MAX_FIXTURE_KEYS),
    )
    .requiredOption(
      "--out <dir>",
      "folder to create (must not exist); the data folder is <out>/data",
    )
    .option(
      "--custom-keys <n>",
      "imported solo keys in custom-keys/ (not from the wallet)",
      countParser(MAX_FIXTURE_KEYS),
      0,
    )
    .option(
      "--orphans <n>",
      `orphan keystores: wallet accounts at and above next_account (max ${ORPHAN_SEARCH_WINDOW})`,
      countParser(ORPHAN_SEARCH_WINDOW),
      0,
    )
    .option(
      "--mnemonic <words>",
      "derive from this BIP-39 mnemonic (default: a fresh random 24-word one)",
    )
    .option(
      "--real-kdf",
      "give validator keystores the Smartnode's real KDF cost (scrypt n=2^18, pbkdf2 c=2^18; ~1 s per keystore) " +
        "instead of the fast default (2^10); the wallet always uses pbkdf2 c=2^18",
    )
    .option("--json", "print the result as JSON")
    .action(
      runAction(async (opts: Opts) => {
        const total = opts.validators + opts.orphans + opts.customKeys;
        const progress = startProgress("Writing keystores", total);
        const kdf = opts.realKdf ? "real" : "fast";
        let res: Awaited<ReturnType<typeof writeRocketPoolFixture>>;
        try {
          res = await writeRocketPoolFixture(opts.out, {
            validators: opts.validators,
            customKeys: opts.customKeys,
            orphans: opts.orphans,
            kdf,
            onProgress: () => progress.tick(),
            ...(opts.mnemonic !== undefined ? { mnemonic: opts.mnemonic } : {}),
          });
        } finally {
          progress.stop();
        }
        if (opts.json) {
          printJson({ ...res, kdf });
          return;
        }
        process.stdout.write(
          [
            `Wrote a Rocket Pool Smartnode data folder: ${res.dataDir}`,
            `  ${res.pubkeys.length} wallet validator(s) (next_account ${res.pubkeys.length}), ` +
              `${res.orphanPubkeys.length} orphan(s), ${res.customPubkeys.length} custom key(s)`,
            `  Keystores in every client layout; validator keystore KDF: ${kdf === "real" ? "real (2^18)" : "fast (2^10)"}`,
            `Mnemonic (TEST KEYS ONLY — never deposit to them): ${res.mnemonic}`,
            "",
          ].join("\n"),
        );
      }),
    );
  return new Command("fixture").description("Generate test fixtures").addCommand(rocketpool);
}
