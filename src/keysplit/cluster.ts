/**
 * rpdvt's own cluster format (rpdvt-cluster/v1), read by the rpdvt DV node.
 *
 * Output:
 *   <out>/cluster.json                      the cluster definition (below)
 *   <out>/README.txt
 *   <out>/operator-<id>/cluster.json        byte-identical copy of the definition
 *   <out>/operator-<id>/password.txt        one fresh 256-bit password for this operator (0600)
 *   <out>/operator-<id>/keystores/share-0x<first 8 bytes of validator pubkey, hex>.json
 *                                           EIP-2335 keystore of this operator's share; its
 *                                           `pubkey` is the SHARE public key, `path` is ""
 *
 * Definition (JSON, keys as below; 0x-hex lowercase; addresses EIP-55):
 *   { version: "rpdvt-cluster/v1", name, createdAt (ISO 8601 UTC), threshold (= 2F+1),
 *     operators: [{ id, name?, identity: libp2p secp256k1 peer id or null, endpoint? }]
 *       (ids strictly ascending, n ∈ {4, 7, 10, 13}),
 *     validators: [{ pubkey, shares: [{ operatorId, pubkey }] (operators' order), feeRecipient, path? }],
 *     previous?: { hash, activationEpoch },
 *     hash }
 *   `previous` (optional; `rpdvt cluster replace-operator`, keysplit/replace.ts): this cluster
 *   succeeds the cluster whose definition hash is `previous.hash`, for the same validators, from
 *   the start of epoch `previous.activationEpoch` (the predecessor signs slots before it, this one
 *   from it: core/signer/window.ts). Like every member it is covered by `hash`, so the chain of
 *   definitions is tamper-evident; definitions without it hash as before.
 *   hash = "0x" + sha256(canonical JSON of every member except `hash`) — see cluster-hash.ts
 *   (sorted keys, no whitespace; RFC 8785 for these values).
 * Shamir shares are evaluated at x = operator id (crypto/shamir.ts).
 *
 * Writing: the whole output is built in one temporary sibling and renamed into place
 * (util/fs.ts); passwords reach the disk only in the last step (see {@link writeCluster}), so an
 * interrupted run leaves ciphertext only, which the next `keys split` removes.
 * Identities can be added later ({@link setClusterIdentities}): the definition is rewritten with
 * the same createdAt and a recomputed hash, so every operator who applies the same peer ids to its
 * copy gets the same definition hash.
 */
import { promises as fsp } from "node:fs";
import { basename, join, resolve } from "node:path";
import { z } from "zod";
import { publicKeyOf } from "../crypto/bls.js";
import {
  decryptKeystore,
  encryptKeystore,
  type KdfChoice,
  parseKeystore,
  randomPassword,
} from "../crypto/eip2335.js";
import { publicKeyFromIdentity } from "../crypto/secp256k1.js";
import { InputError, VerificationError } from "../errors.js";
import { isChecksumAddress, parseAddress } from "../util/address.js";
import { kdfConcurrency, mapConcurrent } from "../util/concurrency.js";
import {
  SECRET_DIR_MODE,
  SECRET_FILE_MODE,
  writeDirAtomic,
  writeFileAtomic,
  writeSecretFile,
} from "../util/fs.js";
import { bytesEqual, fromHex, toHex } from "../util/hex.js";
import { readJsonFile } from "../util/json-file.js";
import { startProgress } from "../util/progress.js";
import { parseWith } from "../util/schema.js";
import { clusterDefinitionHash } from "./cluster-hash.js";
import {
  assertKdfParams,
  assertSharesOfKey,
  assertSplitValidators,
  type KdfParams,
  listDir,
  outputFileWording,
  readPasswordFile,
} from "./format-io.js";
import { assertOperatorIds, type SplitValidator, thresholdFor } from "./split.js";
import type { VerifyReport } from "./verify-report.js";

/** `version` of a cluster definition, and the format name in {@link VerifyReport}. */
export const CLUSTER_VERSION = "rpdvt-cluster/v1";
export const CLUSTER_FORMAT = "rpdvt-cluster v1";
export const CLUSTER_FILE = "cluster.json";
const PASSWORD_FILE = "password.txt";
const KEYSTORE_DIR = "keystores";
/** Bytes of the validator public key in a share keystore's file name. */
const FILE_PREFIX_BYTES = 8;

