/**
 * On-chain checks of a reputation claim over JSON-RPC (viem `eth_call`s at the latest block):
 * nodeAddress is a registered Rocket Pool node, and the claim lists EXACTLY the node's validators —
 * every minipool and every megapool validator the chain holds for the node (omitting one, e.g. a
 * slashed one, fails and names it), no validator of another node, and each validator's claimed
 * minipool/megapool address is the chain's.
 *
 * Contracts (rocket-pool/rocketpool contracts/): RocketStorage `getAddress(bytes32)` with key
 * keccak256(abi.encodePacked("contract.address", name)) finds the network contracts;
 * RocketNodeManager `getNodeExists(address) → bool`; RocketMinipoolManager
 * `getNodeMinipoolCount(address) → uint256`, `getNodeMinipoolAt(address, uint256) → address` (the
 * node's `node.minipools.index` set: every minipool it created and did not close, finalised ones
 * included) and `getMinipoolPubkey(address) → bytes`; a minipool's `getNodeAddress() → address`
 * (RocketMinipoolDelegate, to name the owner of a minipool claimed by the wrong node). Saturn
 * megapools: RocketMegapoolFactory `getMegapoolDeployed(address) → bool` and
 * `getExpectedAddress(address) → address`; the megapool's `getValidatorCount() → uint32` and
 * `getValidatorPubkey(uint32) → bytes` (RocketMegapoolDelegateInterface). A network without
 * `rocketMegapoolFactory` in RocketStorage (pre-Saturn) has no megapools. RocketStorage on
 * mainnet: 0x1d8f8f00cfa6758d7bE78336684788Fb0ee0Fa46 (docs.rocketpool.net "Contracts &
 * Integrations"); other networks: pass `rocketStorage`.
 */
import { createPublicClient, http, keccak256, parseAbi, stringToHex } from "viem";
import { InputError } from "../errors.js";
import { mapConcurrent } from "../util/concurrency.js";
import type { ReputationClaim, VerifyCheck } from "./claim.js";

/** RocketStorage per network (docs.rocketpool.net, Contracts & Integrations). */
export const ROCKET_STORAGE: Record<string, `0x${string}`> = {
  mainnet: "0x1d8f8f00cfa6758d7bE78336684788Fb0ee0Fa46",
};

/**
 * Most validators (minipools + megapool validators) read from chain per node (about 2 calls
 * each). A node with more cannot be checked and fails the check (never a partial pass).
 */
export const MAX_ONCHAIN_VALIDATORS = 5_000;

/** Concurrent `eth_call`s while listing a node's validators. */
const RPC_CONCURRENCY = 8;

const ZERO_ADDRESS = "0x0000000000000000000000000000000000000000";

/**
 * RocketStorage's contract lookup (rocket-pool/rocketpool contracts/contract/RocketStorage.sol);
 * shared with src/ops/exit/megapool.ts.
 *
 * @example
 * await client.readContract({ address: storage, abi: storageAbi, functionName: "getAddress", args: [key] });
 */
export const storageAbi = parseAbi(["function getAddress(bytes32 _key) view returns (address)"]);
const nodeManagerAbi = parseAbi([
  "function getNodeExists(address _nodeAddress) view returns (bool)",
]);
const minipoolManagerAbi = parseAbi([
  "function getNodeMinipoolCount(address _nodeAddress) view returns (uint256)",
  "function getNodeMinipoolAt(address _nodeAddress, uint256 _index) view returns (address)",
  "function getMinipoolPubkey(address _minipoolAddress) view returns (bytes)",
]);
const minipoolAbi = parseAbi(["function getNodeAddress() view returns (address)"]);
/**
 * RocketMegapoolFactory's deployed/expected megapool of a node (Saturn); shared with
 * src/ops/exit/megapool.ts.
 *
 * @example
 * await client.readContract({ address: factory, abi: megapoolFactoryAbi, functionName: "getMegapoolDeployed", args: [node] });
 */
export const megapoolFactoryAbi = parseAbi([
  "function getMegapoolDeployed(address _nodeAddress) view returns (bool)",
  "function getExpectedAddress(address _nodeAddress) view returns (address)",
]);
/**
 * A megapool's validators (RocketMegapoolDelegate getValidatorCount / getValidatorPubkey); shared
 * with src/ops/exit/megapool.ts.
 *
 * @example
 * await client.readContract({ address: mp, abi: megapoolAbi, functionName: "getValidatorCount" });
 */
