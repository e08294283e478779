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
 * was handed out. These steps ({@link runJournaled}, {@link withFreshSplit}) also run the Dirk
 * replacement (./replace-dirk.ts), with its own output, checks and hand-over text.
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
export type ReplaceInput = ReplaceRunCommon & {
  previous: ClusterDefinition;
  plan: ReplacementPlan;
  slotsPerEpoch?: number | undefined;
};

/**
 * The inputs every replacement run takes (cluster: {@link ReplaceInput}; Dirk:
 * ./replace-dirk.ts DirkReplaceInput).
 *
 * @example
 * const common: ReplaceRunCommon = { keys, out: "cluster-v2", journal };
 */
export type ReplaceRunCommon = {
  /** The wallet's keys of exactly the old output's validators (the caller zeroes them). */
  keys: readonly ValidatorKey[];
  out: string;
  journal: ReplaceJournal;
  kdf?: KdfChoice | undefined;
  kdfParams?: KdfParams | undefined;
  quiet?: boolean | undefined;
  /** Called after each journaled step (test hook: src/ops/journal.ts crashPoint). */
  afterStep?: ((step: string) => void) | undefined;
};

/**
 * What every replacement run reports (cluster: {@link ReplaceResult}; Dirk: ./replace-dirk.ts
 * DirkReplaceResult).
 *
 * @example
 * const r: ReplaceRunReport = await runReplacement(input); r.resumed;
 */
export type ReplaceRunReport = {
  out: string;
  activationEpoch: number;
  validators: number;
  threshold: number;
  staying: number[];
  removed: number[];
  added: number[];
  /** The journal's steps a rerun found done. */
  resumed: string[];
  handover: string[];
};

/**
 * What a replacement wrote.
 *
 * @example
 * const r: ReplaceResult = await runReplacement(input); r.hash;
 */