const hex0x48 = z.string().regex(/^0x[0-9a-f]{96}$/, "must be 0x + 48 bytes of lowercase hex");
const operatorSchema = z.strictObject({
  id: z.number().int().positive(),
  name: z.string().optional(),
  identity: z.string().nullable(),
  endpoint: z.string().optional(),
});
const definitionSchema = z.strictObject({
  version: z.literal(CLUSTER_VERSION),
  name: z.string(),
  createdAt: z.string().refine((s) => !Number.isNaN(Date.parse(s)), "must be an ISO 8601 date"),
  threshold: z.number().int().positive(),
  operators: z.array(operatorSchema).min(1),
  validators: z
    .array(
      z.strictObject({
        pubkey: hex0x48,
        shares: z.array(
          z.strictObject({ operatorId: z.number().int().positive(), pubkey: hex0x48 }),
        ),
        feeRecipient: z.string(),
        path: z.string().optional(),
      }),
    )
    .min(1),
  previous: z
    .strictObject({
      hash: z.string().regex(/^0x[0-9a-f]{64}$/, "must be 0x + 32 bytes of lowercase hex"),
      activationEpoch: z.number().int().nonnegative(),
    })
    .optional(),
  hash: z.string().regex(/^0x[0-9a-f]{64}$/, "must be 0x + 32 bytes of lowercase hex"),
});

/** A parsed, hash-checked cluster definition. */
export type ClusterDefinition = z.infer<typeof definitionSchema>;
/**
 * An operator of a cluster: `identity` is its p2p identity (secp256k1 libp2p peer id,
 * `rpdvt node identity`); `endpoint` its "host:port" for the DV node's p2p.
 */
export type ClusterOperator = { id: number; name?: string; endpoint?: string; identity?: string };

export type ClusterWriteOptions = {
  operators: ClusterOperator[];
  /** One address for all validators, or validator pubkey (0x-hex) → address. */
  feeRecipients: Map<string, string> | string;
  name?: string;
  /** The cluster this one succeeds (keysplit/replace.ts): its hash and the activation epoch. */
  previous?: { hash: string; activationEpoch: number };
  /** Default scrypt with EIP-2335 parameters. */
  kdf?: KdfChoice;
  kdfParams?: KdfParams;
  quiet?: boolean;
};

/** The file name of a validator's share keystore inside `operator-<id>/keystores/`. */
function shareFileName(validatorPubkey: string): string {
  return `share-${validatorPubkey.slice(0, 2 + 2 * FILE_PREFIX_BYTES)}.json`;
}

function buildDefinition(
  validators: readonly SplitValidator[],
  ids: number[],
  opts: ClusterWriteOptions,
) {
  const byId = new Map<number, ClusterOperator>();
  for (const op of opts.operators) {
    if (byId.has(op.id))
      throw new InputError(`Operator ${op.id} is given twice`, { field: "operators" });
    byId.set(op.id, op);
  }
  const given = [...byId.keys()].sort((a, b) => a - b);
  if (given.join(",") !== ids.join(",")) {
    throw new InputError("Operators do not match the operator ids the keys are split across", {
      field: "operators",
      details: `shares at ${ids.join(",")}; operators given ${given.join(",")}`,
    });
  }
  const feeMap = new Map<string, string>();
  if (typeof opts.feeRecipients !== "string") {
    for (const [pk, addr] of opts.feeRecipients) feeMap.set(pk.toLowerCase(), addr);
  }
  const fileNames = new Set<string>();
  const def = {
    version: CLUSTER_VERSION,
    name: opts.name ?? "rpdvt cluster",
    createdAt: new Date().toISOString(),
    threshold: thresholdFor(ids.length),
    operators: ids.map((id) => {
      const op = byId.get(id) as ClusterOperator;
      if (op.identity !== undefined)
        publicKeyFromIdentity(op.identity, `operators[${id}].identity`);
      return { id, name: op.name, identity: op.identity ?? null, endpoint: op.endpoint };
    }),
    validators: validators.map((sv, i) => {
      const pubkey = toHex(sv.pubkey);
      const raw = typeof opts.feeRecipients === "string" ? opts.feeRecipients : feeMap.get(pubkey);
      if (raw === undefined) {
        throw new InputError(`No fee recipient for validator ${pubkey}`, {
          field: "feeRecipients",
          metaMessages: ["Give one address for all validators, or one per validator public key."],
        });
      }
      const name = shareFileName(pubkey);
      if (fileNames.has(name))
        throw new InputError(`Two validators share the file name ${name}`, {
          field: `validators[${i}]`,
        });
      fileNames.add(name);
      return {
        pubkey,
        shares: sv.shares.map((s) => ({ operatorId: s.id, pubkey: toHex(s.pubkey) })),
        feeRecipient: parseAddress(raw, { field: `feeRecipients[${pubkey}]` }),
        path: sv.path,
      };
    }),
    previous: opts.previous,
  };
  // Round-trip through JSON so that undefined members are gone before hashing and writing.
  const plain = JSON.parse(JSON.stringify(def)) as Record<string, unknown>;
  return { ...plain, hash: clusterDefinitionHash(plain) } as ClusterDefinition;
}

