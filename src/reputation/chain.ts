/**
 * On-chain checks of a reputation claim over JSON-RPC (viem `eth_call`s at the latest block):
 * nodeAddress is a registered Rocket Pool node, and every claimed minipool has the claimed
 * validator pubkey and belongs to that node (so a NO cannot claim another node's minipools).
 *
 * Contracts (rocket-pool/rocketpool contracts/): RocketStorage `getAddress(bytes32)` with key
 * keccak256(abi.encodePacked("contract.address", name)) finds the network contracts;
 * RocketNodeManager `getNodeExists(address) → bool`; RocketMinipoolManager
 * `getMinipoolPubkey(address) → bytes` (used instead of getMinipoolByPubkey, which does not cover
 * vacant solo-migration minipools); a minipool's `getNodeAddress() → address`
 * (RocketMinipoolDelegate). RocketStorage on mainnet: 0x1d8f8f00cfa6758d7bE78336684788Fb0ee0Fa46
 * (docs.rocketpool.net "Contracts & Integrations"); other networks: pass `rocketStorage`.
 * Megapool validators (Saturn) are not checked here and are reported as such.
 */
import { createPublicClient, http, keccak256, parseAbi, stringToHex } from "viem";
import { InputError } from "../errors.js";
import type { ReputationClaim, VerifyCheck } from "./claim.js";

/** RocketStorage per network (docs.rocketpool.net, Contracts & Integrations). */
export const ROCKET_STORAGE: Record<string, `0x${string}`> = {
  mainnet: "0x1d8f8f00cfa6758d7bE78336684788Fb0ee0Fa46",
};

/** Most minipools checked on chain per claim (2 calls each). */
export const MAX_ONCHAIN_MINIPOOLS = 500;

const storageAbi = parseAbi(["function getAddress(bytes32 _key) view returns (address)"]);
const nodeManagerAbi = parseAbi([
  "function getNodeExists(address _nodeAddress) view returns (bool)",
]);
const minipoolManagerAbi = parseAbi([
  "function getMinipoolPubkey(address _minipoolAddress) view returns (bytes)",
]);
const minipoolAbi = parseAbi(["function getNodeAddress() view returns (address)"]);

/**
 * RocketStorage key of a network contract's address.
 *
 * @example
 * contractAddressKey("rocketNodeManager"); // keccak256("contract.addressrocketNodeManager")
 */
export function contractAddressKey(name: string): `0x${string}` {
  return keccak256(stringToHex(`contract.address${name}`));
}

/**
 * Check a claim's node and minipools on chain; returns a verification check (never throws for a
 * negative answer, only for an unreachable RPC).
 *
 * @example
 * const check = await checkClaimOnChain(claim, { rpcUrl: "http://localhost:8545" });
 */
export async function checkClaimOnChain(
  claim: ReputationClaim,
  opts: { rpcUrl: string; rocketStorage?: string },
): Promise<VerifyCheck> {
  const storage = (opts.rocketStorage ?? ROCKET_STORAGE[claim.network]) as
    | `0x${string}`
    | undefined;
  if (!storage)
    throw new InputError(`No known RocketStorage address for ${claim.network}`, {
      field: "--rocket-storage",
      metaMessages: [
        "Pass --rocket-storage ADDRESS (see docs.rocketpool.net, Contracts & Integrations).",
      ],
    });
  const client = createPublicClient({
    transport: http(opts.rpcUrl, { retryCount: 0, timeout: 30_000 }),
  });
  const contract = (name: string) =>
    client.readContract({
      address: storage,
      abi: storageAbi,
      functionName: "getAddress",
      args: [contractAddressKey(name)],
    });
  const node = claim.nodeAddress as `0x${string}`;
  const problems: string[] = [];
  const nodeManager = await contract("rocketNodeManager");
  const exists = await client.readContract({
    address: nodeManager,
    abi: nodeManagerAbi,
    functionName: "getNodeExists",
    args: [node],
  });
  if (!exists) problems.push(`${node} is not a registered Rocket Pool node`);
  const minipools = claim.inputs.validators.filter((v) => v.minipool !== null);
  if (minipools.length > MAX_ONCHAIN_MINIPOOLS)
    problems.push(
      `only the first ${MAX_ONCHAIN_MINIPOOLS} of ${minipools.length} minipools were checked`,
    );
  let checked = 0;
  if (exists && minipools.length > 0) {
    const manager = await contract("rocketMinipoolManager");
    for (const v of minipools.slice(0, MAX_ONCHAIN_MINIPOOLS)) {
      const mp = v.minipool as `0x${string}`;
      const pubkey = await client.readContract({
        address: manager,
        abi: minipoolManagerAbi,
        functionName: "getMinipoolPubkey",
        args: [mp],
      });
      if (pubkey.toLowerCase() !== v.pubkey) {
        problems.push(
          `minipool ${mp} has pubkey ${pubkey === "0x" ? "(none)" : pubkey}, not ${v.pubkey} (megapool validator or not a minipool?)`,
        );
        continue;
      }
      const owner = await client.readContract({
        address: mp,
        abi: minipoolAbi,
        functionName: "getNodeAddress",
      });
      if (owner.toLowerCase() !== node.toLowerCase())
        problems.push(
          `minipool ${mp} (${v.pubkey.slice(0, 12)}…) belongs to node ${owner}, not ${node}`,
        );
      else checked++;
    }
  }
  return problems.length === 0
    ? {
        id: "onchain",
        ok: true,
        message: `${node} is a Rocket Pool node owning all ${checked} claimed minipool(s)`,
      }
    : { id: "onchain", ok: false, message: problems.join("; ") };
}
