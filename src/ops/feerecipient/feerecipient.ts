/**
 * The fee recipient a Rocket Pool validator must use, and the one the Smartnode configured.
 *
 * Rule, in this order:
 * 1. the Smoothing Pool (`rocketSmoothingPool`) when the node is opted in, or opted out but still
 *    in the cool-down: epoch(opt-out time) + 1 not yet finalized, epoch = (changed − genesis) /
 *    secondsPerEpoch (rocket-pool/smartnode shared/utils/rp/fee-recipient.go GetFeeRecipientInfo,
 *    commit 2472fa97cab5646c89c01f9dd3a5b8f8dbc4fe5d; rocketpool/node/manage-fee-recipient.go,
 *    commit 9e0b39799445196a1733254ae980a2e24de9b946: `IsInSmoothingPool || IsInOptOutCooldown`
 *    → smoothing pool). This holds for megapool validators too: "If participating in the
 *    smoothing pool, the smoothing pool address SHALL be the only allowed fee recipient"
 *    (rocket-pool/RPIPs RPIPs/RPIP-43.md, commit 031bd8933d8755572c56bf588488d987c6f5d8a1);
 * 2. otherwise a megapool (Saturn) validator: its megapool address; RPIP-43 also allows "the
 *    smoothing pool's address (note that this donates EL rewards to other node operators), or the
 *    rETH token's address (note that this donates EL rewards to rETH holders)" there
 *    ({@link allowedFeeRecipients}); the Smartnode sets the megapool per key through the
 *    keymanager API (shared/services/rocketpool/fee-recipient.go UpdateFeeRecipientPerKey,
 *    commit 0cf42480d4602c7eb1e16e1eb0ca5e16d22ed7e6);
 * 3. otherwise the node's fee distributor (RocketNodeDistributorFactory.getProxyAddress(node)).
 *
 * Chain reads (viem over JSON-RPC): contract addresses from RocketStorage
 * `getAddress(keccak256(abi.encodePacked("contract.address", name)))`; RocketNodeManager
 * `getSmoothingPoolRegistrationState(address) → bool`, `getSmoothingPoolRegistrationChanged(address)
 * → uint256` (unix time); RocketNodeDistributorFactory `getProxyAddress(address) → address`;
 * RocketMinipoolManager `getMinipoolByPubkey(bytes) → address`; RocketMegapoolFactory
 * `getMegapoolDeployed(address) → bool`, `getExpectedAddress(address) → address`. Signatures as in
 * rocket-pool/rocketpool contracts/interface/: node/RocketNodeManagerInterface.sol (commit
 * 84ae5df75011dd1cf64411f70f858620832b9b75), node/RocketNodeDistributorFactoryInterface.sol
 * (136c246524716081a27b47339b3bbb923392ff9a), minipool/RocketMinipoolManagerInterface.sol
 * (defb7c327c20fae3f7bc03a7bc51b120c1571183), megapool/RocketMegapoolFactoryInterface.sol
 * (24ee78d70cdad8c5d9f0df15410e871a5bd3ec77); the name "rocketMegapoolFactory" as the contracts
 * register it (RocketNodeManager.deployMegapool `getContractAddress("rocketMegapoolFactory")`); the
 * rETH token is RocketStorage's "rocketTokenRETH" (contracts/contract/token/RocketTokenRETH.sol,
 * registered under that name by the deployment).
 *
 * The file the VC reads (smartnode shared/services/config/smartnode-config.go, commit
 * 01b9fec9c5d3059627c87fded06768015cf029d8: FeeRecipientFilename "rp-fee-recipient.txt",
 * NativeFeeRecipientFilename "rp-fee-recipient-env.txt", GetFeeRecipientFilePath; contents from
 * shared/services/rocketpool/fee-recipient.go getGlobalFeeRecipientFileContents): Docker mode
 * `data/validators/rp-fee-recipient.txt` holding the EIP-55 address alone; native mode
 * `data/validators/rp-fee-recipient-env.txt` holding `FEE_RECIPIENT=<address>`. It is the node-wide
 * value (rules 1 and 3); megapool validators override it per key.
 */
import { promises as fsp } from "node:fs";
import { join } from "node:path";
import {
  type Address,
  createPublicClient,
  encodePacked,
  http,
  keccak256,
  parseAbi,
  zeroAddress,
} from "viem";
import { BaseError, InputError } from "../../errors.js";
import { parseAddress } from "../../util/address.js";