export const megapoolAbi = parseAbi([
  "function getValidatorCount() view returns (uint32)",
  "function getValidatorPubkey(uint32 _validatorId) view returns (bytes)",
]);

/**
 * RocketStorage key of a network contract's address.
 *
 * @example
 * contractAddressKey("rocketNodeManager"); // keccak256("contract.addressrocketNodeManager")
 */
export function contractAddressKey(name: string): `0x${string}` {
  return keccak256(stringToHex(`contract.address${name}`));
}

/** One validator of a node as the chain lists it. */
export type ChainValidator = {
  /** Lowercase `0x` hex BLS public key. */
  pubkey: string;
  kind: "minipool" | "megapool-validator";
  /** Minipool address, or the node's megapool address; lowercase. */
  address: string;
  /** Megapool validator id (undefined for minipools). */
  megapoolId?: number;
};

/** The reads of one check: a viem client and the node, with contract addresses from RocketStorage. */
type ChainReader = {
  client: ReturnType<typeof createPublicClient>;
  /** A network contract's address, from RocketStorage. */
  contract: (name: string) => Promise<`0x${string}`>;
  node: `0x${string}`;
};

/** The node's megapool (when the factory exists and deployed one) and its validator count. */
async function nodeMegapool(
  r: ChainReader,
): Promise<{ megapool: `0x${string}` | null; megapoolCount: number }> {
  const factory = await r.contract("rocketMegapoolFactory");
  if (factory.toLowerCase() === ZERO_ADDRESS) return { megapool: null, megapoolCount: 0 };
  const read = (functionName: "getMegapoolDeployed" | "getExpectedAddress") =>
    r.client.readContract({
      address: factory,
      abi: megapoolFactoryAbi,
      functionName,
      args: [r.node],
    });
  if (!(await read("getMegapoolDeployed"))) return { megapool: null, megapoolCount: 0 };
  const megapool = (await read("getExpectedAddress")) as `0x${string}`;
  const megapoolCount = await r.client.readContract({
    address: megapool,
    abi: megapoolAbi,
    functionName: "getValidatorCount",
  });
  return { megapool, megapoolCount };
}

/** The node's minipools: address and validator public key of each. */
function minipoolValidators(
  r: ChainReader,
  manager: `0x${string}`,
  count: number,
): Promise<ChainValidator[]> {
  return mapConcurrent(
    Array.from({ length: count }, (_, i) => i),
    RPC_CONCURRENCY,
    async (i): Promise<ChainValidator> => {
      const address = await r.client.readContract({
        address: manager,
        abi: minipoolManagerAbi,
        functionName: "getNodeMinipoolAt",
        args: [r.node, BigInt(i)],
      });
      const pubkey = await r.client.readContract({
        address: manager,
        abi: minipoolManagerAbi,
        functionName: "getMinipoolPubkey",
        args: [address],
      });
      return { pubkey: pubkey.toLowerCase(), kind: "minipool", address: address.toLowerCase() };
    },
  );
}

/** The validators of the node's megapool, by id. */
function megapoolValidators(
  r: ChainReader,
  mp: `0x${string}`,
  count: number,
): Promise<ChainValidator[]> {
  return mapConcurrent(
    Array.from({ length: count }, (_, i) => i),
    RPC_CONCURRENCY,
    async (id): Promise<ChainValidator> => {
      const pubkey = await r.client.readContract({
        address: mp,
        abi: megapoolAbi,
        functionName: "getValidatorPubkey",
        args: [id],
      });
      return {
        pubkey: pubkey.toLowerCase(),
        kind: "megapool-validator",
        address: mp.toLowerCase(),
        megapoolId: id,
      };
    },
  );
}

/** The node of a minipool contract, null when the address is not a minipool. */
async function minipoolNode(r: ChainReader, minipool: string): Promise<string | null> {
  try {
    return await r.client.readContract({
      address: minipool as `0x${string}`,
      abi: minipoolAbi,
      functionName: "getNodeAddress",
    });
  } catch {
    return null; // not a minipool contract
  }
}

/** The reader for a claim: RocketStorage given or known for its network (else an InputError). */
function chainReader(
  claim: ReputationClaim,
  opts: { rpcUrl: string; rocketStorage?: string },
): ChainReader {
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
  return { client, contract, node: claim.nodeAddress as `0x${string}` };
}

