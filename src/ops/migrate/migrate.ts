/**
 * `rpdvt migrate`: move Rocket Pool validators from the Smartnode's validator client into a DV
 * cluster without ever letting two signers hold a key at once. A resumable state machine whose
 * every step is journaled (../journal.ts) in `data/rpdvt-quarantine/<id>/journal.jsonl`:
 *
 *   plan            what will happen (plan.json), nothing changed yet
 *   split           keys → shares (src/keysplit/run.ts splitKeys; atomic output at --out), the
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
 */
import { randomBytes } from "node:crypto";
import { promises as fsp } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { currentEpoch } from "../../core/beacon.js";
import { BaseError, InputError, VerificationError } from "../../errors.js";
import {
  planOperatorIds,
  type SplitPlan,
  type SplitSummary,
  splitKeys,
} from "../../keysplit/run.js";
import {
  listRocketPoolKeys,
  readRocketPoolKeys,
  resolveDataDir,
} from "../../rocketpool/datadir.js";
import { SlashingProtectionDb } from "../../slashing/db.js";
import {
  type Interchange,
  parseInterchange,
  readInterchangeFile,
  serializeInterchange,
} from "../../slashing/interchange.js";
import { parseAddress } from "../../util/address.js";
import {
  assertAbsent,
  pathExists,
  SECRET_DIR_MODE,
  writeDirAtomic,
  writeFileAtomic,
  writeSecretFile,
} from "../../util/fs.js";
import { toHex } from "../../util/hex.js";
import { fileWording, readJsonFile } from "../../util/json-file.js";
import { parseWith } from "../../util/schema.js";
import { crashPoint, fsyncDir, Journal } from "../journal.js";
import {
  createKeymanagerClient,
  type Keymanager,
  readKeymanagerToken,
} from "../keymanager/client.js";
import {
  applyQuarantine,
  planQuarantine,
  QUARANTINE_DIR,
  type QuarantineItem,
  readManifest,
  rollbackQuarantine,
  snapshotQuarantine,
} from "../quarantine/quarantine.js";
import {
  type Clock,
  DEFAULT_LIVENESS_EPOCHS,
  type LivenessBeacon,
  systemClock,
  waitUntilNotLive,
} from "./liveness.js";

/** The steps, in order. */
export const STEPS = [
  "plan",
  "split",
  "snapshot",
  "slashing-export",
  "quarantine",
  "liveness",
  "handover",
  "complete",
] as const;
export type Step = (typeof STEPS)[number];

export const JOURNAL_FILE = "journal.jsonl";
export const PLAN_FILE = "plan.json";
export const INTERCHANGE_FILE = "slashing-protection.json";
export const KEYMANAGER_RESPONSE_FILE = "keymanager-delete-response.json";
export const HANDOVER_DIR = "handover";

/**
 * Every Smartnode command that writes validator keystores again — after a migration each of them
 * would put a second signer next to the cluster.
 */
export const RECREATION_WARNINGS = [
  "NEVER run `rocketpool wallet rebuild`: it re-creates the keystore of every wallet validator, including migrated ones.",
  "NEVER run `rocketpool wallet recover` without `--skip-validator-key-recovery` (-k): it re-creates them too.",
  "NEVER run `rocketpool minipool import-key` for a migrated validator, nor restore a backup of data/validators.",
  "Run `rpdvt doctor` after any Smartnode update or restore: it fails when a cluster key is back in a Smartnode folder.",
];

/** Where the slashing-protection history comes from. */
export type SlashingSource =
  | { kind: "keymanager"; url: string; tokenFile: string }
  | { kind: "file"; file: string };

