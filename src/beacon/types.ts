/**
 * Types of the Beacon API client (ethereum/beacon-APIs): the values its endpoints answer, as the
 * client hands them out (uint64 → number, Gwei → bigint, bytes → Uint8Array, consensus containers
 * as @lodestar/types values), and {@link BeaconClient}, everything the client offers: the DV node's
 * {@link BeaconNode} (src/core/beacon.ts) plus node, chain, state, block and rewards reads.
 */
import type { ForkName } from "@lodestar/params";
import type { electra, phase0 } from "@lodestar/types";
import type { BeaconNode, ChainInfo, ProducedBlock, ValidatorInfo } from "../core/beacon.js";
import type { Clock } from "../util/clock.js";

/**
 * Options of {@link createBeaconClient} (src/beacon/client.ts).
 *
 * @example
 * createBeaconClient(urls, { timeoutMs: 4000, secondsPerSlot: 12, hint: "Check --beacon-url." });
 */
export type BeaconClientOptions = {
  /** Upper bound (ms) of every single request attempt; slot-fitted timeouts are never longer. */
  timeoutMs: number;
  /** Timers (timeouts, how long a failed node stays demoted). Default: the system clock. */
  clock?: Clock | undefined;
  /** Slot length before chainInfo() was read (then the node's SECONDS_PER_SLOT is used). */
  secondsPerSlot?: number | undefined;
  /** See FallbackHttpOptions.retryFailedAfterMs (src/beacon/http.ts). */
  retryFailedAfterMs?: number | undefined;
  /**
   * What the user can do, added to every error of this client (e.g. which flag gave the URL and
   * what the node must serve). Never put secrets here.
   */
  hint?: string | undefined;
};

/**
 * Chain parameters plus the raw spec (GET /eth/v1/config/spec).
 *
 * @example
 * const { presetBase, forks } = await beacon.chainInfo();
 */
export type BeaconChainInfo = ChainInfo & {
  genesisForkVersion: Uint8Array;
  /** PRESET_BASE of the spec ("mainnet", "minimal", "gnosis"). */
  presetBase: string;
  configName: string;
  spec: Record<string, unknown>;
};

/**
 * A validator of GET …/validators: the {@link ValidatorInfo} fields plus the registry record.
 *
 * @example
 * const [v] = await beacon.validators([pubkey]); v?.activationEpoch;
 */
export type BeaconValidator = ValidatorInfo & {
  withdrawalCredentials: Uint8Array;
  effectiveBalanceGwei: bigint;
  slashed: boolean;
  activationEpoch: number;
  exitEpoch: number;
};

/**
 * GET /eth/v1/node/syncing.
 *
 * @example
 * const { headSlot, isSyncing } = await beacon.syncing();
 */
export type SyncStatus = {
  headSlot: number;
  syncDistance: number;
  isSyncing: boolean;
  isOptimistic: boolean;
  elOffline: boolean | undefined;
};

/**
 * One node's GET /eth/v1/node/health: 200 ready, 206 syncing, 503 not initialised.
 *
 * @example
 * for (const h of await beacon.health()) console.log(h.url, h.status);
 */
export type NodeHealth = {
  url: string;
  status: "ready" | "syncing" | "not-ready" | "unreachable";
  httpStatus?: number | undefined;
  error?: string | undefined;
};

/**
 * finality_checkpoints of a state.
 *
 * @example
 * const { finalized } = await beacon.finalityCheckpoints();
 */
export type FinalityCheckpoints = {
  previousJustified: phase0.Checkpoint;
  currentJustified: phase0.Checkpoint;
  finalized: phase0.Checkpoint;
};

/**
 * A block from GET /eth/v3 (or v2) /validator/blocks/{slot}, ready to be signed: the
 * {@link ProducedBlock} of the DV workflow plus what the REST client learnt on the way.
 *
 * @example
 * const produced = await beacon.produceBlock(slot, randaoReveal);
 */
export type ProducedBeaconBlock = ProducedBlock & {
  slot: number;
  /** hash_tree_root(block): the object root of the proposer's signing root. */
  blockRoot: Uint8Array;
  executionPayloadValue?: bigint | undefined;
  consensusBlockValue?: bigint | undefined;
  /** Which production endpoint answered. */
  endpoint: "v3" | "v2";
};

/**
 * Block header of GET /eth/v1/beacon/headers/{block_id}.
 *
 * @example
 * const h = await beacon.blockHeader("head"); h?.slot;
 */
export type BlockHeaderInfo = {
  root: Uint8Array;
  canonical: boolean;
  slot: number;
  proposerIndex: number;
  parentRoot: Uint8Array;
  stateRoot: Uint8Array;
  bodyRoot: Uint8Array;
};

/**
 * A block header with the HTTP `Date` of the answer (RFC 9110 §6.6.1: the server's clock, to the
 * second) and which node answered: what a clock-drift check needs.
 *
 * @example
 * const { header, date, url } = await beacon.blockHeaderDated("head");
 */
export type DatedBlockHeader = {
  header: BlockHeaderInfo | null;
  /** The `Date` response header, undefined when the node sent none. */
  date: string | undefined;
  url: string;
};

