/**
 * Replacing participants of Dirk distributed wallets (issue 16 part 1, `rpdvt cluster
 * replace-operator --dirk OLD`): the same validators, split afresh from the owner's wallet (a new
 * random polynomial per validator: keysplit/split.ts) for the new participant set, written as new
 * per-participant Dirk distributed wallets (keysplit/dirk.ts writeDirk: new verification vector,
 * participants with the new endpoints) whose summary names the old one (`previous`: the sha256
 * of the old distributed-accounts.json, its wallet, the activation epoch E).
 *
 * Slashing protection in Dirk (attestantio/dirk@013975f services/signer/standard/
 * signbeaconattestation.go: `RunRules(…, account.PublicKey().Marshal(), …)`; rules/standard/
 * signbeaconattestation.go and slashingprotection.go: state keyed by that public key, export and
 * import by it): for a distributed account the key is the participant's SHARE public key
 * (go-eth2-wallet-distributed account.go). So the new accounts start with no history in EVERY Dirk,
 * staying ones included, and another Dirk's export cannot protect them (it is keyed by that Dirk's
 * own share keys). rpdvt therefore writes participant-<id>/slashing-protection.json (EIP-3076 v5,
 * slashing/interchange.ts), imported with `dirk --import-slashing-protection` before the new
 * wallet is used: a FLOOR for the participant's new share keys (attestation target E−1, block slot
 * E·SLOTS_PER_EPOCH−1: Dirk refuses every attestation and block before E) and, for a staying
 * participant, a CLOSING record for its old share keys (source/target/slot {@link CLOSED_EPOCH}:
 * Dirk refuses every later attestation and block with them). What rpdvt cannot enforce when Dirk
 * signs — that the import is made in time, a removed participant's Dirk, non-slashable messages,
 * t old shares pooled — is said in the hand-over text and docs/replace-operator.md.
 *
 * Crash-resumable like ./replace-run.ts (journal steps plan, write, handover; writeDirk builds the
 * output in a temporary sibling and writes the passphrases last).
 */
import { createHash } from "node:crypto";
import { promises as fsp } from "node:fs";
import { basename, join, resolve } from "node:path";
import { publicKeyOf } from "../crypto/bls.js";
import type { ValidatorKey } from "../crypto/validator-key.js";
import { InputError, VerificationError } from "../errors.js";
import { INTERCHANGE_FORMAT_VERSION, serializeInterchange } from "../slashing/interchange.js";
import { bytesEqual, fromHex, toHex } from "../util/hex.js";
import {
  DIRK_SUMMARY_FILE,
  type DirkParticipant,
  type DirkSummary,
  readDirkSummary,
  writeDirk,
} from "./dirk.js";
import { evaluateVerificationVector } from "./dirk-vvec.js";
import { outputRecordFile } from "./format-io.js";
import { activationEpochOf, operatorSetChange, type ReplacementRequest } from "./replace.js";
import {
  type ReplaceRunCommon,
  type ReplaceRunReport,
  runJournaled,
  withFreshSplit,
} from "./replace-run.js";
import { thresholdFor } from "./split.js";

/** The per-participant EIP-3076 file of a Dirk replacement (in participant-<id>/). */
export const DIRK_PROTECTION_FILE = "slashing-protection.json";
/**
 * Epoch (and slot) of the closing record for a staying participant's old share keys: far beyond
 * any chain's life (2^40 epochs ≈ 13 million years at 6.4 min), inside Dirk's int64 state and
 * EIP-3076's u64 strings.
 */
export const CLOSED_EPOCH = 2 ** 40;

/**
 * An old Dirk output, checked: its summary (distributed-accounts.json) and the file's sha256.
 *
 * @example
 * const old = await readOldDirk("/owner/dirk"); old.summary.wallet; // "rpdvt"
 */
export type OldDirk = { file: string; summary: DirkSummary; sha256: string };

/** `--dirk`: an output folder or its distributed-accounts.json. */
function summaryFileOf(path: string): Promise<string> {
  return outputRecordFile(path, DIRK_SUMMARY_FILE, {
    what: "The old Dirk output",
    field: "--dirk",
    hint: `Give the folder \`rpdvt keys split --format dirk\` wrote, or its ${DIRK_SUMMARY_FILE}.`,
  });
}