function readme(def: ClusterDefinition): string {
  return [
    "rpdvt cluster (rpdvt-cluster/v1)",
    "================================",
    "",
    `Cluster "${def.name}", ${def.validators.length} validator(s), threshold ${def.threshold} of ${def.operators.length} operators.`,
    `Definition hash: ${def.hash}`,
    ...(def.previous
      ? [
          `Succeeds cluster ${def.previous.hash} from the start of epoch ${def.previous.activationEpoch}`,
          "(see HANDOVER.txt: operators that stay run `rpdvt node run --cluster <new folder>",
          "--previous-cluster <old folder>`; the old cluster stops signing at that epoch).",
        ]
      : []),
    "",
    "Give operator-<id>/ to operator <id> and to nobody else: it holds that operator's key shares",
    "(keystores/share-*.json, EIP-2335) and their password (password.txt). No single machine should",
    `ever hold ${def.threshold} or more operator folders.`,
    "",
    "Each operator checks its folder before starting the rpdvt DV node:",
    "  rpdvt keys verify operator-<id>",
    "and compares the definition hash above with the other operators.",
    "",
    "Stop the old validator client and wait at least 2 finalised epochs before the cluster signs.",
    "",
    "Operators:",
    ...def.operators.map(
      (o) =>
        `  ${o.id}${o.name ? `  ${o.name}` : ""}${o.endpoint ? `  ${o.endpoint}` : ""}  ${o.identity ?? "(no p2p identity yet: rpdvt cluster set-identities)"}`,
    ),
    "",
  ].join("\n");
}

/**
 * Write an rpdvt cluster: the definition (cluster.json) and one folder per operator with its share
 * keystores and password. Atomic: nothing is left at `outDir` if anything fails.
 *
 * Interrupted runs: the folder is built in one temporary sibling (util/fs.ts), and the slow part
 * (one KDF per share keystore) writes only ciphertext under fresh 256-bit passwords that exist
 * only in memory; the n password files are written in the last step, milliseconds before the
 * rename. A run killed while encrypting therefore leaves no operator's secret on disk (nothing
 * decrypts without the passwords), and the next `keys split` removes the leftover and says so.
 *
 * @example
 * await writeCluster("/out/cluster", validators, {
 *   operators: [{ id: 1 }, { id: 2 }, { id: 3 }, { id: 4 }],
 *   feeRecipients: "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
 * });
 */
