/**
 * A removed operator's deletion statement (issue 16: "a removed operator's signed statement that
 * it deleted its share is recorded, and is not a proof"). The operator signs, with its p2p
 * identity key (secp256k1, the key its peer id in the OLD cluster definition names:
 * crypto/secp256k1.ts ECDSA over sha256), the statement that it deleted its key shares of that
 * cluster. `rpdvt cluster replace-operator --deletion-statement` and `rpdvt cluster
 * record-deletion` verify the signature against the old definition and store the file under
 * <new cluster>/deletion-statements/operator-<id>.json.
 *
 * What it is: evidence of WHO said WHAT and WHEN (non-repudiable by that identity key). What it
 * is not: a proof of deletion — nobody can prove a copy is gone; t old shares still rebuild the
 * key. Format (rpdvt-deletion-statement/v1), signed bytes = canonical JSON (util/canonical-json.ts)
 * of every member except `signature`:
 *   { version, clusterHash, operatorId, peerId, validators (count), statement, signedAt, signature (0x, 64 bytes r‖s) }
 */
import { promises as fsp } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { ecdsaSigner, ecdsaVerifier, publicKeyFromIdentity } from "../crypto/secp256k1.js";
import { InputError, VerificationError } from "../errors.js";
import { canonicalJson } from "../util/canonical-json.js";
import { writeFileAtomic } from "../util/fs.js";
import { fromHex, toHex } from "../util/hex.js";
import { fileWording, readJsonFile } from "../util/json-file.js";
import { parseWith } from "../util/schema.js";
import type { ClusterDefinition } from "./cluster.js";

export const DELETION_STATEMENT_VERSION = "rpdvt-deletion-statement/v1";
/** Folder of recorded statements inside the new cluster output. */
export const DELETION_DIR = "deletion-statements";

const statementSchema = z.strictObject({
  version: z.literal(DELETION_STATEMENT_VERSION),
  clusterHash: z.string().regex(/^0x[0-9a-f]{64}$/, "must be 0x + 32 bytes of lowercase hex"),
  operatorId: z.number().int().positive(),
  peerId: z.string(),
  validators: z.number().int().nonnegative(),
  statement: z.string(),
  signedAt: z.string().refine((s) => !Number.isNaN(Date.parse(s)), "must be an ISO 8601 date"),
  signature: z.string().regex(/^0x[0-9a-f]{128}$/, "must be 0x + 64 bytes of lowercase hex"),
});

/** A deletion statement (see the module header). */
export type DeletionStatement = z.infer<typeof statementSchema>;

const signedBytes = (s: Omit<DeletionStatement, "signature">): Uint8Array =>
  new TextEncoder().encode(canonicalJson({ ...s, signature: undefined }, { undefined: "omit" }));

/**
 * Sign a deletion statement for operator `operatorId` of the cluster `def` with its identity key.
 *
 * @example
 * const s = signDeletionStatement(oldDef, 4, identity.secretKey, identity.peerId);
 */
export function signDeletionStatement(
  def: ClusterDefinition,
  operatorId: number,
  secretKey: Uint8Array,
  peerId: string,
  now = new Date(),
): DeletionStatement {
  const op = def.operators.find((o) => o.id === operatorId);
  if (!op) {
    throw new InputError(`Operator ${operatorId} is not in the cluster`, {
      field: "--operator-id",
      metaMessages: [`The cluster's operators are ${def.operators.map((o) => o.id).join(",")}.`],
    });
  }
  if (op.identity !== peerId) {
    throw new InputError(`The identity is not operator ${operatorId}'s in the cluster definition`, {
      field: "--identity",
      metaMessages: ["Sign with the identity file this operator ran its node with."],
    });
  }
  const body = {
    version: DELETION_STATEMENT_VERSION,
    clusterHash: def.hash,
    operatorId,
    peerId,
    validators: def.validators.length,
    statement: `Operator ${operatorId} states that it has deleted every copy of its key shares (share keystores and password) of cluster ${def.hash}, ${def.validators.length} validator(s).`,
    signedAt: now.toISOString(),
  } as const;
  return { ...body, signature: toHex(ecdsaSigner(secretKey)(signedBytes(body))) };
}

/**
 * Read a statement file and verify it against the OLD cluster definition: its hash, the operator
 * being one of it, the peer id being that operator's, and the ECDSA signature.
 *
 * @example
 * const s = await readDeletionStatement("op4-deleted.json", oldDef);
 */
export async function readDeletionStatement(
  file: string,
  oldDef: ClusterDefinition,
): Promise<DeletionStatement> {
  const json = await readJsonFile(file, fileWording("deletion statement"));
  const s = parseWith(statementSchema, json, "Not an rpdvt deletion statement", file);
  const fail = (msg: string, field: string) =>
    new VerificationError(msg, { metaMessages: [`File: ${file}`, `Field: ${field}`] });
  if (s.clusterHash !== oldDef.hash) {
    throw fail(
      `The statement is about cluster ${s.clusterHash}, not ${oldDef.hash}`,
      "clusterHash",
    );
  }
  const op = oldDef.operators.find((o) => o.id === s.operatorId);
  if (!op) throw fail(`Operator ${s.operatorId} is not in cluster ${oldDef.hash}`, "operatorId");
  if (op.identity === null || op.identity !== s.peerId) {
    throw fail(`peerId is not operator ${s.operatorId}'s identity in the cluster`, "peerId");
  }
  const { signature, ...body } = s;
  const ok = ecdsaVerifier(publicKeyFromIdentity(op.identity))(
    signedBytes(body),
    fromHex(signature, { field: "signature", file, length: 64 }),
  );
  if (!ok)
    throw fail("The signature does not verify with the operator's identity key", "signature");
  return s;
}

/**
 * Store a verified statement in the new cluster output (atomic; not a secret).
 *
 * @example
 * const path = await recordDeletionStatement("/out/cluster-v2", s);
 */
export async function recordDeletionStatement(
  newOut: string,
  s: DeletionStatement,
): Promise<string> {
  const dir = join(newOut, DELETION_DIR);
  await fsp.mkdir(dir, { recursive: true, mode: 0o755 });
  const path = join(dir, `operator-${s.operatorId}.json`);
  await writeFileAtomic(path, `${JSON.stringify(s, null, 2)}\n`, { mode: 0o644 });
  return path;
}
