/**
 * Replacing operators for an SSV validator (issue 16 part 1, `rpdvt cluster replace-operator
 * --keyshares OLD.json`): the same validators, split afresh from the owner's wallet (a new random
 * polynomial: keysplit/split.ts) for the new operator set, written as a NEW keyshares file
 * (keysplit/ssv.ts, the format ssv-keys validates) with the owner's next registration nonces.
 *
 * Nonces: SSV's contract counts one nonce per validator registration of an owner; the new file's
 * first item must carry the owner's CURRENT nonce (registrations done since the old file count
 * too), so it is a required flag; one at or below a nonce the old file already used is refused.
 *
 * Cut-over on SSV is the network's: the owner removes the validator from the old operator cluster
 * (removeValidator) and registers the new keyshares; SSV nodes follow the contract events, so the
 * old operators stop when the removal is final and the new ones start after the registration. The
 * activation-epoch window of rpdvt's own node (core/signer/window.ts) does not apply; the gap is
 * the time between the two transactions (register right after the removal is final).
 */
import { InputError } from "../errors.js";
import { fromHex } from "../util/hex.js";
import { readJsonFile, sameWording } from "../util/json-file.js";
import { newOperatorSet, type ReplacementRequest } from "./replace.js";
import { CLUSTER_SIZES, splitValidatorKey, type ValidatorKey } from "./split.js";
import { writeSsvKeyshares } from "./ssv.js";
import { parseSsvKeysharesJson, type SsvVersion } from "./ssv-format.js";
import type { SsvOperatorKey } from "./ssv-operators.js";

/**
 * What an old keyshares file says: its validators, operator ids, owner and the nonces it used.
 *
 * @example
 * const old = await readOldKeyshares("keyshares.json"); // { operatorIds: [11, 22, 33, 44], … }
 */
export type OldKeyshares = {
  file: string;
  validators: string[];
  operatorIds: number[];
  owner: string;
  maxNonce: number;
  version: string;
};

/**
 * Read an old keyshares file (one operator set for every item).
 *
 * @example
 * const old = await readOldKeyshares("/owner/keyshares-2025.json");
 */
export async function readOldKeyshares(file: string): Promise<OldKeyshares> {
  const json = await readJsonFile(file, sameWording("Cannot read the old keyshares file as JSON"));
  const ks = parseSsvKeysharesJson(json, file);
  const sets = new Set(ks.shares.map((s) => s.payload.operatorIds.join(",")));
  const owners = new Set(ks.shares.map((s) => s.data.ownerAddress.toLowerCase()));
  if (sets.size !== 1 || owners.size !== 1) {
    throw new InputError("The old keyshares file mixes operator sets or owners", {
      file,
      field: "--keyshares",
      metaMessages: ["Replace operators one cluster at a time: give a file of one operator set."],
    });
  }
  const first = ks.shares[0] as (typeof ks.shares)[number];
  return {
    file,
    validators: ks.shares.map((s) => s.payload.publicKey.toLowerCase()),
    operatorIds: [...first.payload.operatorIds].sort((a, b) => a - b),
    owner: first.data.ownerAddress,
    maxNonce: Math.max(...ks.shares.map((s) => s.data.ownerNonce)),
    version: ks.version,
  };
}

/**
 * Check an SSV replacement before any key is read; returns the new ids and who leaves/joins.
 *
 * @example
 * const p = planSsvReplacement(old, { replace: new Map([[44, 55]]) }, operators, 7);
 */
export function planSsvReplacement(
  old: OldKeyshares,
  req: Pick<ReplacementRequest, "replace" | "operatorIds">,
  operators: readonly SsvOperatorKey[],
  nonce: number,
): { ids: number[]; removed: number[]; added: number[] } {
  const ids = newOperatorSet(old.operatorIds, req);
  if (ids.join(",") === old.operatorIds.join(",")) {
    throw new InputError("The new operator set is the old one: nothing to replace", {
      field: req.replace ? "--replace" : "--operator-ids",
    });
  }
  const keyed = new Set(operators.map((o) => o.id));
  const missing = ids.filter((id) => !keyed.has(id));
  if (missing.length) {
    throw new InputError(`No public key for operator(s) ${missing.join(",")}`, {
      field: "--operators-file/--operator-key",
      metaMessages: [
        `SSV keyshares encrypt each share to its operator's RSA key: give keys for ${ids.join(",")} (n ∈ {${CLUSTER_SIZES.join(",")}}).`,
      ],
    });
  }
  if (nonce <= old.maxNonce) {
    throw new InputError(
      `--nonce ${nonce} was already used: the old file registered with nonces up to ${old.maxNonce}`,
      {
        field: "--nonce",
        metaMessages: [
          `Give the owner's current registration nonce (at least ${old.maxNonce + 1}; more if it registered other validators since).`,
        ],
      },
    );
  }
  return {
    ids,
    removed: old.operatorIds.filter((id) => !ids.includes(id)),
    added: ids.filter((id) => !old.operatorIds.includes(id)),
  };
}

/**
 * Split the wallet keys afresh for `ids` and write the new keyshares file (atomic, 0600).
 *
 * @example
 * await writeSsvReplacement("new.json", old, keys, { ids, operators, owner: old.owner, nonce: 7 });
 */
export async function writeSsvReplacement(
  out: string,
  old: OldKeyshares,
  keys: readonly ValidatorKey[],
  o: {
    ids: number[];
    operators: SsvOperatorKey[];
    owner: string;
    nonce: number;
    version?: SsvVersion | undefined;
  },
): Promise<{ out: string; validators: number; operators: number[]; firstNonce: number }> {
  const byPk = new Map(keys.map((k) => [`0x${Buffer.from(k.pubkey).toString("hex")}`, k]));
  const missing = old.validators.filter((v) => !byPk.has(v));
  if (missing.length) {
    throw new InputError(
      `The wallet has no key for ${missing.length} validator(s) of ${old.file}`,
      {
        field: "--rocketpool-dir",
        details: missing.slice(0, 4).join(", "),
      },
    );
  }
  const split = old.validators.map((v) => splitValidatorKey(byPk.get(v) as ValidatorKey, o.ids));
  try {
    await writeSsvKeyshares(out, split, {
      operators: o.operators.filter((op) => o.ids.includes(op.id)),
      owner: o.owner,
      nonce: o.nonce,
      ...(o.version ? { version: o.version } : {}),
    });
  } finally {
    for (const sv of split) for (const s of sv.shares) s.secret.fill(0);
  }
  return { out, validators: split.length, operators: o.ids, firstNonce: o.nonce };
}

/** Pubkeys of an old file as bytes (the wallet reader's filter). */
export function oldValidatorKeys(old: OldKeyshares): Uint8Array[] {
  return old.validators.map((v, i) =>
    fromHex(v, { field: `shares[${i}].payload.publicKey`, file: old.file }),
  );
}
