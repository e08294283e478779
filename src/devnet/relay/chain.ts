/**
 * What the devnet relay reads from its beacon node (ethereum/beacon-APIs): the chain's spec
 * (`/eth/v1/config/spec`), genesis (`/eth/v1/beacon/genesis`), the head block
 * (`/eth/v2/beacon/blocks/head`, JSON) and validators (`/eth/v1/beacon/states/head/validators/{id}`).
 *
 * The fork configuration is built from the spec with @lodestar/config (`createBeaconConfig`):
 * every fork the spec does not schedule is set to FAR_FUTURE (Infinity) — a Lodestar 1.5.1 spec
 * names Deneb `EIP4844_FORK_*` and has no Electra; @lodestar/config's mainnet defaults must not
 * fill them in. Signature domains (proposer domain at the block's epoch) and the SSZ types of a
 * slot (`config.getForkName(slot)`) come from that config. SSZ block types depend on the
 * consensus preset, chosen when @lodestar/params is first imported: {@link readChain} refuses a
 * beacon node whose PRESET_BASE is not this process's (the devnet's is "minimal": import
 * src/devnet/preset.js first).
 */
import { type BeaconConfig, type ChainConfig, createBeaconConfig } from "@lodestar/config";
import { ACTIVE_PRESET } from "@lodestar/params";
import { BaseError, type BaseErrorParameters, errorDocsPath } from "../../errors.js";
import { fromHex } from "../../util/hex.js";

/**
 * The chain as the relay sees it.
 *
 * @example
 * const chain = await readChain("http://127.0.0.1:5052");
 * chain.config.getForkName(130) // "capella"
 */
export type RelayChain = {
  beaconUrl: string;
  config: BeaconConfig;
  genesisTime: number;
  secondsPerSlot: number;
  slotsPerEpoch: number;
  genesisForkVersion: Uint8Array;
  depositChainId: number;
};

const FORKS = ["ALTAIR", "BELLATRIX", "CAPELLA", "DENEB", "ELECTRA", "FULU", "GLOAS"] as const;
/** Lodestar 1.5.1's name for Deneb. */
const ALIASES: Record<string, string> = { DENEB: "EIP4844" };
const FAR_FUTURE = Number.POSITIVE_INFINITY;

/**
 * The relay's read of its beacon node failed (unreachable, timed out, non-2xx); names the URL.
 *
 * @example
 * if (err instanceof BeaconReadError) answer(502, err.shortMessage);
 */
export class BeaconReadError extends BaseError {
  static override docsPath = errorDocsPath("beaconreaderror");
  override name = "BeaconReadError";
  /** The beacon node's HTTP status; undefined when it did not answer (refused, timed out). */
  status: number | undefined;
  constructor(shortMessage: string, args: BaseErrorParameters & { status?: number } = {}) {
    super(shortMessage, args);
    this.status = args.status;
  }
}

/**
 * GET a beacon-APIs path and return its `data`; unreachable, timed out or a non-2xx answer is a
 * {@link BeaconReadError} (the relay answers it 502: its upstream failed, not the request).
 *
 * @example
 * const spec = await beaconGet<Record<string, string>>(url, "/eth/v1/config/spec");
 */
export async function beaconGet<T>(beaconUrl: string, path: string, timeoutMs = 5000): Promise<T> {
  const url = `${beaconUrl.replace(/\/+$/, "")}${path}`;
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    throw new BeaconReadError(`Beacon node unreachable: GET ${url}`, { cause: err });
  }
  if (!res.ok) {
    const text = await res.text().catch(() => "");
    throw new BeaconReadError(`Beacon node answered ${res.status} to GET ${url}`, {
      status: res.status,
      details: text.slice(0, 300),
    });
  }
  return ((await res.json()) as { data: T }).data;
}

/**
 * Read the chain's spec and genesis and build its fork config.
 *
 * @example
 * const chain = await readChain(devnet.restUrl);
 */