/** Docker-mode fee recipient file, relative to the data folder. */
export const FEE_RECIPIENT_FILE = join("validators", "rp-fee-recipient.txt");
/** Native-mode fee recipient file, relative to the data folder. */
export const NATIVE_FEE_RECIPIENT_FILE = join("validators", "rp-fee-recipient-env.txt");
/** RocketStorage on Ethereum mainnet (smartnode-config.go storageAddress[Network_Mainnet]). */
export const MAINNET_ROCKET_STORAGE = "0x1d8f8f00cfa6758d7bE78336684788Fb0ee0Fa46";

/**
 * Read the fee recipient the Smartnode wrote for its VC, or undefined when neither file exists.
 *
 * @example
 * const fr = await readFeeRecipientFile("/home/me/.rocketpool/data"); // { address: "0x…", file, mode: "docker" }
 */
export async function readFeeRecipientFile(
  dataDir: string,
): Promise<{ address: string; file: string; mode: "docker" | "native" } | undefined> {
  for (const [rel, mode] of [
    [FEE_RECIPIENT_FILE, "docker"],
    [NATIVE_FEE_RECIPIENT_FILE, "native"],
  ] as const) {
    const file = join(dataDir, rel);
    let text: string;
    try {
      text = (await fsp.readFile(file, "utf8")).trim();
    } catch {
      continue;
    }
    const raw = mode === "native" ? /^FEE_RECIPIENT=(.*)$/m.exec(text)?.[1]?.trim() : text;
    if (!raw) {
      throw new InputError("Fee recipient file has no address", {
        file,
        metaMessages: [
          mode === "native" ? "Expected FEE_RECIPIENT=0x…" : "Expected one 0x address.",
        ],
      });
    }
    return { address: parseAddress(raw, { file }), file, mode };
  }
  return undefined;
}

/** On-chain facts the rule needs. */
export type FeeRecipientInfo = {
  smoothingPool: string;
  feeDistributor: string;
  inSmoothingPool: boolean;
  /** Unix seconds of the last opt-in/opt-out (0 = never). */
  registrationChanged: number;
  megapool?: string | undefined;
  /** The rETH token (read only when the node has a megapool: an RPIP-43 alternative). */
  reth?: string | undefined;
};

/** A fee recipient and why Rocket Pool wants (or allows) it. */
export type FeeRecipientChoice = { address: string; reason: string };

/**
 * True while an opted-out node must still use the Smoothing Pool (epoch of the opt-out + 1 not
 * finalized yet).
 *
 * @example
 * inOptOutCooldown(1_700_000_000, { genesisTime: 1_606_824_023, secondsPerEpoch: 384, finalizedEpoch: 250_000 })
 */
export function inOptOutCooldown(
  registrationChanged: number,
  beacon: { genesisTime: number; secondsPerEpoch: number; finalizedEpoch: number },
): boolean {
  if (registrationChanged === 0) return false;
  const epoch = Math.floor(
    Math.max(0, registrationChanged - beacon.genesisTime) / beacon.secondsPerEpoch,
  );
  return beacon.finalizedEpoch < epoch + 1;
}

/**
 * The fee recipient a validator must use, and why: the smoothing pool (opted in, or opted out and
 * still cooling down) before anything else — megapool validators included —, then the megapool
 * for megapool validators, then the node's fee distributor.
 *
 * @example
 * expectedFeeRecipient(info, { cooldown: false, megapoolValidator: false }) // { address: info.feeDistributor, reason: "fee distributor" }
 */
export function expectedFeeRecipient(
  info: FeeRecipientInfo,
  o: { cooldown: boolean; megapoolValidator: boolean },
): { address: string; reason: string } {
  if (info.inSmoothingPool)
    return { address: parseAddress(info.smoothingPool), reason: "smoothing pool (opted in)" };
  if (o.cooldown)
    return {
      address: parseAddress(info.smoothingPool),
      reason: "smoothing pool (opt-out cool-down)",
    };
  if (o.megapoolValidator && info.megapool)
    return { address: parseAddress(info.megapool), reason: "megapool" };
  return { address: parseAddress(info.feeDistributor), reason: "fee distributor" };
}