/** plan.json: everything a resume needs, no secrets. */
export type MigrationPlan = {
  id: string;
  createdAt: string;
  dataDir: string;
  /** 0x-hex validator public keys, lowercase. */
  validators: string[];
  split: SplitPlan;
  out: string;
  slashing: SlashingSource;
  skipLiveness: boolean;
  livenessEpochs: number;
  /** Operator id → data folder whose slashing DB gets the interchange imported. */
  importTo: Record<string, string>;
  allowMissingHistory: boolean;
  /** What the quarantine will touch (at plan time). */
  quarantine: QuarantineItem[];
  operatorIds: number[];
  /** Cluster format: each validator's fee recipient and why (shown in the plan). */
  feeRecipients?: PlannedFeeRecipient[] | undefined;
  /** Things the operator must know before confirming (also repeated in the result). */
  warnings?: string[] | undefined;
};

/** One validator's fee recipient in a plan, and why it is that one. */
export type PlannedFeeRecipient = { pubkey: string; address: string; reason: string };

/** The beacon calls a migration makes (src/beacon's createBeaconClient provides them). */
export type MigrationBeacon = Omit<LivenessBeacon, "chainInfo"> & {
  chainInfo(): Promise<{
    genesisTime: number;
    secondsPerSlot: number;
    slotsPerEpoch: number;
    genesisValidatorsRoot: Uint8Array;
  }>;
};

/** Non-serialisable parts supplied by the caller on start and resume. */
export type MigrationRuntime = {
  keymanager?: Keymanager;
  beacon?: MigrationBeacon;
  clock?: Clock;
  quiet?: boolean;
  log?: (line: string) => void;
};

export type MigrationResult = {
  id: string;
  dir: string;
  out: string;
  split: SplitSummary | undefined;
  checkedEpochs: number[];
  livenessSkipped: boolean;
  handover: string[];
  imported: string[];
  warnings: string[];
};

const hexOf = (pk: string) => pk.replace(/^0x/, "").toLowerCase();

/**
 * A fresh migration id: `mig-<UTC timestamp>-<6 hex>`.
 *
 * @example
 * newMigrationId() // "mig-20250101T120000Z-a1b2c3"
 */
export function newMigrationId(now = new Date()): string {
  const ts = now
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
  return `mig-${ts}-${randomBytes(3).toString("hex")}`;
}

/**
 * The folder of migration `id` in a data folder.
 *
 * @example
 * migrationDir("/home/me/.rocketpool/data", "mig-…") // ".../data/rpdvt-quarantine/mig-…"
 */
export function migrationDir(dataDir: string, id: string): string {
  if (!/^mig-[0-9A-Za-z-]+$/.test(id)) {
    throw new InputError(`"${id}" is not a migration id`, {
      metaMessages: ["List them with `rpdvt migrate --list`."],
    });
  }
  return join(dataDir, QUARANTINE_DIR, id);
}

/**
 * Build (and check) a plan. Reads only: the key list, the quarantine targets, the output path.
 *
 * @example
 * const plan = await planMigration({ rocketpoolDir, validators, split, out, slashing });
 */
