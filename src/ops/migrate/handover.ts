/**
 * The `handover` step of `rpdvt migrate` (./migrate.ts): the EIP-3076 interchange written once
 * per operator (`handover/operator-<id>/slashing-protection.json`, written atomically as one
 * folder), optionally imported into operators' slashing DBs (src/slashing/db.ts) — every DB opened
 * `exclusive` (PID lock) before any import, so a running node fails the step with nothing imported
 * anywhere and `--resume` retries it.
 */
import { promises as fsp } from "node:fs";
import { join } from "node:path";
import { BaseError, InputError } from "../../errors.js";
import { SlashingProtectionDb } from "../../slashing/db.js";
import { type Interchange, parseInterchange } from "../../slashing/interchange.js";
import { pathExists, SECRET_DIR_MODE, writeDirAtomic, writeSecretFile } from "../../util/fs.js";
import { HANDOVER_DIR, INTERCHANGE_FILE, type MigrationPlan } from "./types.js";

/** The README of the hand-over folder. */
function handoverReadme(plan: MigrationPlan): string {
  return [
    `Slashing-protection history of the ${plan.validators.length} migrated validator(s) (EIP-3076 v5).`,
    "Each operator imports it into its DV node's slashing-protection DB BEFORE the node first signs:",
    "  rpdvt slashing-protection import --data-dir <node data dir> --file operator-<id>/slashing-protection.json",
    "(SSV nodes keep their own protection and have no import: they must not start before the liveness wait ended.)",
    "",
  ].join("\n");
}

/** Write the hand-over folder once (an existing one was written whole by an earlier run). */
async function writeHandoverFiles(hdir: string, plan: MigrationPlan, text: string): Promise<void> {
  if (await pathExists(hdir)) return;
  await writeDirAtomic(hdir, async (tmp) => {
    for (const id of plan.operatorIds) {
      await fsp.mkdir(join(tmp, `operator-${id}`), { mode: SECRET_DIR_MODE });
      await writeSecretFile(join(tmp, `operator-${id}`, INTERCHANGE_FILE), text);
    }
    await writeSecretFile(join(tmp, "README.txt"), handoverReadme(plan));
  });
}

/** Open operator `id`'s slashing DB exclusively; a refusal says how to continue. */
function openOperatorDb(
  plan: MigrationPlan,
  id: string,
  dataDir: string,
  ic: Interchange,
  hdir: string,
): SlashingProtectionDb {
  try {
    return SlashingProtectionDb.open(dataDir, {
      genesisValidatorsRoot: ic.metadata.genesis_validators_root,
      exclusive: true,
    });
  } catch (err) {
    throw new InputError(
      `Cannot open operator ${id}'s slashing-protection database: nothing was imported`,
      {
        file: dataDir,
        field: "--import-slashing",
        details: err instanceof BaseError ? err.shortMessage : String(err),
        cause: err,
        metaMessages: [
          ...(err instanceof BaseError ? err.metaMessages : []),
          `A DV node running on ${dataDir} must be stopped: it must not sign before the import.`,
          `Then continue with: rpdvt migrate --resume ${plan.id} (the hand-over files are ready in ${hdir}).`,
        ],
      },
    );
  }
}

/** Import the interchange into every `--import-slashing` DB, all locked first. */
function importIntoOperatorDbs(plan: MigrationPlan, ic: Interchange, hdir: string): void {
  // Take every DB's lock before importing into any: a node running on one of them fails the step
  // with nothing imported anywhere, and --resume retries it once that node is stopped.
  const dbs: [string, SlashingProtectionDb][] = [];
  try {
    for (const [id, dataDir] of Object.entries(plan.importTo))
      dbs.push([id, openOperatorDb(plan, id, dataDir, ic, hdir)]);
    for (const [id, db] of dbs)
      db.importInterchange(ic, { file: join(hdir, `operator-${id}`, INTERCHANGE_FILE) });
  } finally {
    for (const [, db] of dbs) db.close();
  }
}

/**
 * What the `handover` step records: the per-operator files and the data folders imported into.
 *
 * @example
 * const { files, imported } = await handOver(dir, plan);
 */
export type Handover = { files: string[]; imported: string[] };

/**
 * The `handover` step: write the per-operator interchange files and import into the DBs given.
 *
 * @example
 * const { files } = await handOver("/data/rpdvt-quarantine/mig-…", plan);
 */
export async function handOver(dir: string, plan: MigrationPlan): Promise<Handover> {
  const text = await fsp.readFile(join(dir, INTERCHANGE_FILE), "utf8");
  const ic = parseInterchange(JSON.parse(text), join(dir, INTERCHANGE_FILE));
  const hdir = join(dir, HANDOVER_DIR);
  await writeHandoverFiles(hdir, plan, text);
  importIntoOperatorDbs(plan, ic, hdir);
  return {
    files: plan.operatorIds.map((id) => join(hdir, `operator-${id}`, INTERCHANGE_FILE)),
    imported: Object.values(plan.importTo),
  };
}
