/**
 * Writing a replacement (`rpdvt cluster replace-operator`, plan in ./replace.ts): fresh shares of
 * the same validator keys for the new operator set, the new cluster output with
 * `previous: {hash, activationEpoch}` (./cluster.ts writeCluster), and HANDOVER.txt.
 *
 * Crash-resumable through a journal (the caller passes src/ops/journal.ts's Journal; JSON lines,
 * fsync'd, no secrets): steps `plan` (the request, so a rerun with other flags is refused),
 * `write` (the cluster output, built in a temporary sibling and renamed: keysplit/cluster.ts
 * writes the share passwords last, so a run killed while encrypting leaves ciphertext only, which
 * the rerun's cleanStaleTemps removes), `handover`. A rerun skips what is done; a crash between
 * the rename and its journal line is recognised from the output's own definition (same previous
 * hash and epoch). Re-splitting after a crash draws a new polynomial: nothing of the killed run
 * was handed out.
 */
import { promises as fsp } from "node:fs";
import { join, resolve } from "node:path";
import type { KdfChoice } from "../crypto/eip2335.js";
import type { ValidatorKey } from "../crypto/validator-key.js";
import { InputError, VerificationError } from "../errors.js";
import { SECRET_FILE_MODE, writeFileAtomic } from "../util/fs.js";
import { toHex } from "../util/hex.js";
import {
  CLUSTER_FILE,
  type ClusterDefinition,
  readClusterDefinition,
  writeCluster,
} from "./cluster.js";
import type { KdfParams } from "./format-io.js";
import { handoverSteps, type ReplacementPlan } from "./replace.js";
import { type SplitValidator, splitValidatorKey } from "./split.js";

/** File name of the hand-over steps in the output root. */
export const HANDOVER_FILE = "HANDOVER.txt";

/**
 * The journal a run writes through (structurally src/ops/journal.ts Journal).
 *
 * @example
 * const journal: ReplaceJournal = await Journal.open(`${out}.journal.jsonl`);
 */
export type ReplaceJournal = {
  isDone(step: string): boolean;
  done(step: string): { data?: unknown } | undefined;
  append(
    step: string,
    status: "begin" | "done" | "info" | "failed",
    data?: unknown,
  ): Promise<unknown>;
};

/**
 * Inputs of {@link runReplacement}.
 *
 * @example
 * const input: ReplaceInput = { previous, plan, keys, out: "cluster-v2", journal };
 */
export type ReplaceInput = {
  previous: ClusterDefinition;
  plan: ReplacementPlan;
  /** The wallet's keys of exactly the old cluster's validators (zeroed after splitting). */
  keys: readonly ValidatorKey[];
  out: string;
  journal: ReplaceJournal;
  kdf?: KdfChoice | undefined;
  kdfParams?: KdfParams | undefined;
  quiet?: boolean | undefined;
  slotsPerEpoch?: number | undefined;
  /** Called after each journaled step (test hook: src/ops/journal.ts crashPoint). */
  afterStep?: ((step: string) => void) | undefined;
};

/**
 * What a replacement wrote.
 *
 * @example
 * const r: ReplaceResult = await runReplacement(input); r.hash;
 */
export type ReplaceResult = {
  out: string;
  hash: string;
  previousHash: string;
  activationEpoch: number;
  validators: number;
  operators: number[];
  threshold: number;
  staying: number[];
  removed: number[];
  added: number[];
  resumed: string[];
  handover: string[];
};

/** The request as recorded in the journal's `plan` step (public data only). */
function planRecord(plan: ReplacementPlan) {
  return {
    previousHash: plan.previousHash,
    activationEpoch: plan.activationEpoch,
    operators: plan.operators.map((o) => o.id),
  };
}

/**
 * The journal's `plan` step: recorded on a first run; on a rerun it must equal `record` (the same
 * flags), else an InputError naming --out. Pushes "plan" to `resumed` when it was already done.
 *
 * @example
 * await journalPlan(journal, { previousHash, activationEpoch, operators }, resumed, afterStep);
 */
export async function journalPlan(
  journal: ReplaceJournal,
  record: unknown,
  resumed: string[],
  afterStep?: (step: string) => void,
): Promise<void> {
  const recorded = journal.done("plan")?.data;
  if (recorded === undefined) {
    await journal.append("plan", "done", record);
    afterStep?.("plan");
    return;
  }
  if (JSON.stringify(recorded) !== JSON.stringify(record)) {
    throw new InputError("A different replacement was started into this --out", {
      field: "--out",
      details: `journal: ${JSON.stringify(recorded)}; now: ${JSON.stringify(record)}`,
      metaMessages: ["Rerun with the same flags to finish it, or give another --out."],
    });
  }
  resumed.push("plan");
}

