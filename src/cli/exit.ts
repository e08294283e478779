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
import { assertAbsent, writeFileAtomic } from "../util/fs.js";
import { fromHex, toHex } from "../util/hex.js";
import { readTokenFile } from "../util/token-file.js";
import {
  DEFAULT_ROCKETPOOL_DIR,
  expandHome,
  maxWalletAccountsOption,
  parseIdList,
} from "./args.js";
import { printJson, runAction } from "./run.js";

type ExitFlags = {
  rocketpoolDir: string;
  validator: string;
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
 * The `exit` command.
 *
 * @example
 * program.addCommand(exitCommand());
 * // rpdvt exit --validator 0x… --beacon-url http://127.0.0.1:5052 --out exit.json
 */
export function exitCommand(): Command {
  return new Command("exit")
    .description(
      "Sign a voluntary exit with the cold key from the Smartnode wallet (EIP-7044), show it, submit only on confirmation",
    )
    .requiredOption("--validator <pubkey>", "0x validator public key")
    .option(
      "--rocketpool-dir <dir>",
      "Smartnode folder or its data folder (holds the wallet)",
      DEFAULT_ROCKETPOOL_DIR,
    )
    .option(
      "--beacon-url <url>",
      "beacon node REST URL (repeat for fallback)",
      (v: string, a: string[]) => [...a, v],
      [] as string[],
    )
    .option("--epoch <n>", "exit epoch (default: the current epoch)")
    .option("--out <file>", "write the signed exit JSON here instead of submitting it")
    .option("--yes", "submit without asking (scripts)")
    .option("--json", "print the signed exit as JSON")
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
    )
    .addOption(maxWalletAccountsOption())
    .action(
      runAction(async (f: ExitFlags) => {
        const pubkey = toHex(fromHex(f.validator, { field: "--validator", length: 48 }));
        const epochFlag = parseEpochFlag(f.epoch);
        if (f.clusterFormat) {
          process.stdout.write(
            `${clusterExitInstructions(f.clusterFormat, pubkey, f.operatorIds ? parseIdList(f.operatorIds) : [])}\n`,
          );
          return;
        }
        if (f.clusterNodes !== undefined) return clusterExit(f, pubkey, epochFlag);
        if (f.beaconUrl.length === 0)
          throw new InputError(
            "--beacon-url is required (genesis validators root, validator index)",
            { field: "--beacon-url" },
          );
        if (f.token !== undefined || f.tokenFile !== undefined)
          throw new InputError("--token/--token-file are for --cluster-nodes", {
            field: f.tokenFile !== undefined ? "--token-file" : "--token",
            metaMessages: ["A cold-key exit is signed with the Smartnode wallet: no token."],
          });
        if (f.out) await assertAbsent(expandHome(f.out));
        const { beacon, chain, validator: v } = await findValidator(f.beaconUrl, pubkey);
        const epoch = epochFlag ?? currentEpoch(chain, Date.now());
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
          if (f.json) return printJson({ out: f.out, exit: json, submitted: false });
          process.stdout.write(
            `Signed exit of validator ${v.index} (wallet account ${account}) written to ${f.out} — NOT submitted.\nSubmit later: curl -X POST -H 'content-type: application/json' --data @${f.out} <beacon>/eth/v1/beacon/pool/voluntary_exits\n`,
          );
          return;
        }
        process.stderr.write(
          `Voluntary exit of validator ${v.index} (${pubkey}, status ${v.status}) at epoch ${epoch}:\n${text}`,
        );
        process.stderr.write(
          "An exit is IRREVERSIBLE: the validator stops validating and its ETH is withdrawn.\n",
        );
        if (!f.yes) {
          if (!process.stdin.isTTY)
            throw new InputError(
              "Not submitted: confirm with --yes, or write it to a file with --out",
              { field: "--yes" },
            );
          const ok = await p.confirm({
            message: `Submit the exit of validator ${v.index} now?`,
            initialValue: false,
          });
          if (p.isCancel(ok) || ok !== true) throw new InputError("Not submitted");
        }
        await beacon.submitVoluntaryExit(signed);
        if (f.json) return printJson({ exit: json, submitted: true });
        process.stdout.write(`Submitted the exit of validator ${v.index}.\n`);
      }),
    );
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
  const what =
    `Threshold-signed voluntary exit of validator ${pubkey}` +
    (validatorIndex !== undefined ? ` (index ${validatorIndex})` : "") +
    ` at epoch ${epoch ?? "<current epoch of the first node that accepts>"}.\n` +
    `Asking ${urls.length} operator node(s) to consent: ${urls.join(", ")}\n` +
    (info
      ? `Cluster ${info.clusterName ?? ""} threshold ${info.threshold}: the exit is submitted once ${info.threshold} operators consent.\n`
      : "The exit is submitted once the cluster threshold of operators consent.\n");
  process.stderr.write(what);
  process.stderr.write(
    "An exit is IRREVERSIBLE: the validator stops validating and its ETH is withdrawn.\n",
  );
  if (!f.yes) {
    if (!process.stdin.isTTY)
      throw new InputError("Not requested: confirm with --yes", { field: "--yes" });
    const ok = await p.confirm({
      message: `Ask ${urls.length} node(s) to sign the exit of ${pubkey} now?`,
      initialValue: false,
    });
    if (p.isCancel(ok) || ok !== true) throw new InputError("Not requested");
  }
  const res = await requestClusterExit(urls, token, { pubkey, epoch, validatorIndex });
  const accepted = res.results.filter((r) => r.accepted).length;
  if (f.json) {
    printJson({
      pubkey,
      epoch: res.epoch,
      threshold: info?.threshold,
      accepted,
      nodes: res.results,
    });
  } else {
    for (const r of res.results) {
      process.stdout.write(
        r.accepted
          ? `${r.url}: accepted (operator ${r.operatorId ?? "?"}, epoch ${r.epoch ?? res.epoch})\n`
          : `${r.url}: refused (${r.status === 0 ? "unreachable" : `HTTP ${r.status}`}: ${r.error})\n`,
      );
    }
    process.stdout.write(
      `${accepted} of ${urls.length} node(s) consented` +
        (info ? ` (threshold ${info.threshold})` : "") +
        ".\n",
    );
  }
  const needed = info?.threshold ?? 1;
  if (accepted < needed)
    throw new InputError(
      `Only ${accepted} node(s) consented: fewer than the threshold ${needed}, the exit will not be signed`,
      { metaMessages: ["Fix the refusals above (token, node down) and run the command again."] },
    );
}
