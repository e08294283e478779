/**
 * `rpdvt migrate`: move Rocket Pool validators from the Smartnode's validator client into a DV
 * cluster without ever letting two signers hold a key at once. A resumable state machine whose
 * every step is journaled (../journal.ts) in `data/rpdvt-quarantine/<id>/journal.jsonl`:
 *
 *   plan            what will happen (plan.json), nothing changed yet
 *   split           stale temporary outputs of an interrupted run removed next to --out (they may
 *                   hold key material; src/util/fs.ts removeStaleTemps, reported), then
 *                   keys → shares (src/keysplit/run.ts splitKeys; atomic output at --out), the
 *                   cluster definition with each validator's fee recipient (a Map when they differ,
 *                   e.g. minipool and megapool validators of one node: ../feerecipient)
 *   snapshot        byte copies of everything the quarantine will touch (+ manifest, sha256)
 *   slashing-export keymanager DELETE /eth/v1/keystores (the VC stops signing and hands over its
 *                   EIP-3076 history) or --interchange FILE; raw answer kept verbatim
 *   quarantine      keys moved out of every client layout and custom-keys; Prysm store and
 *                   Lighthouse definitions rewritten; then "no key is loadable" is verified
 *   liveness        2 whole epochs with the validators NOT live (./liveness.ts)
 *   handover        the interchange per operator (handover/operator-<id>/slashing-protection.json),
 *                   optionally imported into operators' slashing DBs — every DB opened
 *                   `exclusive` (PID lock, src/slashing/db.ts) before any import, so a running
 *                   node fails the step cleanly and `--resume` retries it
 *   complete
 *
 * Resuming re-runs from the first step without a `done` entry; every step is idempotent.
 * Rollback restores the snapshot byte-for-byte (../quarantine/quarantine.ts). Nothing is deleted.
 *
 * Layout: ./types.ts (steps, files, plan and result shapes), ./plan.ts (planning, formatPlan),
 * ./store.ts (the migrations of a data folder, plan.json read back), ./steps.ts (the step runner
 * and the split/snapshot/quarantine/liveness steps), ./history.ts (slashing-export),
 * ./handover.ts (handover), ./liveness.ts; this file starts, resumes and rolls back.
 */
import { promises as fsp } from "node:fs";
import { join } from "node:path";
import { InputError } from "../../errors.js";
import { pathExists, SECRET_DIR_MODE, writeFileAtomic } from "../../util/fs.js";
import { crashPoint, fsyncDir, Journal } from "../journal.js";
import { QUARANTINE_DIR, rollbackQuarantine } from "../quarantine/quarantine.js";
import { planToJson } from "./plan.js";
import { runSteps } from "./steps.js";
import { existingMigrationDir, readPlan } from "./store.js";
import {
  JOURNAL_FILE,
  type MigrationPlan,
  type MigrationResult,
  type MigrationRuntime,
  PLAN_FILE,
} from "./types.js";

export {
  formatPlan,
  migrationDir,
  newMigrationId,
  type PlanOptions,
  planMigration,
  planToJson,
} from "./plan.js";
export { listMigrations, readMigrationPlan } from "./store.js";
export * from "./types.js";

/**
 * Start a planned migration: create its folder, journal and plan.json, then run every step.
 *
 * @example
 * const result = await startMigration(plan, { keymanager, beacon });
 */
export async function startMigration(
  plan: MigrationPlan,
  rt: MigrationRuntime,
): Promise<MigrationResult> {
  const dir = join(plan.dataDir, QUARANTINE_DIR, plan.id);
  await fsp.mkdir(join(plan.dataDir, QUARANTINE_DIR), { recursive: true, mode: SECRET_DIR_MODE });
  await fsp.mkdir(dir, { mode: SECRET_DIR_MODE });
  await fsyncDir(join(plan.dataDir, QUARANTINE_DIR));
  const journal = await Journal.open(join(dir, JOURNAL_FILE));
  await journal.append("plan", "begin");
  await writeFileAtomic(join(dir, PLAN_FILE), `${JSON.stringify(planToJson(plan), null, 2)}\n`);
  await journal.append("plan", "done", { validators: plan.validators.length });
  crashPoint("plan");
  return runSteps(dir, plan, journal, rt);
}

/**
 * Resume an interrupted migration from its first unfinished step.
 *
 * @example
 * await resumeMigration(dataDir, "mig-20250101T120000Z-a1b2c3", { keymanager, beacon });
 */
export async function resumeMigration(
  dataDir: string,
  id: string,
  rt: MigrationRuntime,
  opts: {
    /** `--allow-missing-history` given on resume: applies even if the plan was made without it. */
    allowMissingHistory?: boolean;
    /** `--max-wallet-accounts` given on resume: replaces the plan's bound for this run. */
    maxWalletAccounts?: number;
  } = {},
): Promise<MigrationResult> {
  const dir = await existingMigrationDir(dataDir, id);
  const journal = await Journal.open(join(dir, JOURNAL_FILE), { create: false });
  if (journal.isDone("rollback")) {
    throw new InputError(`Migration ${id} was rolled back`, {
      metaMessages: ["Start a new migration instead."],
    });
  }
  if (!journal.isDone("plan")) {
    throw new InputError(`Migration ${id} never finished planning: nothing was changed`, {
      metaMessages: ["Start a new migration; this folder can be left as it is."],
    });
  }
  const plan = await readPlan(dir, id);
  if (opts.allowMissingHistory && !plan.allowMissingHistory) {
    plan.allowMissingHistory = true;
    await journal.append("resume", "info", { allowMissingHistory: true });
    plan.warnings = [
      ...(plan.warnings ?? []),
      "Resumed with --allow-missing-history: validators without slashing-protection history are handed over without it (only right if they never signed).",
    ];
  }
  if (opts.maxWalletAccounts !== undefined) plan.maxWalletAccounts = opts.maxWalletAccounts;
  return runSteps(dir, plan, journal, rt);
}

/**
 * Roll a migration back: restore every quarantined file byte-for-byte (Prysm store and Lighthouse
 * definitions included). Refused after the hand-over unless `force` (the cluster may be signing).
 *
 * @example
 * await rollbackMigration(dataDir, "mig-…");
 */
export async function rollbackMigration(
  dataDir: string,
  id: string,
  opts: { force?: boolean } = {},
): Promise<{ restored: number; report: { action: string; rel: string; detail?: string }[] }> {
  const dir = await existingMigrationDir(dataDir, id);
  const journal = await Journal.open(join(dir, JOURNAL_FILE), { create: false });
  if (journal.isDone("handover") && !opts.force) {
    throw new InputError(`Migration ${id} already handed the validators to the cluster`, {
      metaMessages: [
        "Rolling back now puts the keys back into the Smartnode VC while the cluster may be signing with them: that is a slashing.",
        "Stop every operator's DV node first and make sure it stays stopped, then re-run with --force.",
      ],
    });
  }
  await journal.append("rollback", "begin");
  if (!(await pathExists(join(dir, "snapshot")))) {
    await journal.append("rollback", "done", { restored: 0, note: "nothing was quarantined yet" });
    return { restored: 0, report: [] };
  }
  const report = await rollbackQuarantine(dataDir, dir);
  await journal.append("rollback", "done", {
    restored: report.filter((r) => r.action === "restored").length,
  });
  return { restored: report.filter((r) => r.action === "restored").length, report };
}
