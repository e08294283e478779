/**
 * zod schemas of the Beacon API responses the client reads (ethereum/beacon-APIs, apis/**.yaml and
 * types/**.yaml). Numbers are uint64 as decimal strings (types/primitive.yaml Uint64); bytes are
 * 0x-hex. Consensus containers (AttestationData, Attestation, blocks) are parsed with
 * @lodestar/types' `fromJson` instead, which checks them against the SSZ type.
 */
import { z } from "zod";

/**
 * uint64 decimal string → number; values above 2^53 (FAR_FUTURE_EPOCH = 2^64-1) → Infinity.
 *
 * @example
 * uintNum.parse("18446744073709551615") // Infinity
 */
export const uintNum = z
  .union([z.string().regex(/^[0-9]+$/, "must be a decimal uint64 string"), z.number().int()])
  .transform((s) => {
    const n = Number(s);
    return Number.isSafeInteger(n) ? n : Number.POSITIVE_INFINITY;
  });

/**
 * uint64 decimal string → bigint (Gwei amounts).
 *
 * @example
 * uintBig.parse("32000000000") // 32000000000n
 */
export const uintBig = z
  .union([z.string().regex(/^[0-9]+$/, "must be a decimal uint64 string"), z.number().int()])
  .transform((s) => BigInt(s));

/**
 * 0x-hex → bytes, optionally of a fixed length.
 *
 * @example
 * hexBytes(4).parse("0x03000001") // Uint8Array [3, 0, 0, 1]
 */
export const hexBytes = (length?: number) =>
  z
    .string()
    .regex(/^0x([0-9a-fA-F]{2})*$/, "must be 0x-prefixed even-length hex")
    .refine(
      (s) => length === undefined || s.length === 2 + 2 * length,
      `must be ${length} bytes of hex`,
    )
    .transform((s) => new Uint8Array(Buffer.from(s.slice(2), "hex")));

const data = <T extends z.ZodType>(inner: T) => z.object({ data: inner });

/**
 * GET /eth/v1/beacon/genesis (apis/beacon/genesis.yaml).
 *
 * @example
 * genesisResponse.parse(body).data.genesis_time
 */
export const genesisResponse = data(
  z.object({
    genesis_time: uintNum,
    genesis_validators_root: hexBytes(32),
    genesis_fork_version: hexBytes(4),
  }),
);

/**
 * GET /eth/v1/config/spec (apis/config/spec.yaml): values are strings (Fulu adds objects).
 *
 * @example
 * specResponse.parse(body).data.SECONDS_PER_SLOT
 */
export const specResponse = data(z.record(z.string(), z.unknown()));

/**
 * GET /eth/v1/config/fork_schedule (apis/config/fork_schedule.yaml).
 *
 * @example
 * forkScheduleResponse.parse(body).data[0]?.epoch
 */
export const forkScheduleResponse = data(
  z.array(
    z.object({ previous_version: hexBytes(4), current_version: hexBytes(4), epoch: uintNum }),
  ),
);

/**
 * GET /eth/v1/node/syncing (apis/node/syncing.yaml). `el_offline` is absent before 2023.
 *
 * @example
 * syncingResponse.parse(body).data.head_slot
 */
export const syncingResponse = data(
  z.object({
    head_slot: uintNum,
    sync_distance: uintNum,
    is_syncing: z.boolean(),
    is_optimistic: z.boolean().optional(),
    el_offline: z.boolean().optional(),
  }),
);

/**
 * GET /eth/v1/node/version.
 *
 * @example
 * versionResponse.parse(body).data.version
 */
export const versionResponse = data(z.object({ version: z.string() }));

/**
 * GET /eth/v1/beacon/states/{state_id}/validators (apis/beacon/states/validators.yaml).
 *
 * @example
 * validatorsResponse.parse(body).data[0]?.validator.pubkey
 */
export const validatorsResponse = data(
  z.array(
    z.object({
      index: uintNum,
      balance: uintBig,
      status: z.string(),
      validator: z.object({
        pubkey: hexBytes(48),
        withdrawal_credentials: hexBytes(32),
        effective_balance: uintBig,
        slashed: z.boolean(),
        activation_eligibility_epoch: uintNum,
        activation_epoch: uintNum,
        exit_epoch: uintNum,
        withdrawable_epoch: uintNum,
      }),
    }),
  ),
);

/**
 * GET /eth/v1/beacon/states/{state_id}/validator_balances.
 *
 * @example
 * balancesResponse.parse(body).data[0]?.balance
 */
export const balancesResponse = data(z.array(z.object({ index: uintNum, balance: uintBig })));

/**
 * POST /eth/v1/validator/duties/attester/{epoch} (apis/validator/duties/attester.yaml).
 *
 * @example
 * attesterDutiesResponse.parse(body).data[0]?.slot
 */
export const attesterDutiesResponse = z.object({
  dependent_root: hexBytes(32),
  execution_optimistic: z.boolean().optional(),
  data: z.array(
    z.object({
      pubkey: hexBytes(48),
      validator_index: uintNum,
      committee_index: uintNum,
      committee_length: uintNum,
      committees_at_slot: uintNum,
      validator_committee_index: uintNum,
      slot: uintNum,
    }),
  ),
});

/**
 * GET /eth/v1/validator/duties/proposer/{epoch} (apis/validator/duties/proposer.yaml).
 *
 * @example
 * proposerDutiesResponse.parse(body).data[0]?.validator_index
 */
