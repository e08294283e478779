/**
 * Planning `rpdvt migrate` (./migrate.ts): the migration id and folder, the checks made before
 * anything changes (validators in the data folder, output absent, liveness epochs, fee recipients,
 * slashing history), plan.json as JSON and the human-readable plan `--dry-run` prints.
 */
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { InputError } from "../../errors.js";
import { planOperatorIds, type SplitPlan } from "../../keysplit/run.js";
import { listRocketPoolKeys, resolveDataDir } from "../../rocketpool/datadir.js";
import { parseAddress } from "../../util/address.js";
import { assertAbsent, pathExists } from "../../util/fs.js";
import { toHex } from "../../util/hex.js";
import type { Keymanager } from "../keymanager/client.js";
import { planQuarantine, QUARANTINE_DIR } from "../quarantine/quarantine.js";
import { missingHistoryError, validatorsWithoutHistory } from "./history.js";
import { DEFAULT_LIVENESS_EPOCHS } from "./liveness.js";
import {
  hexOf,
  type MigrationPlan,
  type PlannedFeeRecipient,
  RECREATION_WARNINGS,
  type SlashingSource,
} from "./types.js";

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
 * What {@link planMigration} is given (the CLI's flags, parsed).
 *
 * @example
 * const opts: PlanOptions = { rocketpoolDir, validators, split, out, slashing };
 */
export type PlanOptions = {
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
  /** `--max-wallet-accounts`: the bound on the wallet's next_account (src/rocketpool/wallet.ts). */
  maxWalletAccounts?: number;
};

/** The validators (0x lowercase, deduplicated), each one in the Smartnode data folder. */
async function knownValidators(dataDir: string, opts: PlanOptions): Promise<string[]> {
  if (opts.validators.length === 0) {
    throw new InputError("No validators to migrate", {
      field: "--validators",
      metaMessages: ["Give --validators 0x…,0x… or --all."],
    });
  }
  const { entries } = await listRocketPoolKeys(dataDir, walletBound(opts.maxWalletAccounts));
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
  return validators;
}

/**
 * The Smartnode scan options for a `--max-wallet-accounts` value (none when not given).
 *
 * @example
 * await listRocketPoolKeys(dataDir, walletBound(plan.maxWalletAccounts));
 */
export function walletBound(maxWalletAccounts: number | undefined): {
  maxWalletAccounts?: number;
} {
  return maxWalletAccounts !== undefined ? { maxWalletAccounts } : {};
}

/** The output is free, the interchange file exists, the liveness epochs are enough. */
async function checkPlanInputs(opts: PlanOptions): Promise<number> {
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
  return epochs;
}

/**
 * The warnings of the plan; validators without slashing history are refused here (before any
 * split or snapshot) unless `allowMissingHistory`, then warned about.
 */
async function planWarnings(validators: string[], opts: PlanOptions): Promise<string[]> {
  const warnings = [...(opts.warnings ?? [])];
  const missing = await validatorsWithoutHistory(validators, opts.slashing, opts.keymanager);
  if (missing.length > 0) {
    if (!opts.allowMissingHistory) throw missingHistoryError(missing, opts.slashing, "plan");
    warnings.push(
      `No slashing-protection history will come for ${missing.length} validator(s) (--allow-missing-history): ${missing.join(", ")}. Only right if they never signed.`,
    );
  }
  return warnings;
}

/**
 * Build (and check) a plan. Reads only: the key list, the quarantine targets, the output path.
 *
 * @example
 * const plan = await planMigration({ rocketpoolDir, validators, split, out, slashing });
 */
export async function planMigration(opts: PlanOptions): Promise<MigrationPlan> {
  const dataDir = await resolveDataDir(opts.rocketpoolDir);
  const validators = await knownValidators(dataDir, opts);
  const epochs = await checkPlanInputs(opts);
  const feeRecipients =
    opts.split.format === "cluster"
      ? planFeeRecipients(validators, opts.split.feeRecipients, opts.feeRecipients)
      : undefined;
  const operatorIds =
    opts.split.format === "obol"
      ? Array.from({ length: opts.split.nodes ?? 4 }, (_, i) => i + 1)
      : planOperatorIds(opts.split);
  // Last of the checks (it reads the history or asks the VC): before any split or snapshot.
  const warnings = await planWarnings(validators, opts);
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
    ...(opts.maxWalletAccounts !== undefined ? { maxWalletAccounts: opts.maxWalletAccounts } : {}),
  };
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
