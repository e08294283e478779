/**
 * Operator identity keys: one secp256k1 key per operator that is both its libp2p peer id and its
 * QBFT message signing key (src/core/consensus/signer.ts), as Charon's k1 "ENR key" is both
 * (charon/p2p/k1.go, core/consensus/qbft/msg.go). The two uses are domain-separated: Noise signs
 * "noise-libp2p-static-key:" ‖ static key (libp2p noise spec, "Static Key Authentication") and
 * QBFT signs "rpdvt/qbft/v1" ‖ payload (codec.ts SIGNING_DOMAIN), both sha256-prehashed.
 *
 * Keys and peer ids (libp2p peer-id spec, "Keys": the 33-byte compressed point; "16Uiu2HAm…",
 * 53 chars) are src/crypto/secp256k1.ts's; this module holds the identity and its file.
 *
 * Identity file (rpdvt-identity/v1), JSON, mode 0600, written atomically, never overwritten:
 *   { "version": "rpdvt-identity/v1", "type": "secp256k1",
 *     "privateKey": "0x" + 32-byte big-endian scalar (lowercase hex),
 *     "publicKey": "0x" + 33-byte compressed point, "peerId": "16Uiu2HA…" }
 * publicKey and peerId are derived from privateKey and checked on load (they catch corruption
 * and hand edits, and let an operator read their identity without tools). JSON rather than the
 * libp2p protobuf private key: readable, versioned, like every other rpdvt file.
 *
 * Cluster definition: an operator's `identity` is its peer id string (self-describing key type,
 * the string libp2p prints and puts in /p2p/ multiaddrs, losslessly convertible to the 33-byte
 * key; crypto/secp256k1.ts `publicKeyFromIdentity` reads it and also accepts the 0x-hex key).
 */
import { promises as fsp } from "node:fs";
import { z } from "zod";
import {
  assertSecretKey,
  generateSecretKey,
  isValidSecretKey,
  peerIdOfPublicKey,
  publicKeyOf,
  SECP256K1_SECRET_LENGTH,
} from "../crypto/secp256k1.js";
import { InputError } from "../errors.js";
import { assertAbsent, SECRET_FILE_MODE, writeFileAtomic } from "../util/fs.js";
import { fromHex, toHex } from "../util/hex.js";

/**
 * `version` of an identity file.
 *
 * @example
 * JSON.parse(text).version === IDENTITY_FILE_VERSION
 */
export const IDENTITY_FILE_VERSION = "rpdvt-identity/v1";

/**
 * An operator identity: the secret scalar, its compressed public key and libp2p peer id.
 *
 * @example
 * const id = generateIdentity();
 * console.log(id.peerId, toHex(id.publicKey));
 */
export type NodeIdentity = {
  /** 32-byte secp256k1 secret key. Secret: never log or put in errors. */
  readonly secretKey: Uint8Array;
  /** 33-byte compressed public key. */
  readonly publicKey: Uint8Array;
  /** libp2p peer id string ("16Uiu2HA…"). */
  readonly peerId: string;
};

/**
 * The identity of a 32-byte secp256k1 secret key.
 *
 * @example
 * const id = identityFromSecretKey(generateSecretKey());
 */
export function identityFromSecretKey(secretKey: Uint8Array): NodeIdentity {
  assertSecretKey(secretKey);
  const sk = Uint8Array.from(secretKey);
  const publicKey = publicKeyOf(sk);
  return { secretKey: sk, publicKey, peerId: peerIdOfPublicKey(publicKey) };
}

/**
 * A fresh random identity (CSPRNG).
 *
 * @example
 * const id = generateIdentity();
 */
export function generateIdentity(): NodeIdentity {
  return identityFromSecretKey(generateSecretKey());
}

/**
 * The string that goes into the cluster definition's `operators[].identity`: the peer id.
 *
 * @example
 * identityString(id) // "16Uiu2HAm…"
 */
export function identityString(identity: Pick<NodeIdentity, "publicKey">): string {
  return peerIdOfPublicKey(identity.publicKey);
}

/**
 * Serialize an identity file (format in the module header).
 *
 * @example
 * await writeFileAtomic(path, encodeIdentityFile(id), { mode: SECRET_FILE_MODE });
 */
export function encodeIdentityFile(identity: NodeIdentity): string {
  return `${JSON.stringify(
    {
      version: IDENTITY_FILE_VERSION,
      type: "secp256k1",
      privateKey: toHex(identity.secretKey),
      publicKey: toHex(identity.publicKey),
      peerId: identity.peerId,
    },
    null,
    2,
  )}\n`;
}