export async function readChain(beaconUrl: string): Promise<RelayChain> {
  const spec = await beaconGet<Record<string, string>>(beaconUrl, "/eth/v1/config/spec");
  const genesis = await beaconGet<{ genesis_time: string; genesis_validators_root: string }>(
    beaconUrl,
    "/eth/v1/beacon/genesis",
  );
  if (spec.PRESET_BASE && spec.PRESET_BASE !== ACTIVE_PRESET) {
    throw new BaseError(
      `The beacon node runs the "${spec.PRESET_BASE}" preset, this process loaded "${ACTIVE_PRESET}"`,
      {
        metaMessages: [
          `Blocks of that chain cannot be parsed here. Load the preset before any @lodestar import (for the devnet: import "src/devnet/preset.js" first).`,
        ],
      },
    );
  }
  const num = (k: string) => (spec[k] === undefined ? undefined : Number(spec[k]));
  const partial: Record<string, unknown> = {
    PRESET_BASE: spec.PRESET_BASE,
    CONFIG_NAME: spec.CONFIG_NAME,
    GENESIS_FORK_VERSION: fromHex(spec.GENESIS_FORK_VERSION as string),
    SECONDS_PER_SLOT: num("SECONDS_PER_SLOT"),
    DEPOSIT_CHAIN_ID: num("DEPOSIT_CHAIN_ID"),
  };
  for (const f of FORKS) {
    const name = spec[`${f}_FORK_EPOCH`] !== undefined ? f : (ALIASES[f] ?? f);
    const epoch = spec[`${name}_FORK_EPOCH`];
    const version = spec[`${name}_FORK_VERSION`];
    const e = epoch === undefined ? FAR_FUTURE : Number(epoch);
    partial[`${f}_FORK_EPOCH`] = e >= 2 ** 53 ? FAR_FUTURE : e;
    if (version) partial[`${f}_FORK_VERSION`] = fromHex(version);
  }
  const gvr = fromHex(genesis.genesis_validators_root, { length: 32 });
  const config = createBeaconConfig(partial as Partial<ChainConfig>, gvr);
  const secondsPerSlot = num("SECONDS_PER_SLOT") ?? Number(spec.SLOT_DURATION_MS) / 1000;
  return {
    beaconUrl,
    config,
    genesisTime: Number(genesis.genesis_time),
    secondsPerSlot,
    slotsPerEpoch: num("SLOTS_PER_EPOCH") as number,
    genesisForkVersion: partial.GENESIS_FORK_VERSION as Uint8Array,
    depositChainId: num("DEPOSIT_CHAIN_ID") ?? 1,
  };
}

/**
 * The head block's fields a builder needs to build the next payload (JSON as the beacon node
 * gives it).
 *
 * @example
 * const head = await headForBuilding(chain);
 */
export type HeadForBuilding = {
  slot: number;
  root: string;
  randaoReveal: string;
  payload: {
    blockHash: string;
    blockNumber: number;
    prevRandao: string;
    baseFeePerGas: bigint;
    timestamp: number;
    gasLimit: number;
  };
};

/**
 * Read the head block (and its root) for building on it.
 *
 * @example
 * const head = await headForBuilding(chain);
 * head.payload.blockHash // the parent_hash the next payload must carry
 */
export async function headForBuilding(chain: RelayChain): Promise<HeadForBuilding> {
  const block = await beaconGet<{
    message: {
      slot: string;
      body: {
        randao_reveal: string;
        execution_payload?: {
          block_hash: string;
          block_number: string;
          prev_randao: string;
          base_fee_per_gas: string;
          timestamp: string;
          gas_limit: string;
        };
      };
    };
  }>(chain.beaconUrl, "/eth/v2/beacon/blocks/head");
  const root = await beaconGet<{ root: string }>(
    chain.beaconUrl,
    "/eth/v1/beacon/blocks/head/root",
  );
  const p = block.message.body.execution_payload;
  if (!p) throw new BaseError("The head block has no execution payload (pre-Bellatrix chain)");
  return {
    slot: Number(block.message.slot),
    root: root.root,
    randaoReveal: block.message.body.randao_reveal,
    payload: {
      blockHash: p.block_hash,
      blockNumber: Number(p.block_number),
      prevRandao: p.prev_randao,
      baseFeePerGas: BigInt(p.base_fee_per_gas),
      timestamp: Number(p.timestamp),
      gasLimit: Number(p.gas_limit),
    },
  };
}

/**
 * A validator's public key and withdrawal credentials by index or pubkey (undefined if the beacon
 * node does not know it: 404, or 400 for an id it cannot parse); a failed read is a
 * {@link BeaconReadError}, never "unknown".
 *
 * @example
 * const v = await validatorOf(chain, "48");
 */
export async function validatorOf(
  chain: RelayChain,
  id: string,
): Promise<{ index: number; pubkey: string; withdrawalCredentials: string } | undefined> {
  try {
    const v = await beaconGet<{
      index: string;
      validator: { pubkey: string; withdrawal_credentials: string };
    }>(chain.beaconUrl, `/eth/v1/beacon/states/head/validators/${id}`);
    return {
      index: Number(v.index),
      pubkey: v.validator.pubkey.toLowerCase(),
      withdrawalCredentials: v.validator.withdrawal_credentials,
    };
  } catch (err) {
    if (err instanceof BeaconReadError && (err.status === 404 || err.status === 400))
      return undefined;
    throw err;
  }
}
