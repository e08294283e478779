/**
 * The migrations of a Smartnode data folder (`data/rpdvt-quarantine/<id>/`): list them with their
 * state, find one by id (a clear error listing the ids there are), read its plan.json back (a
 * damaged plan is an InputError saying how to roll back).
 */
import { promises as fsp } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { InputError } from "../../errors.js";
import { pathExists } from "../../util/fs.js";
import { fileWording, readJsonFile } from "../../util/json-file.js";
import { parseWith } from "../../util/schema.js";
import { Journal } from "../journal.js";
import { QUARANTINE_DIR } from "../quarantine/quarantine.js";
import { migrationDir } from "./plan.js";
import { JOURNAL_FILE, type MigrationPlan, PLAN_FILE } from "./types.js";

/**
 * List the migrations in a data folder with their last step.
 *
 * @example
 * for (const m of await listMigrations(dataDir)) console.log(m.id, m.state);
 */
export async function listMigrations(
  dataDir: string,
): Promise<{ id: string; state: string; validators: number }[]> {
  const root = join(dataDir, QUARANTINE_DIR);
  const names = await fsp.readdir(root).catch(() => [] as string[]);
  const out: { id: string; state: string; validators: number }[] = [];
  for (const id of names.filter((n) => n.startsWith("mig-")).sort()) {
    const j = await Journal.open(join(root, id, JOURNAL_FILE), { create: false }).catch(
      () => undefined,
    );
    const plan = await readPlan(join(root, id), id).catch(() => undefined);
    const last = j?.lastStep();
    const state = j?.isDone("rollback")
      ? "rolled back"
      : last
        ? `${last.step}${last.done ? " done" : " (interrupted)"}`
        : "empty";
    out.push({ id, state, validators: plan?.validators.length ?? 0 });
  }
  return out;
}

/** What plan.json must hold for a resume (it is written once, by this code, before any change). */
const planFileSchema = z
  .object({
    id: z.string(),
    dataDir: z.string(),
    validators: z.array(z.string().regex(/^0x[0-9a-f]{96}$/)).min(1),
    split: z.object({ format: z.enum(["cluster", "ssv", "obol", "dirk"]) }).passthrough(),
    out: z.string(),
    slashing: z.union([
      z.object({ kind: z.literal("keymanager"), url: z.string(), tokenFile: z.string() }),
      z.object({ kind: z.literal("file"), file: z.string() }),
    ]),
    skipLiveness: z.boolean(),
    livenessEpochs: z.number().int(),
    maxWalletAccounts: z.number().int().positive().optional(),
    importTo: z.record(z.string(), z.string()),
    allowMissingHistory: z.boolean(),
    operatorIds: z.array(z.number().int()),
  })
  .passthrough();

/**
 * Read and check plan.json of migration `id` in its folder `dir`.
 *
 * @example
 * const plan = await readPlan(join(dataDir, QUARANTINE_DIR, id), id);
 */
export async function readPlan(dir: string, id: string): Promise<MigrationPlan> {
  const file = join(dir, PLAN_FILE);
  const hints = [
    "plan.json is written once, before anything is changed, and never edited: it was damaged afterwards.",
    `Roll the migration back (restores every quarantined file): rpdvt migrate --rollback ${id}; then start a new migration.`,
  ];
  let plan: MigrationPlan;
  try {
    const json = await readJsonFile(
      file,
      fileWording(`Plan of migration ${id}`, {
        empty: `Plan of migration ${id} is empty`,
        corrupt: `Plan of migration ${id} is not valid JSON (corrupt or truncated)`,
      }),
    );
    plan = parseWith(
      planFileSchema,
      json,
      `Plan of migration ${id} is damaged`,
      file,
    ) as unknown as MigrationPlan;
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    throw new InputError(err.shortMessage, {
      file,
      field: err.field,
      details: err.details,
      metaMessages: hints,
    });
  }
  if (plan.id !== id) {
    throw new InputError(`Plan of migration ${id} belongs to migration ${plan.id}`, {
      file,
      field: "id",
      metaMessages: hints,
    });
  }
  const fee = plan.split.format === "cluster" ? plan.split.feeRecipients : undefined;
  if (plan.split.format === "cluster" && fee !== undefined && typeof fee !== "string")
    plan.split.feeRecipients = new Map(Object.entries(fee as unknown as Record<string, string>));
  return plan;
}

/**
 * The folder of an existing migration: a clear error naming the id, the folder searched and the
 * migrations that do exist when there is no such migration.
 *
 * @example
 * const dir = await existingMigrationDir(dataDir, "mig-20250101T120000Z-a1b2c3");
 */
export async function existingMigrationDir(dataDir: string, id: string): Promise<string> {
  const dir = migrationDir(dataDir, id);
  if (await pathExists(join(dir, JOURNAL_FILE))) return dir;
  const root = join(dataDir, QUARANTINE_DIR);
  const ids = (await fsp.readdir(root).catch(() => [] as string[]))
    .filter((n) => n.startsWith("mig-"))
    .sort();
  throw new InputError(`No migration ${id} in this Smartnode data folder`, {
    file: root,
    field: "--resume/--rollback",
    metaMessages: [
      ids.length
        ? `Migrations here: ${ids.join(", ")} (states: rpdvt migrate --list).`
        : "There are no migrations in this data folder: check --rocketpool-dir.",
    ],
  });
}

/**
 * Read the plan of an existing migration (for `--resume`): a clear error when the id is unknown
 * (listing the ids there are) or its plan.json is missing, corrupt or damaged.
 *
 * @example
 * const plan = await readMigrationPlan(dataDir, "mig-20250101T120000Z-a1b2c3");
 */
export async function readMigrationPlan(dataDir: string, id: string): Promise<MigrationPlan> {
  return readPlan(await existingMigrationDir(dataDir, id), id);
}