/** One summary account: vector of length t through its composite key, every share on it. */
function checkOldAccount(old: DirkSummary, a: number, file: string): void {
  const entry = old.accounts[a] as DirkSummary["accounts"][number];
  const field = `accounts[${a}]`;
  const redo = [
    `Give the ${DIRK_SUMMARY_FILE} that \`rpdvt keys split --format dirk\` wrote, unedited.`,
  ];
  if (
    entry.verificationVector[0] !== entry.compositePubkey ||
    entry.verificationVector.length !== old.threshold
  ) {
    throw new InputError(
      "The old verification vector does not start with the composite key or has not t points",
      { file, field: `${field}.verificationVector`, metaMessages: redo },
    );
  }
  const vvec = entry.verificationVector.map((h, k) =>
    fromHex(h, { file, field: `${field}.verificationVector[${k}]`, length: 48 }),
  );
  for (const p of old.participants) {
    const listed = entry.shares.filter((s) => s.participant === p.id);
    if (listed.length !== 1) {
      throw new InputError(`Share of participant ${p.id} is listed ${listed.length} times`, {
        file,
        field: `${field}.shares`,
        metaMessages: redo,
      });
    }
    if (toHex(evaluateVerificationVector(vvec, p.id)) !== listed[0]?.pubkey) {
      throw new InputError(`Share of participant ${p.id} is not on the verification vector`, {
        file,
        field: `${field}.shares[participant=${p.id}].pubkey`,
        metaMessages: redo,
      });
    }
  }
  if (entry.shares.length !== old.participants.length) {
    throw new InputError("The account lists shares of unknown participants", {
      file,
      field: `${field}.shares`,
      metaMessages: redo,
    });
  }
}

/**
 * Read and check an old Dirk output's public summary before any key is read: schema, threshold
 * 2F+1, per account a verification vector of t points through the composite key with every
 * listed share public key on it, no validator twice. Only distributed-accounts.json is needed
 * (the owner keeps it; the participants' folders were handed out).
 *
 * @example
 * const old = await readOldDirk("/owner/dirk");
 */
export async function readOldDirk(path: string): Promise<OldDirk> {
  const file = await summaryFileOf(resolve(path));
  const summary = await readDirkSummary(file);
  const names = new Set<string>();
  summary.accounts.forEach((entry, a) => {
    if (names.has(entry.compositePubkey)) {
      throw new InputError(`Validator ${entry.compositePubkey} is listed twice`, {
        file,
        field: `accounts[${a}]`,
      });
    }
    names.add(entry.compositePubkey);
    checkOldAccount(summary, a, file);
  });
  const sha256 = `0x${createHash("sha256")
    .update(await fsp.readFile(file))
    .digest("hex")}`;
  return { file, summary, sha256 };
}

/**
 * A checked Dirk replacement: the new participants (staying ones keep their endpoint unless
 * overridden: one Dirk serves both wallets), who stays, leaves, joins, the new wallet name and E.
 *
 * @example
 * const plan = planDirkReplacement(old, { replace: new Map([[4, 5]]), endpoints, currentEpoch: 100 });
 */
export type DirkReplacementPlan = {
  previous: { summarySha256: string; wallet: string; activationEpoch: number };
  activationEpoch: number;
  walletName: string;
  participants: DirkParticipant[];
  staying: number[];
  removed: number[];
  added: number[];
  threshold: { old: number; new: number };
};

/** New wallet name: given, or "<old>-e<E>"; never the old one (a staying store holds both). */
function newWalletName(old: string, given: string | undefined, epoch: number): string {
  const name = given ?? `${old}-e${epoch}`;
  if (name === old) {
    throw new InputError(`--wallet-name "${name}" is the old wallet's name`, {
      field: "--wallet-name",
      metaMessages: [
        "A staying participant's Dirk holds the old and the new wallet side by side until E:",
        `give another name (default "${old}-e${epoch}").`,
      ],
    });
  }
  if (!name || name.startsWith("_") || name.includes("/")) {
    throw new InputError(`--wallet-name "${name}" is not a valid Dirk wallet name`, {
      field: "--wallet-name",
      metaMessages: ["Wallet names must be non-empty, not start with _ and not contain /."],
    });
  }
  return name;
}

