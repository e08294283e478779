/**
 * The slashing-protection history of a migration (EIP-3076 interchange): which validators it will
 * not cover (known at plan time, before anything changes), and the `slashing-export` step —
 * keymanager DELETE /eth/v1/keystores (ethereum/keymanager-APIs: the VC stops signing and returns
 * its history; the raw answer is kept verbatim before anything else) or `--interchange FILE` —
 * checked against the beacon node's network and filtered to the migrated validators.
 */
import { promises as fsp } from "node:fs";
import { join } from "node:path";
import { currentEpoch } from "../../core/beacon.js";
import { type BaseError, InputError, VerificationError } from "../../errors.js";
import {
  type Interchange,
  parseInterchange,
  readInterchangeFile,
  serializeInterchange,
} from "../../slashing/interchange.js";
import { pathExists, writeFileAtomic } from "../../util/fs.js";
import { toHex } from "../../util/hex.js";
import { crashPoint, type Journal } from "../journal.js";
import {
  createKeymanagerClient,
  type Keymanager,
  readKeymanagerToken,
} from "../keymanager/client.js";
import { systemClock } from "./liveness.js";
import {
  hexOf,
  INTERCHANGE_FILE,
  KEYMANAGER_RESPONSE_FILE,
  type MigrationPlan,
  type MigrationRuntime,
  type SlashingSource,
} from "./types.js";

/**
 * The interchange restricted to `pubkeys` (0x lowercase), and the ones it has no record for.
 *
 * @example
 * const { interchange, missing } = filterInterchange(ic, plan.validators);
 */
export function filterInterchange(ic: Interchange, pubkeys: readonly string[]) {
  const want = new Set(pubkeys);
  const data = ic.data.filter((d) => want.has(d.pubkey.toLowerCase()));
  const have = new Set(data.map((d) => d.pubkey.toLowerCase()));
  return {
    interchange: { metadata: ic.metadata, data },
    missing: pubkeys.filter((p) => !have.has(p)),
  };
}

/**
 * The validators the slashing source has no history for, known before anything changes: with
 * `--interchange FILE` the ones the file does not cover; with the keymanager API the ones the VC
 * does not hold (GET /eth/v1/keystores: its DELETE answers `not_found` for them, without history).
 *
 * @example
 * const missing = await validatorsWithoutHistory(validators, { kind: "file", file }, undefined);
 */
export async function validatorsWithoutHistory(
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

/**
 * The error for validators without history: an InputError at plan time (nothing was changed),
 * a VerificationError when the export itself lacks them.
 *
 * @example
 * throw missingHistoryError(missing, plan.slashing, "export");
 */
export function missingHistoryError(
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

/** The VC's keymanager DELETE answer (kept verbatim first; a resume reads it back). */
async function keymanagerHistory(
  dir: string,
  plan: MigrationPlan,
  journal: Journal,
  rt: MigrationRuntime,
): Promise<unknown> {
  const respFile = join(dir, KEYMANAGER_RESPONSE_FILE);
  if (await pathExists(respFile))
    return JSON.parse(await fsp.readFile(respFile, "utf8")).slashingProtection;
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
  return res.slashingProtection;
}

/** Refuse a history of another network than the beacon node's. */
function assertSameNetwork(ic: Interchange, genesisValidatorsRoot: Uint8Array | undefined): void {
  if (!genesisValidatorsRoot) return;
  const beacon = toHex(genesisValidatorsRoot);
  if (ic.metadata.genesis_validators_root.toLowerCase() === beacon) return;
  throw new VerificationError(
    "The slashing-protection history is for another network than the beacon node",
    {
      details: `history ${ic.metadata.genesis_validators_root}, beacon ${beacon}`,
      metaMessages: ["Check --beacon-url and the interchange source."],
    },
  );
}

/**
 * What the `slashing-export` step records in the journal.
 *
 * @example
 * const { removedEpoch } = (await exportHistory(dir, plan, journal, rt)) as ExportedHistory;
 */
export type ExportedHistory = {
  source: SlashingSource["kind"];
  /** The epoch the keys were removed from the VC (by the beacon's clock), when known. */
  removedEpoch: number | undefined;
  genesisValidatorsRoot: string;
  records: number;
  missing: string[];
};

/**
 * The `slashing-export` step: take the history from the VC (keymanager DELETE) or the file, check
 * its network, refuse missing validators (unless allowed) and write it to the migration folder.
 *
 * @example
 * const exported = await exportHistory(dir, plan, journal, rt);
 */
export async function exportHistory(
  dir: string,
  plan: MigrationPlan,
  journal: Journal,
  rt: MigrationRuntime,
): Promise<ExportedHistory> {
  const icFile = join(dir, INTERCHANGE_FILE);
  const chain = await rt.beacon?.chainInfo();
  const removedEpoch = chain ? currentEpoch(chain, (rt.clock ?? systemClock).now()) : undefined;
  const raw =
    plan.slashing.kind === "keymanager"
      ? await keymanagerHistory(dir, plan, journal, rt)
      : await readInterchangeFile(plan.slashing.file);
  const ic = parseInterchange(
    raw,
    plan.slashing.kind === "file" ? plan.slashing.file : "keymanager slashing_protection",
  );
  assertSameNetwork(ic, chain?.genesisValidatorsRoot);
  const { interchange, missing } = filterInterchange(ic, plan.validators);
  if (missing.length > 0 && !plan.allowMissingHistory)
    throw missingHistoryError(missing, plan.slashing, "export");
  if (!(await pathExists(icFile))) await writeFileAtomic(icFile, serializeInterchange(interchange));
  return {
    source: plan.slashing.kind,
    removedEpoch,
    genesisValidatorsRoot: ic.metadata.genesis_validators_root,
    records: interchange.data.length,
    missing,
  };
}
