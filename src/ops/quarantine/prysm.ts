/**
 * Prysm's single account store in the Smartnode layout (rocket-pool/smartnode
 * shared/services/wallet/keystore/prysm/keystore.go; paths in src/rocketpool/layout.ts PRYSM):
 * `validators/prysm-non-hd/direct/accounts/all-accounts.keystore.json` is an EIP-2335 `crypto`
 * (pbkdf2 by default) whose plaintext is `{"private_keys":[b64…],"public_keys":[b64…]}`, with its
 * password in `…/accounts/secret`. A key cannot be moved out of it as a file: the store is
 * rewritten without the migrated keys (same KDF function and parameters, fresh salt and IV, same
 * uuid), and the original is kept byte-for-byte in the quarantine for rollback.
 */
import { join } from "node:path";
import { decryptCrypto, encryptCrypto } from "../../crypto/eip2335.js";
import {
  prysmAccountStoreSchema,
  prysmKeystoreJson,
  prysmKeystoreSchema,
} from "../../rocketpool/formats.js";
import { PRYSM, smartnodeFile } from "../../rocketpool/layout.js";
import { parseJsonText, readInputFile } from "../../util/json-file.js";
import { parseWith } from "../../util/schema.js";

/** A decrypted Prysm store: public keys (lowercase hex, no 0x) in store order. */
export type PrysmStore = {
  uuid: string | undefined;
  kdf: "scrypt" | "pbkdf2";
  kdfParams: { n?: number; c?: number };
  privateKeys: string[];
  publicKeys: string[];
  /** Lowercase hex of each public key (no 0x). */
  hexes: string[];
};

/**
 * Decrypt a Prysm store from its file text (password from `accounts/secret` of `dataDir`).
 *
 * @example
 * const store = await openPrysmStoreText(dataDir, text, file);
 * store.hexes // ["93ab…", …]
 */
export async function openPrysmStoreText(
  dataDir: string,
  text: string,
  file: string,
): Promise<PrysmStore> {
  const ks = parseWith(
    prysmKeystoreSchema,
    parseJsonText(text, file, smartnodeFile("Prysm account store")),
    "Not a valid Prysm account keystore",
    file,
  );
  const password = await readInputFile(
    join(dataDir, PRYSM.password),
    smartnodeFile("Prysm account store password file"),
  );
  const plain = await decryptCrypto(ks.crypto, password, { file });
  const store = parseWith(
    prysmAccountStoreSchema,
    parseJsonText(Buffer.from(plain), file, { sensitive: true }),
    "Prysm account store does not decrypt to {private_keys, public_keys}",
    file,
  );
  plain.fill(0);
  const publicKeys = store.public_keys ?? [];
  const k = ks.crypto.kdf;
  return {
    uuid: ks.uuid,
    kdf: k.function,
    kdfParams: k.function === "pbkdf2" ? { c: k.params.c } : { n: k.params.n },
    privateKeys: store.private_keys ?? [],
    publicKeys,
    hexes: publicKeys.map((b) => Buffer.from(b, "base64").toString("hex")),
  };
}

/**
 * The store's file text without the keys in `remove` (lowercase hex, no 0x), re-encrypted with
 * the same password and KDF parameters.
 *
 * @example
 * const text = await prysmStoreWithout(dataDir, store, new Set(["93ab…"]));
 */
export async function prysmStoreWithout(
  dataDir: string,
  store: PrysmStore,
  remove: ReadonlySet<string>,
): Promise<string> {
  const keep = store.hexes.map((h, i) => (remove.has(h) ? -1 : i)).filter((i) => i >= 0);
  const plain = new TextEncoder().encode(
    JSON.stringify({
      private_keys: keep.map((i) => store.privateKeys[i]),
      public_keys: keep.map((i) => store.publicKeys[i]),
    }),
  );
  const password = await readInputFile(
    join(dataDir, PRYSM.password),
    smartnodeFile("Prysm account store password file"),
  );
  const crypto = await encryptCrypto(plain, password, store.kdf, store.kdfParams);
  plain.fill(0);
  return prysmKeystoreJson({ crypto, uuid: store.uuid ?? "" });
}
