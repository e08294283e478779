/**
 * Standard Beacon API REST client (ethereum/beacon-APIs) implementing the DV node's
 * {@link BeaconNode}, with fallback over several beacon nodes (src/beacon/http.ts) and
 * per-request timeouts fitted to the slot.
 *
 * Endpoints (paths as in beacon-APIs):
 * - node: GET /eth/v1/node/health, /eth/v1/node/syncing, /eth/v1/node/version
 * - chain: GET /eth/v1/beacon/genesis, /eth/v1/config/spec, /eth/v1/config/fork_schedule
 * - state: POST /eth/v1/beacon/states/{state_id}/validators (body `{ids}`) and POST
 *   …/validator_balances (body: the ids), falling back per node, where the POST is missing (404/
 *   405/501: Lodestar ≤ 1.11 — 1.5.1 has only the GETs), to GET …?id=…&id=… in chunks of
 *   {@link IDS_PER_QUERY}; GET …/finality_checkpoints
 * - duties: POST /eth/v1/validator/duties/attester/{epoch}, GET …/duties/proposer/{epoch}
 * - attestations: GET /eth/v1/validator/attestation_data, POST /eth/v1/beacon/pool/attestations,
 *   POST /eth/v1/validator/beacon_committee_subscriptions
 * - aggregation: GET /eth/v1/validator/aggregate_attestation, POST
 *   /eth/v1/validator/aggregate_and_proofs
 * - fee recipients: POST /eth/v1/validator/prepare_beacon_proposer, sent to EVERY node (not the
 *   first that answers: whichever node ends up producing a block must know the recipient)
 * - blocks: GET /eth/v3/validator/blocks/{slot} with builder_boost_factor=0 (local payload; falls
 *   back to GET /eth/v2/validator/blocks/{slot} where v3 is missing, e.g. Lodestar 1.5), POST
 *   /eth/v2/beacon/blocks?broadcast_validation=gossip (falls back to POST /eth/v1/beacon/blocks),
 *   both with Eth-Consensus-Version; GET /eth/v2/beacon/blocks/{id}, /eth/v1/beacon/headers/{id},
 *   /eth/v2/beacon/blocks/{id}/attestations (the fork's Attestation, fork from the `version` field
 *   or the Eth-Consensus-Version header; post-Electra Lodestar answers v1 with 400 "Use
 *   getBlockAttestationsV2"), falling back per node to v1 where v2 is missing (Lodestar 1.5),
 *   GET /eth/v1/beacon/states/{state_id}/committees (inclusion checks)
 * - liveness: POST /eth/v1/validator/liveness/{epoch} (standard), falling back to Lodestar ≤ 1.5's
 *   GET /eth/v1/validator/liveness?indices=…&epoch=… (answers only for the current epoch ± 1)
 * - exits: POST /eth/v1/beacon/pool/voluntary_exits
 * - sync committee (Altair+): POST /eth/v1/validator/duties/sync/{epoch}, GET
 *   /eth/v1/beacon/blocks/{block_id}/root, POST /eth/v1/beacon/pool/sync_committees, GET
 *   /eth/v1/validator/sync_committee_contribution (its aggregation bits are a bit vector of the
 *   preset's subcommittee size: preset checked first), POST
 *   /eth/v1/validator/contribution_and_proofs
 *
 * Attestations and aggregates: v1 endpoints and phase0 containers up to Deneb; from Electra on
 * (by the fork of the slot) the v2 endpoints with Eth-Consensus-Version, `SingleAttestation`
 * built from the duties, and electra containers. Block production and lookups are fork-generic
 * (SSZ type chosen by the response's `version`), but block SSZ types depend on the preset: this
 * process must load the beacon node's preset (LODESTAR_PRESET, chosen by the entry point in
 * src/cli/preset.ts) — checked, with a clear error, before any block is parsed.
 */
import { ACTIVE_PRESET, ForkName, ForkSeq } from "@lodestar/params";
import {
  type altair,
  type BeaconBlock,
  type electra,
  type phase0,
  ssz,
  sszTypesFor,
} from "@lodestar/types";
import type { z } from "zod";
import type {
  AttesterDuty,
  BeaconNode,
  ChainInfo,
  CommitteeSubscription,
  ProducedBlock,
  ProposerDuty,
  ProposerPreparation,
  SyncCommitteeDuty,
  ValidatorInfo,
} from "../core/beacon.js";
import type { Clock } from "../core/transport.js";
import { BaseError, InputError } from "../errors.js";
import { toHex } from "../util/hex.js";
import { BeaconApiError } from "./errors.js";
import { createFallbackHttp, type FallbackHttp, type HttpRequest, type Query } from "./http.js";
import * as J from "./json.js";

/**
 * Options of {@link createBeaconClient}.
 *
 * @example
 * createBeaconClient(urls, { timeoutMs: 4000, secondsPerSlot: 12 });
 */
export type BeaconClientOptions = {
  /** Upper bound (ms) of every single request attempt; slot-fitted timeouts are never longer. */
  timeoutMs: number;
  /** Timers (timeouts, how long a failed node stays demoted). Default: the system clock. */
  clock?: Clock | undefined;
  /** Slot length before chainInfo() was read (then the node's SECONDS_PER_SLOT is used). */
  secondsPerSlot?: number | undefined;
  /** See {@link FallbackHttpOptions.retryFailedAfterMs}. */
  retryFailedAfterMs?: number | undefined;
};