/**
 * Check a claim's node and validator set on chain; returns a verification check (never throws for
 * a negative answer, only for an unreachable RPC or an unknown RocketStorage).
 *
 * @example
 * const check = await checkClaimOnChain(claim, { rpcUrl: "http://localhost:8545" });
 * check.status; // "verified" | "failed"
 */
export async function checkClaimOnChain(
  claim: ReputationClaim,
  opts: { rpcUrl: string; rocketStorage?: string },
): Promise<VerifyCheck> {
  const r = chainReader(claim, opts);
  const { client, node } = r;
  const fail = (message: string): VerifyCheck => ({
    id: "onchain",
    status: "failed",
    against: "chain",
    message,
  });
  const nodeManager = await r.contract("rocketNodeManager");
  const exists = await client.readContract({
    address: nodeManager,
    abi: nodeManagerAbi,
    functionName: "getNodeExists",
    args: [node],
  });
  if (!exists) return fail(`${node} is not a registered Rocket Pool node`);

  // The node's validators as the chain lists them.
  const manager = await r.contract("rocketMinipoolManager");
  const minipoolCount = await client.readContract({
    address: manager,
    abi: minipoolManagerAbi,
    functionName: "getNodeMinipoolCount",
    args: [node],
  });
  const { megapool, megapoolCount } = await nodeMegapool(r);
  const total = Number(minipoolCount) + megapoolCount;
  if (total > MAX_ONCHAIN_VALIDATORS)
    return fail(
      `the node has ${minipoolCount} minipool(s) and ${megapoolCount} megapool validator(s) on chain, more than the ${MAX_ONCHAIN_VALIDATORS} this check reads: not verified`,
    );
  const onChain = [
    ...(await minipoolValidators(r, manager, Number(minipoolCount))),
    ...(megapool ? await megapoolValidators(r, megapool, megapoolCount) : []),
  ];
  const problems = await compareValidators(claim, onChain, (mp) => minipoolNode(r, mp));
  const counts = `${minipoolCount} minipool(s)${megapool ? ` and ${megapoolCount} validator(s) of megapool ${megapool}` : ""}`;
  return problems.length === 0
    ? {
        id: "onchain",
        status: "verified",
        against: "chain",
        message: `${node} is a Rocket Pool node; the claim lists exactly its ${counts}`,
      }
    : fail(`${problems.join("; ")} (the node has ${counts} on chain)`);
}

const short = (pubkey: string) => `${pubkey.slice(0, 12)}…`;

/** The claimed validators against the chain's: omitted, foreign, and wrong addresses. */
async function compareValidators(
  claim: ReputationClaim,
  onChain: readonly ChainValidator[],
  ownerOf: (minipool: string) => Promise<string | null>,
): Promise<string[]> {
  const problems: string[] = [];
  const chainBy = new Map(onChain.filter((v) => v.pubkey !== "0x").map((v) => [v.pubkey, v]));
  const claimed = new Map(claim.inputs.validators.map((v) => [v.pubkey, v]));
  const omitted = [...chainBy.values()].filter((v) => !claimed.has(v.pubkey));
  if (omitted.length > 0)
    problems.push(
      `the claim omits ${omitted.length} of the node's validator(s): ${omitted
        .map((v) =>
          v.kind === "minipool"
            ? `${v.pubkey} (minipool ${v.address})`
            : `${v.pubkey} (megapool ${v.address} validator ${v.megapoolId})`,
        )
        .join(", ")}`,
    );
  for (const v of claim.inputs.validators) {
    const c = chainBy.get(v.pubkey);
    if (!c) {
      const owner = v.minipool ? await ownerOf(v.minipool) : null;
      problems.push(
        owner && owner.toLowerCase() !== claim.nodeAddress.toLowerCase()
          ? `minipool ${v.minipool} (${short(v.pubkey)}) belongs to node ${owner}, not ${claim.nodeAddress}`
          : `claimed validator ${v.pubkey}${v.minipool ? ` (minipool ${v.minipool})` : ""} is not one of the node's validators on chain`,
      );
    } else if (v.minipool !== null && v.minipool !== c.address) {
      problems.push(
        `validator ${short(v.pubkey)} is claimed with ${v.minipool}, but on chain it is ${c.kind === "minipool" ? "minipool" : "megapool"} ${c.address}`,
      );
    }
  }
  return problems;
}