export async function writeCluster(
  outDir: string,
  validators: readonly SplitValidator[],
  opts: ClusterWriteOptions,
): Promise<{ out: string; files: number }> {
  const ids = assertSplitValidators(validators);
  const kdf = opts.kdf ?? "scrypt";
  assertKdfParams(kdf, opts.kdfParams);
  const def = buildDefinition(validators, ids, opts);
  const defText = `${JSON.stringify(def, null, 2)}\n`;
  const passwords = new Map(ids.map((id) => [id, randomPassword()]));
  const jobs = validators.flatMap((sv) => sv.shares.map((share) => ({ sv, share })));
  const dir = resolve(outDir);
  const progress = startProgress("Encrypting share keystores", jobs.length, { quiet: opts.quiet });
  try {
    await writeDirAtomic(dir, async (tmp) => {
      await writeSecretFile(join(tmp, CLUSTER_FILE), defText);
      await writeSecretFile(join(tmp, "README.txt"), readme(def));
      for (const id of ids) {
        const opDir = join(tmp, `operator-${id}`);
        await fsp.mkdir(join(opDir, KEYSTORE_DIR), { recursive: true, mode: SECRET_DIR_MODE });
        await writeSecretFile(join(opDir, CLUSTER_FILE), defText);
      }
      // The slow part writes ciphertext only: every password stays in memory until the last step.
      await mapConcurrent(jobs, kdfConcurrency(kdf, opts.kdfParams), async ({ sv, share }) => {
        const validator = toHex(sv.pubkey);
        const ks = await encryptKeystore(share.secret, passwords.get(share.id) as string, {
          pubkey: share.pubkey,
          path: "",
          description: `rpdvt share of validator ${validator} for operator ${share.id}`,
          kdf,
          kdfParams: opts.kdfParams,
        });
        const file = join(tmp, `operator-${share.id}`, KEYSTORE_DIR, shareFileName(validator));
        await writeSecretFile(file, `${JSON.stringify(ks, null, 2)}\n`);
        progress.tick();
      });
      for (const id of ids) {
        await writeSecretFile(
          join(tmp, `operator-${id}`, PASSWORD_FILE),
          passwords.get(id) as string,
        );
      }
    });
  } finally {
    progress.stop();
  }
  return { out: dir, files: 2 + ids.length * 2 + jobs.length };
}

/** What {@link setClusterIdentities} changed. */
export type SetIdentitiesResult = {
  previousHash: string;
  hash: string;
  /** cluster.json files rewritten (the output root's last). */
  files: string[];
  /** Operators whose identity was set or replaced. */
  changed: number[];
  /** Operators still without an identity (`node run` refuses to start until every one has one). */
  missing: number[];
};

/**
 * Set operators' p2p identities (libp2p secp256k1 peer ids, as `rpdvt node identity --json`
 * prints `peerId`) in an existing cluster output and recompute the definition hash. `path` is the
 * output root (its cluster.json and every operator-<id>/cluster.json are rewritten, which must be
 * identical first), one operator folder, or a cluster.json file. Each file is replaced atomically
 * (temp + rename); operator folders first, the root's last, so a rerun after an interruption
 * converges: the result depends only on the definition and the peer ids.
 *
 * @example
 * const { hash } = await setClusterIdentities("/out/cluster", new Map([[1, "16Uiu2HA…"], [2, "16Uiu2HA…"]]));
 */
