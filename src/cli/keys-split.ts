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
import { SSV_VERSIONS, type SsvVersion } from "../keysplit/ssv-format.js";
import { parseOperatorPairs, readOperatorsInfo } from "../keysplit/ssv-operators.js";
import { readRocketPoolKeys } from "../rocketpool/datadir.js";
import { fromHex } from "../util/hex.js";
import { startProgress } from "../util/progress.js";
import { DEFAULT_ROCKETPOOL_DIR, expandHome } from "./keys-list.js";
import { printJson, runAction } from "./run.js";

type SplitFlags = {
  rocketpoolDir: string;
  format: SplitFormat;
  operatorIds?: string;
  operatorsFile?: string;
  operatorKey: string[];
  owner?: string;
  nonce?: string;
  ssvVersion: SsvVersion;
  validators?: string;
  endpoints?: string;
  feeRecipient?: string;
  withdrawalAddress?: string;
  name?: string;
  out: string;
  json?: boolean;
  quiet?: boolean;
};

/**
 * Parse `--operator-ids 11,22,33,44`.
 *
 * @example
 * parseIdList("11,22,33,44") // [11, 22, 33, 44]
 */
export function parseIdList(text: string, flag = "--operator-ids"): number[] {
  return text.split(",").map((s) => {
    const t = s.trim();
    if (!/^\d+$/.test(t) || Number(t) < 1) {
      throw new InputError(`${flag}: "${t}" is not a positive integer`, {
        field: flag,
        metaMessages: ["Example: --operator-ids 11,22,33,44"],
      });
    }
    return Number(t);
  });
}

/**
 * Parse `--endpoints 1=host:port,2=host:port` into id → endpoint.
 *
 * @example
 * parseEndpoints("1=dirk1:13141") // Map { 1 => "dirk1:13141" }
 */
export function parseEndpoints(text: string | undefined): Map<number, string> {
  const out = new Map<number, string>();
  if (!text) return out;
  for (const pair of text.split(",")) {
    const m = /^\s*(\d+)=(\S+)\s*$/.exec(pair);
    if (!m) {
      throw new InputError(`--endpoints: "${pair}" is not ID=HOST:PORT`, { field: "--endpoints" });
    }
    out.set(Number(m[1]), m[2] as string);
  }
  return out;
}

function requireIds(flags: SplitFlags): number[] {
  if (!flags.operatorIds) {
    throw new InputError(`--operator-ids is required for --format ${flags.format}`, {
      field: "--operator-ids",
      metaMessages: ["Example: --operator-ids 1,2,3,4 (n = 4, 7, 10 or 13)."],
    });
  }
  return parseIdList(flags.operatorIds);
}

async function buildPlan(flags: SplitFlags): Promise<SplitPlan> {
  const endpoints = parseEndpoints(flags.endpoints);
  switch (flags.format) {
    case "ssv": {
      if (!flags.owner || flags.nonce === undefined) {
        throw new InputError("--owner and --nonce are required for SSV keyshares", {
          field: "--owner/--nonce",
          metaMessages: [
            "--owner: the address that will register the validators on SSV;",
            "--nonce: its current registration nonce (the number of validators it registered before).",
          ],
        });
      }
      if (!/^\d+$/.test(flags.nonce))
        throw new InputError(`--nonce "${flags.nonce}" is not a non-negative integer`, {
          field: "--nonce",
        });
      const ids = flags.operatorIds ? parseIdList(flags.operatorIds) : undefined;
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
      if (
        ids &&
        operators
          .map((o) => o.id)
          .sort((a, b) => a - b)
          .join(",") !== [...ids].sort((a, b) => a - b).join(",")
      ) {
        throw new InputError("--operator-ids does not match the operator keys given", {
          field: "--operator-ids",
          details: `ids ${ids.join(",")}; keys for ${operators.map((o) => o.id).join(",")}`,
        });
      }
      return {
        format: "ssv",
        operators,
        owner: flags.owner,
        nonce: Number(flags.nonce),
        version: flags.ssvVersion,
      };
    }
    case "dirk": {
      const ids = requireIds(flags);
      return {
        format: "dirk",
        operatorIds: ids,
        participants: endpoints.size
          ? ids.map((id) => ({ id, endpoint: endpoints.get(id) ?? `dirk-${id}:13141` }))
          : undefined,
      };
    }
    case "cluster": {
      const ids = requireIds(flags);
      if (!flags.feeRecipient) {
        throw new InputError("--fee-recipient is required for --format cluster", {
          field: "--fee-recipient",
          metaMessages: [
            "A Rocket Pool validator must use its node's fee distributor, or the smoothing pool if opted in.",
          ],
        });
      }
      return {
        format: "cluster",
        operators: ids.map((id) => ({
          id,
          ...(endpoints.has(id) ? { endpoint: endpoints.get(id) as string } : {}),
        })),
        feeRecipients: flags.feeRecipient,
        ...(flags.name ? { name: flags.name } : {}),
      };
    }
    case "obol":
      return {
        format: "obol",
        ...(flags.operatorIds ? { nodes: parseIdList(flags.operatorIds).length } : {}),
        ...(flags.feeRecipient ? { feeRecipient: flags.feeRecipient } : {}),
        ...(flags.withdrawalAddress ? { withdrawalAddress: flags.withdrawalAddress } : {}),
      };
  }
}