export type ReplaceResult = ReplaceRunReport & {
  hash: string;
  previousHash: string;
  operators: number[];
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
async function journalPlan(
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
 * One replacement run's steps, as {@link runJournaled} takes them (`T`: the output's own record,
 * the cluster definition or the Dirk summary, read back from `out`/`file`).
 *
 * @example
 * const steps: JournaledRun<ClusterDefinition> = { journal, out, planRecord, file: CLUSTER_FILE, … };
 */
export type JournaledRun<T> = {
  journal: ReplaceJournal;
  /** The resolved output folder. */
  out: string;
  afterStep?: ((step: string) => void) | undefined;
  /** The `plan` step's record (public data only); a rerun must give the same. */
  planRecord: unknown;
  /** The output's own record file in `out` (cluster.json, distributed-accounts.json). */
  file: string;
  /** "cluster", "Dirk": named when --out holds another output. */
  what: string;
  read: (file: string) => Promise<T>;
  /** Whether an output found in `out` is this very plan's (a killed run renamed it into place). */
  isThisPlan: (written: T) => boolean;
  /** Split afresh and write the output into `out`. */
  write: () => Promise<unknown>;
  /** The `write` step's journal record (public data only). */
  doneData: (written: T) => unknown;
  /** Throws a VerificationError when the written output is not of the old validators. */
  verify: (written: T) => void;
  handover: (written: T) => string[];
};

/**
 * Run (or resume) the journaled steps of a replacement: `plan` (a rerun with other flags is
 * refused), `write` (skipped when a killed run already renamed this plan's output into place),
 * the check of the written output, `handover` (HANDOVER.txt, mode 0600).
 *
 * @example
 * const { written, resumed, handover } = await runJournaled(steps);
 */
export async function runJournaled<T>(
  r: JournaledRun<T>,
): Promise<{ written: T; resumed: string[]; handover: string[] }> {
  const { journal, out, afterStep } = r;
  const resumed: string[] = [];
  await journalPlan(journal, r.planRecord, resumed, afterStep);
  let written = await finishedOutput(r);
  if (written !== undefined && journal.isDone("write")) resumed.push("write");
  if (written === undefined) {
    await journal.append("write", "begin");
    await r.write();
    written = await r.read(join(out, r.file));
  }
  if (!journal.isDone("write")) {
    await journal.append("write", "done", r.doneData(written));
    afterStep?.("write");
  }
  r.verify(written);
  const handover = r.handover(written);
  if (journal.isDone("handover")) resumed.push("handover");
  else {
    await writeFileAtomic(join(out, HANDOVER_FILE), `${handover.join("\n")}\n`, {
      mode: SECRET_FILE_MODE,
    });
    await journal.append("handover", "done");
    afterStep?.("handover");
  }
  return { written, resumed, handover };
}

/** The output's record if a killed run renamed it into place for this very plan. */
async function finishedOutput<T>(r: JournaledRun<T>): Promise<T | undefined> {
  const file = join(r.out, r.file);
  if (!(await fsp.stat(file).catch(() => null))) return undefined;
  const written = await r.read(file);
  if (!r.isThisPlan(written)) {
    throw new InputError(`--out holds another ${r.what} output`, {
      file: r.out,
      field: "--out",
      metaMessages: ["Give a new --out, or the same flags as the run that wrote it."],
    });
  }
  return written;
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

/**
 * Split afresh (a new random polynomial per validator) across the new ids, call `afterStep("split")`
 * and `write` with the shares; the share secrets are zeroed afterwards, written or not.
 *
 * @example
 * await withFreshSplit(keys, [1, 2, 3, 5], (split) => writeCluster(out, split, opts), afterStep);
 */
export async function withFreshSplit(
  keys: readonly ValidatorKey[],
  ids: readonly number[],
  write: (split: SplitValidator[]) => Promise<unknown>,
  afterStep?: (step: string) => void,
): Promise<void> {
  const split = keys.map((k) => splitValidatorKey(k, ids));
  try {
    afterStep?.("split");
    await write(split);
  } finally {
    for (const sv of split) for (const s of sv.shares) s.secret.fill(0);
  }
}

/** Whether a cluster definition found in --out is this plan's (same previous and operators). */
function isThisPlan(def: ClusterDefinition, plan: ReplacementPlan): boolean {
  return (
    def.previous?.hash === plan.previousHash &&
    def.previous.activationEpoch === plan.activationEpoch &&
    def.operators.map((o) => o.id).join(",") === plan.operators.map((o) => o.id).join(",")
  );
}

/** Split afresh and write the new cluster output. */
async function writeReplacement(input: ReplaceInput, out: string): Promise<void> {
  const { plan, previous } = input;
  const keys = keysOfCluster(previous, input.keys);
  const ids = plan.operators.map((o) => o.id);
  await withFreshSplit(
    keys,
    ids,
    (split) =>
      writeCluster(out, split, {
        operators: plan.operators,
        feeRecipients: new Map(previous.validators.map((v) => [v.pubkey, v.feeRecipient])),
        name: previous.name,
        previous: { hash: plan.previousHash, activationEpoch: plan.activationEpoch },
        kdf: input.kdf,
        kdfParams: input.kdfParams,
        quiet: input.quiet,
      }),
    input.afterStep,
  );
}

/**
 * Run (or resume) a replacement: check the journal's plan, split and write the new cluster
 * output, write HANDOVER.txt. Every step is journaled; secrets never are.
 *
 * @example
 * const r = await runReplacement({ previous, plan, keys, out: "/out/cluster-v2", journal });
 */
export async function runReplacement(input: ReplaceInput): Promise<ReplaceResult> {
  const { plan, previous } = input;
  const out = resolve(input.out);
  const pubkeys = (d: ClusterDefinition) => d.validators.map((v) => v.pubkey).join();
  const run = await runJournaled({
    journal: input.journal,
    out,
    afterStep: input.afterStep,
    planRecord: planRecord(plan),
    file: CLUSTER_FILE,
    what: "cluster",
    read: readClusterDefinition,
    isThisPlan: (d) => isThisPlan(d, plan),
    write: () => writeReplacement(input, out),
    doneData: (d) => ({ hash: d.hash }),
    verify: (d) => {
      if (pubkeys(d) !== pubkeys(previous))
        throw new VerificationError("The new cluster's validators differ from the old cluster's", {
          metaMessages: [`File: ${join(out, CLUSTER_FILE)}`],
        });
    },
    handover: (d) => handoverSteps(plan, out, d.hash, input.slotsPerEpoch),
  });
  const { written: def, resumed, handover } = run;
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
