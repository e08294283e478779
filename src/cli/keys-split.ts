/**
 * `rpdvt keys split`: read a Rocket Pool node's validator keys and split them into SSV keyshares,
 * Obol split-existing-keys input, Dirk distributed accounts or an rpdvt cluster. All flags are
 * checked before any key is decrypted; nothing is written unless everything succeeds.
 */
import { Command, Option } from "commander";
import { InputError } from "../errors.js";
import {
  checkSplitPlan,
  SPLIT_FORMATS,
  type SplitFormat,
  type SplitPlan,
  splitKeys,
} from "../keysplit/run.js";
import { assertOperatorIds } from "../keysplit/split.js";
import { OWNER_ADDRESS, SSV_VERSIONS, type SsvVersion } from "../keysplit/ssv-format.js";
import { parseOperatorPairs, readOperatorsInfo } from "../keysplit/ssv-operators.js";
import { readRocketPoolKeys } from "../rocketpool/datadir.js";
import { parseAddress } from "../util/address.js";
import { assertCanCreate, cleanStaleTemps } from "../util/fs.js";
import { fromHex, toHex } from "../util/hex.js";
import { startProgress } from "../util/progress.js";
import {
  assertOperatorsCovered,
  DEFAULT_ROCKETPOOL_DIR,
  expandHome,
  maxWalletAccountsOption,
  parseEndpoints,
  parseIdList,
  parsePeerIds,
  parseWithdrawalAddresses,
  repeatableOption,
  sortIds,
} from "./args.js";
import { printJson, runAction } from "./run.js";

type SplitFlags = {
  rocketpoolDir: string;
  maxWalletAccounts?: number;
  format: SplitFormat;
  operatorIds?: string;
  operatorsFile?: string;
  operatorKey: string[];
  owner?: string;
  nonce?: string;
  ssvVersion: SsvVersion;
  validators?: string;
  endpoints?: string;
  peerIds?: string;
  feeRecipient?: string;
  withdrawalAddress?: string;
  withdrawalAddresses?: string;
  name?: string;
  out: string;
  json?: boolean;
  quiet?: boolean;
};

/** Flags that only some formats read: giving one to another format is a mistake worth saying. */
const FORMAT_FLAGS: [keyof SplitFlags, string, SplitFormat[]][] = [
  ["operatorsFile", "--operators-file", ["ssv"]],
  ["owner", "--owner", ["ssv"]],
  ["nonce", "--nonce", ["ssv"]],
  ["endpoints", "--endpoints", ["dirk", "cluster"]],
  ["peerIds", "--peer-ids", ["cluster"]],
  ["feeRecipient", "--fee-recipient", ["cluster", "obol"]],
  ["withdrawalAddress", "--withdrawal-address", ["obol"]],
  ["withdrawalAddresses", "--withdrawal-addresses", ["obol"]],
];

function requireIds(flags: SplitFlags): number[] {
  if (!flags.operatorIds) {
    throw new InputError(`--operator-ids is required for --format ${flags.format}`, {
      field: "--operator-ids",
      metaMessages: ["Example: --operator-ids 1,2,3,4 (n = 4, 7, 10 or 13)."],
    });
  }
  const ids = sortIds(parseIdList(flags.operatorIds));
  // Obol: charon picks its own share indices; the list only gives --nodes.
  if (flags.format !== "obol") {
    try {
      assertOperatorIds(ids);
    } catch (err) {
      throw new InputError(`--operator-ids: ${(err as InputError).shortMessage}`, {
        field: "--operator-ids",
        metaMessages: ((err as InputError).metaMessages ?? []).filter(
          (m) => !m.startsWith("Field:"),
        ),
      });
    }
  }
  return ids;
}

/** `--validators 0x…,0x…` → public keys (undefined: all). */
function parseValidators(text: string | undefined): Uint8Array[] | undefined {
  return text
    ?.split(",")
    .map((v, i) => fromHex(v.trim(), { field: `--validators[${i}]`, length: 48 }));
}

/** The error for a flag that `--format` needs and that is missing. */
function missingFlag(flag: string, format: SplitFormat, hints: string[]): InputError {
  return new InputError(`${flag} is required for --format ${format}`, {
    field: flag,
    metaMessages: hints,
  });
}