/**
 * The `split` subcommand of `rpdvt keys`.
 *
 * @example
 * await keysSplitCommand().parseAsync(["node", "split", "--rocketpool-dir", dir, "--format", "obol", "--out", out]);
 */
export function keysSplitCommand(): Command {
  return new Command("split")
    .description(
      "Split a Rocket Pool node's validator keys into threshold shares (t = 2F+1 of n = 3F+1)",
    )
    .option("--rocketpool-dir <dir>", "Smartnode folder or its data folder", DEFAULT_ROCKETPOOL_DIR)
    .addOption(
      new Option("--format <format>", "output format").choices(SPLIT_FORMATS).makeOptionMandatory(),
    )
    .option(
      "--operator-ids <ids>",
      "operator / participant ids, ascending, n ∈ {4,7,10,13} (e.g. 11,22,33,44)",
    )
    .option("--operators-file <file>", "SSV: operators_info.json ([{id, public_key}])")
    .option(
      "--operator-key <ID=BASE64>",
      "SSV: an operator's public key (repeat per operator)",
      (v: string, acc: string[]) => [...acc, v],
      [] as string[],
    )
    .option("--owner <address>", "SSV: the address that registers the validators")
    .option("--nonce <n>", "SSV: the owner's registration nonce for the first validator")
    .addOption(
      new Option("--ssv-version <v>", "SSV: keyshares file version")
        .choices(SSV_VERSIONS)
        .default("v1.1.0"),
    )
    .option(
      "--validators <pubkeys>",
      "only these validators (comma-separated 0x pubkeys); default all",
    )
    .option("--endpoints <list>", "dirk/cluster: ID=HOST:PORT per participant, comma-separated")
    .option("--fee-recipient <address>", "cluster (required) / obol: fee recipient address")
    .option(
      "--withdrawal-address <address>",
      "obol: withdrawal address for the charon command line",
    )
    .option("--name <name>", "cluster name")
    .requiredOption(
      "--out <path>",
      "output file (ssv) or folder (obol, dirk, cluster); must not exist",
    )
    .option("--json", "print a JSON summary")
    .option("--quiet", "no progress output")
    .action(
      runAction(async (flags: SplitFlags) => {
        const quiet = flags.quiet || flags.json;
        const plan = await buildPlan(flags);
        await checkSplitPlan(flags.out, plan);
        const validators = flags.validators
          ?.split(",")
          .map((v, i) => fromHex(v.trim(), { field: `--validators[${i}]`, length: 48 }));
        let progress: ReturnType<typeof startProgress> | undefined;
        const { keys, warnings } = await readRocketPoolKeys(expandHome(flags.rocketpoolDir), {
          validators,
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
      }),
    );
}
