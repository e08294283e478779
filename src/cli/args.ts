/**
 * Shared parsing of CLI flags used by several commands: list-valued flags (`--operator-ids`,
 * `--endpoints`, `--peer-ids`, `--withdrawal-addresses`), `~` paths (`--rocketpool-dir`) and
 * `--max-wallet-accounts`, whole-number flags, and the devnet's `--lodestar-bin` and
 * `--seconds-per-slot` (devnet start, demo). Each parser throws an InputError (or commander's
 * InvalidArgumentError at parse time) naming the flag and the bad item, so commands can parse
 * every flag before any slow work (key decryption, a devnet) starts.
 */
import { promises as fsp } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { InvalidArgumentError, Option } from "commander";
import { publicKeyFromIdentity } from "../crypto/secp256k1.js";
import { validateLodestarBin } from "../devnet/lodestar-cli.js";
import { BaseError, InputError } from "../errors.js";
import { MAX_WALLET_ACCOUNTS } from "../rocketpool/wallet.js";
import { parseAddress } from "../util/address.js";

/** Default Smartnode folder (the installer's `~/.rocketpool`). */
export const DEFAULT_ROCKETPOOL_DIR = "~/.rocketpool";

/**
 * Expand a leading `~` (commander gets `--rocketpool-dir=~/x` unexpanded from the shell).
 *
 * @example
 * expandHome("~/.rocketpool") // "/home/me/.rocketpool"
 */
export function expandHome(p: string): string {
  if (p === "~") return homedir();
  if (p.startsWith("~/")) return join(homedir(), p.slice(2));
  return p;
}

/**
 * `--max-wallet-accounts N`: raise the bound on the wallet's `next_account`
 * (src/rocketpool/wallet.ts MAX_WALLET_ACCOUNTS), validated when the flags are parsed.
 *
 * @example
 * new Command("list").addOption(maxWalletAccountsOption());
 */
export function maxWalletAccountsOption(): Option {
  return new Option(
    "--max-wallet-accounts <n>",
    `refuse a Smartnode wallet whose next_account is above n (default ${MAX_WALLET_ACCOUNTS}; every account is derived)`,
  ).argParser((v: string) => {
    const n = Number(v);
    if (!/^\d+$/.test(v.trim()) || n < 1 || n > 2 ** 31)
      throw new InvalidArgumentError("expected a whole number from 1 to 2147483648");
    return n;
  });
}

/**
 * A flag that may be given several times: every value, in order (none given: []).
 *
 * @example
 * new Command("run").addOption(repeatableOption("--beacon-url <url>", "beacon node REST URL (repeat)"));
 * // --beacon-url A --beacon-url B → opts().beaconUrl = ["A", "B"]
 */
export function repeatableOption(flags: string, description: string): Option {
  return new Option(flags, description)
    .argParser((v: string, acc: string[]) => [...acc, v])
    .default([] as string[]);
}

/**
 * Commander argParser of a whole-number flag in `min..max` (no upper bound by default).
 *
 * @example
 * new Command("start").option("--validators <n>", "interop validators", wholeNumberArg(1), 64);
 * wholeNumberArg(1, 60)("3") // 3
 */
export function wholeNumberArg(min: number, max = Number.MAX_SAFE_INTEGER): (v: string) => number {
  return (v) => {
    if (!/^\d+$/.test(v.trim()) || Number(v) < min || Number(v) > max) {
      throw new InvalidArgumentError(
        max === Number.MAX_SAFE_INTEGER
          ? `expected a whole number ≥ ${min}`
          : `expected a whole number in ${min}..${max}`,
      );
    }
    return Number(v);
  };
}

/**
 * A flag's value as an integer in `min..max`, else an InputError naming the flag and the range.
 *
 * @example
 * intInRange("2", "--epochs", 1, 20) // 2
 * intInRange("0", "--epochs", 1, 20) // throws "--epochs 0 must be an integer in 1..20"
 */
export function intInRange(value: string, flag: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new InputError(`${flag} ${value} must be an integer in ${min}..${max}`, { field: flag });
  }
  return n;
}

/**
 * Longest slot `--seconds-per-slot` accepts (mainnet is 12 s; a devnet slower than a minute only
 * makes the tests wait).
 *
 * @example
 * wholeNumberArg(1, MAX_SECONDS_PER_SLOT)("3") // 3
 */
export const MAX_SECONDS_PER_SLOT = 60;