export async function planMigration(opts: {
  rocketpoolDir: string;
  validators: string[];
  split: SplitPlan;
  out: string;
  slashing: SlashingSource;
  skipLiveness?: boolean;
  livenessEpochs?: number;
  importTo?: Record<string, string>;
  allowMissingHistory?: boolean;
  /**
   * Cluster format: why each validator gets its fee recipient (e.g. from
   * ../feerecipient/feerecipient.ts resolveFeeRecipients); checked against `split.feeRecipients`.
   */
  feeRecipients?: PlannedFeeRecipient[];
  warnings?: string[];
  /**
   * The keymanager client to ask which keys the VC holds (slashing source "keymanager"); default:
   * one built from `slashing.url` and `slashing.tokenFile`.
   */
  keymanager?: Keymanager;
}): Promise<MigrationPlan> {
  const dataDir = await resolveDataDir(opts.rocketpoolDir);
  if (opts.validators.length === 0) {
    throw new InputError("No validators to migrate", {
      field: "--validators",
      metaMessages: ["Give --validators 0x…,0x… or --all."],
    });
  }
  const { entries } = await listRocketPoolKeys(dataDir);
  const known = new Set(entries.map((e) => toHex(e.pubkey)));
  const validators = [...new Set(opts.validators.map((v) => `0x${hexOf(v)}`))];
  for (const v of validators) {
    if (!known.has(v)) {
      throw new InputError(`Validator ${v} is not in this Smartnode data folder`, {
        file: dataDir,
        field: "--validators",
        metaMessages: ["List them with `rpdvt keys list`."],
      });
    }
  }
  await assertAbsent(opts.out);
  if (opts.slashing.kind === "file" && !(await pathExists(opts.slashing.file))) {
    throw new InputError("Interchange file not found", { file: opts.slashing.file });
  }
  const epochs = opts.livenessEpochs ?? DEFAULT_LIVENESS_EPOCHS;
  if (!Number.isInteger(epochs) || epochs < DEFAULT_LIVENESS_EPOCHS) {
    throw new InputError(`--liveness-epochs must be a whole number ≥ ${DEFAULT_LIVENESS_EPOCHS}`, {
      field: "--liveness-epochs",
    });
  }
  const feeRecipients =
    opts.split.format === "cluster"
      ? planFeeRecipients(validators, opts.split.feeRecipients, opts.feeRecipients)
      : undefined;
  const operatorIds =
    opts.split.format === "obol"
      ? Array.from({ length: opts.split.nodes ?? 4 }, (_, i) => i + 1)
      : planOperatorIds(opts.split);
  // Last of the checks (it reads the history or asks the VC): before any split or snapshot.
  const warnings = [...(opts.warnings ?? [])];
  const missing = await validatorsWithoutHistory(validators, opts.slashing, opts.keymanager);
  if (missing.length > 0) {
    if (!opts.allowMissingHistory) throw missingHistoryError(missing, opts.slashing, "plan");
    warnings.push(
      `No slashing-protection history will come for ${missing.length} validator(s) (--allow-missing-history): ${missing.join(", ")}. Only right if they never signed.`,
    );
  }
  return {
    id: newMigrationId(),
    createdAt: new Date().toISOString(),
    dataDir,
    validators,
    split: opts.split,
    out: opts.out,
    slashing: opts.slashing,
    skipLiveness: opts.skipLiveness ?? false,
    livenessEpochs: epochs,
    importTo: opts.importTo ?? {},
    allowMissingHistory: opts.allowMissingHistory ?? false,
    quarantine: await planQuarantine(dataDir, validators.map(hexOf)),
    operatorIds,
    ...(feeRecipients ? { feeRecipients } : {}),
    ...(warnings.length ? { warnings } : {}),
  };
}

/**
 * The validators the slashing source has no history for, known before anything changes: with
 * `--interchange FILE` the ones the file does not cover; with the keymanager API the ones the VC
 * does not hold (GET /eth/v1/keystores: its DELETE answers `not_found` for them, without history).
 */
async function validatorsWithoutHistory(
  validators: string[],
  slashing: SlashingSource,
  keymanager: Keymanager | undefined,
): Promise<string[]> {
  if (slashing.kind === "file") {
    const ic = await readInterchangeFile(slashing.file);
    return filterInterchange(ic, validators).missing;
  }
  const km =
    keymanager ??
    createKeymanagerClient(slashing.url, await readKeymanagerToken(slashing.tokenFile));
  const held = new Set((await km.list()).map((k) => `0x${hexOf(k.pubkey)}`));
  return validators.filter((v) => !held.has(v));
}

