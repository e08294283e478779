/**
 * A validator's BLS key pair as rpdvt reads it from a Rocket Pool wallet, keystores or a split
 * (EIP-2333 secret, 48-byte compressed public key).
 */

/** A validator key to split: the full secret and its public key. */
export type ValidatorKey = {
  pubkey: Uint8Array;
  secret: Uint8Array;
  /** EIP-2334 path if derived from a seed, e.g. "m/12381/3600/3/0/0". */
  path?: string | undefined;
  /** Where the key came from (e.g. "wallet", "custom-keys/x.json"). */
  source?: string | undefined;
};