/**
 * A signed block of GET /eth/v2/beacon/blocks/{block_id}.
 *
 * @example
 * const b = await beacon.block(12); b?.signedBlock.message.proposerIndex;
 */
export type BeaconBlockInfo = {
  fork: ForkName;
  /**
   * SignedBeaconBlock value of the fork (@lodestar/types); the fields read here are typed
   * (`executionPayload` from Bellatrix on).
   */
  signedBlock: {
    message: {
      slot: number;
      proposerIndex: number;
      body: { executionPayload?: { feeRecipient: Uint8Array } | undefined };
    };
    signature: Uint8Array;
  };
  executionOptimistic: boolean | undefined;
  finalized: boolean | undefined;
};

/**
 * Block identifier: slot, 0x-root, or "head" | "genesis" | "finalized" | "justified".
 *
 * @example
 * await beacon.blockAttestations("head");
 */
export type BlockId = number | string;

/**
 * State identifier: slot, 0x-state-root, or "head" | "genesis" | "finalized" | "justified".
 *
 * @example
 * await beacon.validators([48], 3327);
 */
export type StateId = number | string;

/**
 * An attestation inside a block: phase0 up to Deneb; from Electra (EIP-7549) with `committeeBits`
 * (the committees it covers) and aggregation bits over those committees concatenated in order.
 *
 * @example
 * const atts = (await beacon.blockAttestations(12)) ?? [];
 * atts.filter((a: BlockAttestation) => "committeeBits" in a);
 */
export type BlockAttestation = phase0.Attestation | electra.Attestation;

/**
 * One beacon committee (GET …/committees entry).
 *
 * @example
 * const c: Committee = { index: 0, slot: 9, validators: [3, 17, 48] };
 */
export type Committee = { index: number; slot: number; validators: number[] };

/**
 * Head, target and source components of an attestation reward, in Gwei (negative: a penalty).
 *
 * @example
 * const r: RewardComponents = { head: 2000, target: 4000, source: 3000 };
 */
export type RewardComponents = { head: number; target: number; source: number };

/**
 * POST /eth/v1/beacon/rewards/attestations/{epoch} (apis/beacon/rewards/attestations.yaml): the
 * ideal rewards per effective balance, and each asked validator's total.
 *
 * @example
 * const r = await beacon.attestationRewards(300000, [48]);
 * r?.total[0]?.target;
 */
export type AttestationRewards = {
  ideal: (RewardComponents & { effectiveBalanceGwei: bigint })[];
  total: (RewardComponents & { validatorIndex: number })[];
};

/**
 * Everything the REST client offers: {@link BeaconNode} plus node health, chain and state reads,
 * aggregation, blocks, rewards and exits.
 *
 * @example
 * const beacon: BeaconClient = createBeaconClient(["http://127.0.0.1:5052"], { timeoutMs: 5000 });
 * const { headSlot } = await beacon.syncing();
 */
export interface BeaconClient extends BeaconNode {
  readonly urls: readonly string[];
  chainInfo(): Promise<BeaconChainInfo>;
  validators(ids: readonly (Uint8Array | number)[], stateId?: StateId): Promise<BeaconValidator[]>;
  health(): Promise<NodeHealth[]>;
  syncing(): Promise<SyncStatus>;
  version(): Promise<string>;
  balances(ids: readonly (Uint8Array | number)[], stateId?: StateId): Promise<Map<number, bigint>>;
  finalityCheckpoints(stateId?: StateId): Promise<FinalityCheckpoints>;
  produceBlock(
    slot: number,
    randaoReveal: Uint8Array,
    graffiti?: Uint8Array,
  ): Promise<ProducedBeaconBlock>;
  blockHeader(blockId: BlockId): Promise<BlockHeaderInfo | null>;
  /** {@link blockHeader} with the answer's HTTP `Date` (clock checks). */
  blockHeaderDated(blockId: BlockId): Promise<DatedBlockHeader>;
  block(blockId: BlockId): Promise<BeaconBlockInfo | null>;
  /** The proposer index of the block at `blockId`, null for an empty slot (404); no SSZ decoding. */
  blockProposer(blockId: BlockId): Promise<number | null>;
  /** The block's attestations (Electra+: electra.Attestation, with committee_bits). */
  blockAttestations(blockId: BlockId): Promise<BlockAttestation[] | null>;
  /** Committees of `epoch` (optionally one slot) from the state `stateId`. */
  committees(epoch: number, slot?: number, stateId?: StateId): Promise<Committee[]>;
  /**
   * Proposer duties of an epoch that may be past: null when the node refuses past epochs
   * (Lodestar ≤ 1.5: "must equal current … or next epoch"). Not checked against the chain's epoch
   * length (no chain info needed).
   */
  proposerDutiesIfServed(epoch: number): Promise<{ validatorIndex: number; slot: number }[] | null>;
  /** Attestation rewards of `indices` in `epoch`; null when the node has no rewards endpoint. */
  attestationRewards(epoch: number, indices: readonly number[]): Promise<AttestationRewards | null>;
  submitVoluntaryExit(exit: phase0.SignedVoluntaryExit): Promise<void>;
}