/**
 * Every fee recipient Rocket Pool accepts for one validator, the required one first. Only a
 * megapool validator of a node outside the smoothing pool (and past any opt-out cool-down) has
 * alternatives (RPIP-43): the smoothing pool and the rETH token, both donations.
 *
 * @example
 * allowedFeeRecipients(info, { cooldown: false, megapoolValidator: true }).map((c) => c.address) // [megapool, smoothing pool, rETH]
 */
export function allowedFeeRecipients(
  info: FeeRecipientInfo,
  o: { cooldown: boolean; megapoolValidator: boolean },
): FeeRecipientChoice[] {
  const required = expectedFeeRecipient(info, o);
  if (!o.megapoolValidator || !info.megapool || info.inSmoothingPool || o.cooldown)
    return [required];
  return [
    required,
    {
      address: parseAddress(info.smoothingPool),
      reason:
        "smoothing pool — allowed by RPIP-43 for a megapool validator outside the smoothing pool (donates its execution rewards to the other node operators)",
    },
    ...(info.reth
      ? [
          {
            address: parseAddress(info.reth),
            reason:
              "rETH token — allowed by RPIP-43 for a megapool validator outside the smoothing pool (donates its execution rewards to rETH holders)",
          },
        ]
      : []),
  ];
}

/** ABIs of the calls made (signatures as in rocket-pool/rocketpool contracts/interface, above). */
export const ROCKET_ABI = parseAbi([
  "function getAddress(bytes32 _key) view returns (address)",
  "function getSmoothingPoolRegistrationState(address _nodeAddress) view returns (bool)",
  "function getSmoothingPoolRegistrationChanged(address _nodeAddress) view returns (uint256)",
  "function getProxyAddress(address _nodeAddress) view returns (address)",
  "function getMinipoolByPubkey(bytes _pubkey) view returns (address)",
  "function getMegapoolDeployed(address _nodeAddress) view returns (bool)",
  "function getExpectedAddress(address _nodeAddress) view returns (address)",
]);

/**
 * RocketStorage key of a contract name.
 *
 * @example
 * contractKey("rocketNodeManager")
 */
export function contractKey(name: string): `0x${string}` {
  return keccak256(encodePacked(["string", "string"], ["contract.address", name]));
}

/**
 * Read the fee-recipient facts of a node from an execution client, and which of `pubkeys` are
 * megapool validators (not minipools, megapool deployed).
 *
 * @example
 * const { info, megapoolValidators } = await fetchFeeRecipientInfo("http://127.0.0.1:8545", node, { pubkeys });
 */
export async function fetchFeeRecipientInfo(
  rpcUrl: string,
  nodeAddress: string,
  opts: { rocketStorage?: string; pubkeys?: string[]; timeoutMs?: number } = {},
): Promise<{ info: FeeRecipientInfo; megapoolValidators: Set<string> }> {
  const client = createPublicClient({
    transport: http(rpcUrl, { timeout: opts.timeoutMs ?? 10_000, retryCount: 0 }),
  });
  const node = parseAddress(nodeAddress, { field: "--node-address" }) as Address;
  const storage = parseAddress(opts.rocketStorage ?? MAINNET_ROCKET_STORAGE, {
    field: "--rocket-storage",
  }) as Address;
  const read = async <T>(address: Address, functionName: string, args: unknown[]): Promise<T> => {
    try {
      return (await client.readContract({
        address,
        abi: ROCKET_ABI,
        functionName,
        args,
      } as never)) as T;
    } catch (err) {
      throw new BaseError(`eth_call ${functionName} failed on ${rpcUrl}`, {
        cause: err,
        metaMessages: [
          "Is the execution client synced, and is --rocket-storage the RocketStorage of this network?",
        ],
      });
    }
  };
  const contract = async (name: string) => {
    const a = await read<Address>(storage, "getAddress", [contractKey(name)]);
    if (a === zeroAddress) throw new BaseError(`RocketStorage has no ${name} on this network`);
    return a;
  };
  const [nodeManager, distributorFactory, smoothingPool] = await Promise.all([
    contract("rocketNodeManager"),
    contract("rocketNodeDistributorFactory"),
    contract("rocketSmoothingPool"),
  ]);
  const [inSp, changed, distributor] = await Promise.all([
    read<boolean>(nodeManager, "getSmoothingPoolRegistrationState", [node]),
    read<bigint>(nodeManager, "getSmoothingPoolRegistrationChanged", [node]),
    read<Address>(distributorFactory, "getProxyAddress", [node]),
  ]);
  const megapoolValidators = new Set<string>();
  let megapool: string | undefined;
  let reth: string | undefined;
  if (opts.pubkeys?.length) {
    const factory = await contract("rocketMegapoolFactory").catch(() => undefined);
    if (factory && (await read<boolean>(factory, "getMegapoolDeployed", [node]))) {
      megapool = await read<Address>(factory, "getExpectedAddress", [node]);
      reth = await contract("rocketTokenRETH");
      const minipoolManager = await contract("rocketMinipoolManager");
      for (const pk of opts.pubkeys) {
        const mp = await read<Address>(minipoolManager, "getMinipoolByPubkey", [pk]);
        if (mp === zeroAddress) megapoolValidators.add(pk.toLowerCase());
      }
    }
  }
  return {
    info: {
      smoothingPool,
      feeDistributor: distributor,
      inSmoothingPool: inSp,
      registrationChanged: Number(changed),
      megapool,
      reth,
    },
    megapoolValidators,
  };
}