/**
 * The wallet keys in the old definition's validator order; an InputError naming the validators
 * the wallet lacks (the replacement re-splits every validator of the cluster, or none).
 *
 * @example
 * const ordered = keysOfCluster(previous, keys);
 */
export function keysOfCluster(
  previous: ClusterDefinition,
  keys: readonly ValidatorKey[],
): ValidatorKey[] {
  const byPk = new Map(keys.map((k) => [toHex(k.pubkey), k]));
  const missing = previous.validators.filter((v) => !byPk.has(v.pubkey)).map((v) => v.pubkey);
  if (missing.length) {
    throw new InputError(
      `The wallet has no key for ${missing.length} of the cluster's ${previous.validators.length} validator(s)`,
      {
        field: "--rocketpool-dir",
        details: missing.slice(0, 4).join(", ") + (missing.length > 4 ? ", …" : ""),
        metaMessages: [
          "Give the Rocket Pool data folder whose wallet created these validators (the owner's cold key).",
        ],
      },
    );
  }
  return previous.validators.map((v) => byPk.get(v.pubkey) as ValidatorKey);
}

/** Split afresh (a new random polynomial per validator) across the new ids. */
function splitAfresh(keys: readonly ValidatorKey[], ids: readonly number[]): SplitValidator[] {
  return keys.map((k) => splitValidatorKey(k, ids));
}

/** The output's definition if a killed run renamed it into place for this very plan. */
async function finishedOutput(
  out: string,
  plan: ReplacementPlan,
): Promise<ClusterDefinition | undefined> {
  const file = join(out, CLUSTER_FILE);
  if (!(await fsp.stat(file).catch(() => null))) return undefined;
  const def = await readClusterDefinition(file);
  const ids = def.operators.map((o) => o.id).join(",");
  if (
    def.previous?.hash !== plan.previousHash ||
    def.previous.activationEpoch !== plan.activationEpoch ||
    ids !== plan.operators.map((o) => o.id).join(",")
  ) {
    throw new InputError("--out holds another cluster output", {
      file: out,
      field: "--out",
      metaMessages: ["Give a new --out, or the same flags as the run that wrote it."],
    });
  }
  return def;
}

/**
 * Run (or resume) a replacement: check the journal's plan, split and write the new cluster
 * output, write HANDOVER.txt. Every step is journaled; secrets never are.
 *
 * @example
 * const r = await runReplacement({ previous, plan, keys, out: "/out/cluster-v2", journal });
 */
export async function runReplacement(input: ReplaceInput): Promise<ReplaceResult> {
  const { plan, journal, previous } = input;
  const out = resolve(input.out);
  const resumed: string[] = [];
  await journalPlan(journal, planRecord(plan), resumed, input.afterStep);
  let def = await finishedOutput(out, plan);
  if (def && journal.isDone("write")) resumed.push("write");
  if (!def) {
    const keys = keysOfCluster(previous, input.keys);
    await journal.append("write", "begin");
    const ids = plan.operators.map((o) => o.id);
    const split = splitAfresh(keys, ids);
    try {
      input.afterStep?.("split");
      await writeCluster(out, split, {
        operators: plan.operators,
        feeRecipients: new Map(previous.validators.map((v) => [v.pubkey, v.feeRecipient])),
        name: previous.name,
        previous: { hash: plan.previousHash, activationEpoch: plan.activationEpoch },
        kdf: input.kdf,
        kdfParams: input.kdfParams,
        quiet: input.quiet,
      });
    } finally {
      for (const sv of split) for (const s of sv.shares) s.secret.fill(0);
    }
    def = await readClusterDefinition(join(out, CLUSTER_FILE));
  }
  if (!journal.isDone("write")) {
    await journal.append("write", "done", { hash: def.hash });
    input.afterStep?.("write");
  }
  if (
    def.validators.map((v) => v.pubkey).join() !== previous.validators.map((v) => v.pubkey).join()
  )
    throw new VerificationError("The new cluster's validators differ from the old cluster's", {
      metaMessages: [`File: ${join(out, CLUSTER_FILE)}`],
    });
  const handover = handoverSteps(plan, out, def.hash, input.slotsPerEpoch);
  if (journal.isDone("handover")) resumed.push("handover");
  else {
    await writeFileAtomic(join(out, HANDOVER_FILE), `${handover.join("\n")}\n`, {
      mode: SECRET_FILE_MODE,
    });
    await journal.append("handover", "done");
    input.afterStep?.("handover");
  }
  return {
    out,
    hash: def.hash,
    previousHash: plan.previousHash,
    activationEpoch: plan.activationEpoch,
    validators: def.validators.length,
    operators: def.operators.map((o) => o.id),
    threshold: def.threshold,
    staying: plan.staying,
    removed: plan.removed,
    added: plan.added,
    resumed,
    handover,
  };
}
