/**
 * `rpdvt migrate`: guided, resumable migration of Smartnode validators into a DV cluster (see
 * src/ops/migrate/migrate.ts for the steps). On a terminal it asks for what is missing
 * (@clack/prompts) and for a final confirmation; in scripts every choice is a flag and `--yes`
 * confirms. `--dry-run` prints the plan and changes nothing. `--resume ID`, `--rollback ID`,
 * `--list` manage earlier migrations. `--share-kdf` picks the KDF of the cluster's share
 * keystores (EIP-2335: scrypt n=2^18 by default, or pbkdf2 c=2^18).
 *
 * `--max-wallet-accounts` bounds the Smartnode wallet's next_account (as for `keys split`); it is
 * kept in the plan, so a resume reads the keys with the same bound.
 *
 * This file parses flags, asks on a terminal and prints; the work is in src/ops/migrate/ (cluster
 * fee recipients and the runtime: inputs.ts; planning, steps, resume, rollback: migrate.ts).
 */
import * as p from "@clack/prompts";
import { Command, Option } from "commander";
import type { KdfChoice } from "../crypto/eip2335.js";
import { InputError } from "../errors.js";
import type { SplitPlan } from "../keysplit/run.js";
import { parseOperatorPairs, readOperatorsInfo } from "../keysplit/ssv-operators.js";
import { DEFAULT_KEYMANAGER_URL, TOKEN_FILE } from "../ops/keymanager/client.js";
import { chooseFeeRecipients, type FeeChoice, migrationRuntime } from "../ops/migrate/inputs.js";
import { DEFAULT_LIVENESS_EPOCHS } from "../ops/migrate/liveness.js";
import {
  formatPlan,
  listMigrations,
  type MigrationPlan,
  type MigrationResult,
  type MigrationRuntime,
  migrationDir,
  planMigration,
  planToJson,
  RECREATION_WARNINGS,
  readMigrationPlan,
  resumeMigration,
  rollbackMigration,
  type SlashingSource,
  startMigration,
} from "../ops/migrate/migrate.js";
import { walletBound } from "../ops/migrate/plan.js";
import { listRocketPoolKeys, resolveDataDir } from "../rocketpool/datadir.js";
import { parseAddress } from "../util/address.js";
import { fromHex, toHex } from "../util/hex.js";
import {
  DEFAULT_ROCKETPOOL_DIR,
  expandHome,
  maxWalletAccountsOption,
  parseEndpoints,
  parseIdList,
  repeatableOption,
} from "./args.js";
import { printJson, runAction } from "./run.js";

type MigrateFlags = {
  rocketpoolDir: string;
  maxWalletAccounts?: number;
  validators?: string;
  all?: boolean;
  format?: "cluster" | "ssv";
  operatorIds?: string;
  endpoints?: string;
  name?: string;
  feeRecipient?: string;
  executionUrl?: string;
  nodeAddress?: string;
  rocketStorage?: string;
  shareKdf?: KdfChoice;
  operatorsFile?: string;
  operatorKey: string[];
  owner?: string;
  nonce?: string;
  out?: string;
  keymanagerUrl: string;
  keymanagerTokenFile?: string;
  interchange?: string;
  allowMissingHistory?: boolean;
  beaconUrl: string[];
  skipLivenessWait?: boolean;
  livenessEpochs: string;
  importSlashing: string[];
  dryRun?: boolean;
  yes?: boolean;
  resume?: string;
  rollback?: string;
  force?: boolean;
  list?: boolean;
  json?: boolean;
};

const interactive = (f: MigrateFlags) =>
  Boolean(process.stdin.isTTY && process.stdout.isTTY && !f.yes && !f.json);

async function ask<T>(v: Promise<T | symbol>): Promise<Exclude<T, symbol>> {
  const r = await v;
  if (p.isCancel(r) || typeof r === "symbol")
    throw new InputError("Cancelled: nothing was changed");
  return r as Exclude<T, symbol>;
}

async function chooseValidators(f: MigrateFlags, dataDir: string): Promise<string[]> {
  if (f.validators) return f.validators.split(",").map((v) => v.trim().toLowerCase());
  if (!f.all && !interactive(f)) {
    throw new InputError("Which validators? Give --validators 0x…,0x… or --all", {
      field: "--validators",
    });
  }
  const { entries } = await listRocketPoolKeys(dataDir, walletBound(f.maxWalletAccounts));
  if (f.all) return entries.map((e) => toHex(e.pubkey));
  return ask(
    p.multiselect({
      message: "Validators to move into the DV cluster",
      options: entries.map((e) => ({
        value: toHex(e.pubkey),
        label: `${toHex(e.pubkey).slice(0, 18)}…`,
        hint: `${e.source}${e.index !== undefined ? ` #${e.index}` : ""}`,
      })),
      required: true,
    }),
  );
}