/**
 * Parser of `--seconds-per-slot` (1..{@link MAX_SECONDS_PER_SLOT}).
 *
 * @example
 * secondsPerSlotArg("3") // 3
 */
export const secondsPerSlotArg = wholeNumberArg(1, MAX_SECONDS_PER_SLOT);

/**
 * The `--lodestar-bin` option (devnet start, demo).
 *
 * @example
 * new Command("start").option(...LODESTAR_BIN_OPTION, lodestarBinArg);
 */
export const LODESTAR_BIN_OPTION = [
  "--lodestar-bin <path>",
  "an executable that behaves as the `lodestar` CLI (1.5.1 or later; its flags are detected: " +
    "Electra at genesis and Fulu at epoch 1 when it has them). Default: the Lodestar 1.5.1 of " +
    "devnet/lodestar",
] as const;

/**
 * Parser of {@link LODESTAR_BIN_OPTION} at parse time: the absolute path of an executable file
 * (the InputError's text as commander's).
 *
 * @example
 * lodestarBinArg("/usr/local/bin/lodestar")
 */
export function lodestarBinArg(v: string): string {
  try {
    return validateLodestarBin(v);
  } catch (err) {
    if (err instanceof BaseError) {
      throw new InvalidArgumentError(
        [err.shortMessage, ...(err.metaMessages ?? [])]
          .join(" ")
          .replace(/^--lodestar-bin \S+:? ?/, ""),
      );
    }
    throw err;
  }
}

/**
 * Parse `--operator-ids 11,22,33,44` (positive integers; order is kept, see the callers).
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
 * Operator ids sorted ascending; when the input was not sorted, say so on stderr (every split
 * format writes operators ascending, so every format accepts any order the same way).
 *
 * @example
 * sortIds([33, 11, 22, 44]) // [11, 22, 33, 44] (and a note on stderr)
 */
export function sortIds(ids: readonly number[], flag = "--operator-ids"): number[] {
  const sorted = [...ids].sort((a, b) => a - b);
  if (sorted.join(",") !== ids.join(",")) {
    process.stderr.write(
      `Note: ${flag} ${ids.join(",")} sorted ascending to ${sorted.join(",")} (outputs list operators by id).\n`,
    );
  }
  return sorted;
}

/**
 * Parse `ID=VALUE,ID=VALUE` into id → value, refusing a malformed pair or an id given twice.
 *
 * @example
 * parseIdPairs("1=a,2=b", "--endpoints", "ID=HOST:PORT") // Map { 1 => "a", 2 => "b" }
 */
export function parseIdPairs(text: string, flag: string, shape: string): Map<number, string> {
  const out = new Map<number, string>();
  for (const pair of text.split(",")) {
    const m = /^\s*(\d+)=(\S+)\s*$/.exec(pair);
    if (!m || Number(m[1]) < 1) {
      throw new InputError(`${flag}: "${pair}" is not ${shape}`, {
        field: flag,
        metaMessages: [`Give ${shape} per operator, comma-separated.`],
      });
    }
    const id = Number(m[1]);
    if (out.has(id))
      throw new InputError(`${flag}: operator ${id} is given twice`, { field: flag });
    out.set(id, m[2] as string);
  }
  return out;
}

/**
 * Parse `--endpoints 1=host:port,2=host:port` into id → endpoint (empty map when absent).
 *
 * @example
 * parseEndpoints("1=dirk1:13141") // Map { 1 => "dirk1:13141" }
 */
export function parseEndpoints(text: string | undefined): Map<number, string> {
  if (!text) return new Map();
  const out = parseIdPairs(text, "--endpoints", "ID=HOST:PORT");
  for (const [id, ep] of out) {
    const m = /^(\[[0-9a-fA-F:]+\]|[^:[\]]+):(\d{1,5})$/.exec(ep);
    if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) {
      throw new InputError(`--endpoints: "${id}=${ep}" is not ID=HOST:PORT`, {
        field: "--endpoints",
        metaMessages: ["Example: --endpoints 1=10.0.0.1:13141,2=node2.example:13141"],
      });
    }
  }
  return out;
}

/**
 * Parse `--peer-ids 1=16Uiu2HA…,2=16Uiu2HA…` (the `peerId` that `rpdvt node identity --json`
 * prints) into id → peer id; each must be a valid libp2p secp256k1 peer id, and no two operators
 * may share one.
 *
 * @example
 * parsePeerIds(`1=${peerId1},2=${peerId2}`) // Map { 1 => "16Uiu2HA…", 2 => "16Uiu2HA…" }
 */
