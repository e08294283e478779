/**
 * An rpdvt cluster (rpdvt-cluster/v1, src/keysplit/cluster.ts) for devnet validators: the interop
 * keys of `indices` (src/devnet/interop.ts) split with Shamir across `operatorIds` and written
 * with writeCluster — the keys the rpdvt DV node runs against the Lodestar devnet (validators
 * 48..63 by default: the ones `lodestar dev --startValidators 0..47` leaves alone).
 */
import type { KdfChoice } from "../crypto/eip2335.js";
import { writeCluster } from "../keysplit/cluster.js";
import type { KdfParams } from "../keysplit/format-io.js";
import { splitValidatorKey } from "../keysplit/split.js";
import { interopPublicKey, interopSecretKey } from "./interop.js";

/**
 * Options of {@link createDevnetCluster}.
 *
 * @example
 * await createDevnetCluster({ operatorIds: [1, 2, 3, 4], outDir, feeRecipient });
 */
export type DevnetClusterOptions = {
  /** Interop validator indices to split. Default 48..63. */
  indices?: readonly number[];
  /** Operator ids (n ∈ {4,7,10,13}, ascending). */
  operatorIds: readonly number[];
  /** Output dir (must not exist; written atomically). */
  outDir: string;
  /** Fee recipient of every validator (EIP-55 or lowercase 0x address). */
  feeRecipient: string;
  name?: string;
  /** Keystore KDF (default scrypt with EIP-2335 parameters); tests use lighter params. */
  kdf?: KdfChoice;
  kdfParams?: KdfParams;
  quiet?: boolean;
};

/**
 * Default devnet DV validators: those `lodestar dev --startValidators 0..47` does not run.
 *
 * @example
 * DEVNET_DV_INDICES.length // 16
 */
export const DEVNET_DV_INDICES: readonly number[] = Array.from({ length: 16 }, (_, i) => 48 + i);

/**
 * Split the interop keys of `indices` into an rpdvt cluster at `outDir`.
 *
 * @example
 * const { out, validators } = await createDevnetCluster({
 *   indices: DEVNET_DV_INDICES,
 *   operatorIds: [1, 2, 3, 4],
 *   outDir: "/tmp/devnet-cluster",
 *   feeRecipient: "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
 * });
 */
export async function createDevnetCluster(
  opts: DevnetClusterOptions,
): Promise<{ out: string; files: number; validators: { index: number; pubkey: Uint8Array }[] }> {
  const indices = opts.indices ?? DEVNET_DV_INDICES;
  const split = indices.map((index) => {
    const secret = interopSecretKey(index);
    try {
      return splitValidatorKey(
        { pubkey: interopPublicKey(index), secret, source: `interop key ${index}` },
        opts.operatorIds,
      );
    } finally {
      secret.fill(0);
    }
  });
  const { out, files } = await writeCluster(opts.outDir, split, {
    operators: opts.operatorIds.map((id) => ({ id })),
    feeRecipients: opts.feeRecipient,
    name: opts.name ?? "rpdvt devnet",
    kdf: opts.kdf,
    kdfParams: opts.kdfParams,
    quiet: opts.quiet,
  });
  for (const sv of split) for (const s of sv.shares) s.secret.fill(0);
  return {
    out,
    files,
    validators: split.map((sv, i) => ({ index: indices[i] ?? -1, pubkey: sv.pubkey })),
  };
}