export async function setClusterIdentities(
  path: string,
  identities: ReadonlyMap<number, string>,
): Promise<SetIdentitiesResult> {
  const target = resolve(path);
  const stat = await fsp.stat(target).catch(() => null);
  if (stat === null) {
    throw new InputError("Cluster path does not exist", {
      file: target,
      field: "--cluster",
      metaMessages: ["Give the keys split output folder, an operator folder or a cluster.json."],
    });
  }
  let files: string[];
  let root: string | undefined;
  if (stat.isFile()) files = [target];
  else {
    const names = (await listDir(target)) ?? [];
    const opDirs = names.filter((n) => /^operator-[0-9]+$/.test(n)).sort();
    if (opDirs.length) root = target;
    files = [...opDirs.map((n) => join(target, n, CLUSTER_FILE)), join(target, CLUSTER_FILE)];
  }
  const defs = await Promise.all(files.map((f) => readClusterDefinition(f)));
  const def = defs[defs.length - 1] as ClusterDefinition;
  defs.forEach((d, i) => {
    if (d.hash !== def.hash) {
      throw new VerificationError(`${files[i]} differs from ${files[files.length - 1]}`, {
        metaMessages: [
          `Hashes: ${d.hash} vs ${def.hash}`,
          "Every operator folder must hold the same definition: fix that first (rpdvt keys verify).",
        ],
      });
    }
  });
  const ids = def.operators.map((o) => o.id);
  const unknown = [...identities.keys()].filter((id) => !ids.includes(id));
  if (unknown.length) {
    throw new InputError(`Operator(s) ${unknown.join(",")} are not in this cluster`, {
      field: "--peer-ids",
      metaMessages: [`The cluster's operators are ${ids.join(",")}.`],
    });
  }
  const changed: number[] = [];
  const operators = def.operators.map((o) => {
    const next = identities.get(o.id);
    if (next === undefined || next === o.identity) return o;
    publicKeyFromIdentity(next, `--peer-ids (operator ${o.id})`);
    changed.push(o.id);
    return { ...o, identity: next };
  });
  const seen = new Map<string, number>();
  for (const o of operators) {
    if (o.identity === null) continue;
    const other = seen.get(o.identity);
    if (other !== undefined) {
      throw new InputError(`Operators ${other} and ${o.id} would have the same peer id`, {
        field: "--peer-ids",
        metaMessages: ["Each operator runs `rpdvt node identity` on its own machine."],
      });
    }
    seen.set(o.identity, o.id);
  }
  const { hash: previousHash, ...rest } = def;
  const plain = JSON.parse(JSON.stringify({ ...rest, operators })) as Record<string, unknown>;
  const next = { ...plain, hash: clusterDefinitionHash(plain) } as ClusterDefinition;
  const missing = operators.filter((o) => o.identity === null).map((o) => o.id);
  if (changed.length === 0) {
    return { previousHash, hash: previousHash, files: [], changed, missing };
  }
  const text = `${JSON.stringify(next, null, 2)}\n`;
  for (const f of files) await writeFileAtomic(f, text, { mode: SECRET_FILE_MODE });
  if (root) {
    await writeFileAtomic(join(root, "README.txt"), readme(next), { mode: SECRET_FILE_MODE });
  }
  return { previousHash, hash: next.hash, files, changed, missing };
}

/**
 * Read and check a cluster definition: schema (unknown members rejected), hash, operator ids
 * ascending/unique with n = 3F+1, threshold = 2F+1, every validator's shares listed in operator
 * order, EIP-55 fee recipients, no validator twice. Does not interpolate (see
 * verifyDefinitionKeys, which loadOperator and verifyCluster call).
 *
 * @example
 * const def = await readClusterDefinition("/data/operator-11/cluster.json");
 */
export async function readClusterDefinition(file: string): Promise<ClusterDefinition> {
  const json = await readJsonFile(file, outputFileWording(file));
  const def = parseWith(definitionSchema, json, "Not an rpdvt cluster definition", file);
  const computed = clusterDefinitionHash(json as Record<string, unknown>);
  if (computed !== def.hash) {
    throw new VerificationError("Cluster definition hash does not match its contents", {
      details: `file says ${def.hash}, contents hash to ${computed}`,
      metaMessages: [
        `File: ${file}`,
        "Field: hash",
        "The file was edited after rpdvt wrote it, or is corrupt: get the original from the cluster's creator.",
      ],
    });
  }
  const ids = def.operators.map((o) => o.id);
  def.operators.forEach((o, i) => {
    if (o.identity === null) return;
    try {
      publicKeyFromIdentity(o.identity, `operators[${i}].identity`);
    } catch (err) {
      throw new InputError((err as InputError).shortMessage, {
        file,
        field: `operators[${i}].identity`,
        cause: err,
      });
    }
  });
  try {
    assertOperatorIds(ids);
  } catch (err) {
    throw new InputError((err as InputError).shortMessage, {
      file,
      field: "operators",
      cause: err,
    });
  }
  const threshold = thresholdFor(ids.length);
  if (def.threshold !== threshold) {
    throw new InputError(
      `Threshold ${def.threshold} is not 2F+1 = ${threshold} for ${ids.length} operators`,
      {
        file,
        field: "threshold",
      },
    );
  }
  const seen = new Set<string>();
  def.validators.forEach((v, i) => {
    const field = `validators[${i}]`;
    if (seen.has(v.pubkey))
      throw new InputError(`Validator ${v.pubkey} appears twice`, { file, field });
    seen.add(v.pubkey);
    if (v.shares.map((s) => s.operatorId).join(",") !== ids.join(",")) {
      throw new InputError("Shares must list every operator once, in the operators' order", {
        file,
        field: `${field}.shares`,
      });
    }
    if (!isChecksumAddress(v.feeRecipient)) {
      throw new InputError("Fee recipient is not an EIP-55 checksummed address", {
        file,
        field: `${field}.feeRecipient`,
      });
    }
  });
  return def;
}

