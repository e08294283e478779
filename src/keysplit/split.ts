/**
 * The one split every output format shares: a validator secret → n Shamir shares at the operator
 * ids, threshold t = 2F+1 of n = 3F+1, each with its share public key, checked to interpolate back
 * to the validator public key before anything is written.
 */

import { publicKeyOf } from "../crypto/bls.js";
import { recoverSecret, splitSecret } from "../crypto/shamir.js";
import type { ValidatorKey } from "../crypto/validator-key.js";
import { InputError, VerificationError } from "../errors.js";
import { toHex } from "../util/hex.js";

export type { ValidatorKey };

/** Cluster sizes n = 3F+1 that SSV supports (and Obol/Dirk accept): F = 1..4. */
export const CLUSTER_SIZES = [4, 7, 10, 13] as const;

/** One operator's share of one validator. */
export type KeyShare = { id: number; secret: Uint8Array; pubkey: Uint8Array };

/** A validator split across operators. Shares are in ascending id order. */
export type SplitValidator = {
  pubkey: Uint8Array;
  threshold: number;
  shares: KeyShare[];
  path?: string | undefined;
};

/**
 * Threshold t = 2F+1 for n = 3F+1 (BFT quorum: tolerates F faulty operators).
 *
 * @example
 * thresholdFor(4) // 3
 */
export function thresholdFor(n: number): number {
  if (!(CLUSTER_SIZES as readonly number[]).includes(n)) {
    throw new InputError(`Cluster size ${n} is not supported`, {
      field: "operator ids",
      metaMessages: [`Use ${CLUSTER_SIZES.join(", ")} operators (n = 3F+1, threshold 2F+1).`],
    });
  }
  return (2 * (n - 1)) / 3 + 1;
}

/**
 * Validate operator ids: positive integers, strictly ascending, no duplicates, n ∈ {4,7,10,13}.
 *
 * @example
 * assertOperatorIds([11, 22, 33, 44]);
 */
export function assertOperatorIds(ids: readonly number[]): void {
  ids.forEach((id, i) => {
    if (!Number.isSafeInteger(id) || id < 1 || id > 0x7fffffff) {
      throw new InputError(`Operator id ${id} must be a positive integer below 2^31`, {
        field: "operator ids",
      });
    }
    const prev = ids[i - 1];
    if (prev !== undefined && id <= prev) {
      throw new InputError(
        id === prev
          ? `Operator id ${id} appears twice`
          : `Operator ids must be in ascending order (${prev} before ${id})`,
        {
          field: "operator ids",
          metaMessages: ["Give each operator once, sorted ascending, e.g. 11,22,33,44."],
        },
      );
    }
  });
  thresholdFor(ids.length);
}

/**
 * Split one validator key across `ids`. Checks before returning: the secret belongs to the
 * public key, and the first t shares recover the secret (share public keys are computed from the
 * share secrets by blst). Output verifiers re-check everything from the written files, in G1.
 *
 * @example
 * const sv = splitValidatorKey({ pubkey, secret }, [11, 22, 33, 44]);
 */
export function splitValidatorKey(key: ValidatorKey, ids: readonly number[]): SplitValidator {
  assertOperatorIds(ids);
  const threshold = thresholdFor(ids.length);
  if (!Buffer.from(publicKeyOf(key.secret)).equals(Buffer.from(key.pubkey))) {
    throw new VerificationError("Validator secret does not match its public key", {
      metaMessages: [
        `Validator ${toHex(key.pubkey)}${key.source ? ` from ${key.source}` : ""}`,
        "Nothing was written.",
      ],
    });
  }
  const shares = splitSecret(key.secret, ids, threshold);
  if (!Buffer.from(recoverSecret(shares.slice(0, threshold))).equals(Buffer.from(key.secret))) {
    throw new VerificationError("Shares do not recover the validator secret (internal error)");
  }
  return {
    pubkey: key.pubkey,
    threshold,
    shares: shares.map((s) => ({ ...s, pubkey: publicKeyOf(s.secret) })),
    path: key.path,
  };
}
