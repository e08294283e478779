/**
 * The Rocket Pool node account (the secp256k1 key behind the node address) from the Smartnode
 * wallet seed: BIP-32 from the 64-byte BIP-39 seed along the wallet's `derivationPath` with `%d` =
 * `walletIndex` (rocket-pool/smartnode shared/services/wallet/node.go getNodeDerivedKey:
 * `fmt.Sprintf(w.ws.DerivationPath, index)`, then hdkeychain Derive per path element; default path
 * "m/44'/60'/0'/0/%d", src/rocketpool/layout.ts). Goerli's non-standard derivation and the
 * astronomically rare invalid-child retry are not reproduced (an invalid child throws).
 *
 * The key never leaves this module except inside a viem account used for signing; callers get the
 * address and a `signMessage`. It is never printed or logged.
 */
import { HDKey, type PrivateKeyAccount, privateKeyToAccount } from "viem/accounts";
import { InputError } from "../errors.js";
import { DEFAULT_NODE_KEY_PATH } from "../rocketpool/layout.js";
import { loadNodeWallet } from "../rocketpool/wallet.js";
import { toHex } from "../util/hex.js";

/** A BIP-32 path after `%d` substitution, e.g. m/44'/60'/0'/0/0. */
const PATH_RE = /^m(\/\d+'?)+$/;

/**
 * The node account's derivation path for a wallet (`%d` → walletIndex).
 *
 * @example
 * nodeKeyPath("m/44'/60'/0'/0/%d", 0); // "m/44'/60'/0'/0/0"
 */
export function nodeKeyPath(derivationPath: string | undefined, walletIndex: number): string {
  const template = derivationPath ?? DEFAULT_NODE_KEY_PATH;
  const path = template.replace("%d", String(walletIndex));
  if (!PATH_RE.test(path))
    throw new InputError("The wallet's node key derivation path is not a BIP-32 path", {
      field: "derivationPath",
      details: `got "${template}"`,
    });
  return path;
}

/**
 * The node account for a wallet seed (viem account: `.address`, `.signMessage`).
 *
 * @example
 * const account = nodeAccountFromSeed(mnemonicToSeedSync(mnemonic));
 * account.address; // the Rocket Pool node address
 */
export function nodeAccountFromSeed(
  seed: Uint8Array,
  derivationPath?: string,
  walletIndex = 0,
): PrivateKeyAccount {
  const key = HDKey.fromMasterSeed(seed).derive(nodeKeyPath(derivationPath, walletIndex));
  const priv = key.privateKey;
  if (!priv) throw new InputError("Node key derivation gave no private key");
  try {
    return privateKeyToAccount(toHex(priv) as `0x${string}`);
  } finally {
    priv.fill(0);
    key.wipePrivateData();
  }
}

/**
 * Load the Smartnode wallet of a data folder and return its node account (the seed is wiped).
 *
 * @example
 * const account = await loadNodeAccount("/home/me/.rocketpool/data");
 */
export async function loadNodeAccount(dataDir: string): Promise<PrivateKeyAccount> {
  const wallet = await loadNodeWallet(dataDir);
  if (!wallet)
    throw new InputError("No Smartnode wallet in this data folder", {
      file: dataDir,
      metaMessages: ["The claim is signed with the node wallet: pass the node's --rocketpool-dir."],
    });
  try {
    return nodeAccountFromSeed(wallet.seed, wallet.derivationPath, wallet.walletIndex);
  } finally {
    wallet.seed.fill(0);
  }
}