/** Refuses flags that the chosen format does not read. */
function assertFlagsApply(flags: SplitFlags): void {
  for (const [key, flag, formats] of FORMAT_FLAGS) {
    if (flags[key] !== undefined && !formats.includes(flags.format)) {
      throw new InputError(`${flag} does not apply to --format ${flags.format}`, {
        field: flag,
        metaMessages: [`${flag} is read by --format ${formats.join("/")} only: remove it.`],
      });
    }
  }
  if (flags.operatorKey.length && flags.format !== "ssv") {
    throw new InputError(`--operator-key does not apply to --format ${flags.format}`, {
      field: "--operator-key",
    });
  }
}

/** `--owner` and `--nonce` of an SSV split. */
function ssvOwner(flags: SplitFlags): { owner: string; nonce: number } {
  if (!flags.owner || flags.nonce === undefined) {
    throw new InputError("--owner and --nonce are required for SSV keyshares", {
      field: flags.owner ? "--nonce" : "--owner",
      metaMessages: [
        "--owner: the address that will register the validators on SSV;",
        "--nonce: its current registration nonce (the number of validators it registered before).",
      ],
    });
  }
  if (!/^\d+$/.test(flags.nonce) || !Number.isSafeInteger(Number(flags.nonce)))
    throw new InputError(`--nonce "${flags.nonce}" is not a non-negative integer`, {
      field: "--nonce",
      metaMessages: [
        "The owner's registration nonce: the number of validators it registered on SSV before (0 for a new owner).",
      ],
    });
  return {
    owner: parseAddress(flags.owner, { field: "--owner" }, OWNER_ADDRESS),
    nonce: Number(flags.nonce),
  };
}

async function ssvPlan(flags: SplitFlags): Promise<SplitPlan> {
  const { owner, nonce } = ssvOwner(flags);
  const ids = flags.operatorIds ? sortIds(parseIdList(flags.operatorIds)) : undefined;
  const operators = [
    ...(flags.operatorsFile ? await readOperatorsInfo(flags.operatorsFile, ids) : []),
    ...parseOperatorPairs(flags.operatorKey),
  ];
  if (operators.length === 0) {
    throw new InputError("SSV keyshares need the operators' public keys", {
      field: "--operators-file/--operator-key",
      metaMessages: [
        "Give --operators-file operators_info.json or --operator-key ID=BASE64 per operator.",
      ],
    });
  }
  const keyIds = operators.map((o) => o.id).sort((a, b) => a - b);
  if (ids && keyIds.join(",") !== ids.join(",")) {
    throw new InputError("--operator-ids does not match the operator keys given", {
      field: "--operator-ids",
      details: `ids ${ids.join(",")}; keys for ${keyIds.join(",")}`,
    });
  }
  if (!ids)
    sortIds(
      operators.map((o) => o.id),
      "operator keys",
    );
  return { format: "ssv", operators, owner, nonce, version: flags.ssvVersion };
}

function dirkPlan(flags: SplitFlags): SplitPlan {
  const ids = requireIds(flags);
  if (!flags.endpoints) {
    throw missingFlag("--endpoints", "dirk", [
      "Every Dirk account lists its peers' addresses: give ID=HOST:PORT for each participant,",
      `e.g. --endpoints ${ids.map((id) => `${id}=dirk${id}.example:13141`).join(",")}`,
    ]);
  }
  const endpoints = parseEndpoints(flags.endpoints);
  assertOperatorsCovered(endpoints, ids, "--endpoints", true);
  return {
    format: "dirk",
    operatorIds: ids,
    participants: ids.map((id) => ({ id, endpoint: endpoints.get(id) as string })),
  };
}

