/**
 * SSV operator keys as users give them.
 *
 * Public keys: `ID=BASE64` pairs (the base64 operator key the SSV explorer/API shows), or an
 * `operators_info.json` as ssv-dkg's initiator reads it (ssvlabs/ssv-dkg
 * examples/initiator/operators_info.json: `[{id, public_key, ip}]`).
 *
 * Private keys (only to verify a keyshares file end to end): a directory holding, per operator,
 * either a PEM RSA private key, or ssv-dkg's encrypted key (ssvlabs/ssv-dkg
 * examples/operatorN/encrypted_private_key.json: an EIP-2335 `crypto` object — kdf, checksum,
 * cipher at top level — whose plaintext is the PEM) with its password file. Keys are matched to
 * operators later by public key, never by file name.
 */

import type { KeyObject } from "node:crypto";
import { promises as fsp } from "node:fs";
import { basename, join } from "node:path";
import { z } from "zod";
import { decryptCrypto, keystoreCryptoSchema } from "../crypto/eip2335.js";
import { parseOperatorPrivateKey, parseOperatorPublicKey, publicKeyId } from "../crypto/rsa.js";
import { InputError } from "../errors.js";
import { readInputFile, readJsonFile, sameWording } from "../util/json-file.js";
import { parseWith } from "../util/schema.js";

/**
 * An operator as `buildSsvKeyshares` takes it: id and base64 PEM public key.
 *
 * @example
 * const op: SsvOperatorKey = { id: 11, publicKey: "LS0tLS1CRUdJTiBSU0EgUFVCTElDIEtFWS0tLS0t…" };
 */
export type SsvOperatorKey = { id: number; publicKey: string };

/**
 * An operator private key found on disk, with the identity (SPKI hex) of its public key.
 *
 * @example
 * const byKeyId = new Map(keys.map((k: OperatorPrivateKey) => [k.keyId, k.key]));
 */
export type OperatorPrivateKey = { file: string; key: KeyObject; keyId: string };

function parseId(text: string, where: { file?: string; field?: string }): number {
  const id = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(id) || id < 1) {
    throw new InputError(`Operator id ${JSON.stringify(text)} is not a positive integer`, where);
  }
  return id;
}

/**
 * Parse `ID=BASE64` operator arguments; every key is checked to be an RSA-2048 public key.
 *
 * @example
 * const ops = parseOperatorPairs(["11=LS0tLS1CRUdJTi…", "22=LS0tLS1CRUdJTi…"]);
 */
export function parseOperatorPairs(pairs: readonly string[]): SsvOperatorKey[] {
  return pairs.map((pair, i) => {
    const eq = pair.indexOf("=");
    const field = `operator ${i + 1}`;
    if (eq < 1) {
      throw new InputError(`Operator argument ${i + 1} is not ID=BASE64_PUBLIC_KEY`, {
        field,
        metaMessages: ["Example: 11=LS0tLS1CRUdJTiBSU0EgUFVCTElDIEtFWS0tLS0t…"],
      });
    }
    const id = parseId(pair.slice(0, eq).trim(), { field });
    const publicKey = pair.slice(eq + 1).trim();
    parseOperatorPublicKey(publicKey, { operatorId: id, field });
    return { id, publicKey };
  });
}

const operatorsInfoSchema = z
  .array(z.object({ id: z.number().int().min(1), public_key: z.string().min(1) }).passthrough())
  .min(1);

/**
 * Read an `operators_info.json`-shaped file (`[{id, public_key}]`, extra fields ignored). With
 * `ids`, returns just those operators (all must be present), ascending; otherwise all of them.
 *
 * @example
 * const ops = await readOperatorsInfo("operators_info.json", [11, 22, 33, 44]);
 */
export async function readOperatorsInfo(
  file: string,
  ids?: readonly number[],
): Promise<SsvOperatorKey[]> {
  const json = await readJsonFile(file, sameWording("Cannot read the operators file as JSON"));
  const info = parseWith(
    operatorsInfoSchema,
    json,
    "Not an operators_info.json list of {id, public_key}",
    file,
  );
  const all = info.map((o, i) => {
    parseOperatorPublicKey(o.public_key, { operatorId: o.id, file, field: `[${i}].public_key` });
    return { id: o.id, publicKey: o.public_key };
  });
  if (!ids) return all;
  return [...ids]
    .sort((a, b) => a - b)
    .map((id) => {
      const found = all.find((o) => o.id === id);
      if (!found) {
        throw new InputError(`Operator ${id} is not in the operators file`, {
          file,
          metaMessages: [`The file lists ${all.map((o) => o.id).join(", ")}.`],
        });
      }
      return found;
    });
}

