/**
 * `rpdvt exit`: sign a voluntary exit with the validator's cold key re-derived from the Smartnode
 * wallet seed (EIP-7044 domain: Capella fork version + the beacon node's genesis validators root),
 * show it, and submit it only after an explicit confirmation (`--yes` in scripts). `--out FILE`
 * writes the signed exit JSON instead of submitting. `--cluster-nodes URL[,URL…] --token-file F`
 * gets a threshold-signed exit from the rpdvt DV nodes instead (each operator's node consents over
 * its dashboard API; src/ops/exit/cluster.ts); the token is read from a file
 * (src/util/token-file.ts readTokenFile) because `--token T` shows in `ps`. `--cluster-format`
 * prints how other DV software does it. Every flag is checked before any beacon or wallet access.
 * See src/ops/exit/exit.ts.
 *
 * Megapool validators (issue 16 part 3; src/ops/exit/megapool.ts): `rocketpool megapool
 * exit-validator` loads the key from the client keystores and fails once they are quarantined;
 * `rpdvt exit --megapool-validator-id N --execution-url URL --node-address ADDR` selects the
 * validator by its megapool id (or `--validator PUBKEY`, its id looked up when the execution
 * flags are given) and signs the same exit with the wallet-derived cold key. Before the wallet is
 * opened, a validator the chain would not let exit (pending, exiting, exited, slashed, too young)
 * is refused with what to do; after signing, the Smartnode's next steps are printed
 * (notify-validator-exit, notify-final-balance).
 */
import * as p from "@clack/prompts";
import { Command, Option } from "commander";
import { createBeaconClient } from "../beacon/index.js";
import { currentEpoch } from "../core/beacon.js";
import { InputError } from "../errors.js";
import { clusterInfo, parseNodeUrls, requestClusterExit } from "../ops/exit/cluster.js";
import {
  capellaVersionOf,
  clusterExitInstructions,
  coldKeyFromWallet,
  signedExitJson,
  signVoluntaryExit,
} from "../ops/exit/exit.js";
import {
  checkExitable,
  exitNextSteps,
  type MegapoolQuery,
  type MegapoolValidator,
  megapoolValidatorById,
  megapoolValidatorByPubkey,
} from "../ops/exit/megapool.js";
import { assertAbsent, writeFileAtomic } from "../util/fs.js";
import { fromHex, toHex } from "../util/hex.js";
import { readTokenFile } from "../util/token-file.js";
import {
  DEFAULT_ROCKETPOOL_DIR,
  expandHome,
  maxWalletAccountsOption,
  parseIdList,
  repeatableOption,
} from "./args.js";
import { printJson, runAction } from "./run.js";

type ExitFlags = {
  rocketpoolDir: string;
  validator?: string;
  megapoolValidatorId?: string;
  executionUrl?: string;
  nodeAddress?: string;
  rocketStorage?: string;
  beaconUrl: string[];
  epoch?: string;
  out?: string;
  yes?: boolean;
  json?: boolean;
  clusterFormat?: "cluster" | "ssv" | "obol";
  operatorIds?: string;
  clusterNodes?: string;
  token?: string;
  tokenFile?: string;
  maxWalletAccounts?: number;
};

/**
 * `--epoch` as a non-negative integer, checked before anything else (undefined: not given).
 *
 * @example
 * parseEpochFlag("12") // 12
 */
export function parseEpochFlag(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const epoch = Number(v);
  if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(epoch))
    throw new InputError(`--epoch must be a non-negative integer, got "${v}"`, {
      field: "--epoch",
      metaMessages: ["Leave it out to exit at the current epoch."],
    });
  return epoch;
}

/**
 * `--megapool-validator-id` as a non-negative integer (undefined: not given).
 *
 * @example
 * parseMegapoolIdFlag("3") // 3
 */