/**
 * Slot fractions bounding each request kind (consensus-specs phase0 validator.md: attest at 1/3
 * of the slot, aggregate at 2/3; a block should be out well before the 1/3 attestation deadline).
 * Attestation data and aggregates must arrive within the third they are needed in; submissions
 * within the next third; a block within half a slot (later blocks are mostly orphaned); duties are
 * fetched ahead, so a whole slot.
 *
 * @example
 * SLOT_FRACTION.attestationData * 12_000 // 4000 ms on mainnet
 */
export const SLOT_FRACTION = {
  attestationData: 1 / 3,
  blockRoot: 1 / 3,
  submitSyncMessages: 1 / 3,
  contribution: 1 / 3,
  submitContributions: 1 / 3,
  submitAttestations: 1 / 3,
  aggregate: 1 / 3,
  submitAggregates: 1 / 3,
  produceBlock: 1 / 2,
  publishBlock: 1 / 2,
  duties: 1,
} as const;

/**
 * Max ids per GET query, as repeated `id` parameters: current Lodestar parses queries with qs
 * (`comma: true`), whose array limit (20) turns more repeated values into an object — v1.39
 * answers 400 "id must be array"; Lodestar 1.5.1 parses with node's querystring and does not split
 * comma-separated ids, so repeated parameters, ≤ 20, are what both read (also keeps URLs < 2.5
 * KiB: 48-byte pubkeys are 98 hex chars each). Only the fallback for nodes without the POSTs.
 */
export const IDS_PER_QUERY = 20;
/** Ids per POST …/validators or …/validator_balances body (bounded request and answer size). */
export const IDS_PER_POST = 1000;

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
 * Everything the REST client offers: {@link BeaconNode} plus node health, chain and state reads,
 * aggregation, blocks and exits.
 *
 * @example
 * const beacon: BeaconClient = createBeaconClient(["http://127.0.0.1:5052"], { timeoutMs: 5000 });
 * const { headSlot } = await beacon.syncing();
 */
export interface BeaconClient extends BeaconNode {
  readonly urls: readonly string[];
  chainInfo(): Promise<BeaconChainInfo>;
  validators(
    ids: readonly (Uint8Array | number)[],
    stateId?: string | number,
  ): Promise<BeaconValidator[]>;
  health(): Promise<NodeHealth[]>;
  syncing(): Promise<SyncStatus>;
  version(): Promise<string>;
  balances(
    ids: readonly (Uint8Array | number)[],
    stateId?: string | number,
  ): Promise<Map<number, bigint>>;
  finalityCheckpoints(stateId?: string | number): Promise<FinalityCheckpoints>;
  produceBlock(
    slot: number,
    randaoReveal: Uint8Array,
    graffiti?: Uint8Array,
  ): Promise<ProducedBeaconBlock>;
  blockHeader(blockId: BlockId): Promise<BlockHeaderInfo | null>;
  block(blockId: BlockId): Promise<BeaconBlockInfo | null>;
  /** The block's attestations (Electra+: electra.Attestation, with committee_bits). */
  blockAttestations(blockId: BlockId): Promise<BlockAttestation[] | null>;
  /** Committees of `epoch` (optionally one slot) from the state `stateId`. */
  committees(epoch: number, slot?: number, stateId?: string | number): Promise<Committee[]>;
  submitVoluntaryExit(exit: phase0.SignedVoluntaryExit): Promise<void>;
}

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

/** Statuses meaning "this node has no such endpoint" (route not found / not implemented). */
const MISSING_ENDPOINT = new Set([404, 405, 501]);

const FORK_NAMES = new Set<string>(Object.values(ForkName));

/** Spec key prefixes of fork versions whose fork name differs (GENESIS, pre-rename EIP4844). */
const FORK_NAME_OF_PREFIX: Record<string, string> = { GENESIS: "phase0", EIP4844: "deneb" };

type AnySszType = {
  fromJson(json: unknown): unknown;
  toJson(value: unknown): unknown;
  hashTreeRoot(value: unknown): Uint8Array;
};

function sszType(fork: ForkName, name: string): AnySszType {
  const t = (sszTypesFor(fork) as unknown as Record<string, AnySszType | undefined>)[name];
  if (!t) throw new BaseError(`Fork ${fork} has no SSZ type ${name}`);
  return t;
}

/**
 * Duties must lie in the epoch asked for. Lodestar 1.5.1 answers next-epoch proposer duties with
 * the current epoch's slots: acting on them would propose at the wrong slots.
 */
function assertInEpoch(
  duties: readonly { slot: number }[],
  epoch: number,
  slotsPerEpoch: number,
  req: HttpRequest,
  url: string,
): void {
  const bad = duties.find((d) => Math.floor(d.slot / slotsPerEpoch) !== epoch);
  if (!bad) return;
  throw new BeaconApiError(`Beacon node answered duties of epoch ${epoch} with slot ${bad.slot}`, {
    method: req.method,
    path: req.path,
    attempts: [{ url, kind: "bad-response", message: `slot ${bad.slot} is not in epoch ${epoch}` }],
    metaMessages: [
      "Its duties cannot be trusted. Lodestar 1.5 does this for next-epoch proposer duties: ask for the current epoch only, or use another beacon node.",
    ],
  });
}