/** Endpoints of the new set: given ones, else the old endpoint; every new participant needs one. */
function newParticipants(
  old: DirkSummary,
  ids: readonly number[],
  endpoints: ReadonlyMap<number, string> | undefined,
): DirkParticipant[] {
  const unknown = [...(endpoints?.keys() ?? [])].filter((id) => !ids.includes(id));
  if (unknown.length) {
    throw new InputError(
      `--endpoints names participant(s) ${unknown.join(",")}, not in the new set`,
      {
        field: "--endpoints",
        metaMessages: [`The new participants are ${ids.join(",")}.`],
      },
    );
  }
  const oldEndpoint = new Map(old.participants.map((p) => [p.id, p.endpoint]));
  const missing = ids.filter((id) => !endpoints?.has(id) && !oldEndpoint.has(id));
  if (missing.length) {
    throw new InputError(`No endpoint for new participant(s) ${missing.join(",")}`, {
      field: "--endpoints",
      metaMessages: [
        "Every Dirk account lists its participants' addresses: give ID=HOST:PORT of each new one,",
        `e.g. --endpoints ${missing.map((id) => `${id}=dirk${id}.example:13141`).join(",")}`,
      ],
    });
  }
  return ids.map((id) => ({
    id,
    endpoint: endpoints?.get(id) ?? (oldEndpoint.get(id) as string),
  }));
}

/**
 * Check a Dirk replacement before any key is read: the new set (n ∈ {4,7,10,13}, at least one
 * participant changed), endpoints (every new participant; only new-set ids), the new wallet name,
 * E at least `minLeadEpochs` ahead.
 *
 * @example
 * const plan = planDirkReplacement(old, { replace: new Map([[4, 5]]), endpoints: new Map([[5, "d5:13141"]]), currentEpoch: 100 });
 */
export function planDirkReplacement(
  old: OldDirk,
  req: ReplacementRequest & { walletName?: string | undefined },
): DirkReplacementPlan {
  const oldIds = old.summary.participants.map((p) => p.id);
  const { ids, staying, removed, added } = operatorSetChange(
    oldIds,
    req,
    "The new participant set is the old one: nothing to replace",
  );
  const participants = newParticipants(old.summary, ids, req.endpoints);
  const activationEpoch = activationEpochOf(req);
  const walletName = newWalletName(old.summary.wallet, req.walletName, activationEpoch);
  return {
    previous: { summarySha256: old.sha256, wallet: old.summary.wallet, activationEpoch },
    activationEpoch,
    walletName,
    participants,
    staying,
    removed,
    added,
    threshold: { old: old.summary.threshold, new: thresholdFor(ids.length) },
  };
}

/**
 * The wallet keys in the old summary's account order; refused (naming --rocketpool-dir) when the
 * wallet lacks one, or when a key is not the old verification vector's public key A_0.
 *
 * @example
 * const ordered = keysOfDirk(old, keys);
 */
export function keysOfDirk(old: OldDirk, keys: readonly ValidatorKey[]): ValidatorKey[] {
  const byPk = new Map(keys.map((k) => [toHex(k.pubkey), k]));
  const accounts = old.summary.accounts;
  const missing = accounts.filter((a) => !byPk.has(a.compositePubkey)).map((a) => a.name);
  if (missing.length) {
    throw new InputError(
      `The wallet has no key for ${missing.length} of the old Dirk output's ${accounts.length} validator(s)`,
      {
        field: "--rocketpool-dir",
        details: missing.slice(0, 4).join(", ") + (missing.length > 4 ? ", …" : ""),
        metaMessages: [
          "Give the Rocket Pool data folder whose wallet created these validators (the owner's cold key).",
        ],
      },
    );
  }
  return accounts.map((a, i) => {
    const key = byPk.get(a.compositePubkey) as ValidatorKey;
    if (!bytesEqual(publicKeyOf(key.secret), fromHex(a.verificationVector[0] as string))) {
      throw new VerificationError(
        `The wallet key of ${a.name} is not the old verification vector's public key`,
        { metaMessages: [`File: ${old.file}`, `Field: accounts[${i}].verificationVector[0]`] },
      );
    }
    return key;
  });
}

/**
 * Participant `id`'s slashing-protection.json: floors at E for its new share keys, and (staying)
 * a closing record for its old share keys. EIP-3076 v5, as `dirk --import-slashing-protection`
 * reads it (it checks genesis_validators_root).
 *
 * @example
 * const text = dirkProtectionFile(plan, old, 5, shares, 32, "0x4b36…");
 */