export function parseMegapoolIdFlag(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const id = Number(v);
  if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(id) || id > 0xffff_ffff)
    throw new InputError(`--megapool-validator-id must be a non-negative integer, got "${v}"`, {
      field: "--megapool-validator-id",
      metaMessages: ["`rocketpool megapool status` lists your megapool validators' ids."],
    });
  return id;
}

/** The validator flags, checked: exactly one selector; a megapool id needs the execution flags. */
function checkSelection(f: ExitFlags): { megapoolId?: number; query?: MegapoolQuery } {
  const megapoolId = parseMegapoolIdFlag(f.megapoolValidatorId);
  if ((f.validator === undefined) === (megapoolId === undefined))
    throw new InputError(
      "Give the validator with --validator PUBKEY or --megapool-validator-id N",
      {
        field: "--validator",
        metaMessages: [
          "Exactly one of them: a minipool or megapool validator by its public key, or a megapool validator by its id in your megapool.",
        ],
      },
    );
  if ((f.executionUrl === undefined) !== (f.nodeAddress === undefined))
    throw new InputError("--execution-url and --node-address go together", {
      field: f.executionUrl === undefined ? "--execution-url" : "--node-address",
      metaMessages: [
        "They locate your megapool: the execution client and your Rocket Pool node address.",
      ],
    });
  if (megapoolId !== undefined && f.executionUrl === undefined)
    throw new InputError("--megapool-validator-id needs --execution-url and --node-address", {
      field: "--execution-url",
      metaMessages: [
        "The id is looked up in your megapool on chain, e.g. --execution-url http://127.0.0.1:8545 --node-address 0x… (`rocketpool node status`).",
      ],
    });
  const query =
    f.executionUrl !== undefined && f.nodeAddress !== undefined
      ? { executionUrl: f.executionUrl, nodeAddress: f.nodeAddress, rocketStorage: f.rocketStorage }
      : undefined;
  return { ...(megapoolId !== undefined ? { megapoolId } : {}), ...(query ? { query } : {}) };
}

/**
 * The `exit` command.
 *
 * @example
 * program.addCommand(exitCommand());
 * // rpdvt exit --validator 0x… --beacon-url http://127.0.0.1:5052 --out exit.json
 */
export function exitCommand(): Command {
  const cmd = new Command("exit").description(
    "Sign a voluntary exit with the cold key from the Smartnode wallet (EIP-7044), show it, submit only on confirmation",
  );
  addColdKeyOptions(cmd);
  addClusterOptions(cmd);
  return cmd.addOption(maxWalletAccountsOption()).action(runAction(exitAction));
}

/** The validator, wallet, beacon and output flags of a cold-key exit. */
function addColdKeyOptions(cmd: Command): Command {
  return cmd
    .option("--validator <pubkey>", "0x validator public key (minipool or megapool validator)")
    .option(
      "--megapool-validator-id <id>",
      "or: the megapool validator's id in your megapool (as `rocketpool megapool status` shows it); needs --execution-url and --node-address",
    )
    .option(
      "--execution-url <url>",
      "execution client JSON-RPC, to find a megapool validator by id (or the id of --validator)",
    )
    .option("--node-address <address>", "your Rocket Pool node address (with --execution-url)")
    .option("--rocket-storage <address>", "RocketStorage address (default: mainnet)")
    .option(
      "--rocketpool-dir <dir>",
      "Smartnode folder or its data folder (holds the wallet)",
      DEFAULT_ROCKETPOOL_DIR,
    )
    .addOption(repeatableOption("--beacon-url <url>", "beacon node REST URL (repeat for fallback)"))
    .option("--epoch <n>", "exit epoch (default: the current epoch)")
    .option("--out <file>", "write the signed exit JSON here instead of submitting it")
    .option("--yes", "submit without asking (scripts)")
    .option("--json", "print the signed exit as JSON");
}