async function chooseFormat(f: MigrateFlags): Promise<"cluster" | "ssv"> {
  const format =
    f.format ??
    (interactive(f)
      ? await ask(
          p.select({
            message: "Cluster format",
            options: [
              { value: "cluster" as const, label: "rpdvt cluster" },
              { value: "ssv" as const, label: "SSV keyshares" },
            ],
          }),
        )
      : undefined);
  if (!format) throw new InputError("--format is required (cluster or ssv)", { field: "--format" });
  return format;
}

async function ssvSplit(f: MigrateFlags, ids: number[] | undefined): Promise<SplitPlan> {
  if (f.shareKdf) {
    throw new InputError("--share-kdf applies to --format cluster only", {
      field: "--share-kdf",
      metaMessages: ["SSV keyshares carry RSA-encrypted shares, not EIP-2335 keystores."],
    });
  }
  if (!f.owner || f.nonce === undefined || !/^\d+$/.test(f.nonce)) {
    throw new InputError("--owner and --nonce are required for SSV keyshares", {
      field: "--owner/--nonce",
    });
  }
  const operators = [
    ...(f.operatorsFile ? await readOperatorsInfo(f.operatorsFile, ids) : []),
    ...parseOperatorPairs(f.operatorKey),
  ];
  if (operators.length === 0)
    throw new InputError("SSV keyshares need the operators' public keys", {
      field: "--operators-file/--operator-key",
    });
  return { format: "ssv", operators, owner: f.owner, nonce: Number(f.nonce), version: "v1.1.0" };
}

async function buildSplit(
  f: MigrateFlags,
  dataDir: string,
  validators: string[],
): Promise<{ split: SplitPlan; fee?: FeeChoice; warnings: string[] }> {
  const format = await chooseFormat(f);
  let ids = f.operatorIds ? parseIdList(f.operatorIds) : undefined;
  if (!ids && interactive(f) && format === "cluster") {
    ids = parseIdList(
      await ask(p.text({ message: "Operator ids (n = 4, 7, 10, 13)", placeholder: "1,2,3,4" })),
    );
  }
  if (format === "ssv") return { split: await ssvSplit(f, ids), warnings: [] };
  if (!ids)
    throw new InputError("--operator-ids is required for --format cluster", {
      field: "--operator-ids",
    });
  const warnings: string[] = [];
  const fee = await chooseFeeRecipients(
    {
      dataDir,
      validators,
      feeRecipient: f.feeRecipient,
      executionUrl: f.executionUrl,
      nodeAddress: f.nodeAddress,
      rocketStorage: f.rocketStorage,
      beaconUrls: f.beaconUrl,
    },
    warnings,
  );
  const endpoints = parseEndpoints(f.endpoints);
  return {
    split: {
      format: "cluster",
      operators: ids.map((id) => ({
        id,
        ...(endpoints.has(id) ? { endpoint: endpoints.get(id) as string } : {}),
      })),
      feeRecipients: fee.feeRecipients,
      ...(f.name ? { name: f.name } : {}),
      kdf: f.shareKdf ?? "scrypt",
    },
    fee,
    warnings,
  };
}

function runtime(
  f: MigrateFlags,
  slashing: SlashingSource | undefined,
  quiet: boolean,
): Promise<MigrationRuntime> {
  return migrationRuntime({
    slashing,
    beaconUrls: f.beaconUrl,
    log: quiet ? undefined : (l) => process.stderr.write(`${l}\n`),
  });
}

function parseImports(list: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const s of list) {
    const m = /^(\d+)=(.+)$/.exec(s);
    if (!m)
      throw new InputError(`--import-slashing "${s}" is not ID=DATADIR`, {
        field: "--import-slashing",
      });
    out[m[1] as string] = expandHome(m[2] as string);
  }
  return out;
}

/**
 * The flags whose shape alone can be wrong, checked before the wallet is decrypted or anything is
 * asked of the VC (the plan re-checks what depends on the data folder).
 */
