/**
 * Voluntary exits signed with the COLD key: the full validator key re-derived from the Smartnode
 * wallet seed (EIP-2334 `m/12381/3600/{i}/0/0`, src/crypto/eip2333.ts), never from a share.
 *
 * Signing (consensus-specs phase0 `VoluntaryExit {epoch, validator_index}`;
 * deneb/beacon-chain.md `process_voluntary_exit` as changed by EIP-7044): signing root =
 * hash_tree_root(SigningData(hash_tree_root(exit), domain)), domain =
 * compute_domain(DOMAIN_VOLUNTARY_EXIT, CAPELLA_FORK_VERSION, genesis_validators_root) — always the
 * Capella version, whatever fork is current, so a signed exit stays valid forever. Output is the
 * Beacon API JSON of `SignedVoluntaryExit` (POST /eth/v1/beacon/pool/voluntary_exits).
 *
 * Distributed validators (after migration): the cold-key path still works — the wallet seed is the
 * validator key. The threshold path has each operator's DV software sign a partial exit, combined
 * by the cluster (`rpdvt exit --cluster-nodes`, ./cluster.ts); {@link clusterExitInstructions}
 * prints the command per format.
 */
import { DOMAIN_VOLUNTARY_EXIT } from "@lodestar/params";
import { type phase0, ssz } from "@lodestar/types";
import { computeDomain, computeSigningRoot } from "../../core/domain.js";
import { publicKeyOf, signMessage, verifySignature } from "../../crypto/bls.js";
import { validatorKeyDeriver } from "../../crypto/eip2333.js";
import { BaseError, InputError, VerificationError } from "../../errors.js";
import { resolveDataDir } from "../../rocketpool/datadir.js";
import { ORPHAN_SEARCH_WINDOW } from "../../rocketpool/layout.js";
import { type LoadWalletOptions, loadNodeWallet } from "../../rocketpool/wallet.js";
import { fromHex, toHex } from "../../util/hex.js";

/** The chain facts an exit signature depends on. */
export type ExitChain = {
  genesisValidatorsRoot: Uint8Array;
  /** CAPELLA_FORK_VERSION of the network (4 bytes). */
  capellaForkVersion: Uint8Array;
};

/**
 * Find the Capella fork version in a beacon node's chain info (`spec.CAPELLA_FORK_VERSION`, else
 * the fork named "capella" in the schedule).
 *
 * @example
 * const v = capellaVersionOf(await beacon.chainInfo());
 */
export function capellaVersionOf(chain: {
  spec?: Record<string, unknown>;
  forks: { name: string; version: Uint8Array }[];
}): Uint8Array {
  const s = chain.spec?.CAPELLA_FORK_VERSION;
  if (typeof s === "string" && /^0x[0-9a-fA-F]{8}$/.test(s)) return fromHex(s);
  const f = chain.forks.find((x) => x.name === "capella");
  if (f) return f.version;
  throw new BaseError("The beacon node reports no Capella fork version", {
    metaMessages: [
      "EIP-7044 exits are signed for Capella: use a beacon node of a network past Capella.",
    ],
  });
}

/**
 * The EIP-7044 signing root of a voluntary exit.
 *
 * @example
 * const root = exitSigningRoot({ epoch: 300000, validatorIndex: 42 }, chain);
 */
export function exitSigningRoot(exit: phase0.VoluntaryExit, chain: ExitChain): Uint8Array {
  const domain = computeDomain(
    DOMAIN_VOLUNTARY_EXIT,
    chain.capellaForkVersion,
    chain.genesisValidatorsRoot,
  );
  return computeSigningRoot(ssz.phase0.VoluntaryExit.hashTreeRoot(exit), domain);
}

/**
 * Sign (and self-verify) a voluntary exit.
 *
 * @example
 * const signed = signVoluntaryExit(secret, { epoch: 300000, validatorIndex: 42 }, chain);
 */
export function signVoluntaryExit(
  secret: Uint8Array,
  exit: phase0.VoluntaryExit,
  chain: ExitChain,
): phase0.SignedVoluntaryExit {
  const root = exitSigningRoot(exit, chain);
  const signature = signMessage(secret, root);
  if (!verifySignature(publicKeyOf(secret), root, signature)) {
    throw new VerificationError(
      "The exit signature does not verify (internal error): nothing was submitted",
    );
  }
  return { message: exit, signature };
}