/** The flags of a DV cluster's exit: instructions per format, or the threshold-signed exit. */
function addClusterOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option(
        "--cluster-format <format>",
        "only print how the DV cluster signs the exit itself",
      ).choices(["cluster", "ssv", "obol"]),
    )
    .option("--operator-ids <ids>", "with --cluster-format ssv: the cluster's operator ids")
    .option(
      "--cluster-nodes <urls>",
      "threshold-signed exit: the operators' rpdvt node dashboard URLs, comma-separated (each must consent)",
    )
    .option(
      "--token-file <file>",
      "with --cluster-nodes: file holding the nodes' dashboard token (one line, mode 0600; preferred)",
    )
    .option(
      "--token <token>",
      "with --cluster-nodes: the nodes' dashboard token on the command line: VISIBLE to every local user in `ps`, prefer --token-file (default: $RPDVT_DASHBOARD_TOKEN)",
    );
}

/** `rpdvt exit`: every flag checked, then the cluster instructions, cluster exit or cold-key exit. */
async function exitAction(f: ExitFlags): Promise<void> {
  const { megapoolId, query } = checkSelection(f);
  const epochFlag = parseEpochFlag(f.epoch);
  const given =
    f.validator === undefined
      ? undefined
      : toHex(fromHex(f.validator, { field: "--validator", length: 48 }));
  if (megapoolId !== undefined && (f.clusterFormat || f.clusterNodes !== undefined))
    throw new InputError("--megapool-validator-id is for cold-key exits", {
      field: "--megapool-validator-id",
      metaMessages: ["Give the cluster's validator with --validator PUBKEY."],
    });
  if (f.clusterFormat) {
    process.stdout.write(
      `${clusterExitInstructions(f.clusterFormat, given as string, f.operatorIds ? parseIdList(f.operatorIds) : [])}\n`,
    );
    return;
  }
  if (f.clusterNodes !== undefined) return clusterExit(f, given as string, epochFlag);
  checkColdKeyFlags(f);
  if (f.out) await assertAbsent(expandHome(f.out));
  let megapool: MegapoolValidator | undefined;
  if (query && megapoolId !== undefined) megapool = await megapoolValidatorById(query, megapoolId);
  else if (query && given) megapool = await megapoolValidatorByPubkey(query, given);
  return coldKeyExit(f, megapool?.pubkey ?? (given as string), megapool, epochFlag);
}

/** The flags a cold-key exit needs (a beacon node) and refuses (a dashboard token). */
function checkColdKeyFlags(f: ExitFlags): void {
  if (f.beaconUrl.length === 0)
    throw new InputError("--beacon-url is required (genesis validators root, validator index)", {
      field: "--beacon-url",
    });
  if (f.token !== undefined || f.tokenFile !== undefined)
    throw new InputError("--token/--token-file are for --cluster-nodes", {
      field: f.tokenFile !== undefined ? "--token-file" : "--token",
      metaMessages: ["A cold-key exit is signed with the Smartnode wallet: no token."],
    });
}