const fileSchema = z.strictObject({
  version: z.literal(IDENTITY_FILE_VERSION, {
    message: `must be "${IDENTITY_FILE_VERSION}"`,
  }),
  type: z.literal("secp256k1", { message: 'must be "secp256k1"' }),
  privateKey: z.string({ message: "must be a string" }),
  publicKey: z.string({ message: "must be a string" }).optional(),
  peerId: z.string({ message: "must be a string" }).optional(),
});

/**
 * Parse and check an identity file's text. Errors name the file and field, never the key.
 *
 * @example
 * const id = parseIdentityFile(await readFile(path, "utf8"), path);
 */
export function parseIdentityFile(text: string, file?: string): NodeIdentity {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // Not the SyntaxError's message: V8 quotes the surrounding input, which may be the key.
    throw new InputError("Identity file is not valid JSON", {
      file,
      metaMessages: ["The file is corrupt: restore it from your backup."],
    });
  }
  const r = fileSchema.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new InputError("Identity file has an unexpected format", {
      file,
      field: issue?.path.join(".") || undefined,
      details: issue?.code === "unrecognized_keys" ? "unknown field" : issue?.message,
      metaMessages: [
        `Expected a ${IDENTITY_FILE_VERSION} file written by \`rpdvt node identity\`.`,
      ],
    });
  }
  const sk = fromHex(r.data.privateKey, { file, field: "privateKey" });
  if (!isValidSecretKey(sk)) {
    throw new InputError("Identity file privateKey is not a valid secp256k1 secret key", {
      file,
      field: "privateKey",
      details: `expected 0x + ${SECP256K1_SECRET_LENGTH} bytes hex, a scalar in [1, n)`,
    });
  }
  const id = identityFromSecretKey(sk);
  if (r.data.publicKey !== undefined && r.data.publicKey.toLowerCase() !== toHex(id.publicKey)) {
    throw new InputError("Identity file publicKey does not match its privateKey", {
      file,
      field: "publicKey",
      metaMessages: ["The file was edited or is corrupt: restore it from your backup."],
    });
  }
  if (r.data.peerId !== undefined && r.data.peerId !== id.peerId) {
    throw new InputError("Identity file peerId does not match its privateKey", {
      file,
      field: "peerId",
      metaMessages: ["The file was edited or is corrupt: restore it from your backup."],
    });
  }
  return id;
}

/**
 * Write a new identity file: refuses an existing path, writes atomically with mode 0600.
 *
 * @example
 * await writeIdentityFile("/data/rpdvt/identity.json", generateIdentity());
 */
export async function writeIdentityFile(path: string, identity: NodeIdentity): Promise<void> {
  await assertAbsent(path);
  await writeFileAtomic(path, encodeIdentityFile(identity), { mode: SECRET_FILE_MODE });
}

/**
 * Options of {@link loadIdentity}.
 *
 * @example
 * await loadIdentity(path, { onWarning: (m) => log.warn(m) });
 */
export type LoadIdentityOptions = {
  /** Called with non-fatal problems (e.g. file readable by others). Default: stderr. */
  onWarning?: ((message: string) => void) | undefined;
};

/**
 * Read an identity file. Missing/unreadable/corrupt → InputError saying what to do; a file that
 * group or others can access → a warning (the key still loads).
 *
 * @example
 * const id = await loadIdentity("/data/rpdvt/identity.json");
 * const transport = await createP2PTransport({ identity: id, self, peers });
 */
export async function loadIdentity(
  file: string,
  opts: LoadIdentityOptions = {},
): Promise<NodeIdentity> {
  const warn = opts.onWarning ?? ((m: string) => process.stderr.write(`Warning: ${m}\n`));
  let text: string;
  try {
    const st = await fsp.stat(file);
    if (!st.isFile()) {
      throw new InputError("Identity key path is not a file", { file });
    }
    if ((st.mode & 0o077) !== 0) {
      warn(
        `identity key ${file} is accessible by group/others (mode ${(st.mode & 0o777).toString(8).padStart(4, "0")}); run: chmod 600 ${file}`,
      );
    }
    text = await fsp.readFile(file, "utf8");
  } catch (err) {
    if (err instanceof InputError) throw err;
    const code = (err as NodeJS.ErrnoException)?.code;
    throw new InputError(
      code === "ENOENT" ? "Identity key file not found" : "Cannot read identity key file",
      {
        file,
        details: code,
        metaMessages:
          code === "ENOENT"
            ? ["Create one with `rpdvt node identity --out FILE`, or fix the path."]
            : code === "EACCES"
              ? ["Run the node as the user that owns the file."]
              : [],
        cause: err,
      },
    );
  }
  return parseIdentityFile(text, file);
}