/**
 * Beacon API JSON of a signed exit.
 *
 * @example
 * JSON.stringify(signedExitJson(signed)) // {"message":{"epoch":"…","validator_index":"…"},"signature":"0x…"}
 */
export function signedExitJson(signed: phase0.SignedVoluntaryExit): unknown {
  return ssz.phase0.SignedVoluntaryExit.toJson(signed);
}

/**
 * Re-derive the cold key of `pubkey` (0x-hex) from the Smartnode wallet seed: searches accounts
 * [0, next_account + 100). Only wallet keys can be re-derived; imported (custom) keys cannot.
 *
 * @example
 * const { secret, index } = await coldKeyFromWallet("/home/me/.rocketpool", "0x93ab…");
 */
export async function coldKeyFromWallet(
  rocketpoolDir: string,
  pubkey: string,
  opts: LoadWalletOptions = {},
): Promise<{ secret: Uint8Array; account: number }> {
  const dataDir = await resolveDataDir(rocketpoolDir);
  const wallet = await loadNodeWallet(dataDir, opts);
  if (!wallet) {
    throw new InputError("No Smartnode wallet in this data folder", {
      file: dataDir,
      metaMessages: [
        "The cold key is derived from data/wallet (+ data/password). Recover the wallet first: `rocketpool wallet recover --skip-validator-key-recovery`.",
      ],
    });
  }
  const want = toHex(fromHex(pubkey, { field: "--validator", length: 48 }));
  try {
    const derive = validatorKeyDeriver(wallet.seed);
    for (let i = 0; i < wallet.nextAccount + ORPHAN_SEARCH_WINDOW; i++) {
      const secret = derive(i);
      if (toHex(publicKeyOf(secret)) === want) return { secret, account: i };
      secret.fill(0);
    }
  } finally {
    wallet.seed.fill(0);
  }
  throw new InputError(`Validator ${want} is not derived from this Smartnode wallet`, {
    field: "--validator",
    metaMessages: [
      `Searched wallet accounts 0 … ${wallet.nextAccount + ORPHAN_SEARCH_WINDOW - 1}.`,
      "Imported (custom-keys) validators have no seed: sign their exit with the tool that made their keystore.",
    ],
  });
}

/**
 * How to get a threshold-signed exit from the DV software instead of the cold key.
 *
 * @example
 * clusterExitInstructions("obol", "0x93ab…", [1, 2, 3, 4])
 */
export function clusterExitInstructions(
  format: string,
  pubkey: string,
  operatorIds: number[],
): string {
  switch (format) {
    case "obol":
      return [
        "Obol (charon ≥ 1.1): every operator runs, against its own node:",
        `  charon exit sign --validator-public-key ${pubkey} --beacon-node-endpoints http://<beacon>:5052 --publish-address https://api.obol.tech/v1`,
        "then one operator broadcasts once the threshold of partial exits is reached:",
        `  charon exit broadcast --validator-public-key ${pubkey} --beacon-node-endpoints http://<beacon>:5052`,
      ].join("\n");
    case "ssv":
      return [
        "SSV: the cluster owner calls SSVNetwork.exitValidator(publicKey, operatorIds); the operators' SSV nodes then sign and broadcast the exit.",
        `  cast send <SSVNetwork address> "exitValidator(bytes,uint64[])" ${pubkey} "[${operatorIds.join(",")}]" --private-key <owner key>`,
        "(or the SSV web app: My Account → validator → Exit).",
      ].join("\n");
    default:
      return [
        "rpdvt cluster: ask the operators' rpdvt nodes (run with --dashboard and a --dashboard-token) to sign it:",
        `  rpdvt exit --cluster-nodes http://127.0.0.1:<metrics-port>/,… --token <dashboard token> --validator ${pubkey}`,
        "or sign with the cold key instead:",
        `  rpdvt exit --rocketpool-dir ~/.rocketpool --validator ${pubkey} --beacon-url http://<beacon>:5052`,
      ].join("\n");
  }
}
