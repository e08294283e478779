/**
 * The split pipeline behind `rpdvt keys split` and `rpdvt demo`: validator keys → shares (one
 * split, shared by every format) → the chosen format's writer. Inputs are validated before any
 * key is split, so a bad flag fails fast and nothing is written.
 */
import type { KdfChoice } from "../crypto/eip2335.js";
import { InputError } from "../errors.js";
import { assertCanCreate } from "../util/fs.js";
import { toHex } from "../util/hex.js";
import { startProgress } from "../util/progress.js";
import { type ClusterOperator, writeCluster } from "./cluster.js";
import { type DirkParticipant, writeDirk } from "./dirk.js";
import type { KdfParams } from "./format-io.js";
import { writeObol } from "./obol.js";
import {
  assertOperatorIds,
  type SplitValidator,
  splitValidatorKey,
  type ValidatorKey,
} from "./split.js";
import { type SsvKeysharesOptions, writeSsvKeyshares } from "./ssv.js";

/** Output formats of `rpdvt keys split`. */
export const SPLIT_FORMATS = ["ssv", "obol", "dirk", "cluster"] as const;
export type SplitFormat = (typeof SPLIT_FORMATS)[number];

/** What to split into, per format. */
export type SplitPlan =
  | ({ format: "ssv" } & SsvKeysharesOptions)
  | {
      format: "obol";
      nodes?: number;
      feeRecipient?: string;
      withdrawalAddress?: string;
      /** Validator pubkey (0x-hex, lowercase) → withdrawal address, written in keystore order. */
      withdrawalAddresses?: Map<string, string>;
      name?: string;
    }
  | { format: "dirk"; operatorIds: number[]; participants?: DirkParticipant[] }
  | {
      format: "cluster";
      operators: ClusterOperator[];
      feeRecipients: string | Map<string, string>;
      name?: string;
      /** KDF of the share keystores (EIP-2335 parameters, 2^18); default scrypt. */
      kdf?: KdfChoice;
    };

export type SplitSummary = {
  format: SplitFormat;
  out: string;
  validators: number;
  operators: number[];
  threshold: number | null;
};

/** Operator ids a plan splits across (empty for Obol: charon splits itself). */
export function planOperatorIds(plan: SplitPlan): number[] {
  switch (plan.format) {
    case "ssv":
      return plan.operators.map((o) => o.id).sort((a, b) => a - b);
    case "dirk":
      return plan.operatorIds;
    case "cluster":
      return plan.operators.map((o) => o.id);
    case "obol":
      return [];
  }
}

/**
 * Check a plan and the output path (absent — not even a dangling link — with an existing,
 * writable parent) before any key is read or split (fail fast, write nothing).
 *
 * @example
 * await checkSplitPlan("/out/keyshares.json", plan);
 */
export async function checkSplitPlan(out: string, plan: SplitPlan): Promise<void> {
  if (plan.format !== "obol") assertOperatorIds(planOperatorIds(plan));
  await assertCanCreate(out, "--out");
}

/**
 * Split keys and write them in the plan's format. Duplicate validators are refused.
 *
 * @example
 * const summary = await splitKeys(keys, "/out/keyshares.json", { format: "ssv", operators, owner, nonce: 0 });
 */
export async function splitKeys(
  keys: readonly ValidatorKey[],
  out: string,
  plan: SplitPlan,
  opts: { quiet?: boolean; kdfParams?: KdfParams } = {},
): Promise<SplitSummary> {
  if (keys.length === 0) {
    throw new InputError("No validator keys to split", {
      metaMessages: ["Check --rocketpool-dir and --validators."],
    });
  }
  const seen = new Set<string>();
  for (const k of keys) {
    const hex = toHex(k.pubkey);
    if (seen.has(hex)) {
      throw new InputError(`Validator ${hex} is given twice`, {
        field: "validators",
        details: k.source,
        metaMessages: ["Each validator may be split once per output."],
      });
    }
    seen.add(hex);
  }
  await checkSplitPlan(out, plan);
  const quiet = opts.quiet;
  if (plan.format === "obol") {
    await writeObol(out, [...keys], { ...plan, kdfParams: opts.kdfParams, quiet });
    return { format: "obol", out, validators: keys.length, operators: [], threshold: null };
  }
  const ids = planOperatorIds(plan);
  const progress = startProgress("Splitting", keys.length, { quiet });
  const split: SplitValidator[] = [];
  for (const k of keys) {
    split.push(splitValidatorKey(k, ids));
    progress.tick();
  }
  progress.stop();
  switch (plan.format) {
    case "ssv":
      await writeSsvKeyshares(out, split, plan);
      break;
    case "dirk":
      await writeDirk(out, split, {
        participants: plan.participants,
        kdfParams: opts.kdfParams,
        quiet,
      });
      break;
    case "cluster":
      await writeCluster(out, split, { ...plan, kdfParams: opts.kdfParams, quiet });
      break;
  }
  return {
    format: plan.format,
    out,
    validators: split.length,
    operators: ids,
    threshold: split[0]?.threshold ?? null,
  };
}