function checkFlags(f: MigrateFlags): void {
  const epochs = Number(f.livenessEpochs);
  if (!/^\d+$/.test(f.livenessEpochs.trim()) || epochs < DEFAULT_LIVENESS_EPOCHS)
    throw new InputError(
      `--liveness-epochs must be a whole number ≥ ${DEFAULT_LIVENESS_EPOCHS}, got "${f.livenessEpochs}"`,
      { field: "--liveness-epochs" },
    );
  f.validators?.split(",").forEach((v, i) => {
    fromHex(v.trim(), { field: `--validators[${i}]`, length: 48 });
  });
  if (f.validators && f.all)
    throw new InputError("Give --validators or --all, not both", { field: "--validators" });
  parseImports(f.importSlashing);
  if (f.operatorIds) parseIdList(f.operatorIds);
  if (f.endpoints) parseEndpoints(f.endpoints);
  if (f.feeRecipient) parseAddress(f.feeRecipient, { field: "--fee-recipient" });
  if (f.nodeAddress) parseAddress(f.nodeAddress, { field: "--node-address" });
  if (f.nonce !== undefined && !/^\d+$/.test(f.nonce))
    throw new InputError(`--nonce must be a non-negative integer, got "${f.nonce}"`, {
      field: "--nonce",
    });
  if (f.owner) parseAddress(f.owner, { field: "--owner" });
}

function loud(lines: string[]): void {
  process.stderr.write(
    `\n${"!".repeat(78)}\n${lines.map((l) => `!! ${l}`).join("\n")}\n${"!".repeat(78)}\n\n`,
  );
}

/** `--list`: the migrations of the data folder and their state. */
async function listAction(f: MigrateFlags, dataDir: string): Promise<void> {
  const list = await listMigrations(dataDir);
  if (f.json) return printJson(list);
  process.stdout.write(
    list.length
      ? `${list.map((m) => `${m.id}  ${m.validators} validator(s)  ${m.state}`).join("\n")}\n`
      : "No migrations.\n",
  );
}

/** `--rollback ID [--force]`. */
async function rollbackAction(f: MigrateFlags, dataDir: string, id: string): Promise<void> {
  if (f.force)
    loud([
      "Rolling back AFTER the hand-over: every operator's DV node must be stopped and stay stopped.",
    ]);
  const r = await rollbackMigration(dataDir, id, { force: f.force });
  if (f.json) return printJson(r);
  process.stdout.write(
    `Restored ${r.restored} item(s) byte-for-byte from ${migrationDir(dataDir, id)}.\nRestart the Smartnode validator client to load them again: docker restart rocketpool_validator\nDo NOT use the cluster output of this migration.\n`,
  );
}

/** `--resume ID` (`--max-wallet-accounts` given now overrides the plan's). */
async function resumeAction(f: MigrateFlags, dataDir: string, id: string): Promise<void> {
  const plan = await readMigrationPlan(dataDir, id);
  if (!plan.skipLiveness && f.beaconUrl.length === 0)
    throw new InputError("--beacon-url is needed to resume (liveness wait)", {
      field: "--beacon-url",
    });
  const r = await resumeMigration(dataDir, id, await runtime(f, plan.slashing, Boolean(f.json)), {
    allowMissingHistory: f.allowMissingHistory === true,
    ...walletBound(f.maxWalletAccounts),
  });
  if (f.json) return printJson(r);
  process.stdout.write(
    `Migration ${r.id} complete. Hand-over files:\n${r.handover.map((h) => `  ${h}`).join("\n")}\n`,
  );
}

/** Where the slashing-protection history comes from (--interchange, else the keymanager API). */
function slashingSource(f: MigrateFlags, dataDir: string): SlashingSource {
  return f.interchange
    ? { kind: "file", file: expandHome(f.interchange) }
    : {
        kind: "keymanager",
        url: f.keymanagerUrl,
        tokenFile: expandHome(f.keymanagerTokenFile ?? `${dataDir}/${TOKEN_FILE}`),
      };
}

/** --skip-liveness-wait said loudly, else --beacon-url required. */
function checkLivenessFlags(f: MigrateFlags): void {
  if (f.skipLivenessWait) {
    loud([
      "--skip-liveness-wait: rpdvt will NOT verify that the old validator client stopped signing.",
      "If any other machine still holds these keys, starting the cluster WILL get them slashed.",
      "Only use this for validators that are not active yet, or on a test network.",
    ]);
  } else if (f.beaconUrl.length === 0) {
    throw new InputError("--beacon-url is required to verify the validators stopped attesting", {
      field: "--beacon-url",
      metaMessages: [
        "The Smartnode's beacon node: http://127.0.0.1:5052 (if its API port is exposed).",
      ],
    });
  }
}