function missingHistoryError(
  missing: string[],
  slashing: SlashingSource,
  when: "plan" | "export",
): BaseError {
  const where =
    slashing.kind === "file"
      ? `The interchange file ${slashing.file} does not cover them.`
      : when === "plan"
        ? `The validator client at ${slashing.url} does not hold these keys, so it has no history to hand over (its keymanager API would answer not_found).`
        : "The VC did not know these keys (keymanager status not_found) or the file does not cover them.";
  const lines = [
    ...missing.map((m) => `  ${m}`),
    where,
    "If they really never signed (never activated), pass --allow-missing-history; otherwise find the VC that ran them and give its export with --interchange FILE.",
  ];
  return when === "plan"
    ? new InputError(
        `No slashing-protection history for ${missing.length} validator(s): nothing was changed`,
        {
          field: slashing.kind === "file" ? "--interchange" : "--keymanager-url",
          metaMessages: lines,
        },
      )
    : new VerificationError(`No slashing-protection history for ${missing.length} validator(s)`, {
        metaMessages: lines,
      });
}

function planFeeRecipients(
  validators: string[],
  given: string | Map<string, string>,
  reasons: PlannedFeeRecipient[] | undefined,
): PlannedFeeRecipient[] {
  const why = new Map((reasons ?? []).map((r) => [r.pubkey.toLowerCase(), r]));
  const byKey =
    typeof given === "string"
      ? undefined
      : new Map([...given].map(([k, v]) => [`0x${hexOf(k)}`, v]));
  const missing = validators.filter((v) => byKey && !byKey.has(v));
  if (missing.length) {
    throw new InputError(`No fee recipient for ${missing.length} validator(s)`, {
      field: "--fee-recipient",
      metaMessages: [
        ...missing.map((m) => `  ${m}`),
        "Give --fee-recipient for all of them, or --execution-url and --node-address to compute each one.",
      ],
    });
  }
  return validators.map((pubkey) => {
    const address = parseAddress(
      typeof given === "string" ? given : (byKey?.get(pubkey) as string),
      {
        field: `fee recipient of ${pubkey}`,
      },
    );
    const r = why.get(pubkey);
    if (r && r.address.toLowerCase() !== address.toLowerCase()) {
      throw new InputError(`Fee recipient of ${pubkey} disagrees with its reason`, {
        details: `${address} vs ${r.address} (${r.reason})`,
      });
    }
    return { pubkey, address, reason: r?.reason ?? "given" };
  });
}

/**
 * The plan as plain JSON data: the cluster split's per-validator fee recipient Map becomes an
 * object (JSON.stringify would write `{}`); {@link readPlan} turns it back. Used for plan.json and
 * `--json` output.
 *
 * @example
 * printJson({ dryRun: true, plan: planToJson(plan) });
 */
export function planToJson(plan: MigrationPlan): Record<string, unknown> {
  const split =
    plan.split.format === "cluster" && plan.split.feeRecipients instanceof Map
      ? { ...plan.split, feeRecipients: Object.fromEntries(plan.split.feeRecipients) }
      : plan.split;
  return { ...plan, split };
}

/**
 * Human-readable plan (what `--dry-run` prints).
 *
 * @example
 * process.stdout.write(formatPlan(plan));
 */