/** The cold-key exit: checked against the chain, signed with the wallet key, written or submitted. */
async function coldKeyExit(
  f: ExitFlags,
  pubkey: string,
  megapool: MegapoolValidator | undefined,
  epochFlag: number | undefined,
): Promise<void> {
  const nextSteps = exitNextSteps(megapool);
  const { beacon, chain, validator: v } = await findValidator(f.beaconUrl, pubkey);
  const epoch = epochFlag ?? currentEpoch(chain, Date.now());
  const period = Number(chain.spec?.SHARD_COMMITTEE_PERIOD);
  checkExitable(v, epoch, Number.isSafeInteger(period) ? period : 0, nextSteps);
  const { secret, account } = await coldKeyFromWallet(
    expandHome(f.rocketpoolDir),
    pubkey,
    f.maxWalletAccounts !== undefined ? { maxAccounts: f.maxWalletAccounts } : {},
  );
  let signed: ReturnType<typeof signVoluntaryExit>;
  try {
    signed = signVoluntaryExit(
      secret,
      { epoch, validatorIndex: v.index },
      {
        genesisValidatorsRoot: chain.genesisValidatorsRoot,
        capellaForkVersion: capellaVersionOf(chain),
      },
    );
  } finally {
    secret.fill(0);
  }
  const json = signedExitJson(signed);
  const text = `${JSON.stringify(json, null, 2)}\n`;
  if (f.out) {
    await writeFileAtomic(expandHome(f.out), text);
    if (f.json) return printJson({ out: f.out, exit: json, submitted: false, megapool, nextSteps });
    process.stdout.write(
      `Signed exit of validator ${v.index} (wallet account ${account}) written to ${f.out} — NOT submitted.\nSubmit later: curl -X POST -H 'content-type: application/json' --data @${f.out} <beacon>/eth/v1/beacon/pool/voluntary_exits\n${nextSteps.join("\n")}\n`,
    );
    return;
  }
  process.stderr.write(
    `Voluntary exit of validator ${v.index} (${pubkey}, status ${v.status}) at epoch ${epoch}:\n${text}`,
  );
  await confirmIrreversible(
    f.yes,
    `Submit the exit of validator ${v.index} now?`,
    "Not submitted",
    "confirm with --yes, or write it to a file with --out",
  );
  await beacon.submitVoluntaryExit(signed);
  if (f.json) return printJson({ exit: json, submitted: true, megapool, nextSteps });
  process.stdout.write(`Submitted the exit of validator ${v.index}.\n${nextSteps.join("\n")}\n`);
}

/**
 * The irreversibility warning, then an explicit confirmation: `--yes`, or a prompt on a TTY;
 * without a TTY the refusal says what to do (`notDone: howTo`).
 */
async function confirmIrreversible(
  yes: boolean | undefined,
  question: string,
  notDone: string,
  howTo: string,
): Promise<void> {
  process.stderr.write(
    "An exit is IRREVERSIBLE: the validator stops validating and its ETH is withdrawn.\n",
  );
  if (yes) return;
  if (!process.stdin.isTTY) throw new InputError(`${notDone}: ${howTo}`, { field: "--yes" });
  const ok = await p.confirm({ message: question, initialValue: false });
  if (p.isCancel(ok) || ok !== true) throw new InputError(notDone);
}

/** The beacon client, chain info and the validator's entry; a clear error if it is unknown. */
async function findValidator(beaconUrls: string[], pubkey: string) {
  const beacon = createBeaconClient(beaconUrls, {
    timeoutMs: 10_000,
    hint: "Check --beacon-url: a synced beacon node of the validator's network, reachable from here.",
  });
  const chain = await beacon.chainInfo();
  const [validator] = await beacon.validators([fromHex(pubkey)]);
  if (!validator)
    throw new InputError(`Validator ${pubkey} is not on this beacon chain`, {
      field: "--validator",
      metaMessages: ["Check --beacon-url (network) and the public key."],
    });
  return { beacon, chain, validator };
}