export const proposerDutiesResponse = z.object({
  dependent_root: hexBytes(32).optional(),
  execution_optimistic: z.boolean().optional(),
  data: z.array(z.object({ pubkey: hexBytes(48), validator_index: uintNum, slot: uintNum })),
});

/**
 * POST /eth/v1/validator/duties/sync/{epoch} (apis/validator/duties/sync.yaml).
 *
 * @example
 * syncDutiesResponse.parse(body).data[0]?.validator_sync_committee_indices
 */
export const syncDutiesResponse = z.object({
  execution_optimistic: z.boolean().optional(),
  data: z.array(
    z.object({
      pubkey: hexBytes(48),
      validator_index: uintNum,
      validator_sync_committee_indices: z.array(uintNum),
    }),
  ),
});

/**
 * GET /eth/v1/beacon/blocks/{block_id}/root (apis/beacon/blocks/block_root.yaml).
 *
 * @example
 * blockRootResponse.parse(body).data.root
 */
export const blockRootResponse = z.object({
  execution_optimistic: z.boolean().optional(),
  data: z.object({ root: hexBytes(32) }),
});

/**
 * POST /eth/v1/validator/liveness/{epoch} and Lodestar ≤ 1.5's GET form (adds `epoch`).
 *
 * @example
 * livenessResponse.parse(body).data[0]?.is_live
 */
export const livenessResponse = data(z.array(z.object({ index: uintNum, is_live: z.boolean() })));

/**
 * GET /eth/v1/beacon/states/{state_id}/finality_checkpoints.
 *
 * @example
 * finalityResponse.parse(body).data.finalized
 */
export const finalityResponse = data(
  z.object({
    previous_justified: z.unknown(),
    current_justified: z.unknown(),
    finalized: z.unknown(),
  }),
);

/**
 * GET /eth/v1/beacon/headers/{block_id} (apis/beacon/blocks/header.yaml).
 *
 * @example
 * headerResponse.parse(body).data.header.message.slot
 */
export const headerResponse = z.object({
  execution_optimistic: z.boolean().optional(),
  finalized: z.boolean().optional(),
  data: z.object({
    root: hexBytes(32),
    canonical: z.boolean(),
    header: z.object({
      message: z.object({
        slot: uintNum,
        proposer_index: uintNum,
        parent_root: hexBytes(32),
        state_root: hexBytes(32),
        body_root: hexBytes(32),
      }),
      signature: hexBytes(96),
    }),
  }),
});

/**
 * Block production (apis/validator/block.v2.yaml, block.v3.yaml) and GET /eth/v2/beacon/blocks:
 * `version` is the fork name; `data` is parsed with the fork's SSZ type.
 *
 * @example
 * versionedResponse.parse(body).version // "capella"
 */
export const versionedResponse = z.object({
  version: z.string(),
  execution_payload_blinded: z.boolean().optional(),
  execution_payload_value: uintBig.optional(),
  consensus_block_value: uintBig.optional(),
  execution_optimistic: z.boolean().optional(),
  finalized: z.boolean().optional(),
  data: z.unknown(),
});

/**
 * Responses whose `data` is one consensus container (attestation data, aggregate, …).
 *
 * @example
 * dataResponse.parse(body).data
 */
export const dataResponse = z.object({ data: z.unknown() });

/**
 * GET /eth/v1/beacon/states/{state_id}/committees (apis/beacon/states/committees.yaml).
 *
 * @example
 * committeesResponse.parse(body).data[0]?.validators
 */
export const committeesResponse = z.object({
  execution_optimistic: z.boolean().optional(),
  finalized: z.boolean().optional(),
  data: z.array(z.object({ index: uintNum, slot: uintNum, validators: z.array(uintNum) })),
});

/**
 * GET /eth/v2/beacon/blocks/{block_id}, only the proposer (apis/beacon/blocks/block.v2.yaml): the
 * rest of the block is not read, so no SSZ type (and no preset) is needed.
 *
 * @example
 * blockProposerResponse.parse(body).data.message.proposer_index
 */
export const blockProposerResponse = z.object({
  data: z.object({ message: z.object({ proposer_index: uintNum }) }),
});

/**
 * Signed Gwei amount as a decimal string (rewards may be negative: penalties); absent → 0.
 *
 * @example
 * gweiDelta.parse("-4000") // -4000
 */
export const gweiDelta = z
  .union([z.string().regex(/^-?[0-9]+$/, "must be a decimal integer string"), z.number().int()])
  .optional()
  .transform((s) => (s === undefined ? 0 : Number(s)));

/**
 * POST /eth/v1/beacon/rewards/attestations/{epoch} (apis/beacon/rewards/attestations.yaml).
 *
 * @example
 * attestationRewardsResponse.parse(body).data.total_rewards[0]?.head
 */
export const attestationRewardsResponse = z.object({
  execution_optimistic: z.boolean().optional(),
  finalized: z.boolean().optional(),
  data: z.object({
    ideal_rewards: z.array(
      z.object({
        effective_balance: uintBig,
        head: gweiDelta,
        target: gweiDelta,
        source: gweiDelta,
      }),
    ),
    total_rewards: z.array(
      z.object({
        validator_index: uintNum,
        head: gweiDelta,
        target: gweiDelta,
        source: gweiDelta,
      }),
    ),
  }),
});