/**
 * Cryptographic checks of a definition: every public key is a valid G1 subgroup point and each
 * validator's share public keys are a sharing of its public key with threshold exactly t — every
 * share on one polynomial of degree t−1 through the key (so every t of the n operators sign with
 * it), no t−1 shares giving the key, no share equal to it (format-io.ts findShareDefect).
 *
 * @example
 * verifyDefinitionKeys(await readClusterDefinition(file), file);
 */
export function verifyDefinitionKeys(def: ClusterDefinition, file: string): void {
  def.validators.forEach((v, i) => {
    const field = `validators[${i}]`;
    const index = new Map(v.shares.map((s, j) => [s.operatorId, j]));
    const shareField = (id: number) => `${field}.shares[${index.get(id)}].pubkey`;
    assertSharesOfKey(
      fromHex(v.pubkey, { field: `${field}.pubkey`, file }),
      v.shares.map((s) => ({
        id: s.operatorId,
        pubkey: fromHex(s.pubkey, { field: shareField(s.operatorId), file }),
      })),
      def.threshold,
      `validator ${v.pubkey}`,
      [`File: ${file}`, `Field: ${field}.shares`],
      { file, keyField: `${field}.pubkey`, shareField },
    );
  });
}

/** One operator's decrypted shares. */
export type OperatorShares = {
  operatorId: number;
  definition: ClusterDefinition;
  shares: Map<string, Uint8Array>;
};

/**
 * Load one operator folder: check its cluster.json (hash, shape, and every validator's share
 * public keys a threshold-t sharing of its key: {@link verifyDefinitionKeys}), match its keystores
 * to the definition (one per validator, all of one operator), decrypt each once and check it
 * against the listed share public key. `password` defaults to the folder's password.txt.
 * `checkedHash`: the hash of a definition whose keys the caller has just checked (verifyCluster,
 * to check the root definition once and not once per operator).
 *
 * @example
 * const { operatorId, shares } = await loadOperator("/data/operator-11");
 */
export async function loadOperator(
  operatorDir: string,
  password?: string,
  opts: { quiet?: boolean; checkedHash?: string } = {},
): Promise<OperatorShares> {
  const dir = resolve(operatorDir);
  const defFile = join(dir, CLUSTER_FILE);
  const definition = await readClusterDefinition(defFile);
  if (definition.hash !== opts.checkedHash) verifyDefinitionKeys(definition, defFile);
  const ksDir = join(dir, KEYSTORE_DIR);
  const entries = await readShareKeystores(ksDir, definition);
  const operatorId = soleOperator(entries, definition, dir, ksDir);
  const pw = password ?? (await readPasswordFile(join(dir, PASSWORD_FILE)));
  const shares = await decryptShares(entries, pw, operatorId, opts.quiet);
  return {
    operatorId,
    definition,
    shares: new Map(
      definition.validators.map((v) => [v.pubkey, shares.get(v.pubkey) as Uint8Array]),
    ),
  };
}

/** One share keystore of an operator folder, matched to its validator in cluster.json. */
type ShareKeystoreEntry = {
  file: string;
  ks: ReturnType<typeof parseKeystore>;
  claimed: string;
  validator: string;
  operatorId: number;
};

/**
 * Parse every keystore in `ksDir` and match it to a share listed in the definition; a key that is
 * no listed share, or a file not named after its validator, is refused.
 */