/** Position of a fork in consensus-specs order (@lodestar/params ForkSeq); unknown names last. */
function forkOrder(name: string): number {
  const seq = (ForkSeq as unknown as Record<string, number | undefined>)[name];
  return seq ?? Number.MAX_SAFE_INTEGER;
}

function isPostDeneb(fork: ForkName): boolean {
  return !["phase0", "altair", "bellatrix", "capella"].includes(fork);
}

function isPostElectra(fork: ForkName): boolean {
  return isPostDeneb(fork) && fork !== "deneb";
}

function idParam(id: Uint8Array | number): string {
  return typeof id === "number" ? String(id) : toHex(id);
}

function chunks<T>(xs: readonly T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
}

/**
 * Create the REST client. `urls` are tried in order (first healthy; on error/timeout the next).
 *
 * @example
 * const beacon = createBeaconClient(["http://127.0.0.1:5052", "http://127.0.0.1:5053"], {
 *   timeoutMs: 4000,
 * });
 * const chain = await beacon.chainInfo();
 * const duties = await beacon.attesterDuties(10, [48, 49]);
 */
export function createBeaconClient(
  urls: readonly string[],
  opts: BeaconClientOptions,
): BeaconClient {
  if (!(opts.timeoutMs > 0)) {
    throw new InputError("Beacon client timeout must be a positive number of milliseconds", {
      field: "timeoutMs",
    });
  }
  const http: FallbackHttp = createFallbackHttp(urls, {
    clock: opts.clock,
    retryFailedAfterMs: opts.retryFailedAfterMs,
  });
  let chain: BeaconChainInfo | undefined;
  let chainPending: Promise<BeaconChainInfo> | undefined;
  /** Nodes found without GET /eth/v3/validator/blocks, POST /eth/v2/beacon/blocks, POST liveness. */
  const noV3 = new Set<string>();
  const noV2Publish = new Set<string>();
  const oldLiveness = new Set<string>();
  /** `url path` of nodes without POST …/validators or …/validator_balances (chunked GETs). */
  const noPostIds = new Set<string>();
  /** Nodes without GET /eth/v2/beacon/blocks/{id}/attestations (read with v1). */
  const noV2BlockAttestations = new Set<string>();

  /**
   * POST `path` with `body(ids)` per {@link IDS_PER_POST}, or — on a node that does not have the
   * POST (404/405/501, remembered per node) — GET it with repeated `id` parameters per
   * {@link IDS_PER_QUERY}. Answers each response body, parsed with `schema`.
   */
  async function idsRequest<S extends z.ZodType>(
    schema: S,
    path: string,
    ids: readonly (Uint8Array | number)[],
    body: (ids: string[]) => unknown,
  ): Promise<z.infer<S>[]> {
    const out: z.infer<S>[] = [];
    const all = ids.map(idParam);
    let rest = all;
    const first = http.order()[0];
    if (first === undefined || !noPostIds.has(`${first} ${path}`)) {
      try {
        for (const part of chunks(all, IDS_PER_POST)) {
          const req: HttpRequest = {
            method: "POST",
            path,
            body: body(part),
            timeoutMs: opts.timeoutMs,
          };
          const res = await http.request(req);
          out.push(parse(schema, res.body, req, res.url));
          rest = rest.slice(part.length);
        }
        return out;
      } catch (err) {
        if (!(err instanceof BeaconApiError && MISSING_ENDPOINT.has(err.status ?? 0))) throw err;
        const url = err.attempts[err.attempts.length - 1]?.url;
        if (url) noPostIds.add(`${url} ${path}`);
      }
    }
    for (const part of chunks(rest, IDS_PER_QUERY)) {
      out.push(await get(schema, path, { id: part }));
    }
    return out;
  }

  const timeout = (fraction?: number): number => {
    const sps = chain?.secondsPerSlot ?? opts.secondsPerSlot;
    if (fraction === undefined || sps === undefined) return opts.timeoutMs;
    return Math.max(1, Math.min(opts.timeoutMs, Math.floor(fraction * sps * 1000)));
  };

  function parse<S extends z.ZodType>(schema: S, body: unknown, req: HttpRequest, url: string) {
    const r = schema.safeParse(body);
    if (r.success) return r.data as z.infer<S>;
    const issue = r.error.issues[0];
    throw badResponse(req, url, `${issue?.path.join(".") || "(root)"}: ${issue?.message}`);
  }

  function badResponse(req: HttpRequest, url: string, message: string, cause?: unknown) {
    return new BeaconApiError(`Unexpected answer from the beacon node to ${req.path}`, {
      method: req.method,
      path: req.path,
      attempts: [{ url, kind: "bad-response", message }],
      cause,
      metaMessages: [
        "The beacon node's API differs from ethereum/beacon-APIs as rpdvt reads it: check its version, or use another node.",
      ],
    });
  }

  function fromJson<T>(
    type: { fromJson(j: unknown): T },
    json: unknown,
    req: HttpRequest,
    url: string,
  ): T {
    try {
      return type.fromJson(json);
    } catch (err) {
      throw badResponse(req, url, (err as Error)?.message ?? String(err), err);
    }
  }

  async function get<S extends z.ZodType>(
    schema: S,
    path: string,
    query?: Query,
    timeoutMs = opts.timeoutMs,
  ): Promise<z.infer<S>> {
    const req: HttpRequest = { method: "GET", path, query, timeoutMs };
    const res = await http.request(req);
    return parse(schema, res.body, req, res.url);
  }

  async function post(
    path: string,
    body: unknown,
    timeoutMs: number,
    headers?: Record<string, string>,
  ) {
    return http.request({ method: "POST", path, body, timeoutMs, headers });
  }

  /** GET that answers null on 404 (unknown block / state). */
  async function getOrNull(path: string, timeoutMs = opts.timeoutMs) {
    const req: HttpRequest = { method: "GET", path, timeoutMs, acceptStatus: [404] };
    const res = await http.request(req);
    return res.status === 404 ? null : { req, res };
  }

  async function loadChainInfo(): Promise<BeaconChainInfo> {
    const [genesis, spec, schedule] = await Promise.all([
      get(J.genesisResponse, "/eth/v1/beacon/genesis"),
      get(J.specResponse, "/eth/v1/config/spec"),
      get(J.forkScheduleResponse, "/eth/v1/config/fork_schedule"),
    ]);
    const s = spec.data;
    const num = (key: string): number => {
      const v = Number(s[key]);
      if (!Number.isSafeInteger(v) || v <= 0) {
        throw new BeaconApiError(`Beacon node spec has no valid ${key}`, {
          method: "GET",
          path: "/eth/v1/config/spec",
          attempts: [],
          details: `${key} = ${JSON.stringify(s[key])}`,
        });
      }
      return v;
    };
    const nameOf = new Map<string, string>();
    for (const [k, v] of Object.entries(s)) {
      const m = /^([A-Z0-9_]+)_FORK_VERSION$/.exec(k);
      if (m?.[1] && typeof v === "string") {
        nameOf.set(v.toLowerCase(), FORK_NAME_OF_PREFIX[m[1]] ?? m[1].toLowerCase());
      }
    }
    const forks = schedule.data
      .map((f, i) => ({
        name: nameOf.get(toHex(f.current_version)) ?? `fork${i}`,
        epoch: f.epoch,
        version: f.current_version,
      }))
      // Ascending epoch; forks sharing an epoch (all at 0 on a devnet) in fork order, so the
      // last entry with epoch ≤ e is the fork active at e.
      .sort((a, b) => a.epoch - b.epoch || forkOrder(a.name) - forkOrder(b.name));
    return {
      genesisTime: genesis.data.genesis_time,
      genesisValidatorsRoot: genesis.data.genesis_validators_root,
      genesisForkVersion: genesis.data.genesis_fork_version,
      // Lodestar ≥ 1.3x (consensus-specs after Fulu, EIP-7782 prep) may publish SLOT_DURATION_MS
      // alone; SECONDS_PER_SLOT wins where both are given.
      secondsPerSlot:
        s.SECONDS_PER_SLOT !== undefined ? num("SECONDS_PER_SLOT") : num("SLOT_DURATION_MS") / 1000,
      slotsPerEpoch: num("SLOTS_PER_EPOCH"),
      forks,
      presetBase: String(s.PRESET_BASE ?? ""),
      configName: String(s.CONFIG_NAME ?? ""),
      spec: s,
    };
  }

  /**
   * Send `req` to EVERY beacon node (not first-success): registrations and subscriptions must
   * reach whichever node later serves the duty. Any refusal is one BeaconApiError listing every
   * refused node's attempt; a non-API failure is rethrown as is.
   */
  async function requestEveryNode(req: HttpRequest, what: string, hint: string): Promise<void> {
    const results = await Promise.allSettled(http.urls.map((url) => http.requestOne(url, req)));
    const failed = results.flatMap((r) => (r.status === "rejected" ? [r.reason] : []));
    const other = failed.find((e) => !(e instanceof BeaconApiError));
    if (other) throw other;
    const attempts = failed.flatMap((e) => (e as BeaconApiError).attempts);
    if (attempts.length) {
      throw new BeaconApiError(
        `${attempts.length} of ${http.urls.length} beacon nodes refused ${what}`,
        { method: req.method, path: req.path, attempts, metaMessages: [hint] },
      );
    }
  }

  async function chainInfo(): Promise<BeaconChainInfo> {
    if (chain) return chain;
    chainPending ??= loadChainInfo().finally(() => {
      chainPending = undefined;
    });
    chain = await chainPending;
    return chain;
  }

  async function assertPreset(): Promise<void> {
    const c = await chainInfo();
    if (c.presetBase && c.presetBase !== ACTIVE_PRESET) {
      throw new BaseError(
        `The beacon node runs the "${c.presetBase}" preset but this process loaded "${ACTIVE_PRESET}"`,
        {
          metaMessages: [
            "Block SSZ types depend on the preset (list limits, sync committee size).",
            process.env.LODESTAR_PRESET
              ? `LODESTAR_PRESET=${process.env.LODESTAR_PRESET} is set in this environment: remove it (rpdvt reads the preset from the beacon node).`
              : "rpdvt reads the preset from the first --beacon-url when it starts (GET /eth/v1/config/spec) and could not: check that this beacon node is up and reachable, then run the command again.",
          ],
        },
      );
    }
  }

  async function validators(
    ids: readonly (Uint8Array | number)[],
    stateId: string | number = "head",
  ): Promise<BeaconValidator[]> {
    const out: BeaconValidator[] = [];
    if (ids.length === 0) return out;
    const path = `/eth/v1/beacon/states/${stateId}/validators`;
    for (const res of await idsRequest(J.validatorsResponse, path, ids, (part) => ({
      ids: part,
    }))) {
      for (const v of res.data) {
        out.push({
          index: v.index,
          pubkey: v.validator.pubkey,
          status: v.status,
          balanceGwei: v.balance,
          withdrawalCredentials: v.validator.withdrawal_credentials,
          effectiveBalanceGwei: v.validator.effective_balance,
          slashed: v.validator.slashed,
          activationEpoch: v.validator.activation_epoch,
          exitEpoch: v.validator.exit_epoch,
        });
      }
    }
    return out;
  }

  async function liveness(epoch: number, indices: readonly number[]) {
    const out = new Map<number, boolean>();
    if (indices.length === 0) return out;
    const ids = indices.map(String);
    const oldForm = async () => {
      const res = await get(
        J.livenessResponse,
        "/eth/v1/validator/liveness",
        { indices: ids, epoch },
        timeout(),
      );
      return res.data;
    };
    let rows: z.infer<typeof J.livenessResponse>["data"];
    const first = http.order()[0];
    if (first !== undefined && oldLiveness.has(first)) {
      rows = await oldForm();
    } else {
      const req: HttpRequest = {
        method: "POST",
        path: `/eth/v1/validator/liveness/${epoch}`,
        body: ids,
        timeoutMs: timeout(),
      };
      try {
        const res = await http.request(req);
        rows = parse(J.livenessResponse, res.body, req, res.url).data;
      } catch (err) {
        if (!(err instanceof BeaconApiError && MISSING_ENDPOINT.has(err.status ?? 0))) throw err;
        const url = err.attempts[err.attempts.length - 1]?.url;
        if (url) oldLiveness.add(url);
        rows = await oldForm();
      }
    }
    for (const r of rows) out.set(r.index, r.is_live);
    return out;
  }

  function parseProduced(
    body: z.infer<typeof J.versionedResponse>,
    endpoint: "v3" | "v2",
    slot: number,
    req: HttpRequest,
    url: string,
  ): ProducedBeaconBlock {
    if (!FORK_NAMES.has(body.version)) {
      throw badResponse(req, url, `unknown fork "${body.version}"`);
    }
    const fork = body.version as ForkName;
    if (body.execution_payload_blinded === true) {
      throw badResponse(
        req,
        url,
        "got a blinded block although builder_boost_factor=0 asked for a local one",
      );
    }
    const type = sszType(fork, "BeaconBlock");
    let block: BeaconBlock;
    let kzgProofs: Uint8Array[] | undefined;
    let blobs: Uint8Array[] | undefined;
    if (isPostDeneb(fork)) {
      const bc = fromJson(sszType(fork, "BlockContents"), body.data, req, url) as {
        block: BeaconBlock;
        kzgProofs: Uint8Array[];
        blobs: Uint8Array[];
      };
      block = bc.block;
      kzgProofs = bc.kzgProofs;
      blobs = bc.blobs;
    } else {
      block = fromJson(type, body.data, req, url) as BeaconBlock;
    }
    if (block.slot !== slot) {
      throw badResponse(req, url, `asked for a block at slot ${slot}, got ${block.slot}`);
    }
    return {
      fork,
      block,
      kzgProofs,
      blobs,
      slot,
      blockRoot: type.hashTreeRoot(block),
      executionPayloadValue: body.execution_payload_value,
      consensusBlockValue: body.consensus_block_value,
      endpoint,
    };
  }

  /** The fork of `slot` (chain info is read once and cached). */
  async function forkAtSlot(slot: number): Promise<ForkName> {
    const c = await chainInfo();
    const epoch = Math.floor(slot / c.slotsPerEpoch);
    let name = "phase0";
    for (const f of c.forks) if (f.epoch <= epoch) name = f.name;
    return (FORK_NAMES.has(name) ? name : ForkName.phase0) as ForkName;
  }

  return {
    urls: http.urls,
    chainInfo,
    validators,
    liveness,

    async health() {
      return Promise.all(
        http.urls.map(async (url): Promise<NodeHealth> => {
          try {
            const res = await http.requestOne(url, {
              method: "GET",
              path: "/eth/v1/node/health",
              timeoutMs: opts.timeoutMs,
              acceptStatus: [206, 503],
            });
            http.markHealth(url, res.status === 200);
            const status =
              res.status === 200 ? "ready" : res.status === 206 ? "syncing" : "not-ready";
            return { url, status, httpStatus: res.status };
          } catch (err) {
            http.markHealth(url, false);
            const e = err as BeaconApiError;
            return {
              url,
              status: e.status === undefined ? "unreachable" : "not-ready",
              httpStatus: e.status,
              error: e.details ?? e.message,
            };
          }
        }),
      );
    },

    async syncing() {
      const d = (await get(J.syncingResponse, "/eth/v1/node/syncing")).data;
      return {
        headSlot: d.head_slot,
        syncDistance: d.sync_distance,
        isSyncing: d.is_syncing,
        isOptimistic: d.is_optimistic ?? false,
        elOffline: d.el_offline,
      };
    },

    async version() {
      return (await get(J.versionResponse, "/eth/v1/node/version")).data.version;
    },

    async balances(ids, stateId = "head") {
      const out = new Map<number, bigint>();
      if (ids.length === 0) return out;
      const path = `/eth/v1/beacon/states/${stateId}/validator_balances`;
      for (const res of await idsRequest(J.balancesResponse, path, ids, (part) => part)) {
        for (const b of res.data) out.set(b.index, b.balance);
      }
      // Lodestar ≤ 1.5 ignores numeric ids here (answers []): read those via …/validators.
      const missing = ids.filter((id): id is number => typeof id === "number" && !out.has(id));
      if (missing.length) {
        for (const v of await validators(missing, stateId)) out.set(v.index, v.balanceGwei);
      }
      return out;
    },

    async finalityCheckpoints(stateId = "head") {
      const path = `/eth/v1/beacon/states/${stateId}/finality_checkpoints`;
      const req: HttpRequest = { method: "GET", path, timeoutMs: opts.timeoutMs };
      const res = await http.request(req);
      const d = parse(J.finalityResponse, res.body, req, res.url).data;
      const cp = (j: unknown) => fromJson(ssz.phase0.Checkpoint, j, req, res.url);
      return {
        previousJustified: cp(d.previous_justified),
        currentJustified: cp(d.current_justified),
        finalized: cp(d.finalized),
      };
    },

    async attesterDuties(epoch, indices): Promise<AttesterDuty[]> {
      if (indices.length === 0) return [];
      const path = `/eth/v1/validator/duties/attester/${epoch}`;
      const req: HttpRequest = {
        method: "POST",
        path,
        body: indices.map(String),
        timeoutMs: timeout(SLOT_FRACTION.duties),
      };
      const res = await http.request(req);
      const duties = parse(J.attesterDutiesResponse, res.body, req, res.url).data;
      assertInEpoch(duties, epoch, (await chainInfo()).slotsPerEpoch, req, res.url);
      return duties.map((d) => ({
        pubkey: d.pubkey,
        validatorIndex: d.validator_index,
        committeeIndex: d.committee_index,
        committeeLength: d.committee_length,
        committeesAtSlot: d.committees_at_slot,
        validatorCommitteeIndex: d.validator_committee_index,
        slot: d.slot,
      }));
    },

    async proposerDuties(epoch): Promise<ProposerDuty[]> {
      const req: HttpRequest = {
        method: "GET",
        path: `/eth/v1/validator/duties/proposer/${epoch}`,
        timeoutMs: timeout(SLOT_FRACTION.duties),
      };
      const answer = await http.request(req);
      const res = parse(J.proposerDutiesResponse, answer.body, req, answer.url);
      assertInEpoch(res.data, epoch, (await chainInfo()).slotsPerEpoch, req, answer.url);
      return res.data.map((d) => ({
        pubkey: d.pubkey,
        validatorIndex: d.validator_index,
        slot: d.slot,
      }));
    },

    async attestationData(slot, committeeIndex) {
      const req: HttpRequest = {
        method: "GET",
        path: "/eth/v1/validator/attestation_data",
        query: { slot, committee_index: committeeIndex },
        timeoutMs: timeout(SLOT_FRACTION.attestationData),
      };
      const res = await http.request(req);
      const data = parse(J.dataResponse, res.body, req, res.url).data;
      return fromJson(ssz.phase0.AttestationData, data, req, res.url);
    },

    async submitAttestations(attestations, duties) {
      const first = attestations[0];
      if (first === undefined) return;
      const fork = await forkAtSlot(first.data.slot);
      if (!isPostElectra(fork)) {
        await post(
          "/eth/v1/beacon/pool/attestations",
          attestations.map((a) => ssz.phase0.Attestation.toJson(a)),
          timeout(SLOT_FRACTION.submitAttestations),
        );
        return;
      }
      // Electra+ (EIP-7549): SingleAttestation {committee_index, attester_index, data, signature}.
      if (!duties || duties.length !== attestations.length) {
        throw new InputError("Electra+ attestations need the duty of each attestation", {
          field: "duties",
          metaMessages: ["Pass duties[i] = the AttesterDuty of attestations[i]."],
        });
      }
      const type = sszType(fork, "SingleAttestation");
      await post(
        "/eth/v2/beacon/pool/attestations",
        attestations.map((a, i) => {
          const d = duties[i] as AttesterDuty;
          return type.toJson({
            committeeIndex: d.committeeIndex,
            attesterIndex: d.validatorIndex,
            data: a.data,
            signature: a.signature,
          });
        }),
        timeout(SLOT_FRACTION.submitAttestations),
        { "Eth-Consensus-Version": fork },
      );
    },

    async subscribeToCommittees(subs: readonly CommitteeSubscription[]) {
      if (subs.length === 0) return;
      // To EVERY node: whichever receives an attestation must pool it for the aggregators.
      const req: HttpRequest = {
        method: "POST",
        path: "/eth/v1/validator/beacon_committee_subscriptions",
        body: subs.map((s) => ({
          validator_index: String(s.validatorIndex),
          committee_index: String(s.committeeIndex),
          committees_at_slot: String(s.committeesAtSlot),
          slot: String(s.slot),
          is_aggregator: s.isAggregator,
        })),
        timeoutMs: timeout(SLOT_FRACTION.duties),
      };
      await requestEveryNode(
        req,
        "the committee subscriptions",
        "The node retries at the next slot.",
      );
    },

    async aggregateAttestation(slot, attestationDataRoot, committeeIndex) {
      const fork = await forkAtSlot(slot);
      const electra = isPostElectra(fork);
      const req: HttpRequest = {
        method: "GET",
        path: electra
          ? "/eth/v2/validator/aggregate_attestation"
          : "/eth/v1/validator/aggregate_attestation",
        query: {
          attestation_data_root: toHex(attestationDataRoot),
          slot,
          committee_index: electra ? committeeIndex : undefined,
        },
        timeoutMs: timeout(SLOT_FRACTION.aggregate),
      };
      const res = await http.request(req);
      const data = parse(J.dataResponse, res.body, req, res.url).data;
      // Electra+: the value also carries `committeeBits` (electra.Attestation).
      return fromJson(
        electra ? sszType(fork, "Attestation") : ssz.phase0.Attestation,
        data,
        req,
        res.url,
      ) as phase0.Attestation;
    },

    async submitAggregateAndProofs(signed) {
      const first = signed[0];
      if (first === undefined) return;
      const fork = await forkAtSlot(first.message.aggregate.data.slot);
      const electra = isPostElectra(fork);
      const type = electra ? sszType(fork, "SignedAggregateAndProof") : undefined;
      await post(
        electra
          ? "/eth/v2/validator/aggregate_and_proofs"
          : "/eth/v1/validator/aggregate_and_proofs",
        signed.map((x) => (type ? type.toJson(x) : ssz.phase0.SignedAggregateAndProof.toJson(x))),
        timeout(SLOT_FRACTION.submitAggregates),
        electra ? { "Eth-Consensus-Version": fork } : undefined,
      );
    },

    async prepareBeaconProposer(entries: readonly ProposerPreparation[]) {
      if (entries.length === 0) return;
      const req: HttpRequest = {
        method: "POST",
        path: "/eth/v1/validator/prepare_beacon_proposer",
        body: entries.map((e) => ({
          validator_index: String(e.validatorIndex),
          fee_recipient: e.feeRecipient,
        })),
        timeoutMs: timeout(SLOT_FRACTION.duties),
      };
      await requestEveryNode(
        req,
        "the fee recipients",
        "Their proposals would pay the node's default fee recipient: the node retries every epoch.",
      );
    },

    async produceBlock(slot, randaoReveal, graffitiBytes) {
      await assertPreset();
      const graffiti = toHex(graffitiBytes ?? new Uint8Array(32));
      const first = http.order()[0];
      const timeoutMs = timeout(SLOT_FRACTION.produceBlock);
      if (first === undefined || !noV3.has(first)) {
        const req: HttpRequest = {
          method: "GET",
          path: `/eth/v3/validator/blocks/${slot}`,
          // builder_boost_factor=0: always the local (non-blinded) payload.
          query: { randao_reveal: toHex(randaoReveal), graffiti, builder_boost_factor: 0 },
          timeoutMs,
        };
        try {
          const res = await http.request(req);
          const body = parse(J.versionedResponse, res.body, req, res.url);
          return parseProduced(body, "v3", slot, req, res.url);
        } catch (err) {
          if (!(err instanceof BeaconApiError && MISSING_ENDPOINT.has(err.status ?? 0))) throw err;
          const url = err.attempts[err.attempts.length - 1]?.url;
          if (url) noV3.add(url);
        }
      }
      const req: HttpRequest = {
        method: "GET",
        path: `/eth/v2/validator/blocks/${slot}`,
        query: { randao_reveal: toHex(randaoReveal), graffiti },
        timeoutMs,
      };
      const res = await http.request(req);
      const body = parse(J.versionedResponse, res.body, req, res.url);
      return parseProduced(body, "v2", slot, req, res.url);
    },

    async publishBlock(signed) {
      const { fork, block, signature } = signed;
      // Deneb+ publishes block contents (block + kzg proofs + blobs); earlier forks the block alone.
      const hasContents =
        (sszTypesFor(fork) as unknown as Record<string, unknown>).SignedBlockContents !== undefined;
      const body =
        hasContents && signed.kzgProofs && signed.blobs
          ? sszType(fork, "SignedBlockContents").toJson({
              signedBlock: { message: block, signature },
              kzgProofs: signed.kzgProofs,
              blobs: signed.blobs,
            })
          : sszType(fork, "SignedBeaconBlock").toJson({ message: block, signature });
      const headers = { "Eth-Consensus-Version": fork };
      const timeoutMs = timeout(SLOT_FRACTION.publishBlock);
      const first = http.order()[0];
      if (first === undefined || !noV2Publish.has(first)) {
        const req: HttpRequest = {
          method: "POST",
          path: "/eth/v2/beacon/blocks",
          query: { broadcast_validation: "gossip" },
          body,
          headers,
          timeoutMs,
        };
        try {
          await http.request(req);
          return;
        } catch (err) {
          if (!(err instanceof BeaconApiError && MISSING_ENDPOINT.has(err.status ?? 0))) throw err;
          const url = err.attempts[err.attempts.length - 1]?.url;
          if (url) noV2Publish.add(url);
        }
      }
      await post("/eth/v1/beacon/blocks", body, timeoutMs, headers);
    },

    async blockHeader(blockId) {
      const r = await getOrNull(`/eth/v1/beacon/headers/${blockId}`);
      if (!r) return null;
      const d = parse(J.headerResponse, r.res.body, r.req, r.res.url).data;
      const m = d.header.message;
      return {
        root: d.root,
        canonical: d.canonical,
        slot: m.slot,
        proposerIndex: m.proposer_index,
        parentRoot: m.parent_root,
        stateRoot: m.state_root,
        bodyRoot: m.body_root,
      };
    },

    async block(blockId) {
      await assertPreset();
      const r = await getOrNull(`/eth/v2/beacon/blocks/${blockId}`);
      if (!r) return null;
      const body = parse(J.versionedResponse, r.res.body, r.req, r.res.url);
      if (!FORK_NAMES.has(body.version)) {
        throw badResponse(r.req, r.res.url, `unknown fork "${body.version}"`);
      }
      const fork = body.version as ForkName;
      return {
        fork,
        signedBlock: fromJson(
          sszType(fork, "SignedBeaconBlock"),
          body.data,
          r.req,
          r.res.url,
        ) as BeaconBlockInfo["signedBlock"],
        executionOptimistic: body.execution_optimistic,
        finalized: body.finalized,
      };
    },

    async blockAttestations(blockId) {
      const first = http.order()[0];
      if (first === undefined || !noV2BlockAttestations.has(first)) {
        const path = `/eth/v2/beacon/blocks/${blockId}/attestations`;
        const req: HttpRequest = { method: "GET", path, timeoutMs: opts.timeoutMs };
        try {
          const res = await http.request({ ...req, acceptStatus: [404] });
          // A 404 with the route present is an unknown block; a missing route says so in its
          // message (fastify "Route GET:… not found") — then v1.
          const missingRoute =
            res.status === 404 && /route/i.test(JSON.stringify(res.body ?? "").slice(0, 300));
          if (!missingRoute) {
            if (res.status === 404) return null;
            const body = parse(J.versionedResponse, res.body, req, res.url);
            const version = body.version || res.headers.get("eth-consensus-version") || "";
            if (!FORK_NAMES.has(version)) {
              throw badResponse(req, res.url, `unknown fork "${version}"`);
            }
            if (!Array.isArray(body.data)) throw badResponse(req, res.url, "data is not an array");
            const type = sszType(version as ForkName, "Attestation");
            return body.data.map((a) => fromJson(type, a, req, res.url) as BlockAttestation);
          }
          noV2BlockAttestations.add(res.url);
        } catch (err) {
          if (!(err instanceof BeaconApiError && MISSING_ENDPOINT.has(err.status ?? 0))) throw err;
          const url = err.attempts[err.attempts.length - 1]?.url;
          if (url) noV2BlockAttestations.add(url);
        }
      }
      const r = await getOrNull(`/eth/v1/beacon/blocks/${blockId}/attestations`);
      if (!r) return null;
      const data = parse(J.dataResponse, r.res.body, r.req, r.res.url).data;
      if (!Array.isArray(data)) throw badResponse(r.req, r.res.url, "data is not an array");
      return data.map((a) => fromJson(ssz.phase0.Attestation, a, r.req, r.res.url));
    },

    async committees(epoch, slot, stateId = "head") {
      const res = await get(J.committeesResponse, `/eth/v1/beacon/states/${stateId}/committees`, {
        epoch,
        slot,
      });
      return res.data.map((c) => ({ index: c.index, slot: c.slot, validators: c.validators }));
    },

    async submitVoluntaryExit(exit) {
      await post(
        "/eth/v1/beacon/pool/voluntary_exits",
        ssz.phase0.SignedVoluntaryExit.toJson(exit),
        timeout(),
      );
    },

    async syncCommitteeDuties(epoch, indices): Promise<SyncCommitteeDuty[]> {
      if (indices.length === 0) return [];
      const req: HttpRequest = {
        method: "POST",
        path: `/eth/v1/validator/duties/sync/${epoch}`,
        body: indices.map(String),
        timeoutMs: timeout(SLOT_FRACTION.duties),
      };
      const res = await http.request(req);
      return parse(J.syncDutiesResponse, res.body, req, res.url).data.map((d) => ({
        pubkey: d.pubkey,
        validatorIndex: d.validator_index,
        validatorSyncCommitteeIndices: d.validator_sync_committee_indices,
      }));
    },

    async beaconBlockRoot(blockId) {
      const res = await get(
        J.blockRootResponse,
        `/eth/v1/beacon/blocks/${blockId}/root`,
        undefined,
        timeout(SLOT_FRACTION.blockRoot),
      );
      return res.data.root;
    },

    async submitSyncCommitteeMessages(messages) {
      if (messages.length === 0) return;
      await post(
        "/eth/v1/beacon/pool/sync_committees",
        messages.map((m) => ssz.altair.SyncCommitteeMessage.toJson(m)),
        timeout(SLOT_FRACTION.submitSyncMessages),
      );
    },

    async syncCommitteeContribution(slot, subcommitteeIndex, beaconBlockRoot) {
      await assertPreset();
      const req: HttpRequest = {
        method: "GET",
        path: "/eth/v1/validator/sync_committee_contribution",
        query: {
          slot,
          subcommittee_index: subcommitteeIndex,
          beacon_block_root: toHex(beaconBlockRoot),
        },
        timeoutMs: timeout(SLOT_FRACTION.contribution),
      };
      const res = await http.request(req);
      const data = parse(J.dataResponse, res.body, req, res.url).data;
      return fromJson(
        ssz.altair.SyncCommitteeContribution,
        data,
        req,
        res.url,
      ) as altair.SyncCommitteeContribution;
    },

    async submitContributionAndProofs(signed) {
      if (signed.length === 0) return;
      await post(
        "/eth/v1/validator/contribution_and_proofs",
        signed.map((x) => ssz.altair.SignedContributionAndProof.toJson(x)),
        timeout(SLOT_FRACTION.submitContributions),
      );
    },
  };
}