function clusterPlan(flags: SplitFlags): SplitPlan {
  const ids = requireIds(flags);
  if (!flags.feeRecipient) {
    throw missingFlag("--fee-recipient", "cluster", [
      "A Rocket Pool validator must use its node's fee distributor, or the smoothing pool if opted in.",
    ]);
  }
  const feeRecipient = parseAddress(flags.feeRecipient, { field: "--fee-recipient" });
  const endpoints = parseEndpoints(flags.endpoints);
  assertOperatorsCovered(endpoints, ids, "--endpoints", false);
  const peerIds = flags.peerIds ? parsePeerIds(flags.peerIds) : new Map<number, string>();
  if (flags.peerIds) assertOperatorsCovered(peerIds, ids, "--peer-ids", true);
  return {
    format: "cluster",
    operators: ids.map((id) => ({
      id,
      ...(endpoints.has(id) ? { endpoint: endpoints.get(id) as string } : {}),
      ...(peerIds.has(id) ? { identity: peerIds.get(id) as string } : {}),
    })),
    feeRecipients: feeRecipient,
    ...(flags.name ? { name: flags.name } : {}),
  };
}

async function obolPlan(flags: SplitFlags): Promise<SplitPlan> {
  if (flags.withdrawalAddress && flags.withdrawalAddresses) {
    throw new InputError("Give --withdrawal-address or --withdrawal-addresses, not both", {
      field: "--withdrawal-addresses",
    });
  }
  const withdrawalAddresses = flags.withdrawalAddresses
    ? await parseWithdrawalAddresses(flags.withdrawalAddresses)
    : undefined;
  const nodes = flags.operatorIds ? requireIds(flags).length : undefined;
  const address = (value: string | undefined, field: string) =>
    value ? parseAddress(value, { field }) : undefined;
  const feeRecipient = address(flags.feeRecipient, "--fee-recipient");
  const withdrawalAddress = address(flags.withdrawalAddress, "--withdrawal-address");
  return {
    format: "obol",
    ...(nodes !== undefined ? { nodes } : {}),
    ...(feeRecipient ? { feeRecipient } : {}),
    ...(withdrawalAddress ? { withdrawalAddress } : {}),
    ...(withdrawalAddresses ? { withdrawalAddresses } : {}),
    ...(flags.name ? { name: flags.name } : {}),
  };
}

/**
 * Every flag of `keys split`, parsed and cross-checked, before any key is read: a bad flag fails
 * in milliseconds, whatever the size of the data folder.
 */
async function buildPlan(flags: SplitFlags): Promise<SplitPlan> {
  assertFlagsApply(flags);
  switch (flags.format) {
    case "ssv":
      return ssvPlan(flags);
    case "dirk":
      return dirkPlan(flags);
    case "cluster":
      return clusterPlan(flags);
    case "obol":
      return obolPlan(flags);
  }
}

/** Obol with a per-validator address list: every selected validator needs its address. */
function assertWithdrawalsCover(plan: SplitPlan, validators: Uint8Array[] | undefined): void {
  if (plan.format !== "obol" || !plan.withdrawalAddresses || !validators) return;
  const missing = validators
    .map((v) => toHex(v))
    .filter((pk) => !plan.withdrawalAddresses?.has(pk));
  if (missing.length) {
    throw new InputError(
      `--withdrawal-addresses has no address for ${missing.length} validator(s)`,
      { field: "--withdrawal-addresses", details: missing.join(", ") },
    );
  }
}

/** The command's action: check every flag and the output path, read the keys, split, print. */
async function runSplit(flags: SplitFlags): Promise<void> {
  const quiet = flags.quiet || flags.json;
  const validators = parseValidators(flags.validators);
  const plan = await buildPlan(flags);
  assertWithdrawalsCover(plan, validators);
  await cleanStaleTemps(flags.out);
  await assertCanCreate(flags.out, "--out");
  await checkSplitPlan(flags.out, plan);
  let progress: ReturnType<typeof startProgress> | undefined;
  const { keys, warnings } = await readRocketPoolKeys(expandHome(flags.rocketpoolDir), {
    validators,
    ...(flags.maxWalletAccounts !== undefined
      ? { maxWalletAccounts: flags.maxWalletAccounts }
      : {}),
    onProgress: (done, total) => {
      progress ??= startProgress("Reading keys", total, { quiet });
      progress.tick(1);
      if (done === total) progress.stop();
    },
  });
  for (const w of warnings) process.stderr.write(`Warning: ${w}\n`);
  const summary = await splitKeys(keys, flags.out, plan, { quiet });
  if (flags.json) return printJson({ ...summary, warnings });
  process.stdout.write(
    `Wrote ${summary.format} output for ${summary.validators} validator(s) to ${summary.out}` +
      (summary.threshold
        ? ` (operators ${summary.operators.join(",")}, threshold ${summary.threshold})`
        : "") +
      "\nCheck it with: rpdvt keys verify " +
      summary.out +
      "\n",
  );
}

