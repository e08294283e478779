/**
 * SSV Network keyshares output: split validators → the `keyshares.json` that SSV's webapp / SDK
 * register on chain (bulkRegisterValidator), one item per validator.
 *
 * Format and byte layout: see ./ssv-format.ts (ssvlabs/ssv-keys KeySharesItem.buildPayload).
 * Per validator: the ownership signature by the full key over keccak256("<EIP-55 owner>:<nonce>"),
 * share public keys at x = operator id, and each share's secret as the ASCII string
 * "0x" + 64 hex digits, RSAES-PKCS1-v1_5-encrypted to its operator's key — exactly what ssv-keys
 * encrypts (Threshold.create → `0x${serializeToHexStr()}`). ssv-dkg encrypts the hex without
 * "0x"; the node accepts both (herumi `mclBnFr_setStr(…, 16)` skips a "0x" prefix), and
 * `verifySsvKeyshares` reads both.
 */
import type { KeyObject } from "node:crypto";
import { publicKeyOf, signMessage } from "../crypto/bls.js";
import { encodeOperatorPublicKey, parseOperatorPublicKey, rsaEncrypt } from "../crypto/rsa.js";
import { recoverSecret } from "../crypto/shamir.js";
import { InputError, VerificationError } from "../errors.js";
import { parseAddress } from "../util/address.js";
import { assertAbsent, SECRET_FILE_MODE, writeFileAtomic } from "../util/fs.js";
import { toHex } from "../util/hex.js";
import { assertOperatorIds, type SplitValidator } from "./split.js";
import {
  assertSsvVersion,
  DEFAULT_SSV_VERSION,
  encodeSharesData,
  OWNER_ADDRESS,
  ownershipMessage,
  type SsvKeysharesFile,
  type SsvKeysharesItem,
  type SsvVersion,
} from "./ssv-format.js";
import type { SsvOperatorKey } from "./ssv-operators.js";

export type { SsvKeysharesFile, SsvKeysharesItem, SsvVersion } from "./ssv-format.js";
export {
  loadOperatorPrivateKeys,
  parseOperatorPairs,
  readOperatorsInfo,
  type SsvOperatorKey,
} from "./ssv-operators.js";
export { verifySsvKeyshares } from "./ssv-verify.js";

/**
 * Options of {@link buildSsvKeyshares}.
 *
 * @example
 * const opts: SsvKeysharesOptions = { operators, owner: "0x…", nonce: 0, version: "v1.2.0" };
 */
export type SsvKeysharesOptions = {
  /** The cluster's operators (any order; written ascending by id). */
  operators: SsvOperatorKey[];
  /** The Ethereum address that will register the validators. */
  owner: string;
  /** The owner's registration nonce for the first validator; item i gets nonce + i. */
  nonce: number;
  /** File version (default {@link DEFAULT_SSV_VERSION}). */
  version?: SsvVersion;
};

type ParsedOperator = { id: number; key: KeyObject; operatorKey: string };

function prepareOperators(operators: readonly SsvOperatorKey[]): ParsedOperator[] {
  const sorted = [...operators].sort((a, b) => a.id - b.id);
  assertOperatorIds(sorted.map((o) => o.id));
  const parsed = sorted.map((o) => {
    const key = parseOperatorPublicKey(o.publicKey, { operatorId: o.id, field: "operators" });
    return { id: o.id, key, operatorKey: encodeOperatorPublicKey(key) };
  });
  const seen = new Map<string, number>();
  for (const o of parsed) {
    const other = seen.get(o.operatorKey);
    if (other !== undefined) {
      throw new InputError(`Operators ${other} and ${o.id} have the same public key`, {
        field: "operators",
        metaMessages: ["Each operator has its own RSA key: check the ID=KEY pairs."],
      });
    }
    seen.set(o.operatorKey, o.id);
  }
  return parsed;
}

