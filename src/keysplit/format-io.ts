/**
 * Plumbing shared by the share/keystore output formats (obol.ts, dirk.ts, cluster.ts): checking a
 * split before anything is written, KDF overrides, the wording of read-back errors, password
 * files, and cheap directory probes for `detect*`. No format knowledge lives here. Bounded
 * concurrency, JSON files and schemas live in ../util/{concurrency,json-file,schema}.ts.
 */
import { promises as fsp } from "node:fs";
import { publicKeyOf, secretKeyFromBytes } from "../crypto/bls.js";
import type { KdfChoice } from "../crypto/eip2335.js";
import { recoverPublicKey } from "../crypto/interpolate.js";
import { InputError, VerificationError } from "../errors.js";
import { toHex } from "../util/hex.js";
import { type FileWording, readInputFile, sameWording } from "../util/json-file.js";
import { assertOperatorIds, type SplitValidator, thresholdFor } from "./split.js";

/** KDF parameter overrides accepted by every writer (see `encryptCrypto` in crypto/eip2335.ts). */
export type KdfParams = { n?: number; c?: number };

/**
 * Reject KDF overrides that the EIP-2335 reader would refuse, before any file is written.
 *
 * @example
 * assertKdfParams("scrypt", { n: 1024 });
 */
export function assertKdfParams(kdf: KdfChoice, params: KdfParams = {}): void {
  if (kdf === "scrypt" && params.n !== undefined) {
    const n = params.n;
    if (!Number.isInteger(n) || n < 2 || n > 2 ** 24 || (n & (n - 1)) !== 0) {
      throw new InputError(`scrypt n=${n} must be a power of 2 in [2, 2^24]`, {
        field: "kdfParams.n",
      });
    }
  }
  if (kdf === "pbkdf2" && params.c !== undefined) {
    const c = params.c;
    if (!Number.isInteger(c) || c < 1 || c > 2 ** 24) {
      throw new InputError(`pbkdf2 c=${c} must be an integer in [1, 2^24]`, {
        field: "kdfParams.c",
      });
    }
  }
}

/**
 * How errors about reading back an output file (keystore, definition, wallet) are worded:
 * "Cannot read <file>" and "File is not valid JSON".
 *
 * @example
 * const json = await readJsonFile(file, outputFileWording(file));
 */
export function outputFileWording(file: string): FileWording {
  return {
    missing: `Cannot read ${file}`,
    unreadable: `Cannot read ${file}`,
    empty: "File is not valid JSON",
    corrupt: "File is not valid JSON",
    hints: ["Check that the path is right and readable."],
  };
}

/**
 * Read a password file as-is (rpdvt writes no trailing newline; EIP-2335 normalisation strips
 * control characters anyway, as charon's and Dirk's keystorev4 decryptor do).
 *
 * @example
 * const pw = await readPasswordFile("/out/operator-11/password.txt");
 */
export async function readPasswordFile(file: string): Promise<string> {
  const wording = {
    ...sameWording("Cannot read password file"),
    hints: ["Each keystore folder needs the password file rpdvt wrote next to it."],
  };
  return (await readInputFile(file, wording)).toString("utf8");
}

/**
 * Entries of a directory, or null when `path` is not a readable directory (for cheap sniffing).
 *
 * @example
 * const names = await listDir("/out/obol"); // ["README.txt", "keystore-0.json", ...] or null
 */
export async function listDir(path: string): Promise<string[] | null> {
  try {
    return await fsp.readdir(path);
  } catch {
    return null;
  }
}

/**
 * Compare two byte strings.
 *
 * @example
 * if (!sameBytes(publicKeyOf(secret), pubkey)) throw new VerificationError("mismatch");
 */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(
    Buffer.from(b.buffer, b.byteOffset, b.byteLength),
  );
}

/**
 * Check that `pubkey` is what the first t and the last t share public keys interpolate to (two
 * different t-subsets, so a single bad share cannot hide).
 *
 * @example
 * assertInterpolates(sv.pubkey, sv.shares, sv.threshold, "validator 0xab…");
 */
export function assertInterpolates(
  pubkey: Uint8Array,
  shares: readonly { id: number; pubkey: Uint8Array }[],
  threshold: number,
  label: string,
  meta: string[] = [],
): void {
  for (const subset of [shares.slice(0, threshold), shares.slice(shares.length - threshold)]) {
    if (!sameBytes(recoverPublicKey(subset), pubkey)) {
      throw new VerificationError(
        `Share public keys of ${label} do not interpolate to its public key`,
        {
          details: `shares ${subset.map((s) => s.id).join(",")} interpolate to a different key`,
          metaMessages: [...meta, "A share was swapped, edited or belongs to another validator."],
        },
      );
    }
  }
}

/**
 * Everything a writer checks on split validators before writing a byte: same operator ids and
 * threshold 2F+1 everywhere, each share's public key matches its secret, shares interpolate to the
 * validator key (first t and last t), no validator twice. Returns the common operator ids.
 *
 * @example
 * const ids = assertSplitValidators(validators); // [11, 22, 33, 44]
 */
export function assertSplitValidators(validators: readonly SplitValidator[]): number[] {
  if (validators.length === 0)
    throw new InputError("No validators to write", { field: "validators" });
  const first = validators[0] as SplitValidator;
  const ids = first.shares.map((s) => s.id);
  assertOperatorIds(ids);
  const threshold = thresholdFor(ids.length);
  const seen = new Set<string>();
  validators.forEach((sv, i) => {
    const label = `validator ${toHex(sv.pubkey)}`;
    const field = `validators[${i}]`;
    if (seen.has(toHex(sv.pubkey)))
      throw new InputError(`The same ${label} is given twice`, { field });
    seen.add(toHex(sv.pubkey));
    const svIds = sv.shares.map((s) => s.id);
    if (svIds.join(",") !== ids.join(",")) {
      throw new InputError(
        `${label} is split across operators ${svIds.join(",")}, not ${ids.join(",")}`,
        {
          field,
          metaMessages: ["All validators of one output must be split across the same operators."],
        },
      );
    }
    if (sv.threshold !== threshold) {
      throw new InputError(
        `${label} has threshold ${sv.threshold}; ${ids.length} operators need ${threshold}`,
        {
          field: `${field}.threshold`,
        },
      );
    }
    for (const s of sv.shares) {
      secretKeyFromBytes(s.secret, { field: `${field}.shares[id=${s.id}].secret` });
      if (!sameBytes(publicKeyOf(s.secret), s.pubkey)) {
        throw new VerificationError(
          `Share ${s.id} of ${label}: public key does not match its secret`,
        );
      }
    }
    assertInterpolates(sv.pubkey, sv.shares, threshold, label);
  });
  return ids;
}