export function formatPlan(plan: MigrationPlan): string {
  const q = plan.quarantine;
  const lines = [
    `Migration ${plan.id}`,
    `  Smartnode data folder: ${plan.dataDir}`,
    `  Validators (${plan.validators.length}):`,
    ...plan.validators.map((v) => `    ${v}`),
    `  1. split into ${plan.split.format} for operators ${plan.operatorIds.join(",")} → ${plan.out}${
      plan.split.format === "cluster" ? ` (share keystores: ${plan.split.kdf ?? "scrypt"})` : ""
    }`,
    ...(plan.feeRecipients
      ? [
          "     fee recipients:",
          ...plan.feeRecipients.map(
            (f) => `       ${f.pubkey.slice(0, 14)}… → ${f.address}  (${f.reason})`,
          ),
        ]
      : []),
    `  2. snapshot ${q.length} item(s) into ${join(plan.dataDir, QUARANTINE_DIR, plan.id, "snapshot")}`,
    plan.slashing.kind === "keymanager"
      ? `  3. keymanager DELETE /eth/v1/keystores at ${plan.slashing.url} (the VC stops signing, returns the EIP-3076 history)`
      : `  3. read the slashing-protection history from ${plan.slashing.file} (the VC must already be stopped)`,
    `  4. quarantine (moved to ${join(QUARANTINE_DIR, plan.id, "moved")}, nothing deleted):`,
    ...q.map((it) => `    ${it.kind === "path" ? "move   " : "rewrite"} ${it.rel}`),
    plan.skipLiveness
      ? "  5. liveness wait SKIPPED (--skip-liveness-wait) — you take the doppelganger risk yourself"
      : `  5. wait until the validators were not live for ${plan.livenessEpochs} whole epochs`,
    `  6. hand the interchange to operators ${plan.operatorIds.join(",")}${
      Object.keys(plan.importTo).length
        ? ` (import into ${Object.keys(plan.importTo).join(",")})`
        : ""
    }`,
    "",
    ...(plan.warnings ?? []).map((w) => `  ! WARNING: ${w}`),
    ...RECREATION_WARNINGS.map((w) => `  ! ${w}`),
    "",
  ];
  return lines.join("\n");
}

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
    importTo: z.record(z.string(), z.string()),
    allowMissingHistory: z.boolean(),
    operatorIds: z.array(z.number().int()),
  })
  .passthrough();