export function dirkProtectionFile(
  plan: DirkReplacementPlan,
  old: OldDirk,
  id: number,
  newShares: readonly { name: string; pubkey: Uint8Array }[],
  slotsPerEpoch: number,
  genesisValidatorsRoot: string,
): string {
  const e = plan.activationEpoch;
  const floor = newShares.map((s) => ({
    pubkey: toHex(s.pubkey),
    signed_blocks: [{ slot: String(e * slotsPerEpoch - 1) }],
    signed_attestations: [{ source_epoch: "0", target_epoch: String(e - 1) }],
  }));
  const closed = String(CLOSED_EPOCH);
  const closing = plan.staying.includes(id)
    ? old.summary.accounts.map((a) => ({
        pubkey: a.shares.find((s) => s.participant === id)?.pubkey as string,
        signed_blocks: [{ slot: closed }],
        signed_attestations: [{ source_epoch: closed, target_epoch: closed }],
      }))
    : [];
  return serializeInterchange({
    metadata: {
      interchange_format_version: INTERCHANGE_FORMAT_VERSION,
      genesis_validators_root: genesisValidatorsRoot,
    },
    data: [...floor, ...closing],
  });
}

/**
 * Inputs of {@link runDirkReplacement}.
 *
 * @example
 * const input: DirkReplaceInput = { old, plan, keys, out, journal, slotsPerEpoch: 32, genesisValidatorsRoot };
 */
export type DirkReplaceInput = ReplaceRunCommon & {
  old: OldDirk;
  plan: DirkReplacementPlan;
  slotsPerEpoch: number;
  /** 0x + 32 bytes: the chain's, written into every slashing-protection.json. */
  genesisValidatorsRoot: string;
};

/**
 * What a Dirk replacement wrote.
 *
 * @example
 * const r: DirkReplaceResult = await runDirkReplacement(input); r.wallet;
 */
export type DirkReplaceResult = ReplaceRunReport & {
  wallet: string;
  previous: DirkReplacementPlan["previous"];
  participants: number[];
};

/** Whether a Dirk summary found in --out is this plan's (same previous and participants). */
function isThisPlan(summary: DirkSummary, plan: DirkReplacementPlan): boolean {
  return (
    JSON.stringify(summary.previous) === JSON.stringify(plan.previous) &&
    summary.participants.map((p) => p.id).join() === plan.participants.map((p) => p.id).join()
  );
}

/** Split afresh and write the new wallets with their slashing-protection files. */
async function writeDirkReplacement(input: DirkReplaceInput, out: string): Promise<void> {
  const { plan, old } = input;
  const keys = keysOfDirk(old, input.keys);
  const ids = plan.participants.map((p) => p.id);
  await withFreshSplit(
    keys,
    ids,
    (split) =>
      writeDirk(out, split, {
        participants: plan.participants,
        walletName: plan.walletName,
        kdf: input.kdf,
        ...(input.kdfParams ? { kdfParams: input.kdfParams } : {}),
        ...(input.quiet !== undefined ? { quiet: input.quiet } : {}),
        previous: plan.previous,
        participantFiles: (id, shares) => [
          {
            name: DIRK_PROTECTION_FILE,
            content: dirkProtectionFile(
              plan,
              old,
              id,
              shares,
              input.slotsPerEpoch,
              input.genesisValidatorsRoot,
            ),
          },
        ],
      }),
    input.afterStep,
  );
}

/**
 * Run (or resume) a Dirk replacement: check the journal's plan, split and write the new wallets
 * (with their slashing-protection.json), write HANDOVER.txt. Every step is journaled; secrets
 * never are.
 *
 * @example
 * const r = await runDirkReplacement({ old, plan, keys, out: "/out/dirk-v2", journal, slotsPerEpoch: 32, genesisValidatorsRoot });
 */
export async function runDirkReplacement(input: DirkReplaceInput): Promise<DirkReplaceResult> {
  const { plan, old } = input;
  const out = resolve(input.out);
  const names = (s: DirkSummary) => s.accounts.map((a) => a.compositePubkey).join();
  const run = await runJournaled({
    journal: input.journal,
    out,
    afterStep: input.afterStep,
    planRecord: { ...plan.previous, participants: plan.participants, wallet: plan.walletName },
    file: DIRK_SUMMARY_FILE,
    what: "Dirk",
    read: readDirkSummary,
    isThisPlan: (s) => isThisPlan(s, plan),
    write: () => writeDirkReplacement(input, out),
    doneData: (s) => ({ wallet: s.wallet }),
    verify: (s) => {
      if (names(s) !== names(old.summary))
        throw new VerificationError("The new Dirk output's validators differ from the old one's", {
          metaMessages: [`File: ${join(out, DIRK_SUMMARY_FILE)}`],
        });
    },
    handover: () =>
      dirkHandoverSteps(plan, basename(out), input.slotsPerEpoch, input.genesisValidatorsRoot),
  });
  const { written: summary, resumed, handover } = run;
  return {
    out,
    wallet: summary.wallet,
    previous: plan.previous,
    activationEpoch: plan.activationEpoch,
    validators: summary.accounts.length,
    participants: summary.participants.map((p) => p.id),
    threshold: summary.threshold,
    staying: plan.staying,
    removed: plan.removed,
    added: plan.added,
    resumed,
    handover,
  };
}