/** How an unreadable file in the operator keys folder is reported (which file, what to do). */
function operatorKeyFileWording(dir: string, what: string) {
  return {
    ...sameWording(`Cannot read ${what} in the operator private keys folder`),
    hints: [`Every file in ${dir} is read (PEM keys, ssv-dkg encrypted keys and their passwords).`],
    permissionHints: [
      "Make it readable by the user running rpdvt (e.g. chmod 600 as its owner, or run as that user), or move it out of the folder if it is not an operator key.",
    ],
  };
}

/** Password file candidates for an encrypted key file, most specific first. */
function passwordCandidates(dir: string, name: string, names: Set<string>): string[] {
  const stem = name.replace(/\.json$/i, "");
  const digits = /(\d+)$/.exec(stem)?.[1];
  const candidates = [
    `${stem}.password`,
    `${stem}.pw`,
    `${stem}.txt`,
    digits !== undefined ? `pw${digits}` : "",
    digits !== undefined ? `password${digits}` : "",
    "password",
  ];
  return candidates.filter((c) => c !== "" && names.has(c)).map((c) => join(dir, c));
}

/**
 * Load every operator private key in `dir`: PEM files (any name) and ssv-dkg encrypted key JSON
 * files, whose password is read from `<stem>.password`, `pw<N>` (opN.json, ssv-dkg test layout)
 * or `password` (ssv-dkg operator layout). Other files are ignored. Decryption runs concurrently
 * (pbkdf2 on libuv's thread pool).
 *
 * @example
 * const keys = await loadOperatorPrivateKeys("../shared/vectors/ssv/dkg-operators");
 */
export async function loadOperatorPrivateKeys(dir: string): Promise<OperatorPrivateKey[]> {
  let names: string[];
  try {
    names = (await fsp.readdir(dir, { withFileTypes: true }))
      .filter((d) => d.isFile())
      .map((d) => d.name);
  } catch (err) {
    throw new InputError("Cannot read the operator private keys directory", {
      file: dir,
      cause: err,
    });
  }
  const nameSet = new Set(names);
  const loaded = await Promise.all(
    names.sort().map(async (name): Promise<OperatorPrivateKey | undefined> => {
      const file = join(dir, name);
      const text = (await readInputFile(file, operatorKeyFileWording(dir, "a file"))).toString(
        "utf8",
      );
      if (/-----BEGIN (RSA )?PRIVATE KEY-----/.test(text)) {
        const key = parseOperatorPrivateKey(text, { file });
        return { file, key, keyId: publicKeyId(key) };
      }
      if (!name.toLowerCase().endsWith(".json")) return undefined;
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        return undefined;
      }
      const wrapped =
        typeof json === "object" && json !== null && "crypto" in json ? json.crypto : json;
      const parsed = keystoreCryptoSchema.safeParse(wrapped);
      if (!parsed.success) return undefined;
      const pwFile = passwordCandidates(dir, name, nameSet)[0];
      if (!pwFile) {
        throw new InputError("No password file for an encrypted operator key", {
          file,
          metaMessages: [
            `Put its password in ${basename(name, ".json")}.password (or "password") next to it.`,
          ],
        });
      }
      const password = (await readInputFile(pwFile, operatorKeyFileWording(dir, "a password file")))
        .toString("utf8")
        .replace(/\r?\n$/, "");
      const pem = Buffer.from(await decryptCrypto(parsed.data, password, { file })).toString(
        "utf8",
      );
      const key = parseOperatorPrivateKey(pem, { file });
      return { file, key, keyId: publicKeyId(key) };
    }),
  );
  const keys = loaded.filter((k): k is OperatorPrivateKey => k !== undefined);
  if (keys.length === 0) {
    throw new InputError("No operator private keys found", {
      file: dir,
      metaMessages: [
        "Expected PEM RSA private keys, or ssv-dkg encrypted_private_key.json files with a password file.",
      ],
    });
  }
  return keys;
}