/** A new migration's plan from the flags (and the answers on a terminal). */
async function planFromFlags(
  f: MigrateFlags,
  dataDir: string,
): Promise<{ plan: MigrationPlan; rt: MigrationRuntime }> {
  const quiet = Boolean(f.json);
  checkFlags(f);
  const validators = await chooseValidators(f, dataDir);
  const { split, fee, warnings } = await buildSplit(f, dataDir, validators);
  if (!quiet) for (const w of warnings) process.stderr.write(`Warning: ${w}\n`);
  const out =
    f.out ??
    (interactive(f)
      ? await ask(p.text({ message: "Output path for the cluster", placeholder: "./cluster" }))
      : undefined);
  if (!out) throw new InputError("--out is required", { field: "--out" });
  const slashing = slashingSource(f, dataDir);
  checkLivenessFlags(f);
  // Built now: the plan asks the VC which keys it holds (missing history is found before any
  // split or snapshot), and the migration uses the same client.
  const rt = await runtime(f, slashing, quiet);
  const plan = await planMigration({
    rocketpoolDir: dataDir,
    validators,
    split,
    out: expandHome(out),
    slashing,
    skipLiveness: f.skipLivenessWait,
    livenessEpochs: Number(f.livenessEpochs),
    importTo: parseImports(f.importSlashing),
    allowMissingHistory: f.allowMissingHistory,
    ...(fee ? { feeRecipients: fee.why } : {}),
    warnings,
    ...(rt.keymanager ? { keymanager: rt.keymanager } : {}),
    ...walletBound(f.maxWalletAccounts),
  });
  return { plan, rt };
}

/** The plan shown and confirmed on a terminal, or `--yes` in scripts. */
async function confirm(f: MigrateFlags, plan: MigrationPlan): Promise<void> {
  if (interactive(f)) {
    p.note(formatPlan(plan), "Migration plan");
    if (!(await ask(p.confirm({ message: "Start the migration?", initialValue: false }))))
      throw new InputError("Cancelled: nothing was changed");
  } else if (!f.yes) {
    throw new InputError("Not a terminal: confirm with --yes (or look first with --dry-run)", {
      field: "--yes",
    });
  }
}

function printResult(r: MigrationResult): void {
  process.stdout.write(
    [
      `Migration ${r.id} complete.`,
      `Cluster output: ${r.out}`,
      r.livenessSkipped
        ? "Liveness wait: SKIPPED"
        : `Not live in epochs: ${r.checkedEpochs.join(", ")}`,
      "Hand-over (import into every operator's slashing DB before its first start):",
      ...r.handover.map((h) => `  ${h}`),
      ...r.warnings.map((w) => `Warning: ${w}`),
      "",
    ].join("\n"),
  );
  loud(RECREATION_WARNINGS);
}

/** A new migration: plan, `--dry-run` or confirm, run. */
async function startAction(f: MigrateFlags, dataDir: string): Promise<void> {
  const { plan, rt } = await planFromFlags(f, dataDir);
  if (f.dryRun) {
    if (f.json) return printJson({ dryRun: true, plan: planToJson(plan) });
    process.stdout.write(`DRY RUN — nothing will be changed.\n\n${formatPlan(plan)}`);
    return;
  }
  await confirm(f, plan);
  if (!f.json)
    process.stderr.write(
      `Migration ${plan.id} (journal: ${migrationDir(dataDir, plan.id)}/journal.jsonl)\n`,
    );
  const r = await startMigration(plan, rt);
  if (f.json) return printJson(r);
  printResult(r);
}