async function readShareKeystores(
  ksDir: string,
  definition: ClusterDefinition,
): Promise<ShareKeystoreEntry[]> {
  const names = await listDir(ksDir);
  if (names === null)
    throw new InputError("No keystores folder in the operator folder", { file: ksDir });
  const byShare = new Map<string, { validator: string; operatorId: number }>();
  for (const v of definition.validators) {
    for (const s of v.shares)
      byShare.set(s.pubkey, { validator: v.pubkey, operatorId: s.operatorId });
  }
  const files = names.filter((n) => n.endsWith(".json")).sort();
  return Promise.all(
    files.map(async (name) => {
      const file = join(ksDir, name);
      const ks = parseKeystore(await readJsonFile(file, outputFileWording(file)), file);
      const claimed = `0x${(ks.pubkey ?? "").replace(/^0x/, "").toLowerCase()}`;
      const where = byShare.get(claimed);
      if (!where) {
        throw new VerificationError(
          "Keystore holds a key that is not a share listed in cluster.json",
          {
            metaMessages: [
              `File: ${file}`,
              "Field: pubkey",
              "It belongs to another cluster, or the file was edited.",
            ],
          },
        );
      }
      if (name !== shareFileName(where.validator)) {
        throw new InputError(
          `Keystore of validator ${where.validator} should be named ${shareFileName(where.validator)}`,
          {
            file,
          },
        );
      }
      return { file, ks, claimed, ...where };
    }),
  );
}

/**
 * The one operator whose shares the folder holds: refused if shares of two operators are mixed
 * (a swapped file) or a validator of the definition has no share here.
 */
function soleOperator(
  entries: readonly ShareKeystoreEntry[],
  definition: ClusterDefinition,
  dir: string,
  ksDir: string,
): number {
  const owners = [...new Set(entries.map((e) => e.operatorId))];
  if (owners.length > 1) {
    throw new VerificationError(
      `Keystores in ${dir} belong to operators ${owners.sort((a, b) => a - b).join(" and ")}`,
      {
        metaMessages: [
          "A share was swapped with another operator's: each folder holds one operator's shares only.",
        ],
      },
    );
  }
  const operatorId = owners[0];
  const missing = definition.validators.filter(
    (v) => !entries.some((e) => e.validator === v.pubkey),
  );
  if (operatorId === undefined || missing.length) {
    throw new InputError(`Missing share keystore(s) for ${missing.length} validator(s)`, {
      file: ksDir,
      details: missing.map((v) => v.pubkey).join(", "),
    });
  }
  return operatorId;
}

/**
 * Decrypt the share keystores (KDF-bounded concurrency, progress shown), each checked against
 * its share pubkey; validator pubkey → share secret. On failure every decrypted secret is zeroed.
 */
async function decryptShares(
  entries: readonly ShareKeystoreEntry[],
  pw: string,
  operatorId: number,
  quiet: boolean | undefined,
): Promise<Map<string, Uint8Array>> {
  const kdf: KdfChoice = entries[0]?.ks.crypto.kdf.function ?? "scrypt";
  const progress = startProgress(`Decrypting shares of operator ${operatorId}`, entries.length, {
    quiet,
  });
  const shares = new Map<string, Uint8Array>();
  try {
    await mapConcurrent(entries, kdfConcurrency(kdf, { n: 2 ** 18 }), async (e) => {
      const secret = await decryptKeystore(e.ks, pw, e.file);
      if (!bytesEqual(publicKeyOf(secret), fromHex(e.claimed))) {
        secret.fill(0);
        throw new VerificationError(
          "Decrypted share does not match the share public key in cluster.json",
          {
            metaMessages: [`File: ${e.file}`, "Field: pubkey"],
          },
        );
      }
      shares.set(e.validator, secret);
      progress.tick();
    });
  } catch (err) {
    for (const s of shares.values()) s.fill(0);
    throw err;
  } finally {
    progress.stop();
  }
  return shares;
}

/**
 * Decrypt one operator's shares: validator pubkey (0x-hex) → this operator's 32-byte share
 * secret. For the DV node; see {@link loadOperator} for the operator id and definition too.
 *
 * @example
 * const shares = await loadOperatorShares("/data/operator-11");
 * const secret = shares.get("0xabc…");
 */
export async function loadOperatorShares(
  operatorDir: string,
  password?: string,
): Promise<Map<string, Uint8Array>> {
  return (await loadOperator(operatorDir, password, { quiet: true })).shares;
}

