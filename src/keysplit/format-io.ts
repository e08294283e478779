/**
 * Plumbing shared by the share/keystore output formats (obol.ts, dirk.ts, cluster.ts): checking a
 * split before anything is written, KDF overrides, the wording of read-back errors, password
 * files, and cheap directory probes for `detect*`. No format knowledge lives here. Bounded
 * concurrency, JSON files and schemas live in ../util/{concurrency,json-file,schema}.ts.
 *
 * The one check that shares are a Shamir sharing of a key with threshold exactly t
 * ({@link findShareDefect}; Shamir 1979, threshold BLS as in ../crypto/shamir.ts) lives here too:
 * the writers run it on the secrets, and every verifier (cluster incl. node run's loader, SSV,
 * Dirk) on the public keys.
 */
import { randomBytes } from "node:crypto";
import { promises as fsp } from "node:fs";
import { join } from "node:path";
import bls from "bls-eth-wasm";
import { publicKeyFromBytes, publicKeyOf, secretKeyFromBytes } from "../crypto/bls.js";
import type { KdfChoice } from "../crypto/eip2335.js";
// Side-effect import: interpolate.ts initialises bls-eth-wasm for BLS12-381 (top-level await) and
// turns herumi's redundant order checks off (every point here is subgroup-checked by blst first).
import "../crypto/interpolate.js";
import {
  bytesToScalar,
  invert,
  mod,
  recoverSecret,
  type SecretShare,
  scalarToBytes,
} from "../crypto/shamir.js";
import { InputError, VerificationError } from "../errors.js";
import { bytesEqual, toHex } from "../util/hex.js";
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
 * An output's record file from the path a flag gave: the folder's `fileName`, or the file itself;
 * an InputError naming `missing.field` when nothing is there.
 *
 * @example
 * await outputRecordFile("/out/dirk", "distributed-accounts.json", { what: "The old Dirk output", field: "--dirk", hint });
 */