/** `--cluster-nodes`: ask each operator's node to consent to the threshold-signed exit. */
async function clusterExit(
  f: ExitFlags,
  pubkey: string,
  epochFlag: number | undefined,
): Promise<void> {
  const urls = parseNodeUrls(f.clusterNodes ?? "");
  if (f.out)
    throw new InputError("--out is for cold-key exits: the cluster submits its exit itself", {
      field: "--out",
    });
  const token = await clusterExitToken(f);
  let epoch = epochFlag;
  let validatorIndex: number | undefined;
  if (f.beaconUrl.length > 0) {
    const { chain, validator } = await findValidator(f.beaconUrl, pubkey);
    validatorIndex = validator.index;
    epoch ??= currentEpoch(chain, Date.now());
  }
  const info = await clusterInfo(urls[0] as string);
  if (info && info.validators.length > 0 && !info.validators.includes(pubkey))
    throw new InputError(`Validator ${pubkey} is not a validator of this cluster`, {
      field: "--validator",
      metaMessages: [`${urls[0]} runs: ${info.validators.join(", ")}`],
    });
  process.stderr.write(describeClusterExit(pubkey, validatorIndex, epoch, urls, info));
  await confirmIrreversible(
    f.yes,
    `Ask ${urls.length} node(s) to sign the exit of ${pubkey} now?`,
    "Not requested",
    "confirm with --yes",
  );
  const res = await requestClusterExit(urls, token, { pubkey, epoch, validatorIndex });
  const accepted = res.results.filter((r) => r.accepted).length;
  if (f.json)
    printJson({
      pubkey,
      epoch: res.epoch,
      threshold: info?.threshold,
      accepted,
      nodes: res.results,
    });
  else printClusterExit(res, urls.length, accepted, info);
  const needed = info?.threshold ?? 1;
  if (accepted < needed)
    throw new InputError(
      `Only ${accepted} node(s) consented: fewer than the threshold ${needed}, the exit will not be signed`,
      { metaMessages: ["Fix the refusals above (token, node down) and run the command again."] },
    );
}

/** The nodes' dashboard token: --token-file, else --token, else $RPDVT_DASHBOARD_TOKEN. */
async function clusterExitToken(f: ExitFlags): Promise<string> {
  if (f.token !== undefined && f.tokenFile !== undefined)
    throw new InputError("Give --token-file or --token, not both", {
      field: "--token",
      metaMessages: ["Prefer --token-file: a token on the command line shows in `ps`."],
    });
  if (f.token !== undefined && f.token.trim() === "")
    throw new InputError("--token is empty", { field: "--token" });
  const token =
    f.tokenFile !== undefined
      ? await readTokenFile(expandHome(f.tokenFile), "--token-file")
      : (f.token ?? (process.env.RPDVT_DASHBOARD_TOKEN || undefined));
  if (!token)
    throw new InputError("--cluster-nodes needs the nodes' dashboard token", {
      field: "--token-file",
      metaMessages: [
        "Give --token-file FILE (the file the nodes' --dashboard-token-file reads) or set RPDVT_DASHBOARD_TOKEN.",
      ],
    });
  return token;
}

type ClusterInfo = Awaited<ReturnType<typeof clusterInfo>>;
type ClusterExitResult = Awaited<ReturnType<typeof requestClusterExit>>;

/** What the threshold-signed exit will do, shown before the confirmation. */
function describeClusterExit(
  pubkey: string,
  validatorIndex: number | undefined,
  epoch: number | undefined,
  urls: string[],
  info: ClusterInfo,
): string {
  return (
    `Threshold-signed voluntary exit of validator ${pubkey}` +
    (validatorIndex !== undefined ? ` (index ${validatorIndex})` : "") +
    ` at epoch ${epoch ?? "<current epoch of the first node that accepts>"}.\n` +
    `Asking ${urls.length} operator node(s) to consent: ${urls.join(", ")}\n` +
    (info
      ? `Cluster ${info.clusterName ?? ""} threshold ${info.threshold}: the exit is submitted once ${info.threshold} operators consent.\n`
      : "The exit is submitted once the cluster threshold of operators consent.\n")
  );
}

/** One line per node (accepted or refused, why), then the count against the threshold. */
function printClusterExit(
  res: ClusterExitResult,
  asked: number,
  accepted: number,
  info: ClusterInfo,
): void {
  for (const r of res.results) {
    process.stdout.write(
      r.accepted
        ? `${r.url}: accepted (operator ${r.operatorId ?? "?"}, epoch ${r.epoch ?? res.epoch})\n`
        : `${r.url}: refused (${r.status === 0 ? "unreachable" : `HTTP ${r.status}`}: ${r.error})\n`,
    );
  }
  process.stdout.write(
    `${accepted} of ${asked} node(s) consented` +
      (info ? ` (threshold ${info.threshold})` : "") +
      ".\n",
  );
}