function buildItem(
  v: SplitValidator,
  index: number,
  ops: readonly ParsedOperator[],
  owner: string,
  nonce: number,
): SsvKeysharesItem {
  const pubkeyHex = toHex(v.pubkey);
  const ids = v.shares.map((s) => s.id);
  if (ids.length !== ops.length || ids.some((id, i) => id !== ops[i]?.id)) {
    throw new InputError(`Validator ${pubkeyHex} was split for operators ${ids.join(",")}`, {
      field: `validators[${index}]`,
      metaMessages: [
        `The keyshares file is for operators ${ops.map((o) => o.id).join(",")}: split for those ids.`,
      ],
    });
  }
  const secret = recoverSecret(v.shares.slice(0, v.threshold));
  if (!Buffer.from(publicKeyOf(secret)).equals(Buffer.from(v.pubkey))) {
    throw new VerificationError(`Shares of validator ${pubkeyHex} do not recover its secret key`, {
      metaMessages: ["The split is inconsistent; nothing was written."],
    });
  }
  const signature = signMessage(secret, ownershipMessage(owner, nonce));
  secret.fill(0);
  const sharesData = encodeSharesData({
    signature,
    sharePubkeys: v.shares.map((s) => s.pubkey),
    encryptedShares: v.shares.map((s, i) =>
      rsaEncrypt((ops[i] as ParsedOperator).key, new TextEncoder().encode(toHex(s.secret))),
    ),
  });
  return {
    data: {
      ownerNonce: nonce,
      ownerAddress: owner,
      publicKey: pubkeyHex,
      operators: ops.map((o) => ({ id: o.id, operatorKey: o.operatorKey })),
    },
    payload: { publicKey: pubkeyHex, operatorIds: ops.map((o) => o.id), sharesData },
  };
}

/**
 * Build an SSV keyshares file for split validators (no I/O; RSA encryption is randomised, so two
 * builds differ byte-wise but both verify). Operator keys are parsed once; validators in order.
 *
 * @example
 * const file = buildSsvKeyshares([splitValidatorKey(key, [11, 22, 33, 44])], {
 *   operators: await readOperatorsInfo("operators_info.json", [11, 22, 33, 44]),
 *   owner: "0xDCc846fA10C7CfCE9e6Eb37e06eD93b666cFC5E9",
 *   nonce: 0,
 * });
 */
export function buildSsvKeyshares(
  validators: SplitValidator[],
  opts: SsvKeysharesOptions,
): SsvKeysharesFile {
  const version = opts.version ?? DEFAULT_SSV_VERSION;
  assertSsvVersion(version);
  if (validators.length === 0)
    throw new InputError("No validators to write", { field: "validators" });
  if (
    !Number.isSafeInteger(opts.nonce) ||
    opts.nonce < 0 ||
    opts.nonce + validators.length > Number.MAX_SAFE_INTEGER
  ) {
    throw new InputError(`Owner nonce ${opts.nonce} must be a non-negative integer`, {
      field: "nonce",
      metaMessages: [
        "The nonce is the number of validators this owner has registered on SSV before (0 for a new owner).",
      ],
    });
  }
  const owner = parseAddress(opts.owner, { field: "owner" }, OWNER_ADDRESS);
  const ops = prepareOperators(opts.operators);
  const seen = new Set<string>();
  const shares = validators.map((v, i) => {
    const hex = toHex(v.pubkey);
    if (seen.has(hex))
      throw new InputError(`Validator ${hex} appears twice`, { field: `validators[${i}]` });
    seen.add(hex);
    return buildItem(v, i, ops, owner, opts.nonce + i);
  });
  return { version, createdAt: new Date().toISOString(), shares };
}

/**
 * Build and write an SSV keyshares file atomically (temp + rename, mode 0600). Refuses to
 * overwrite. Returns what was written.
 *
 * @example
 * await writeSsvKeyshares("/out/keyshares.json", split, { operators, owner, nonce: 3 });
 */
export async function writeSsvKeyshares(
  outFile: string,
  validators: SplitValidator[],
  opts: SsvKeysharesOptions,
): Promise<SsvKeysharesFile> {
  await assertAbsent(outFile);
  const file = buildSsvKeyshares(validators, opts);
  await writeFileAtomic(outFile, `${JSON.stringify(file, null, 2)}\n`, { mode: SECRET_FILE_MODE });
  return file;
}