/** What `keys split --help` says after the options. */
const SPLIT_HELP_AFTER = [
  "",
  "Every flag is checked before any key is read. Operator ids may be given in any order:",
  "outputs list operators ascending (a note on stderr says when they were sorted).",
  "",
  "Interrupted runs: outputs are built in a temporary sibling of --out named",
  ".<name>.tmp-<pid>-<hex> and renamed into place when complete. If a run is killed (SIGKILL,",
  "power loss), the next `keys split` removes such leftovers next to --out whose process is",
  "gone, and says so on stderr. Share passwords reach the disk only in the last step, so a",
  "leftover holds no decryptable share.",
].join("\n");

/** SSV's options: the operators' keys, the owner and its nonce, the file version. */
function addSsvOptions(command: Command): Command {
  return command
    .option("--operators-file <file>", "SSV: operators_info.json ([{id, public_key}])")
    .addOption(
      repeatableOption(
        "--operator-key <ID=BASE64>",
        "SSV: an operator's public key (repeat per operator)",
      ),
    )
    .option("--owner <address>", "SSV: the address that registers the validators")
    .option("--nonce <n>", "SSV: the owner's registration nonce for the first validator")
    .addOption(
      new Option("--ssv-version <v>", "SSV: keyshares file version")
        .choices(SSV_VERSIONS)
        .default("v1.1.0"),
    );
}

/** The Dirk, cluster and Obol options: endpoints, peer ids, fee recipient, withdrawal, name. */
function addOperatorOptions(command: Command): Command {
  return command
    .option(
      "--endpoints <list>",
      "dirk (required) / cluster: ID=HOST:PORT per operator, comma-separated",
    )
    .option(
      "--peer-ids <list>",
      "cluster: ID=PEERID per operator, comma-separated (the peerId of `rpdvt node identity --json`); " +
        "without it, add them later with `rpdvt cluster set-identities`",
    )
    .option("--fee-recipient <address>", "cluster (required) / obol: fee recipient address")
    .option(
      "--withdrawal-address <address>",
      "obol: one withdrawal address for every validator (charon command line)",
    )
    .option(
      "--withdrawal-addresses <file|list>",
      "obol: one withdrawal address per validator, as 0xPUBKEY=0xADDRESS pairs (comma-separated, " +
        "or a file: one pair per line or a JSON object); written in keystore order for charon",
    )
    .option("--name <name>", "cluster (obol: charon --name) name");
}

/**
 * The `split` subcommand of `rpdvt keys`.
 *
 * @example
 * await keysSplitCommand().parseAsync(["node", "split", "--rocketpool-dir", dir, "--format", "obol", "--out", out]);
 */
export function keysSplitCommand(): Command {
  const command = new Command("split")
    .description(
      "Split a Rocket Pool node's validator keys into threshold shares (t = 2F+1 of n = 3F+1)",
    )
    .option("--rocketpool-dir <dir>", "Smartnode folder or its data folder", DEFAULT_ROCKETPOOL_DIR)
    .addOption(maxWalletAccountsOption())
    .addOption(
      new Option("--format <format>", "output format").choices(SPLIT_FORMATS).makeOptionMandatory(),
    )
    .option(
      "--operator-ids <ids>",
      "operator / participant ids, ascending, n ∈ {4,7,10,13} (e.g. 11,22,33,44)",
    );
  addSsvOptions(command).option(
    "--validators <pubkeys>",
    "only these validators (comma-separated 0x pubkeys); default all",
  );
  return addOperatorOptions(command)
    .requiredOption(
      "--out <path>",
      "output file (ssv) or folder (obol, dirk, cluster); must not exist",
    )
    .option("--json", "print a JSON summary")
    .option("--quiet", "no progress output")
    .addHelpText("after", SPLIT_HELP_AFTER)
    .action(runAction(runSplit));
}