export function parsePeerIds(text: string, flag = "--peer-ids"): Map<number, string> {
  const out = parseIdPairs(text, flag, "ID=PEERID");
  const seen = new Map<string, number>();
  for (const [id, peerId] of out) {
    publicKeyFromIdentity(peerId, `${flag} (operator ${id})`);
    const other = seen.get(peerId);
    if (other !== undefined) {
      throw new InputError(`${flag}: operators ${other} and ${id} have the same peer id`, {
        field: flag,
        metaMessages: ["Each operator runs `rpdvt node identity` on its own machine."],
      });
    }
    seen.set(peerId, id);
  }
  return out;
}

/**
 * Check that a per-operator flag names exactly the cluster's operators (`requireAll`) or a subset.
 *
 * @example
 * assertOperatorsCovered(peerIds, [1, 2, 3, 4], "--peer-ids", true);
 */
export function assertOperatorsCovered(
  given: Map<number, unknown>,
  ids: readonly number[],
  flag: string,
  requireAll: boolean,
): void {
  const unknown = [...given.keys()].filter((id) => !ids.includes(id));
  const missing = requireAll ? ids.filter((id) => !given.has(id)) : [];
  if (unknown.length || missing.length) {
    throw new InputError(
      `${flag} ${unknown.length ? `names unknown operator(s) ${unknown.join(",")}` : ""}${unknown.length && missing.length ? " and " : ""}${missing.length ? `lacks operator(s) ${missing.join(",")}` : ""}`,
      {
        field: flag,
        metaMessages: [`The operators are ${ids.join(",")}: give one entry for each.`],
      },
    );
  }
}

/**
 * Parse `--withdrawal-addresses`: a file or an inline comma-separated list of `0xPUBKEY=0xADDRESS`
 * pairs (a file may also use one pair per line, or a JSON object pubkey → address). Returns
 * lowercase validator pubkey → EIP-55 address.
 *
 * @example
 * await parseWithdrawalAddresses("0xa1…=0x5aAe…,0xb2…=0xfB69…")
 */
export async function parseWithdrawalAddresses(
  value: string,
  flag = "--withdrawal-addresses",
): Promise<Map<string, string>> {
  let text = value;
  let source = flag;
  const looksInline = /^\s*0x[0-9a-fA-F]+\s*=/.test(value);
  if (!looksInline) {
    try {
      text = await fsp.readFile(value, "utf8");
      source = value;
    } catch (err) {
      throw new InputError(`${flag}: cannot read the file ${value}`, {
        field: flag,
        details: (err as NodeJS.ErrnoException).code,
        metaMessages: ["Give a file, or inline pairs 0xPUBKEY=0xADDRESS,0xPUBKEY=0xADDRESS."],
      });
    }
  }
  let pairs: [string, string][];
  const trimmed = text.trim();
  if (trimmed.startsWith("{")) {
    let json: unknown;
    try {
      json = JSON.parse(trimmed);
    } catch {
      throw new InputError(`${flag}: ${source} is not valid JSON`, { field: flag });
    }
    pairs = Object.entries(json as Record<string, unknown>).map(([k, v]) => [k, String(v)]);
  } else {
    pairs = trimmed
      .split(/[\n,]/)
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith("#"))
      .map((l) => {
        const m = /^(\S+?)\s*=\s*(\S+)$/.exec(l);
        if (!m) {
          throw new InputError(`${flag}: "${l}" is not 0xPUBKEY=0xADDRESS`, {
            field: flag,
            details: source,
          });
        }
        return [m[1] as string, m[2] as string];
      });
  }
  const out = new Map<string, string>();
  for (const [pk, addr] of pairs) {
    if (!/^0x[0-9a-fA-F]{96}$/.test(pk)) {
      throw new InputError(`${flag}: "${pk}" is not a validator public key (0x + 48 bytes hex)`, {
        field: flag,
        details: source,
      });
    }
    const key = pk.toLowerCase();
    if (out.has(key)) {
      throw new InputError(`${flag}: validator ${key} is given twice`, {
        field: flag,
        details: source,
      });
    }
    out.set(key, parseAddress(addr, { field: `${flag} (validator ${key})` }));
  }
  if (out.size === 0) throw new InputError(`${flag}: no 0xPUBKEY=0xADDRESS pairs`, { field: flag });
  return out;
}