/**
 * The Dirk hand-over steps, in order (printed by the command and written to HANDOVER.txt), with
 * what rpdvt enforces through the slashing-protection files and what it cannot.
 *
 * @example
 * const lines = dirkHandoverSteps(plan, "dirk-v2", 32, "0x4b36…");
 */
export function dirkHandoverSteps(
  plan: DirkReplacementPlan,
  outName: string,
  slotsPerEpoch: number,
  genesisValidatorsRoot: string,
): string[] {
  const e = plan.activationEpoch;
  const w = plan.walletName;
  const old = plan.previous.wallet;
  const t = plan.threshold.old;
  const nOld = plan.staying.length + plan.removed.length;
  const mustClose = nOld - t + 1;
  const imp = `dirk --import-slashing-protection --genesis-validators-root=${genesisValidatorsRoot} --slashing-protection-file=participant-<id>/${DIRK_PROTECTION_FILE}`;
  return [
    `Activation epoch ${e} (slot ${e * slotsPerEpoch}): the old wallet "${old}" signs before it, the new wallet "${w}" from it.`,
    "",
    `1. The owner checks the whole folder: rpdvt keys verify ${outName}. Then gives ${outName}/participant-<id>/`,
    `   to the operator of Dirk participant <id> only, before epoch ${e - 1}.`,
    `2. New participant(s) ${plan.added.join(",") || "(none)"}: a Dirk with server.id = <id>, the peers of README.txt;`,
    "   copy participant-<id>/wallets/* into its wallet store, the passphrase into its unlocker, and BEFORE its",
    `   first start (Dirk stopped):  ${imp}`,
    `3. Staying participant(s) ${plan.staying.join(",") || "(none)"}: during epoch ${e - 1} (slots ${(e - 1) * slotsPerEpoch}..${e * slotsPerEpoch - 1}), stop Dirk, run`,
    `   ${imp}`,
    `   (it closes this Dirk's OLD share keys of "${old}" and puts the floor of epoch ${e} on its new ones), add`,
    `   participant-<id>/wallets/* next to "${old}" in the store, the passphrase to the unlocker, "${w}" to the`,
    "   client's permissions, and restart. Same server.id as before (it is the share's x).",
    `4. The validator client (e.g. Vouch, accountmanager.dirk.accounts): switch from "${old}" to "${w}" in epoch ${e - 1}.`,
    `5. Removed participant(s) ${plan.removed.join(",") || "(none)"}: stop using "${old}" and delete it after epoch ${e}.`,
    "",
    "What the slashing-protection files enforce, once imported:",
    `- A Dirk signs no attestation with target < ${e} and no block before slot ${e * slotsPerEpoch} with its NEW share key`,
    "  (Dirk keys its history by the share public key, so the new accounts have no history of their own).",
    `- A staying Dirk signs no attestation or block with its OLD share key after the import.`,
    "What rpdvt cannot enforce when Dirk signs:",
    `- That the imports are made in time: Dirk reads them only when its operator runs step 3. Old and new never`,
    `  both reach threshold in one epoch only if at least ${mustClose} of the ${nOld} old participants closed their old`,
    `  share before slot ${e * slotsPerEpoch} (old threshold ${t}); ask every staying operator to confirm step 3.`,
    ...(plan.staying.length < mustClose
      ? [
          `  HERE the ${plan.removed.length} removed participants alone hold at least the old threshold ${t} of old shares: they can`,
          "  sign with the old wallet, and rebuild the key, whatever the staying ones do. Replace fewer at a time.",
        ]
      : []),
    "- A removed participant's Dirk (it gets no file): its old share alone completes nothing, but",
    `  ${t} old shares together still rebuild the key — the owner decides whom to trust.`,
    "- Non-slashable messages (randao reveals, selection proofs, exits) have no floor in Dirk.",
  ];
}