/** The beacon reads the opt-out cool-down needs (src/beacon's createBeaconClient has them). */
export type CooldownBeacon = {
  chainInfo(): Promise<{ genesisTime: number; secondsPerSlot: number; slotsPerEpoch: number }>;
  finalityCheckpoints(): Promise<{ finalized: { epoch: number } }>;
};

/** One validator's fee recipient by the rule, and every alternative Rocket Pool allows. */
export type ValidatorFeeRecipient = FeeRecipientChoice & {
  pubkey: string;
  megapoolValidator: boolean;
  allowed: FeeRecipientChoice[];
};

/**
 * The rule evaluated on chain for each of `pubkeys` (0x-hex): the facts from the execution client
 * ({@link fetchFeeRecipientInfo}), the opt-out cool-down from the beacon node's finalized epoch.
 * `cooldown` is undefined when it matters (the node opted out at some point) but no beacon node
 * was given — the per-validator answers then assume the cool-down is over; callers decide
 * whether that is good enough. Used by `rpdvt migrate` and `rpdvt doctor` alike.
 *
 * @example
 * const r = await resolveFeeRecipients({ executionUrl: "http://127.0.0.1:8545", nodeAddress, pubkeys, beacon });
 * const map = new Map(r.validators.map((v) => [v.pubkey, v.address]));
 */
export async function resolveFeeRecipients(o: {
  executionUrl: string;
  nodeAddress: string;
  pubkeys: string[];
  rocketStorage?: string | undefined;
  beacon?: CooldownBeacon | undefined;
  timeoutMs?: number | undefined;
}): Promise<{
  info: FeeRecipientInfo;
  cooldown: boolean | undefined;
  validators: ValidatorFeeRecipient[];
}> {
  const pubkeys = o.pubkeys.map((p) => p.toLowerCase());
  const { info, megapoolValidators } = await fetchFeeRecipientInfo(o.executionUrl, o.nodeAddress, {
    ...(o.rocketStorage ? { rocketStorage: o.rocketStorage } : {}),
    pubkeys,
    ...(o.timeoutMs ? { timeoutMs: o.timeoutMs } : {}),
  });
  let cooldown: boolean | undefined = false;
  if (!info.inSmoothingPool && info.registrationChanged !== 0) {
    if (o.beacon) {
      const [chain, fin] = await Promise.all([
        o.beacon.chainInfo(),
        o.beacon.finalityCheckpoints(),
      ]);
      cooldown = inOptOutCooldown(info.registrationChanged, {
        genesisTime: chain.genesisTime,
        secondsPerEpoch: chain.secondsPerSlot * chain.slotsPerEpoch,
        finalizedEpoch: Number(fin.finalized.epoch),
      });
    } else cooldown = undefined;
  }
  return {
    info,
    cooldown,
    validators: pubkeys.map((pubkey) => {
      const rule = {
        cooldown: cooldown ?? false,
        megapoolValidator: megapoolValidators.has(pubkey),
      };
      const allowed = allowedFeeRecipients(info, rule);
      return {
        pubkey,
        ...(allowed[0] as FeeRecipientChoice),
        megapoolValidator: rule.megapoolValidator,
        allowed,
      };
    }),
  };
}