async function readPlan(dir: string, id: string): Promise<MigrationPlan> {
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
 */
async function existingMigrationDir(dataDir: string, id: string): Promise<string> {
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
  return runSteps(dir, plan, journal, rt);
}

function filterInterchange(ic: Interchange, pubkeys: readonly string[]) {
  const want = new Set(pubkeys);
  const data = ic.data.filter((d) => want.has(d.pubkey.toLowerCase()));
  const have = new Set(data.map((d) => d.pubkey.toLowerCase()));
  return {
    interchange: { metadata: ic.metadata, data },
    missing: pubkeys.filter((p) => !have.has(p)),
  };
}

async function runSteps(
  dir: string,
  plan: MigrationPlan,
  journal: Journal,
  rt: MigrationRuntime,
): Promise<MigrationResult> {
  const log = rt.log ?? (() => {});
  const clock = rt.clock ?? systemClock;
  const warnings: string[] = [...(plan.warnings ?? [])];
  const result: MigrationResult = {
    id: plan.id,
    dir,
    out: plan.out,
    split: undefined,
    checkedEpochs: [],
    livenessSkipped: false,
    handover: [],
    imported: [],
    warnings,
  };
  const step = async (name: Step, fn: () => Promise<unknown>) => {
    if (journal.isDone(name)) {
      log(`✓ ${name} (already done)`);
      return journal.done(name)?.data;
    }
    await journal.append(name, "begin");
    log(`… ${name}`);
    let data: unknown;
    try {
      data = await fn();
    } catch (err) {
      await journal.append(name, "failed", {
        error: err instanceof BaseError ? err.shortMessage : String(err),
      });
      throw err;
    }
    await journal.append(name, "done", data);
    log(`✓ ${name}`);
    crashPoint(name);
    return data;
  };

  // 1. split
  result.split = (await step("split", async () => {
    if (await pathExists(plan.out)) {
      // The split output is written atomically: if it exists, an earlier run finished it.
      return { format: plan.split.format, out: plan.out, resumed: true };
    }
    const { keys, warnings: w } = await readRocketPoolKeys(plan.dataDir, {
      validators: plan.validators.map((v) => new Uint8Array(Buffer.from(hexOf(v), "hex"))),
    });
    warnings.push(...w);
    try {
      return await splitKeys(keys, plan.out, plan.split, { quiet: rt.quiet ?? true });
    } finally {
      for (const k of keys) k.secret.fill(0);
    }
  })) as SplitSummary;

  // 2. snapshot
  await step("snapshot", async () => {
    const items = await planQuarantine(plan.dataDir, plan.validators.map(hexOf));
    const m = await snapshotQuarantine(plan.dataDir, dir, items, {
      migrationId: plan.id,
      pubkeys: plan.validators.map(hexOf),
    });
    return { items: m.items.length, files: m.files.length };
  });

  // 3. slashing-protection history
  const exported = (await step("slashing-export", async () => {
    const icFile = join(dir, INTERCHANGE_FILE);
    const chain = await rt.beacon?.chainInfo();
    const removedEpoch = chain ? currentEpoch(chain, clock.now()) : undefined;
    let raw: unknown;
    if (plan.slashing.kind === "keymanager") {
      const respFile = join(dir, KEYMANAGER_RESPONSE_FILE);
      if (await pathExists(respFile)) {
        raw = JSON.parse(await fsp.readFile(respFile, "utf8")).slashingProtection;
      } else {
        if (!rt.keymanager)
          throw new InputError("A keymanager client is needed for this step", {
            field: "--keymanager-url",
          });
        const res = await rt.keymanager.delete(plan.validators);
        // Keep the VC's answer before anything else: it may not give the history twice.
        await writeFileAtomic(
          respFile,
          `${JSON.stringify({ statuses: res.statuses, slashingProtection: res.slashingProtection, raw: res.raw }, null, 2)}\n`,
        );
        await journal.append("slashing-export", "info", { statuses: res.statuses });
        crashPoint("slashing-export:deleted");
        raw = res.slashingProtection;
        const bad = res.statuses.filter((s) => s.status === "error");
        if (bad.length > 0) {
          throw new VerificationError(
            "The validator client could not remove some keys: they may still be signing",
            {
              metaMessages: [
                ...bad.map((s) => `${s.pubkey}: ${s.message ?? "error"}`),
                "Stop the validator client (`docker stop rocketpool_validator`), then resume with --interchange FILE.",
              ],
            },
          );
        }
      }
    } else {
      raw = await readInterchangeFile(plan.slashing.file);
    }
    const ic = parseInterchange(
      raw,
      plan.slashing.kind === "file" ? plan.slashing.file : "keymanager slashing_protection",
    );
    if (
      chain &&
      ic.metadata.genesis_validators_root.toLowerCase() !== toHex(chain.genesisValidatorsRoot)
    ) {
      throw new VerificationError(
        "The slashing-protection history is for another network than the beacon node",
        {
          details: `history ${ic.metadata.genesis_validators_root}, beacon ${toHex(chain.genesisValidatorsRoot)}`,
          metaMessages: ["Check --beacon-url and the interchange source."],
        },
      );
    }
    const { interchange, missing } = filterInterchange(ic, plan.validators);
    if (missing.length > 0 && !plan.allowMissingHistory) {
      throw missingHistoryError(missing, plan.slashing, "export");
    }
    if (!(await pathExists(icFile)))
      await writeFileAtomic(icFile, serializeInterchange(interchange));
    return {
      source: plan.slashing.kind,
      removedEpoch,
      genesisValidatorsRoot: ic.metadata.genesis_validators_root,
      records: interchange.data.length,
      missing,
    };
  })) as { removedEpoch?: number };

  // 4. quarantine
  await step("quarantine", async () => {
    const report = await applyQuarantine(plan.dataDir, dir, await readManifest(dir), journal);
    return { actions: report.length };
  });

  // 5. liveness
  const live = (await step("liveness", async () => {
    if (plan.skipLiveness) {
      const w =
        "LIVENESS WAIT SKIPPED: nothing proved that no other machine still signs with these keys. Starting the cluster now risks slashing.";
      warnings.push(w);
      log(`!!! ${w}`);
      return { skipped: true };
    }
    if (!rt.beacon)
      throw new InputError("--beacon-url is needed to watch liveness", { field: "--beacon-url" });
    const chain = await rt.beacon.chainInfo();
    // Count only epochs after the removal AND after any epoch seen live (a resume after a
    // doppelganger alarm must not count the epochs before the other signer was stopped).
    const lastLive = journal.entries
      .filter((e) => e.step === "liveness" && e.status === "info")
      .map((e) => e.data as { epoch: number; live: number[] })
      .filter((d) => d.live.length > 0)
      .reduce((m, d) => Math.max(m, d.epoch), -1);
    const removed = Math.max(exported?.removedEpoch ?? currentEpoch(chain, clock.now()), lastLive);
    const r = await waitUntilNotLive(
      rt.beacon,
      plan.validators.map((v) => new Uint8Array(Buffer.from(hexOf(v), "hex"))),
      {
        removedEpoch: removed,
        epochs: plan.livenessEpochs,
        clock,
        onEpoch: async (epoch, liveIdx) => {
          await journal.append("liveness", "info", { epoch, live: liveIdx });
          log(
            `  epoch ${epoch}: ${liveIdx.length === 0 ? "not live" : `LIVE ${liveIdx.join(",")}`}`,
          );
        },
      },
    );
    if (r.unknown.length)
      warnings.push(
        `${r.unknown.length} validator(s) unknown to the beacon chain (not deposited?): ${r.unknown.join(", ")}`,
      );
    return { checkedEpochs: r.checkedEpochs, indices: r.indices };
  })) as { skipped?: boolean; checkedEpochs?: number[] };
  result.livenessSkipped = live?.skipped === true;
  result.checkedEpochs = live?.checkedEpochs ?? [];

  // 6. handover
  const handover = (await step("handover", async () => {
    const text = await fsp.readFile(join(dir, INTERCHANGE_FILE), "utf8");
    const ic = parseInterchange(JSON.parse(text), join(dir, INTERCHANGE_FILE));
    const hdir = join(dir, HANDOVER_DIR);
    if (!(await pathExists(hdir))) {
      await writeDirAtomic(hdir, async (tmp) => {
        for (const id of plan.operatorIds) {
          await fsp.mkdir(join(tmp, `operator-${id}`), { mode: SECRET_DIR_MODE });
          await writeSecretFile(join(tmp, `operator-${id}`, INTERCHANGE_FILE), text);
        }
        await writeSecretFile(
          join(tmp, "README.txt"),
          [
            `Slashing-protection history of the ${plan.validators.length} migrated validator(s) (EIP-3076 v5).`,
            "Each operator imports it into its DV node's slashing-protection DB BEFORE the node first signs:",
            "  rpdvt slashing-protection import --data-dir <node data dir> --file operator-<id>/slashing-protection.json",
            "(SSV nodes keep their own protection and have no import: they must not start before the liveness wait ended.)",
            "",
          ].join("\n"),
        );
      });
    }
    // Take every DB's lock before importing into any: a node running on one of them fails the
    // step with nothing imported anywhere, and --resume retries it once that node is stopped.
    const dbs: [string, SlashingProtectionDb][] = [];
    try {
      for (const [id, dataDir] of Object.entries(plan.importTo)) {
        try {
          dbs.push([
            id,
            SlashingProtectionDb.open(dataDir, {
              genesisValidatorsRoot: ic.metadata.genesis_validators_root,
              exclusive: true,
            }),
          ]);
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
      for (const [id, db] of dbs)
        db.importInterchange(ic, { file: join(hdir, `operator-${id}`, INTERCHANGE_FILE) });
    } finally {
      for (const [, db] of dbs) db.close();
    }
    const imported = Object.values(plan.importTo);
    return {
      files: plan.operatorIds.map((id) => join(hdir, `operator-${id}`, INTERCHANGE_FILE)),
      imported,
    };
  })) as { files: string[]; imported: string[] };
  result.handover = handover.files;
  result.imported = handover.imported;

  await step("complete", async () => ({ warnings: warnings.length }));
  return result;
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