/**
 * Verify an rpdvt cluster. `path` may be the whole output (cluster.json + operator-<id>/ folders:
 * every operator is checked), one operator folder, or a cluster.json file (definition only).
 * Checks: hash, schema, ids ascending/unique, threshold 2F+1, every share public key on one
 * polynomial of degree exactly t−1 through its validator key (verifyDefinitionKeys), identical
 * definitions, keystores decrypt and match.
 *
 * @example
 * const report = await verifyCluster("/out/cluster");
 */
export async function verifyCluster(
  path: string,
  opts: { quiet?: boolean } = {},
): Promise<VerifyReport> {
  const target = resolve(path);
  const stat = await fsp.stat(target).catch(() => null);
  if (stat === null) throw new InputError("Path does not exist", { file: target });
  const checks: string[] = [];
  let def: ClusterDefinition;
  if (stat.isFile()) {
    def = await readClusterDefinition(target);
    verifyDefinitionKeys(def, target);
  } else {
    const names = (await listDir(target)) ?? [];
    const opDirs = names.filter((n) => /^operator-[0-9]+$/.test(n));
    if (opDirs.length === 0) {
      const op = await loadOperator(target, undefined, opts);
      for (const s of op.shares.values()) s.fill(0);
      def = op.definition;
      checks.push(
        `operator ${op.operatorId}: all ${def.validators.length} share keystores decrypt and match cluster.json`,
      );
    } else {
      const topFile = join(target, CLUSTER_FILE);
      def = await readClusterDefinition(topFile);
      verifyDefinitionKeys(def, topFile);
      const ids = def.operators.map((o) => o.id);
      const found = opDirs.map((n) => Number(n.slice("operator-".length))).sort((a, b) => a - b);
      if (found.join(",") !== ids.join(",")) {
        throw new InputError("Operator folders do not match the operators in cluster.json", {
          file: target,
          details: `folders ${found.join(",")}; operators ${ids.join(",")}`,
        });
      }
      for (const id of ids) {
        const opDir = join(target, `operator-${id}`);
        const op = await loadOperator(opDir, undefined, { ...opts, checkedHash: def.hash });
        for (const s of op.shares.values()) s.fill(0);
        if (op.definition.hash !== def.hash) {
          throw new VerificationError(`operator-${id}/cluster.json differs from ${CLUSTER_FILE}`, {
            metaMessages: [
              `File: ${join(opDir, CLUSTER_FILE)}`,
              `Hashes: ${op.definition.hash} vs ${def.hash}`,
            ],
          });
        }
        if (op.operatorId !== id) {
          throw new VerificationError(
            `${basename(opDir)} holds the shares of operator ${op.operatorId}`,
            {
              metaMessages: ["Operator folders were swapped or renamed."],
            },
          );
        }
      }
      checks.push(
        `all ${ids.length} operator folders: cluster.json identical, keystores decrypt and match`,
      );
    }
  }
  return {
    format: CLUSTER_FORMAT,
    file: target,
    validators: def.validators.length,
    operators: def.operators.map((o) => o.id),
    threshold: def.threshold,
    checks: [
      `definition hash ${def.hash} matches its contents`,
      "operator ids unique and ascending; threshold = 2F+1",
      "fee recipients EIP-55; no validator twice",
      `share public keys are G1 subgroup points, each validator's on one polynomial of degree exactly ${def.threshold - 1} through its key: every ${def.threshold} of the ${def.operators.length} operators recover it, no ${def.threshold - 1} do, no share is the key (${def.validators.length})`,
      ...checks,
    ],
  };
}

/**
 * Cheap sniff: a cluster.json file, or a folder holding cluster.json (output root or operator
 * folder), whose `version` is rpdvt-cluster/v1.
 *
 * @example
 * if (await detectCluster(path)) report = await verifyCluster(path);
 */
export async function detectCluster(path: string): Promise<boolean> {
  const stat = await fsp.stat(path).catch(() => null);
  if (stat === null) return false;
  const file = stat.isDirectory() ? join(path, CLUSTER_FILE) : path;
  try {
    const json = JSON.parse(await fsp.readFile(file, "utf8"));
    return json?.version === CLUSTER_VERSION;
  } catch {
    return false;
  }
}
