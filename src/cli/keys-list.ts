/**
 * `rpdvt keys list --rocketpool-dir DIR [--json]`: the validators in a Rocket Pool Smartnode data
 * folder — pubkey, wallet index, source (wallet / custom-keys / keystore-only) and the client
 * layouts holding a keystore — without decrypting any per-key validator keystore (only the wallet
 * and Prysm's account store, one pbkdf2 each: the same scan `keys split` reads, see
 * src/rocketpool/datadir.ts). The lead attaches this under `rpdvt keys`.
 */
import { Command } from "commander";
import { type KeyEntry, listRocketPoolKeys } from "../rocketpool/datadir.js";
import { toHex } from "../util/hex.js";
import { DEFAULT_ROCKETPOOL_DIR, expandHome, maxWalletAccountsOption } from "./args.js";
import { printJson, runAction } from "./run.js";

/**
 * Render entries as an aligned text table.
 *
 * @example
 * process.stdout.write(formatKeyTable(entries));
 */
export function formatKeyTable(entries: KeyEntry[]): string {
  const rows = entries.map((e) => [
    toHex(e.pubkey),
    e.index === undefined ? "-" : String(e.index),
    e.orphan ? `${e.source} (orphan)` : e.source,
    e.clients.length ? e.clients.join(",") : "-",
  ]);
  const header = ["PUBKEY", "INDEX", "SOURCE", "CLIENTS"];
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? "").length)));
  const line = (r: string[]) =>
    r
      .map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c] ?? 0)))
      .join("  ")
      .trimEnd();
  return `${[header, ...rows].map(line).join("\n")}\n`;
}

function summary(entries: KeyEntry[]): string {
  const count = (f: (e: KeyEntry) => boolean) => entries.filter(f).length;
  const parts = [
    `${count((e) => e.source === "wallet" && !e.orphan)} wallet`,
    `${count((e) => e.orphan === true)} orphan`,
    `${count((e) => e.source === "custom-keys")} custom-keys`,
    `${count((e) => e.source === "keystore-only")} keystore-only`,
  ];
  return `${entries.length} validator key(s): ${parts.join(", ")}`;
}

/**
 * The `list` subcommand (attached under `rpdvt keys` by the lead).
 *
 * @example
 * program.addCommand(new Command("keys").addCommand(keysListCommand()));
 */
export function keysListCommand(): Command {
  return new Command("list")
    .description(
      "List the validator keys of a Rocket Pool Smartnode data folder (the keys `keys split` reads; decrypts only the wallet and Prysm's account store)",
    )
    .option("--rocketpool-dir <dir>", "Smartnode folder or its data folder", DEFAULT_ROCKETPOOL_DIR)
    .option("--json", "print the keys as a JSON array (warnings go to stderr)")
    .addOption(maxWalletAccountsOption())
    .action(
      runAction(
        async (opts: { rocketpoolDir: string; json?: boolean; maxWalletAccounts?: number }) => {
          const { entries, warnings, dataDir } = await listRocketPoolKeys(
            expandHome(opts.rocketpoolDir),
            {
              ...(opts.maxWalletAccounts !== undefined
                ? { maxWalletAccounts: opts.maxWalletAccounts }
                : {}),
            },
          );
          for (const w of warnings) process.stderr.write(`Warning: ${w}\n`);
          if (opts.json) {
            printJson(entries);
            return;
          }
          process.stdout.write(formatKeyTable(entries));
          process.stdout.write(`\n${summary(entries)} in ${dataDir}\n`);
        },
      ),
    );
}