/** The flags choosing the validators and the split. */
function splitOptions(): Option[] {
  return [
    new Option("--validators <pubkeys>", "comma-separated 0x pubkeys to migrate"),
    new Option("--all", "migrate every validator of the node"),
    maxWalletAccountsOption(),
    new Option("--format <format>", "cluster format").choices(["cluster", "ssv"]),
    new Option("--operator-ids <ids>", "operator ids, ascending (n ∈ {4,7,10,13})"),
    new Option("--endpoints <list>", "cluster: ID=HOST:PORT per operator"),
    new Option("--name <name>", "cluster: name"),
    new Option(
      "--fee-recipient <address>",
      "cluster: fee recipient of every validator (explicit override; default: per validator on chain with --execution-url, else the Smartnode's rp-fee-recipient file)",
    ),
    new Option(
      "--execution-url <url>",
      "cluster: execution client JSON-RPC URL, to compute each validator's Rocket Pool fee recipient (smoothing pool / megapool / fee distributor)",
    ),
    new Option(
      "--node-address <address>",
      "cluster: Rocket Pool node address (with --execution-url)",
    ),
    new Option("--rocket-storage <address>", "RocketStorage address (default: mainnet)"),
    new Option(
      "--share-kdf <kdf>",
      "cluster: KDF of the share keystores (EIP-2335). scrypt (default, n=2^18: ~0.75 s and 256 MiB " +
        "per keystore to unlock, strongest against brute force of a stolen file) or pbkdf2 (EIP-2335's " +
        "lighter KDF, c=2^18: ~0.06 s, no memory cost) for many validators per node or small machines",
    ).choices(["scrypt", "pbkdf2"]),
    new Option("--operators-file <file>", "ssv: operators_info.json"),
    repeatableOption("--operator-key <ID=BASE64>", "ssv: operator public key (repeat)"),
    new Option("--owner <address>", "ssv: owner address"),
    new Option("--nonce <n>", "ssv: owner nonce"),
    new Option("--out <path>", "split output (folder for cluster, file for ssv); must not exist"),
  ];
}

/** The flags of the hand-over: slashing history, liveness wait, imports. */
function safetyOptions(): Option[] {
  return [
    new Option("--keymanager-url <url>", "Smartnode VC keymanager API").default(
      DEFAULT_KEYMANAGER_URL,
    ),
    new Option(
      "--keymanager-token-file <file>",
      `bearer token file (default <data>/${TOKEN_FILE})`,
    ),
    new Option(
      "--interchange <file>",
      "EIP-3076 history exported by hand (VC already stopped; Teku/Prysm)",
    ),
    new Option(
      "--allow-missing-history",
      "proceed for validators without slashing history (never activated); also with --resume",
    ),
    repeatableOption("--beacon-url <url>", "beacon node REST URL (repeat for fallback)"),
    new Option(
      "--skip-liveness-wait",
      "DANGEROUS: do not wait/verify that the validators stopped attesting",
    ),
    new Option(
      "--liveness-epochs <n>",
      "whole epochs the validators must be seen not live (≥ 2)",
    ).default("2"),
    repeatableOption(
      "--import-slashing <ID=DATADIR>",
      "also import the history into an operator's DV node data dir (repeat)",
    ),
  ];
}

/** The flags choosing what to do (dry run, confirm, resume, rollback, list) and the output. */
function controlOptions(): Option[] {
  return [
    new Option("--dry-run", "print the plan, change nothing"),
    new Option("--yes", "no prompts, no confirmation (scripts)"),
    new Option("--resume <id>", "resume an interrupted migration"),
    new Option("--rollback <id>", "restore the quarantined keys of a migration byte-for-byte"),
    new Option(
      "--force",
      "with --rollback: even after the hand-over (the cluster must be stopped)",
    ),
    new Option("--list", "list migrations and their state"),
    new Option("--json", "print the result as JSON"),
  ];
}

/**
 * The `migrate` command.
 *
 * @example
 * program.addCommand(migrateCommand());
 * // rpdvt migrate --validators 0x… --format cluster --operator-ids 1,2,3,4 --out ./cluster --beacon-url http://127.0.0.1:5052 --yes
 */
export function migrateCommand(): Command {
  const cmd = new Command("migrate")
    .description(
      "Move Smartnode validators into a DV cluster safely: split, take the slashing history, quarantine the keys, wait out doppelgangers, hand over (resumable, rollback-able)",
    )
    .option(
      "--rocketpool-dir <dir>",
      "Smartnode folder or its data folder",
      DEFAULT_ROCKETPOOL_DIR,
    );
  for (const o of [...splitOptions(), ...safetyOptions(), ...controlOptions()]) cmd.addOption(o);
  return cmd.action(
    runAction(async (f: MigrateFlags) => {
      const dataDir = await resolveDataDir(expandHome(f.rocketpoolDir));
      if (f.list) return listAction(f, dataDir);
      if (f.rollback) return rollbackAction(f, dataDir, f.rollback);
      if (f.resume) return resumeAction(f, dataDir, f.resume);
      return startAction(f, dataDir);
    }),
  );
}