export async function outputRecordFile(
  path: string,
  fileName: string,
  missing: { what: string; field: string; hint: string },
): Promise<string> {
  const st = await fsp.stat(path).catch(() => null);
  if (!st) {
    throw new InputError(`${missing.what} does not exist`, {
      file: path,
      field: missing.field,
      metaMessages: [missing.hint],
    });
  }
  return st.isDirectory() ? join(path, fileName) : path;
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
 * Why a set of shares is not a t-of-n Shamir sharing of a key (first defect found):
 * - `share-is-key`: the share of operator `id` IS the key (that operator alone can sign);
 * - `off-polynomial`: the shares `ids` are not on the polynomial of degree ≤ t−1 through the key
 *   and the other shares (`ids` is empty when too many are wrong to tell which);
 * - `degree-too-low`: the shares `ids` (t−1 of them) already interpolate to the key, so t−1
 *   operators can sign: the polynomial's degree is below t−1.
 *
 * @example
 * const d: ShareDefect = { kind: "share-is-key", id: 33 };
 */
export type ShareDefect =
  | { kind: "share-is-key"; id: number }
  | { kind: "off-polynomial"; ids: number[] }
  | { kind: "degree-too-low"; ids: number[] };

/**
 * The check that shares are a t-of-n sharing of a key, exactly threshold t, independent of the
 * group: `recoversKey(subset)` says whether interpolating `subset` at x = 0 gives the key (G1
 * public keys without secrets, scalars with them), `isKey(share)` whether a share equals it.
 * Pass the shares in operator order.
 *
 * Why these checks suffice (f = the polynomial of degree ≤ t−1 through (0, key) and the first
 * t−1 shares B, unique): a share s lies on f iff B ∪ {s} interpolates to the key, so checking the
 * n−t+1 other shares puts EVERY share on f, and then every t-subset recovers the key. The degree
 * of f is exactly t−1 iff B alone does not interpolate to the key (if it did, the degree-≤t−2
 * interpolant of B would pass through (0, key) and be f); with degree exactly t−1 no t−1 shares
 * give the key. A share equal to the key is checked on its own (possible with degree t−1 too).
 * Cost: n−t+1 interpolations of t points and one of t−1 (n = 13: 6). `allOnPolynomial`, when
 * given, replaces the n−t+1 interpolations when it returns true (a faster equivalent check, see
 * {@link findPublicShareDefect}); when it returns false they run and name the wrong share(s).
 *
 * @example
 * const defect = findShareDefect(shares, 3, (s) => bytesEqual(s.pubkey, pk), (sub) => bytesEqual(recoverPublicKey(sub), pk));
 */
export function findShareDefect<S extends { id: number }>(
  shares: readonly S[],
  threshold: number,
  isKey: (share: S) => boolean,
  recoversKey: (subset: readonly S[]) => boolean,
  allOnPolynomial?: () => boolean,
): ShareDefect | undefined {
  if (!Number.isInteger(threshold) || threshold < 2 || threshold > shares.length) {
    throw new VerificationError(`Threshold ${threshold} is impossible for ${shares.length} shares`);
  }
  const keyShare = shares.find(isKey);
  if (keyShare) return { kind: "share-is-key", id: keyShare.id };
  const base = shares.slice(0, threshold - 1);
  const failing = (window: readonly S[]) =>
    shares.filter((s) => !window.includes(s) && !recoversKey([...window, s]));
  const bad = allOnPolynomial?.() ? [] : failing(base);
  if (bad.length > 0) {
    // Name the wrong shares: with a window of t−1 right shares as base exactly the wrong ones
    // fail; with a wrong share in the window every right share fails. Of all n windows (failure
    // path only), the smallest non-empty failing set is the best explanation.
    let best: S[] | undefined;
    for (let start = 0; start < shares.length; start++) {
      const window = [...shares, ...shares].slice(start, start + threshold - 1);
      const off = start === 0 ? bad : failing(window);
      if (off.length > 0 && off.length < shares.length - window.length) {
        if (!best || off.length < best.length) best = off;
      }
    }
    return { kind: "off-polynomial", ids: (best ?? []).map((s) => s.id) };
  }
  if (recoversKey(base)) return { kind: "degree-too-low", ids: base.map((s) => s.id) };
  return undefined;
}

/**
 * The sentence (and hint) that says what a {@link ShareDefect} means for `label`'s shares.
 *
 * @example
 * const { message, hint } = describeShareDefect({ kind: "share-is-key", id: 33 }, 3, "validator 0xab…");
 */
export function describeShareDefect(
  defect: ShareDefect,
  threshold: number,
  label: string,
): { message: string; hint: string } {
  switch (defect.kind) {
    case "share-is-key":
      return {
        message: `the share of operator ${defect.id} of ${label} is the full validator key`,
        hint: "That operator alone could sign (and be slashed): this is not a threshold split. Do not use it; split the key again.",
      };
    case "off-polynomial":
      return {
        message:
          defect.ids.length === 0
            ? `the shares of ${label} do not lie on one polynomial through its key (several are wrong)`
            : defect.ids.length === 1
              ? `the share of operator ${defect.ids[0]} of ${label} is not a share of its key`
              : `the shares of operators ${defect.ids.join(",")} of ${label} are not shares of its key`,
        hint: `Some ${threshold}-operator quorums would sign with a different key: a share was swapped, edited or belongs to another split. Do not use it; get the original or split the key again.`,
      };
    case "degree-too-low":
      return {
        message: `${defect.ids.length} shares (operators ${defect.ids.join(",")}) of ${label} already give its key: the threshold is below ${threshold}`,
        hint: `The shares lie on a polynomial of degree below ${threshold - 1}, so fewer than ${threshold} operators can sign. Do not use it; split the key again.`,
      };
  }
}

/**
 * Parse share public keys once (length, on-curve, G1 subgroup — blst via crypto/bls.ts) for
 * repeated interpolation with herumi (the engine of crypto/interpolate.ts), given uncompressed so
 * herumi skips its slower decompression.
 */
function herumiPoints(
  points: readonly { id: number; pubkey: Uint8Array }[],
  field: (id: number) => string,
  file: string | undefined,
): { id: number; point: InstanceType<typeof bls.PublicKey>; hid: InstanceType<typeof bls.Id> }[] {
  return points.map(({ id, pubkey }) => {
    const parsed = publicKeyFromBytes(pubkey, { field: field(id), file });
    const point = new bls.PublicKey();
    point.deserializeUncompressed(parsed.toBytes(false));
    const hid = new bls.Id();
    if (!Number.isSafeInteger(id) || id < 1 || id > 0x7fffffff) {
      throw new InputError(`Share id ${id} is not a positive 31-bit integer`, {
        field: field(id),
        file,
      });
    }
    hid.setInt(id);
    return { id, point, hid };
  });
}

/**
 * Where the keys given to {@link findPublicShareDefect} come from, for its parse errors.
 *
 * @example
 * const where: ShareKeysWhere = { file, keyField: "validators[0].pubkey", shareField: (id) => `shares[${id}]` };
 */
export type ShareKeysWhere = {
  file?: string | undefined;
  /** Field of the validator (composite) public key. */
  keyField?: string | undefined;
  /** Field of the share public key of operator `id`. */
  shareField?: ((id: number) => string) | undefined;
};

/**
 * {@link findShareDefect} on public keys only (no secrets): `pubkey` and the share public keys
 * (in operator order) are subgroup-checked once, then interpolated in G1. Throws InputError for a
 * key that is not a G1 subgroup point (naming its field and file); returns the first defect.
 *
 * @example
 * const defect = findPublicShareDefect(pk, shares, 3, { file, shareField: (id) => `shares[${id}]` });
 */
export function findPublicShareDefect(
  pubkey: Uint8Array,
  shares: readonly { id: number; pubkey: Uint8Array }[],
  threshold: number,
  where: ShareKeysWhere = {},
): ShareDefect | undefined {
  const keyField = where.keyField ?? "validator public key";
  const [key] = herumiPoints([{ id: 1, pubkey }], () => keyField, where.file);
  const points = herumiPoints(
    shares,
    where.shareField ?? ((id) => `share ${id} public key`),
    where.file,
  );
  const keyPoint = (key as (typeof points)[number]).point;
  return findShareDefect(
    points,
    threshold,
    (s) => s.point.isEqual(keyPoint),
    (subset) => {
      const out = new bls.PublicKey();
      out.recover(
        subset.map((s) => s.point),
        subset.map((s) => s.hid),
      );
      return out.isEqual(keyPoint);
    },
    () => onOnePolynomial(keyPoint, points, threshold),
  );
}

/** 128-bit random weights: a wrong share passes {@link onOnePolynomial} with probability 2^-128. */
const WEIGHT_BYTES = 16;

/**
 * Whether every share lies on the polynomial f of degree ≤ t−1 through (0, key) and the first t−1
 * shares B, in one multi-scalar sum instead of n−t+1 interpolations. For each other share j,
 * D_j = P_j − Σ_{i ∈ {0} ∪ B} L_i(x_j)·P_i is the identity iff P_j is on f (L_i: Lagrange basis on
 * the nodes {0} ∪ B). With fresh uniform 128-bit weights ρ_j, Σ_j ρ_j·D_j is the identity when
 * every D_j is, and otherwise with probability ≤ 2^-128 (G1 has prime order r and every point was
 * subgroup-checked) — the batch check of e.g. Bellare–Garay–Rabin, "Fast batch verification"
 * (EUROCRYPT 1998). Cost: n+1 scalar multiplications (n = 13: 14, against 6 × 9 = 54).
 */
function onOnePolynomial(
  key: InstanceType<typeof bls.PublicKey>,
  shares: readonly { id: number; point: InstanceType<typeof bls.PublicKey> }[],
  threshold: number,
): boolean {
  const nodes = [{ id: 0, point: key }, ...shares.slice(0, threshold - 1)];
  const others = shares.slice(threshold - 1);
  const xs = nodes.map((n) => BigInt(n.id));
  // 1 / Π_{m≠i} (y_i − y_m), once per node
  const inverseDenominators = xs.map((yi, i) =>
    invert(xs.reduce((acc, ym, m) => (m === i ? acc : mod(acc * (yi - ym))), 1n)),
  );
  const nodeWeights = xs.map(() => 0n);
  const terms: { point: InstanceType<typeof bls.PublicKey>; weight: bigint }[] = [];
  for (const o of others) {
    const rho = bytesToScalar(randomBytes(WEIGHT_BYTES));
    const x = BigInt(o.id);
    terms.push({ point: o.point, weight: rho });
    xs.forEach((_, i) => {
      const num = xs.reduce((acc, ym, m) => (m === i ? acc : mod(acc * (x - ym))), 1n);
      const li = mod(num * (inverseDenominators[i] as bigint));
      nodeWeights[i] = mod((nodeWeights[i] as bigint) - rho * li);
    });
  }
  nodes.forEach((n, i) => {
    terms.push({ point: n.point, weight: nodeWeights[i] as bigint });
  });
  let sum: InstanceType<typeof bls.PublicKey> | undefined;
  for (const { point, weight } of terms) {
    if (weight === 0n) continue;
    const k = new bls.SecretKey();
    k.setLittleEndianMod(scalarToBytes(weight).reverse());
    const term = point.clone();
    term.mul(k);
    if (sum) sum.add(term);
    else sum = term;
  }
  return sum === undefined || sum.isZero();
}

/**
 * Check that share public keys are a t-of-n sharing of `pubkey` with threshold exactly t: every
 * share on one polynomial of degree t−1 through the key (so every t-subset recovers it), no t−1
 * shares recovering it, no share equal to it. Throws VerificationError naming `label` and the
 * operator(s), with `meta` (file, field) in front; InputError for a key that is not a G1 point.
 *
 * @example
 * assertSharesOfKey(pk, shares, 3, "account v0", [`File: ${file}`], { file });
 */
export function assertSharesOfKey(
  pubkey: Uint8Array,
  shares: readonly { id: number; pubkey: Uint8Array }[],
  threshold: number,
  label: string,
  meta: string[] = [],
  where: ShareKeysWhere = {},
): void {
  const defect = findPublicShareDefect(pubkey, shares, threshold, where);
  if (defect) throw shareDefectError(defect, threshold, label, meta);
}

/**
 * The VerificationError for a {@link ShareDefect} (message capitalised, hint last).
 *
 * @example
 * throw shareDefectError({ kind: "share-is-key", id: 2 }, 3, "account v0", [`File: ${file}`]);
 */
export function shareDefectError(
  defect: ShareDefect,
  threshold: number,
  label: string,
  meta: string[] = [],
): VerificationError {
  const { message, hint } = describeShareDefect(defect, threshold, label);
  return new VerificationError(`${message.charAt(0).toUpperCase()}${message.slice(1)}`, {
    metaMessages: [...meta, hint],
  });
}

/**
 * {@link findShareDefect} with the share secrets at hand (a writer's check): the first t secrets
 * interpolate to a scalar whose public key must be the validator's (one G1 multiplication), then
 * every check is scalar arithmetic in F_r (microseconds, against milliseconds in G1). When the
 * first t do not give the key, the G1 check names the wrong share(s).
 */
function findSecretShareDefect(sv: SplitValidator, threshold: number): ShareDefect | undefined {
  const secrets: SecretShare[] = sv.shares.map((s) => ({ id: s.id, secret: s.secret }));
  const key = recoverSecret(secrets.slice(0, threshold));
  const k = bytesToScalar(key);
  const matches = k !== 0n && bytesEqual(publicKeyOf(key), sv.pubkey);
  key.fill(0);
  if (!matches) {
    return (
      findPublicShareDefect(sv.pubkey, sv.shares, threshold) ?? {
        kind: "off-polynomial",
        ids: sv.shares.map((s) => s.id),
      }
    );
  }
  return findShareDefect(
    secrets,
    threshold,
    (s) => bytesToScalar(s.secret) === k,
    (subset) => {
      const r = recoverSecret(subset);
      const same = bytesToScalar(r) === k;
      r.fill(0);
      return same;
    },
  );
}

/**
 * Everything a writer checks on split validators before writing a byte: same operator ids and
 * threshold 2F+1 everywhere, each share's public key matches its secret, the shares are a sharing
 * of the validator key with threshold exactly t ({@link findShareDefect}, on the secrets), no
 * validator twice. Returns the common operator ids.
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
      if (!bytesEqual(publicKeyOf(s.secret), s.pubkey)) {
        throw new VerificationError(
          `Share ${s.id} of ${label}: public key does not match its secret`,
        );
      }
    }
    const defect = findSecretShareDefect(sv, threshold);
    if (defect) throw shareDefectError(defect, threshold, label, ["Nothing was written."]);
  });
  return ids;
}
